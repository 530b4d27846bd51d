//! The Graph API client: the seam between MCE and Meta (or the sandbox simulator, or a
//! test double — `WHATSAPP_API_BASE` points it anywhere). Errors keep Meta's code, so
//! callers decide on retries by code (Meta's Cloud API error codes reference), never by HTTP status.

use async_trait::async_trait;
use serde_json::Value;
use std::time::Duration;

/// A failed Graph API call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with an error object.
    #[error("WhatsApp API error {code}: {message}")]
    Api { http_status: u16, code: i64, subcode: Option<i64>, message: String, details: Option<String> },
    /// The request never reached Meta (connection refused, DNS): safe to retry.
    #[error("WhatsApp API unreachable: {0}")]
    Unreachable(String),
    /// No usable answer after the request was sent (timeout, broken body): Meta may or
    /// may not have accepted it, so it must not be repeated blindly.
    #[error("WhatsApp API answer lost: {0}")]
    Transport(String),
}

/// Delays before the first, second and third retry of a failed call.
pub const BACKOFF_MS: [i64; 3] = [5_000, 20_000, 45_000];
/// Meta codes worth retrying (Meta's Cloud API error codes reference: temporary, throttling and service errors).
pub const RETRYABLE: [i64; 9] = [1, 2, 4, 80007, 130429, 131000, 131016, 131057, 133004];

impl GraphError {
    /// True for Meta codes that are worth retrying (temporary, throttling, service down).
    pub fn is_retryable_code(code: i64) -> bool {
        RETRYABLE.contains(&code)
    }

    /// True when the same call may succeed later: Meta never heard it, or answered with
    /// a retryable code. (A lost answer is retryable only for calls safe to repeat.)
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Unreachable(_) | GraphError::Transport(_) => true,
            GraphError::Api { code, .. } => Self::is_retryable_code(*code),
        }
    }

    /// How long to wait before retrying after the `failures`-th failure in a row, or
    /// `None` once the retries are spent ([`BACKOFF_MS`]).
    pub fn retry_delay(failures: i64) -> Option<i64> {
        usize::try_from(failures - 1).ok().and_then(|i| BACKOFF_MS.get(i)).copied()
    }

    /// Meta's error code (`None` for transport failures).
    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            GraphError::Transport(_) | GraphError::Unreachable(_) => None,
        }
    }

    /// Meta's own error JSON for callers: code, subcode, message, details.
    pub fn to_details(&self) -> Value {
        match self {
            GraphError::Api { code, subcode, message, details, http_status } => serde_json::json!({
                "meta_code": code, "meta_subcode": subcode, "meta_message": message, "meta_details": details, "http_status": http_status
            }),
            GraphError::Transport(m) | GraphError::Unreachable(m) => serde_json::json!({ "transport_error": m }),
        }
    }
}

/// What `GET /{phone-number-id}` says about a number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneInfo {
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
}

/// What `GET /{media-id}` says about a file: a short-lived download URL and its facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    /// Base64 of the file's SHA-256, when Meta gives it.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// A file to upload with `POST /{phone_number_id}/media`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub mime_type: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The Graph API operations MCE uses. Implemented over HTTP by [`GraphClient`].
#[async_trait]
pub trait WhatsAppApi: Send + Sync + 'static {
    /// `GET /{version}/{phone_number_id}`: the connection test.
    async fn phone_number(&self, token: &str, phone_number_id: &str) -> Result<PhoneInfo, GraphError>;

    /// `POST /{version}/{phone_number_id}/messages`: returns the new wamid (or, for
    /// mark-as-read bodies, an empty string).
    async fn send_message(&self, token: &str, phone_number_id: &str, body: &Value) -> Result<String, GraphError>;

    /// `POST /{version}/{phone_number_id}/media` (multipart): returns Meta's media id.
    async fn upload_media(&self, token: &str, phone_number_id: &str, file: &Upload) -> Result<String, GraphError>;

    /// `GET /{version}/{media_id}?phone_number_id=…`: the file's download URL (valid for
    /// five minutes) and facts.
    async fn media_info(&self, token: &str, phone_number_id: &str, media_id: &str) -> Result<MediaInfo, GraphError>;

    /// `GET <url>` with the bearer token: the file's bytes, refused past `max_bytes`
    /// (without reading the rest).
    async fn download_media(&self, token: &str, url: &str, max_bytes: u64) -> Result<Vec<u8>, GraphError>;

    /// `POST /{version}/{waba_id}/message_templates`: submits a template for review.
    async fn create_template(&self, token: &str, waba_id: &str, body: &Value) -> Result<CreatedTemplate, GraphError>;

    /// `GET /{version}/{waba_id}/message_templates?limit=…&after=…`: one page of the
    /// account's templates, Meta's objects as they are.
    async fn list_templates(&self, token: &str, waba_id: &str, limit: u32, after: Option<&str>) -> Result<TemplatePage, GraphError>;

    /// `POST /{version}/{template_id}` with `{"components": …}` or `{"category": …}`.
    async fn edit_template(&self, token: &str, template_id: &str, body: &Value) -> Result<(), GraphError>;

    /// `DELETE /{version}/{waba_id}/message_templates?name=…[&hsm_id=…]`: every language
    /// of the name, or the one template `hsm_id`.
    async fn delete_template(&self, token: &str, waba_id: &str, name: &str, hsm_id: Option<&str>) -> Result<(), GraphError>;
}

