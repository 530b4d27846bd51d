//! `/api/v1/contacts`: list and search (`{"data": [...], "total": n}`), create, read,
//! change and delete (to the trash) the org's contacts. Another org's id is `404
//! CONTACT_001`; a phone already in use is `409 CONTACT_002`; an unreadable phone is
//! `422 CONTACT_003`.

use super::{ApiError, ApiJson, ApiKeyAuth};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use backend::contacts::edit;
use backend::contacts::{filters, search};
use domain::contacts::ContactFilters;
use domain::dto::{ContactPage, ContactView};
use domain::ContactId;
use serde::Deserialize;
use serde_json::Value;

/// Paging of `GET /api/v1/contacts` (its filters are a [`ContactFilters`]).
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// 1 to 100 (default 25).
    pub per_page: Option<i64>,
}

/// `GET /api/v1/contacts`.
pub async fn list(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    Query(view): Query<ContactFilters>,
    Query(paging): Query<Paging>,
) -> Result<Json<ContactPage>, ApiError> {
    Ok(Json(filters::list(&state.db, &auth.actor(), &view, paging.page.unwrap_or(1), paging.per_page.unwrap_or(25)).await?))
}

/// `POST /api/v1/contacts` with `{phone, name, email, company, tags, custom_fields,
/// opt_in_status}`: 201 with the contact.
pub async fn create(State(state): State<AppState>, auth: ApiKeyAuth, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let c = edit::create(&state.db, &auth.actor(), "api", &body, backend::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `GET /api/v1/contacts/{id}`.
pub async fn get(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(search::get(&state.db, &auth.actor(), &ContactId::from_string(id)).await?))
}

/// `PATCH /api/v1/contacts/{id}`: the fields given change; `null` clears one.
pub async fn update(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(edit::update(&state.db, &auth.actor(), &ContactId::from_string(id), &body, backend::clock::now_ms()).await?))
}

/// `DELETE /api/v1/contacts/{id}`: to the trash (restorable in the app); 204.
pub async fn delete(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    edit::delete(&state.db, &auth.actor(), &ContactId::from_string(id), backend::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}
