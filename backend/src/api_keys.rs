//! API keys of an org, for `Authorization: Bearer` on `/api/v1/*`. The key is shown
//! once at creation; only its SHA-256 is stored (keys are long and random, so a slow
//! hash adds nothing and would cost every API request). A key acts with its role
//! (`admin` unless made `agent` or `viewer`), until it expires or is revoked. Admins list,
//! create and revoke them in Settings → API keys; operators with `mce api-key`.

use crate::auth::Actor;
use crate::clock::{new_id, now_ms};
use crate::error::Result;
use crate::Db;
use base64::Engine;
use domain::dto::{ApiKeyView, ApiKeysPage};
use domain::{ApiKeyId, AppError, OrgId, Role};
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

/// Who an API request is from: a key of one org, with its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub key_id: ApiKeyId,
    pub key_name: String,
    pub org_id: OrgId,
    pub role: Role,
}

/// What a new key is: its name, the role it acts with, when it stops working.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
    /// Epoch ms after which the key is refused; `None` for never.
    pub expires_at: Option<i64>,
}

/// Keys listed per page in Settings → API keys.
pub const PAGE_SIZE: i64 = 20;
/// The longest a key may be made to last from now (ten years).
pub const MAX_LIFETIME_MS: i64 = 10 * 365 * 86_400_000;

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates an admin key that never expires for an org (`mce api-key create` without
/// options). See [`create_with`].
pub async fn create(db: &Db, org: &OrgId, name: &str) -> Result<CreatedKey> {
    create_with(db, org, &NewKey { name: name.to_owned(), role: Role::Admin, expires_at: None }, None).await
}

/// An admin of the org creates a key (Settings → API keys). Only people do: a key
/// cannot mint keys.
pub async fn issue(db: &Db, actor: &Actor, new: &NewKey) -> Result<CreatedKey> {
    actor.require(Role::Admin)?;
    let by = actor.member_id()?;
    create_with(db, &actor.org_id, new, Some(by)).await
}

/// Creates a key for an org. Fails with `NOT_FOUND_001` when the org does not exist,
/// and `VALIDATION_001` for an empty or over-long name, an owner or manager role (keys
/// are admins, agents or viewers), or an expiry in the past or more than ten years away.
pub async fn create_with(db: &Db, org: &OrgId, new: &NewKey, created_by: Option<&domain::UserId>) -> Result<CreatedKey> {
    let name = new.name.trim();
    if !matches!(new.role, Role::Admin | Role::Agent | Role::Viewer) {
        return Err(AppError::validation("A key's role is admin, agent or viewer.").into());
    }
    let now = now_ms();
    if let Some(at) = new.expires_at {
        if at <= now || at > now + MAX_LIFETIME_MS {
            return Err(AppError::validation("A key's expiry must be in the future, at most ten years from now.").into());
        }
    }
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
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_at, role, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(name)
    .bind(&secret[..12])
    .bind(digest(&secret))
    .bind(now)
    .bind(new.role.as_str())
    .bind(new.expires_at)
    .bind(created_by.map(|u| u.as_str().to_owned()))
    .execute(db.pool())
    .await?;
    Ok(CreatedKey { id: ApiKeyId::from_string(id), org_id: org.clone(), name: name.to_owned(), secret })
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    id: ApiKeyId,
    org_id: OrgId,
    name: String,
    role: String,
}

/// The caller a bearer token belongs to, or `None` for unknown, revoked or expired keys.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<ApiCaller>> {
    if !token.starts_with(KEY_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let now = now_ms();
    let row = sqlx::query_as::<_, CallerRow>(
        "SELECT id, org_id, name, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(digest(token))
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    // A role this build does not know acts as the least one.
    let role = Role::parse(&row.role).unwrap_or(Role::Viewer);
    let caller = ApiCaller { key_id: row.id, key_name: row.name, org_id: row.org_id, role };
    // Recorded at most once a minute per key, so busy integrations do not write on every call.
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(now)
        .bind(caller.key_id.as_str())
        .bind(now - 60_000)
        .execute(db.pool())
        .await?;
    Ok(Some(caller))
}

/// An admin revokes a key of the org; later requests with it get `AUTH_002`.
pub async fn revoke(db: &Db, actor: &Actor, key: &ApiKeyId) -> Result<()> {
    actor.require(Role::Admin)?;
    revoke_in_org(db, &actor.org_id, key).await
}

/// Revokes a key of an org (`mce api-key revoke`, and [`revoke`] once it checked).
pub async fn revoke_in_org(db: &Db, org: &OrgId, key: &ApiKeyId) -> Result<()> {
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

/// The key an operator names on the command line: its id, its prefix (`mce_…`, the 12
/// characters Settings shows) or the whole key. Returns its org and id; `NOT_FOUND_001`
/// when no key (or more than one, for a prefix) matches.
pub async fn find_for_operator(db: &Db, named: &str) -> Result<(OrgId, ApiKeyId)> {
    let named = named.trim();
    let rows: Vec<(OrgId, ApiKeyId)> = if named.starts_with(KEY_PREFIX) && named.len() > 12 {
        sqlx::query_as("SELECT org_id, id FROM api_keys WHERE key_hash = $1").bind(digest(named)).fetch_all(db.pool()).await?
    } else {
        sqlx::query_as("SELECT org_id, id FROM api_keys WHERE id = $1 OR prefix = $1").bind(named).fetch_all(db.pool()).await?
    };
    match rows.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(AppError::not_found("API key").into()),
        _ => Err(AppError::validation("More than one key has that prefix: give the key's id.").into()),
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    role: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    created_by_name: Option<String>,
}

/// A page (from 0) of the org's keys, newest first, revoked ones included (marked). Admins.
pub async fn list(db: &Db, actor: &Actor, page: i64) -> Result<ApiKeysPage> {
    actor.require(Role::Admin)?;
    let page = page.clamp(0, crate::contacts::search::MAX_PAGE);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE org_id = $1").bind(actor.org_id.as_str()).fetch_one(db.pool()).await?;
    let rows = sqlx::query_as::<_, KeyRow>(
        "SELECT k.id, k.name, k.prefix, k.role, k.created_at, k.last_used_at, k.expires_at, k.revoked_at, u.name AS created_by_name \
         FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.org_id = $1 ORDER BY k.created_at DESC, k.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(actor.org_id.as_str())
    .bind(PAGE_SIZE)
    .bind(page * PAGE_SIZE)
    .fetch_all(db.pool())
    .await?;
    let now = now_ms();
    let data = rows
        .into_iter()
        .map(|r| ApiKeyView {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            expired: r.expires_at.is_some_and(|at| at <= now),
            created_by: r.created_by_name,
        })
        .collect();
    Ok(ApiKeysPage { data, total, page, page_size: PAGE_SIZE })
}
