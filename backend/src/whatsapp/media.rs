//! Media in and out (CHAN-4). Uploads are checked against Meta's type and size limits,
//! sent to `POST /{pnid}/media`, and kept here (so the inbox can show what was sent).
//! Inbound files are fetched by a job queued with the message: `GET /{media-id}` for a
//! short-lived URL, then the bytes with the number's token, refused past 100 MB, checked
//! against Meta's SHA-256, and stored. Failures retry with the send backoff, then the file
//! is marked failed with the reason (the message itself is never lost).

use super::graph::{GraphError, Upload, WhatsAppApi};
use crate::auth::Actor;
use crate::clock::new_id;
use crate::db::rows::Flag;
use crate::error::{Result, ServiceError};
use crate::secrets::Cipher;
use crate::Db;
use base64::Engine;
use domain::dto::MediaFile;
use domain::whatsapp::media::{check_upload, essence, kind_for, INBOUND_MAX_BYTES};
use domain::{AppError, ErrorCode, NumberId, OrgId, Role};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use sqlx::AnyConnection;

/// The longest file name kept (Meta shows at most this much anyway).
pub const MAX_FILENAME_CHARS: usize = 240;

const COLUMNS: &str = "id, direction, wa_media_id, mime_type, filename, file_size, sha256, status, error, message_id, created_at";

/// A `media` row as [`COLUMNS`] (and `content`) read it.
#[derive(sqlx::FromRow)]
struct FileRow {
    id: String,
    direction: String,
    wa_media_id: Option<String>,
    mime_type: String,
    filename: Option<String>,
    file_size: Option<i64>,
    sha256: Option<String>,
    status: String,
    error: Option<String>,
    message_id: Option<String>,
    created_at: i64,
    content: Option<Vec<u8>>,
}

impl FileRow {
    fn into_file(self) -> (MediaFile, Option<Vec<u8>>) {
        let file = MediaFile {
            id: self.id,
            direction: self.direction,
            wa_media_id: self.wa_media_id,
            kind: kind_for(&self.mime_type).map(|k| k.as_str().to_owned()),
            mime_type: self.mime_type,
            filename: self.filename,
            file_size: self.file_size,
            sha256: self.sha256,
            status: self.status,
            error: self.error,
            message_id: self.message_id,
            created_at: self.created_at,
        };
        (file, self.content)
    }
}

/// The number a file goes out through, or comes in from.
#[derive(sqlx::FromRow)]
struct NumberRow {
    #[sqlx(rename = "number_id")]
    id: String,
    #[sqlx(rename = "number_org_id")]
    org_id: OrgId,
    phone_number_id: String,
    active: Flag,
    is_sandbox: Flag,
    access_token_enc: String,
}

/// Base64 of the SHA-256 of `bytes`, as Meta writes it.
pub fn sha256_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

