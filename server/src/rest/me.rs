//! `GET /api/v1/me`: the org an API key belongs to.

use super::{ApiError, ApiKeyAuth};
use app::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

/// The key's org, with the key that was used.
#[derive(Debug, Serialize)]
pub struct MeResponse {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub default_country: String,
    pub created_at: i64,
    pub api_key: ApiKeyRef,
}

/// The API key that made the request.
#[derive(Debug, Serialize)]
pub struct ApiKeyRef {
    pub id: String,
    pub name: String,
    /// What the key may do: `admin`, `agent` or `viewer`.
    pub role: &'static str,
}

/// Handler of `GET /api/v1/me`.
pub async fn get_me(State(state): State<AppState>, ApiKeyAuth(caller): ApiKeyAuth) -> Result<Json<MeResponse>, ApiError> {
    let org = backend::orgs::profile_by_id(&state.db, &caller.org_id).await?;
    Ok(Json(MeResponse {
        id: org.id.to_string(),
        name: org.name,
        time_zone: org.time_zone,
        default_country: org.default_country,
        created_at: org.created_at,
        api_key: ApiKeyRef { id: caller.key_id.to_string(), name: caller.key_name, role: caller.role.as_str() },
    }))
}
