//! The Graph API client: the seam between MCE and Meta (or the sandbox simulator, or a
//! test double — `WHATSAPP_API_BASE` points it anywhere). Errors keep Meta's code, so
//! callers decide on retries by code (WHATSAPP.md §2.3–2.4), never by HTTP status.

use async_trait::async_trait;
use serde_json::Value;
use std::time::Duration;

/// A failed Graph API call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with an error object.
    #[error("WhatsApp API error {code}: {message}")]
    Api {
        http_status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        details: Option<String>,
    },
    /// The request never reached Meta (connection refused, DNS): safe to retry.
    #[error("WhatsApp API unreachable: {0}")]
    Unreachable(String),
    /// No usable answer after the request was sent (timeout, broken body): Meta may or
    /// may not have accepted it, so it must not be repeated blindly.
    #[error("WhatsApp API answer lost: {0}")]
    Transport(String),
}

impl GraphError {
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

/// The Graph API operations MCE uses. Implemented over HTTP by [`GraphClient`].
#[async_trait]
pub trait WhatsAppApi: Send + Sync + 'static {
    /// `GET /{version}/{phone_number_id}`: the connection test.
    async fn phone_number(&self, token: &str, phone_number_id: &str) -> Result<PhoneInfo, GraphError>;

    /// `POST /{version}/{phone_number_id}/messages`: returns the new wamid (or, for
    /// mark-as-read bodies, an empty string).
    async fn send_message(&self, token: &str, phone_number_id: &str, body: &Value) -> Result<String, GraphError>;
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

/// Installs the process-wide TLS provider (ring) that HTTPS clients need; idempotent.
pub fn ensure_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl GraphClient {
    /// A client for `base` (such as `https://graph.facebook.com`) and `version` (`v23.0`).
    pub fn new(base: &str, version: &str) -> anyhow::Result<Self> {
        ensure_tls_provider();
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
        let res = res.map_err(|e| if e.is_connect() { GraphError::Unreachable(e.without_url().to_string()) } else { GraphError::Transport(e.without_url().to_string()) })?;
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
}