/// Uploads a file for the org's number to Meta (`sandbox_api` for a sandbox number) and
/// keeps a copy. Refused before anything leaves MCE when the type or size is not one Meta
/// accepts (`VALIDATION_001`) or the number is not connected (`WA_006`); Meta's refusal is
/// `WA_001` with Meta's error. Agents and above, and API keys.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    db: &Db,
    api: &dyn WhatsAppApi,
    sandbox_api: &dyn WhatsAppApi,
    cipher: &Cipher,
    actor: &Actor,
    number: &NumberId,
    filename: &str,
    mime_type: &str,
    bytes: Vec<u8>,
) -> Result<MediaFile> {
    actor.require(Role::Agent)?;
    let org = &actor.org_id;
    let mime = essence(mime_type);
    check_upload(&mime, bytes.len() as u64).map_err(|e| AppError::validation(e.to_string()))?;
    let filename: String = filename.trim().chars().filter(|c| !c.is_control()).take(MAX_FILENAME_CHARS).collect();
    let filename = if filename.is_empty() { "file".to_owned() } else { filename };
    let row: NumberRow = sqlx::query_as(
        "SELECT id AS number_id, org_id AS number_org_id, phone_number_id, active, is_sandbox, access_token_enc FROM wa_numbers WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_str())
    .bind(number.as_str())
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| AppError::not_found("Number"))?;
    if !row.active.0 {
        return Err(ServiceError::app(
            ErrorCode::NumberInactive,
            "This WhatsApp number is not connected: Meta rejected its token. An admin must replace the token.",
        ));
    }
    let api = if row.is_sandbox.0 { sandbox_api } else { api };
    let token =
        super::numbers::open_token(cipher, row.org_id.as_str(), &row.id, &row.access_token_enc).map_err(|e| ServiceError::Unexpected(anyhow::Error::new(e)))?;
    let file = Upload { mime_type: mime.clone(), filename: filename.clone(), bytes };
    let wa_media_id = api.upload_media(&token, &row.phone_number_id, &file).await.map_err(|e| {
        let message = match &e {
            GraphError::Api { code, message, details, .. } => format!("Meta refused the upload (error {code}): {}", details.clone().unwrap_or(message.clone())),
            GraphError::Transport(m) | GraphError::Unreachable(m) => format!("Could not reach the WhatsApp API: {m}"),
        };
        ServiceError::App(AppError::new(ErrorCode::WhatsAppApi, message).with_details(e.to_details()))
    })?;
    let now = crate::clock::now_ms();
    let id = new_id();
    sqlx::query(
        "INSERT INTO media (id, org_id, number_id, message_id, direction, wa_media_id, mime_type, filename, file_size, sha256, status, content, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, 'outbound', $4, $5, $6, $7, $8, 'stored', $9, $10, $10)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(number.as_str())
    .bind(&wa_media_id)
    .bind(&mime)
    .bind(&filename)
    .bind(file.bytes.len() as i64)
    .bind(sha256_b64(&file.bytes))
    .bind(file.bytes)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(load(db, org, &id, false).await?.0)
}

/// Downloads the `media` row with this id (queued with its inbound message).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadMedia {
    pub media_id: String,
}

/// Queues the download of an inbound file, inside the transaction that stores its message.
#[allow(clippy::too_many_arguments)] // the message's facts, passed through from ingest as they are
pub async fn enqueue_download_in(
    conn: &mut AnyConnection,
    org: &OrgId,
    number: &NumberId,
    message_id: &str,
    wa_media_id: &str,
    mime_type: Option<&str>,
    filename: Option<&str>,
    now: i64,
) -> Result<()> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO media (id, org_id, number_id, message_id, direction, wa_media_id, mime_type, filename, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'inbound', $5, $6, $7, 'pending', $8, $8)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(number.as_str())
    .bind(message_id)
    .bind(wa_media_id)
    .bind(mime_type.map(essence).unwrap_or_else(|| "application/octet-stream".into()))
    .bind(filename.map(|f| f.chars().take(MAX_FILENAME_CHARS).collect::<String>()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let job = DownloadMedia { media_id: id.clone() };
    crate::jobs::queue::enqueue_in(conn, &job, Some(org), now, Some(&format!("media:{id}")), now).await
}

/// A file's facts, scoped to the actor's org (another org's id is `NOT_FOUND_001`). Any
/// member, and API keys.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<MediaFile> {
    Ok(load(db, &actor.org_id, id, false).await?.0)
}

/// A file's facts and bytes (`None` while an inbound file is not downloaded yet). Any
/// member, and API keys.
pub async fn content(db: &Db, actor: &Actor, id: &str) -> Result<(MediaFile, Option<Vec<u8>>)> {
    load(db, &actor.org_id, id, true).await
}

async fn load(db: &Db, org: &OrgId, id: &str, with_content: bool) -> Result<(MediaFile, Option<Vec<u8>>)> {
    let content = if with_content { "content" } else { "NULL AS content" };
    let row: FileRow = sqlx::query_as(&format!("SELECT {COLUMNS}, {content} FROM media WHERE org_id = $1 AND id = $2"))
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("Media"))?;
    let (file, content) = row.into_file();
    Ok((file, content.filter(|_| with_content)))
}

/// The file that came with an inbound message of the actor's org, if any.
pub async fn of_message(db: &Db, actor: &Actor, message_id: &str) -> Result<Option<MediaFile>> {
    let row: Option<FileRow> = sqlx::query_as(&format!("SELECT {COLUMNS}, NULL AS content FROM media WHERE org_id = $1 AND message_id = $2"))
        .bind(actor.org_id.as_str())
        .bind(message_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.into_file().0))
}

/// What a download job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadOutcome {
    Stored,
    /// Will try again at this instant.
    Retrying {
        at: i64,
        reason: String,
    },
    /// Given up; the reason is on the file.
    Failed {
        reason: String,
    },
}

