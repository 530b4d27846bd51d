//! Settings → API keys: the org's keys (never the keys themselves), creating one (shown
//! once) and revoking one. Admins only (checked in `backend::api_keys`).

use super::client::CsrfClient;
use domain::dto::{ApiKeysPage, NewApiKey};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// Page `page` (from 0) of the org's keys, newest first.
#[server(prefix = "/api", endpoint = "keys/list", client = CsrfClient)]
pub async fn api_keys(page: i64) -> Result<ApiKeysPage, AppError> {
    let (state, actor) = actor().await?;
    backend::api_keys::list(&state.db, &actor, page).await.map_err(fail)
}

/// Creates a key with a role (`admin`, `agent`, `viewer`) that lasts `expires_in_days`
/// days (0: never); the answer holds the key, shown this once.
#[server(prefix = "/api", endpoint = "keys/create", client = CsrfClient)]
pub async fn create_api_key(name: String, role: String, expires_in_days: i64) -> Result<NewApiKey, AppError> {
    let (state, actor) = actor().await?;
    let role = domain::Role::parse(role.trim()).ok_or_else(|| fail(AppError::validation("A key's role is admin, agent or viewer.")))?;
    if !(0..=3650).contains(&expires_in_days) {
        return Err(fail(AppError::validation("A key lasts 1 to 3,650 days, or never (0).")));
    }
    let expires_at = (expires_in_days > 0).then(|| backend::clock::now_ms() + expires_in_days * 86_400_000);
    let new = backend::api_keys::NewKey { name, role, expires_at };
    let k = backend::api_keys::issue(&state.db, &actor, &new).await.map_err(fail)?;
    Ok(NewApiKey { id: k.id.to_string(), name: k.name, role, secret: k.secret })
}

/// Revokes one of the org's keys.
#[server(prefix = "/api", endpoint = "keys/revoke", client = CsrfClient)]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::api_keys::revoke(&state.db, &actor, &domain::ApiKeyId::from_string(key_id)).await.map_err(fail)
}