/// Meta's answer to a template submission. `category` is the one Meta gave it, which is
/// the one to keep (it may differ from the one asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedTemplate {
    pub id: String,
    pub status: String,
    pub category: String,
}

/// One page of `GET /{waba_id}/message_templates`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplatePage {
    /// Meta's template objects (`id`, `name`, `language`, `status`, `category`,
    /// `parameter_format`, `components`, …).
    pub data: Vec<Value>,
    /// The cursor of the next page; `None` on the last one.
    pub after: Option<String>,
}

/// Reads a page of templates: the next cursor only when Meta says there is a next page.
pub fn template_page(body: &Value) -> TemplatePage {
    let data = body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
    let after = body.pointer("/paging/cursors/after").and_then(Value::as_str).filter(|_| body.pointer("/paging/next").is_some()).map(str::to_owned);
    TemplatePage { data, after }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A multipart/form-data body as Meta's upload expects it: `messaging_product`, `type`
/// and `file`. Returns the body and its content type.
pub fn multipart_upload_body(file: &Upload) -> (Vec<u8>, String) {
    let boundary = format!("mce-{}", uuid::Uuid::new_v4().simple());
    // Quotes and line breaks cannot appear inside a quoted filename.
    let filename: String = file.filename.chars().map(|c| if c == '"' || c.is_control() { '_' } else { c }).collect();
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (name, value) in [("messaging_product", "whatsapp"), ("type", file.mime_type.as_str())] {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {}\r\n\r\n", file.mime_type)
            .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// [`WhatsAppApi`] over HTTPS with reqwest.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    version: String,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient").field("base", &self.base).field("version", &self.version).finish()
    }
}

impl GraphClient {
    /// A client for `base` (such as `https://graph.facebook.com`) and `version` (`v23.0`).
    pub fn new(base: &str, version: &str) -> anyhow::Result<Self> {
        crate::net::ensure_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("mce/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), version: version.to_owned() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.base, self.version, path.trim_start_matches('/'))
    }

    async fn read(res: Result<reqwest::Response, reqwest::Error>) -> Result<Value, GraphError> {
        let res = res.map_err(|e| {
            if e.is_connect() {
                GraphError::Unreachable(e.without_url().to_string())
            } else {
                GraphError::Transport(e.without_url().to_string())
            }
        })?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.map_err(|e| GraphError::Transport(format!("unreadable answer (HTTP {status}): {}", e.without_url())))?;
        if let Some(err) = body.get("error") {
            return Err(GraphError::Api {
                http_status: status,
                code: err.get("code").and_then(Value::as_i64).unwrap_or(-1),
                subcode: err.get("error_subcode").and_then(Value::as_i64),
                message: err.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_owned(),
                details: err.get("error_data").and_then(|d| d.get("details")).and_then(Value::as_str).map(str::to_owned),
            });
        }
        if !(200..300).contains(&status) {
            return Err(GraphError::Transport(format!("HTTP {status} without a Graph error object")));
        }
        Ok(body)
    }
}

#[async_trait]
impl WhatsAppApi for GraphClient {
    async fn phone_number(&self, token: &str, phone_number_id: &str) -> Result<PhoneInfo, GraphError> {
        let res = self
            .http
            .get(format!("{}?fields=verified_name,display_phone_number,quality_rating,platform_type,status", self.url(phone_number_id)))
            .bearer_auth(token)
            .send()
            .await;
        let body = Self::read(res).await?;
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(PhoneInfo { verified_name: s("verified_name"), display_phone_number: s("display_phone_number"), quality_rating: s("quality_rating") })
    }

    async fn send_message(&self, token: &str, phone_number_id: &str, body: &Value) -> Result<String, GraphError> {
        let res = self.http.post(self.url(&format!("{phone_number_id}/messages"))).bearer_auth(token).json(body).send().await;
        let answer = Self::read(res).await?;
        Ok(answer.pointer("/messages/0/id").and_then(Value::as_str).unwrap_or_default().to_owned())
    }

    async fn upload_media(&self, token: &str, phone_number_id: &str, file: &Upload) -> Result<String, GraphError> {
        let (body, content_type) = multipart_upload_body(file);
        // Uploads of up to 100 MB need more than the default 20 s.
        let res = self
            .http
            .post(self.url(&format!("{phone_number_id}/media")))
            .bearer_auth(token)
            .header("content-type", content_type)
            .timeout(Duration::from_secs(300))
            .body(body)
            .send()
            .await;
        let answer = Self::read(res).await?;
        answer.get("id").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| GraphError::Transport("the upload answer has no media id".into()))
    }

    async fn media_info(&self, token: &str, phone_number_id: &str, media_id: &str) -> Result<MediaInfo, GraphError> {
        // Both ids are digits from Meta (checked by the caller); no escaping needed.
        let res = self.http.get(format!("{}?phone_number_id={phone_number_id}", self.url(media_id))).bearer_auth(token).send().await;
        let body = Self::read(res).await?;
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        // `file_size` is a number in real answers and a string in Meta's docs: take both.
        let file_size = body.get("file_size").and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
        Ok(MediaInfo { url: s("url").unwrap_or_default(), mime_type: s("mime_type").unwrap_or_default(), sha256: s("sha256"), file_size })
    }

    async fn download_media(&self, token: &str, url: &str, max_bytes: u64) -> Result<Vec<u8>, GraphError> {
        let lost = |e: reqwest::Error| {
            if e.is_connect() {
                GraphError::Unreachable(e.without_url().to_string())
            } else {
                GraphError::Transport(e.without_url().to_string())
            }
        };
        let mut res = self.http.get(url).bearer_auth(token).timeout(Duration::from_secs(300)).send().await.map_err(lost)?;
        let status = res.status().as_u16();
        if !(200..300).contains(&status) {
            // An expired URL answers 404: the caller asks for a fresh one and tries again.
            return Err(GraphError::Api {
                http_status: status,
                code: -(status as i64),
                subcode: None,
                message: format!("media download answered HTTP {status}"),
                details: None,
            });
        }
        if res.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large(max_bytes));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(lost)? {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_large(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
    async fn create_template(&self, token: &str, waba_id: &str, body: &Value) -> Result<CreatedTemplate, GraphError> {
        let res = self.http.post(self.url(&format!("{waba_id}/message_templates"))).bearer_auth(token).json(body).send().await;
        let answer = Self::read(res).await?;
        let s = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        if s("id").is_empty() {
            return Err(GraphError::Transport("the template answer has no id".into()));
        }
        Ok(CreatedTemplate { id: s("id"), status: s("status"), category: s("category") })
    }

    async fn list_templates(&self, token: &str, waba_id: &str, limit: u32, after: Option<&str>) -> Result<TemplatePage, GraphError> {
        let mut url = format!(
            "{}?fields=id,name,language,status,category,parameter_format,components,quality_score,rejected_reason,correct_category&limit={limit}",
            self.url(&format!("{waba_id}/message_templates"))
        );
        if let Some(a) = after {
            url.push_str(&format!("&after={}", query_value(a)));
        }
        let res = self.http.get(url).bearer_auth(token).send().await;
        Ok(template_page(&Self::read(res).await?))
    }

    async fn edit_template(&self, token: &str, template_id: &str, body: &Value) -> Result<(), GraphError> {
        let res = self.http.post(self.url(template_id)).bearer_auth(token).json(body).send().await;
        Self::read(res).await.map(|_| ())
    }

    async fn delete_template(&self, token: &str, waba_id: &str, name: &str, hsm_id: Option<&str>) -> Result<(), GraphError> {
        let mut url = format!("{}?name={}", self.url(&format!("{waba_id}/message_templates")), query_value(name));
        if let Some(id) = hsm_id {
            url.push_str(&format!("&hsm_id={}", query_value(id)));
        }
        let res = self.http.delete(url).bearer_auth(token).send().await;
        Self::read(res).await.map(|_| ())
    }
}

/// The error for a file over the size limit (Meta's own code for it, 131052).
pub fn too_large(max_bytes: u64) -> GraphError {
    GraphError::Api {
        http_status: 413,
        code: 131052,
        subcode: None,
        message: "Media file too large".into(),
        details: Some(format!("The file is larger than {}.", domain::whatsapp::media::human_size(max_bytes))),
    }
}
