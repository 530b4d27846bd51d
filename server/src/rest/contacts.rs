//! `/api/v1/contacts`: list and search (`{"data": [...], "total": n}`), create, read,
//! change and delete (to the trash) the org's contacts. Another org's id is `404
//! CONTACT_001`; a phone already in use is `409 CONTACT_002`; an unreadable phone is
//! `422 CONTACT_003`.

use super::{ApiError, ApiJson, ApiKeyAuth};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use backend::contacts::search::{self, ContactQuery, Sort};
use backend::contacts::store::{Via, Who};
use backend::contacts::{edit, settings};
use domain::dto::{ContactPage, ContactView};
use domain::{AppError, ContactId};
use serde::Deserialize;
use serde_json::Value;

/// Query of `GET /api/v1/contacts`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Exactly this phone (E.164, or national in the org's country).
    pub phone: Option<String>,
    /// Free text over name, phone, email and company.
    pub q: Option<String>,
    /// Tag name; several as `tag=a,b` (contacts carrying all of them).
    pub tag: Option<String>,
    pub opt_in_status: Option<String>,
    pub lead_status: Option<String>,
    pub source: Option<String>,
    /// `newest` (default), `oldest`, `name`, `-name`, `score`, `last_message`.
    pub sort: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// 1 to 100 (default 25).
    pub per_page: Option<i64>,
}

fn who(auth: &ApiKeyAuth) -> Who {
    Who { org: auth.0.org_id.clone(), user: None, via: Via::Api }
}

/// `GET /api/v1/contacts`.
pub async fn list(State(state): State<AppState>, auth: ApiKeyAuth, Query(q): Query<ListQuery>) -> Result<Json<ContactPage>, ApiError> {
    let phone = match q.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(edit::phone(&settings::load(&state.db, &auth.0.org_id).await?, p)?.as_str().to_owned()),
        None => None,
    };
    let per_page = q.per_page.unwrap_or(25);
    if !(1..=search::MAX_PER_PAGE).contains(&per_page) || q.page.is_some_and(|p| p < 1) {
        return Err(ApiError(AppError::validation("per_page must be 1 to 100 and page at least 1.")));
    }
    let query = ContactQuery {
        q: q.q,
        phone,
        tags: q.tag.map(|t| t.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
        opt_in_status: q.opt_in_status,
        lead_status: q.lead_status,
        source: q.source,
        sort: Sort::parse(q.sort.as_deref().unwrap_or(""))?,
        page: q.page.unwrap_or(1),
        per_page,
        ..Default::default()
    };
    Ok(Json(search::list(&state.db, &auth.0.org_id, &query).await?))
}

/// `POST /api/v1/contacts` with `{phone, name, email, company, tags, custom_fields,
/// opt_in_status}`: 201 with the contact.
pub async fn create(State(state): State<AppState>, auth: ApiKeyAuth, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let c = edit::create(&state.db, &who(&auth), "api", &body, backend::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `GET /api/v1/contacts/{id}`.
pub async fn get(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(search::get(&state.db, &auth.0.org_id, &ContactId::from_string(id)).await?))
}

/// `PATCH /api/v1/contacts/{id}`: the fields given change; `null` clears one.
pub async fn update(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(edit::update(&state.db, &who(&auth), &ContactId::from_string(id), &body, backend::clock::now_ms()).await?))
}

/// `DELETE /api/v1/contacts/{id}`: to the trash (restorable in the app); 204.
pub async fn delete(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    edit::delete(&state.db, &who(&auth), &ContactId::from_string(id), backend::clock::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}
