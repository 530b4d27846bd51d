//! API keys of an org, for `Authorization: Bearer` on `/api/v1/*`. The key is shown
//! once at creation; only its SHA-256 is stored (keys are long and random, so a slow
//! hash adds nothing and would cost every API request).

use crate::clock::{new_id, now_ms};
use crate::error::Result;
use crate::Db;
use base64::Engine;
use domain::{ApiKeyId, AppError, OrgId};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "mce_";

/// A key just created: `secret` is the only copy of the key.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    pub secret: String,
}

/// Who an API request is from: a key of one org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub key_id: ApiKeyId,
    pub key_name: String,
    pub org_id: OrgId,
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key for an org. Fails with `NOT_FOUND_001` when the org does not exist,
/// and `VALIDATION_001` for an empty or over-long name.
pub async fn create(db: &Db, org: &OrgId, name: &str) -> Result<CreatedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation("A key name of 1 to 100 characters is required.").into());
    }
    if !crate::orgs::exists(db, org).await? {
        return Err(AppError::not_found("Organisation").into());
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let id = new_id();
    sqlx::query("INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(org.as_str())
        .bind(name)
        .bind(&secret[..12])
        .bind(digest(&secret))
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(CreatedKey { id: ApiKeyId::from_string(id), org_id: org.clone(), name: name.to_owned(), secret })
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    id: ApiKeyId,
    org_id: OrgId,
    name: String,
}

/// The caller a bearer token belongs to, or `None` for unknown or revoked keys.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<ApiCaller>> {
    if !token.starts_with(KEY_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, CallerRow>("SELECT id, org_id, name FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(digest(token))
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let caller = ApiCaller { key_id: row.id, key_name: row.name, org_id: row.org_id };
    // Recorded at most once a minute per key, so busy integrations do not write on every call.
    let now = now_ms();
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(now)
        .bind(caller.key_id.as_str())
        .bind(now - 60_000)
        .execute(db.pool())
        .await?;
    Ok(Some(caller))
}

/// Revokes a key of an org; later requests with it get `AUTH_002`.
pub async fn revoke(db: &Db, org: &OrgId, key: &ApiKeyId) -> Result<()> {
    let r = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(key.as_str())
        .bind(org.as_str())
        .execute(db.pool())
        .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::not_found("API key").into());
    }
    Ok(())
}
