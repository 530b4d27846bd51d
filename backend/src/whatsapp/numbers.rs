//! Business numbers of an org (CHAN-1): added and deleted by admins, tokens encrypted at
//! rest, deactivated when Meta rejects the token (190) until it is replaced.

use super::graph::WhatsAppApi;
use crate::audit;
use crate::auth::Actor;
use crate::clock::{new_id, now_ms};
use crate::db::rows::Flag;
use crate::error::{is_unique_violation, Result, ServiceError};
use crate::secrets::Cipher;
use crate::Db;
use domain::dto::WaNumber;
use domain::{AppError, ErrorCode, NumberId, OrgId, Role};
use serde_json::json;

/// A number to add, parsed from user input.
#[derive(Clone)]
pub struct NewNumber {
    display_name: String,
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    system_prompt: String,
}

impl std::fmt::Debug for NewNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewNumber").field("display_name", &self.display_name).field("phone_number_id", &self.phone_number_id).finish_non_exhaustive()
    }
}

fn graph_id(v: &str, field: &str) -> std::result::Result<String, AppError> {
    let t = v.trim();
    if t.is_empty() || t.len() > 32 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(format!("{field} must be the numeric id shown in Meta's WhatsApp Manager.")));
    }
    Ok(t.to_owned())
}

impl NewNumber {
    /// Parses the add-number form or API body.
    pub fn parse(display_name: &str, phone_number_id: &str, waba_id: &str, access_token: &str, system_prompt: &str) -> std::result::Result<Self, AppError> {
        let display_name = domain::OrgName::parse(display_name).map_err(|_| AppError::validation("Display name must be 1 to 100 characters."))?;
        let token = access_token.trim();
        if token.is_empty() || token.len() > 4096 || token.chars().any(char::is_whitespace) {
            return Err(AppError::validation("Access token is required (a single line, at most 4096 characters)."));
        }
        if system_prompt.chars().count() > 8000 {
            return Err(AppError::validation("System prompt must be at most 8000 characters."));
        }
        Ok(Self {
            display_name: display_name.as_str().to_owned(),
            phone_number_id: graph_id(phone_number_id, "Phone number id")?,
            waba_id: graph_id(waba_id, "WhatsApp Business Account id")?,
            access_token: token.to_owned(),
            system_prompt: system_prompt.trim().to_owned(),
        })
    }

    /// The Graph API phone number id.
    pub fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }

    /// The token, for the connection test before saving.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }
}

/// What Meta said about the number in the connection test.
#[derive(Debug, Clone, Default)]
pub struct VerifiedInfo {
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
}

const COLUMNS: &str = "id, display_name, phone_number_id, waba_id, display_phone_number, verified_name, quality_rating, system_prompt, is_sandbox, active, inactive_reason, send_rate_milli, auto_assign, created_at";

/// A number as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct NumberRow {
    id: NumberId,
    display_name: String,
    phone_number_id: String,
    waba_id: String,
    display_phone_number: Option<String>,
    verified_name: Option<String>,
    quality_rating: Option<String>,
    system_prompt: String,
    is_sandbox: Flag,
    active: Flag,
    inactive_reason: Option<String>,
    send_rate_milli: i64,
    auto_assign: String,
    created_at: i64,
}

fn from_row(r: NumberRow) -> WaNumber {
    WaNumber {
        id: r.id,
        display_name: r.display_name,
        phone_number_id: r.phone_number_id,
        waba_id: r.waba_id,
        display_phone_number: r.display_phone_number,
        verified_name: r.verified_name,
        quality_rating: r.quality_rating,
        system_prompt: r.system_prompt,
        is_sandbox: r.is_sandbox.0,
        active: r.active.0,
        inactive_reason: r.inactive_reason,
        send_rate: r.send_rate_milli as f64 / 1000.0,
        auto_assign: r.auto_assign,
        created_at: r.created_at,
    }
}

/// A number's access token as stored: sealed to its org and number, so a ciphertext
/// copied onto another number (or into another org) does not decrypt.
pub fn seal_token(cipher: &Cipher, org: &str, number: &str, token: &str) -> String {
    cipher.seal(token, &["wa_numbers", org, number])
}

/// A stored access token, opened for the number it was sealed to.
pub fn open_token(cipher: &Cipher, org: &str, number: &str, stored: &str) -> std::result::Result<String, crate::secrets::DecryptError> {
    cipher.open(stored, &["wa_numbers", org, number])
}