/// Downloads one inbound file (the `download_media` job's work, `attempt` counting this
/// try): fetches it through the media API (`sandbox_api` for sandbox numbers) and
/// stores it, or says when to try again.
pub async fn download(
    db: &Db,
    api: &dyn WhatsAppApi,
    sandbox_api: &dyn WhatsAppApi,
    cipher: &Cipher,
    id: &str,
    attempt: i64,
    now: i64,
) -> Result<DownloadOutcome> {
    /// The file to fetch and the number it came to.
    #[derive(sqlx::FromRow)]
    struct Pending {
        wa_media_id: Option<String>,
        status: String,
        mime_type: String,
        #[sqlx(flatten)]
        number: NumberRow,
    }
    let row: Option<Pending> = sqlx::query_as(
        "SELECT m.wa_media_id, m.status, m.mime_type, n.id AS number_id, n.org_id AS number_org_id, n.phone_number_id, n.active, n.access_token_enc, n.is_sandbox FROM media m JOIN wa_numbers n ON n.id = m.number_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row.filter(|r| r.status == "pending") else {
        return Ok(DownloadOutcome::Failed { reason: "nothing to download".into() });
    };
    let wa_media_id = row.wa_media_id.unwrap_or_default();
    let api = if row.number.is_sandbox.0 { sandbox_api } else { api };
    let fetched = match super::numbers::open_token(cipher, row.number.org_id.as_str(), &row.number.id, &row.number.access_token_enc) {
        Ok(token) => fetch(api, &token, &row.number.phone_number_id, &wa_media_id).await,
        Err(_) => Err(("the number's access token cannot be decrypted".to_owned(), false)),
    };
    match fetched {
        Ok((info, bytes)) => {
            let mime = if info.mime_type.is_empty() { row.mime_type } else { essence(&info.mime_type) };
            store(db, id, &bytes, &mime, now).await?;
            Ok(DownloadOutcome::Stored)
        }
        Err((reason, retryable)) => match GraphError::retry_delay(attempt.max(1)).filter(|_| retryable) {
            Some(delay) => Ok(DownloadOutcome::Retrying { at: now + delay, reason }),
            None => {
                sqlx::query("UPDATE media SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3")
                    .bind(&reason)
                    .bind(now)
                    .bind(id)
                    .execute(db.pool())
                    .await?;
                Ok(DownloadOutcome::Failed { reason })
            }
        },
    }
}

async fn store(db: &Db, id: &str, bytes: &[u8], mime: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE media SET status = 'stored', content = $1, file_size = $2, sha256 = $3, mime_type = $4, error = NULL, updated_at = $5 WHERE id = $6")
        .bind(bytes.to_vec())
        .bind(bytes.len() as i64)
        .bind(sha256_b64(bytes))
        .bind(mime)
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The URL, then the bytes; an error says why and whether trying again could help.
async fn fetch(api: &dyn WhatsAppApi, token: &str, pnid: &str, wa_media_id: &str) -> std::result::Result<(super::graph::MediaInfo, Vec<u8>), (String, bool)> {
    let retryable = |e: &GraphError| match e {
        GraphError::Transport(_) | GraphError::Unreachable(_) => true,
        // An expired URL (404) or a server error: ask again. Too large or unknown: no.
        GraphError::Api { code, http_status, .. } => {
            *code != 131052 && *code != 100 && *code != 190 && (*http_status >= 500 || *http_status == 404 || GraphError::is_retryable_code(*code))
        }
    };
    if wa_media_id.is_empty() || !wa_media_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
        return Err((format!("{wa_media_id:?} is not a media id"), false));
    }
    let info = api.media_info(token, pnid, wa_media_id).await.map_err(|e| (e.to_string(), retryable(&e)))?;
    if info.file_size.is_some_and(|n| n > INBOUND_MAX_BYTES) {
        return Err((format!("the file is larger than {}", domain::whatsapp::media::human_size(INBOUND_MAX_BYTES)), false));
    }
    let bytes = api.download_media(token, &info.url, INBOUND_MAX_BYTES).await.map_err(|e| (e.to_string(), retryable(&e)))?;
    if let Some(expected) = info.sha256.as_deref().filter(|s| !s.is_empty()) {
        if expected != sha256_b64(&bytes) {
            return Err(("the downloaded file does not match Meta's SHA-256".into(), true));
        }
    }
    Ok((info, bytes))
}