/// Seals to their rows the tokens stored before tokens were bound to rows (run at
/// start-up, after the migrations); returns how many were upgraded. A token another
/// key encrypted is left as it is (sends then fail with `WA_006` until it is replaced).
pub async fn reseal_tokens(db: &Db, cipher: &Cipher) -> Result<u64> {
    let rows: Vec<(String, OrgId, String)> =
        sqlx::query_as("SELECT id, org_id, access_token_enc FROM wa_numbers WHERE access_token_enc NOT LIKE 'v2:%'").fetch_all(db.pool()).await?;
    let mut done = 0;
    for (id, org, stored) in rows {
        if let Ok(Some(sealed)) = cipher.reseal(&stored, &["wa_numbers", org.as_str(), &id]) {
            sqlx::query("UPDATE wa_numbers SET access_token_enc = $1 WHERE id = $2 AND access_token_enc = $3")
                .bind(sealed)
                .bind(&id)
                .bind(&stored)
                .execute(db.pool())
                .await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Adds a number to the actor's org. Admins only; the token is stored encrypted.
/// `CONFLICT_001` when the phone number id is already connected (to any org).
pub async fn create(db: &Db, cipher: &Cipher, actor: &Actor, new: &NewNumber, verified: &VerifiedInfo, is_sandbox: bool) -> Result<WaNumber> {
    actor.require(Role::Admin)?;
    let id = new_id();
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO wa_numbers (id, org_id, display_name, phone_number_id, waba_id, display_phone_number, verified_name, quality_rating, \
         access_token_enc, system_prompt, is_sandbox, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)",
    )
    .bind(&id)
    .bind(actor.org_id.as_str())
    .bind(&new.display_name)
    .bind(&new.phone_number_id)
    .bind(&new.waba_id)
    .bind(verified.display_phone_number.clone())
    .bind(verified.verified_name.clone())
    .bind(verified.quality_rating.clone())
    .bind(seal_token(cipher, actor.org_id.as_str(), &id, &new.access_token))
    .bind(&new.system_prompt)
    .bind(is_sandbox as i64)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "wa_numbers_phone_number_id_key", "wa_numbers.phone_number_id") {
            ServiceError::app(ErrorCode::Conflict, "This phone number id is already connected.")
        } else {
            e.into()
        }
    })?;
    audit::record_as(&mut tx, actor, "number.added", json!({ "number_id": id, "phone_number_id": new.phone_number_id })).await?;
    tx.commit().await?;
    get(db, actor, &NumberId::from_string(id)).await
}

/// "Test connection" for a number not saved yet: asks Meta about it with its token.
/// Admins only; Meta's refusal is `WA_001` with Meta's error.
pub async fn probe(api: &dyn WhatsAppApi, actor: &Actor, new: &NewNumber) -> Result<VerifiedInfo> {
    actor.require(Role::Admin)?;
    Ok(test_connection(api, new).await?)
}

/// Connects a number: tests it with Meta, then saves it with its token encrypted.
/// Admins only; nothing is saved when Meta refuses.
pub async fn connect(db: &Db, cipher: &Cipher, api: &dyn WhatsAppApi, actor: &Actor, new: &NewNumber) -> Result<WaNumber> {
    actor.require(Role::Admin)?;
    let verified = test_connection(api, new).await?;
    create(db, cipher, actor, new, &verified, false).await
}

/// Replaces a number's token after Meta accepted the new one; reactivates the number.
/// Admins only; the old token stays when Meta refuses.
pub async fn rotate_token(db: &Db, cipher: &Cipher, api: &dyn WhatsAppApi, actor: &Actor, id: &NumberId, token: &str) -> Result<WaNumber> {
    actor.require(Role::Admin)?;
    let current = get(db, actor, id).await?;
    let probe = NewNumber::parse(&current.display_name, &current.phone_number_id, &current.waba_id, token, "")?;
    test_connection(api, &probe).await?;
    replace_token(db, cipher, actor, id, token).await
}

/// The numbers of the actor's org, sandbox first, then by name.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<WaNumber>> {
    let rows = sqlx::query_as::<_, NumberRow>(&format!("SELECT {COLUMNS} FROM wa_numbers WHERE org_id = $1 ORDER BY is_sandbox DESC, display_name, id"))
        .bind(actor.org_id.as_str())
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// One number of the actor's org, or `NOT_FOUND_001`.
pub async fn get(db: &Db, actor: &Actor, id: &NumberId) -> Result<WaNumber> {
    get_in_org(db, &actor.org_id, id).await
}

/// One number of an org (API-key callers are scoped by org only).
pub async fn get_in_org(db: &Db, org: &OrgId, id: &NumberId) -> Result<WaNumber> {
    let row = sqlx::query_as::<_, NumberRow>(&format!("SELECT {COLUMNS} FROM wa_numbers WHERE org_id = $1 AND id = $2"))
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("Number"))?;
    Ok(from_row(row))
}

/// Deletes a number of the actor's org with its conversations. Admins only.
pub async fn delete(db: &Db, actor: &Actor, id: &NumberId) -> Result<()> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    let r = sqlx::query("DELETE FROM wa_numbers WHERE org_id = $1 AND id = $2").bind(actor.org_id.as_str()).bind(id.as_str()).execute(&mut *tx).await?;
    if r.rows_affected() == 0 {
        return Err(AppError::not_found("Number").into());
    }
    audit::record_as(&mut tx, actor, "number.deleted", json!({ "number_id": id.as_str() })).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a number's access token and makes it active again. Admins only.
pub async fn replace_token(db: &Db, cipher: &Cipher, actor: &Actor, id: &NumberId, token: &str) -> Result<WaNumber> {
    actor.require(Role::Admin)?;
    let token = token.trim();
    if token.is_empty() || token.len() > 4096 || token.chars().any(char::is_whitespace) {
        return Err(AppError::validation("Access token is required (a single line, at most 4096 characters).").into());
    }
    let mut tx = db.pool().begin().await?;
    let r = sqlx::query("UPDATE wa_numbers SET access_token_enc = $1, active = 1, inactive_reason = NULL WHERE org_id = $2 AND id = $3")
        .bind(seal_token(cipher, actor.org_id.as_str(), id.as_str(), token))
        .bind(actor.org_id.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::not_found("Number").into());
    }
    audit::record_as(&mut tx, actor, "number.token_replaced", json!({ "number_id": id.as_str() })).await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// The number a webhook's `metadata.phone_number_id` belongs to, with its org. Takes a
/// connection so webhook ingestion can route inside its transaction.
pub async fn route(conn: &mut sqlx::AnyConnection, phone_number_id: &str) -> Result<Option<(NumberId, OrgId)>> {
    Ok(sqlx::query_as("SELECT id, org_id FROM wa_numbers WHERE phone_number_id = $1").bind(phone_number_id).fetch_optional(conn).await?)
}

/// The decrypted access token of a number, for the send worker.
pub async fn access_token(db: &Db, cipher: &Cipher, id: &NumberId) -> Result<String> {
    let (org, token): (OrgId, String) = sqlx::query_as("SELECT org_id, access_token_enc FROM wa_numbers WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("Number"))?;
    open_token(cipher, org.as_str(), id.as_str(), &token).map_err(|e| ServiceError::Unexpected(anyhow::Error::new(e)))
}

/// Marks a number inactive (Meta answered 190): later sends fail with `WA_006`. True when
/// it was active until now (so the caller notifies admins once).
pub async fn deactivate(db: &Db, id: &NumberId, reason: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE wa_numbers SET active = 0, inactive_reason = $1 WHERE id = $2 AND active = 1")
        .bind(reason)
        .bind(id.as_str())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// "Test connection": asks Meta (or the configured Graph API) about the number with the
/// given token. Meta's refusal becomes `WA_001` with Meta's code and text in `details`.
pub async fn test_connection(api: &dyn WhatsAppApi, new: &NewNumber) -> std::result::Result<VerifiedInfo, AppError> {
    match api.phone_number(&new.access_token, &new.phone_number_id).await {
        Ok(info) => {
            Ok(VerifiedInfo { verified_name: info.verified_name, display_phone_number: info.display_phone_number, quality_rating: info.quality_rating })
        }
        Err(e) => {
            let message = match &e {
                super::graph::GraphError::Api { code: 190, .. } => "Meta rejected the access token (error 190): it is invalid or expired.".to_string(),
                super::graph::GraphError::Api { code, message, .. } => format!("Meta refused the connection test (error {code}): {message}"),
                super::graph::GraphError::Transport(m) | super::graph::GraphError::Unreachable(m) => format!("Could not reach the WhatsApp API: {m}"),
            };
            Err(AppError::new(ErrorCode::WhatsAppApi, message).with_details(e.to_details()))
        }
    }
}
