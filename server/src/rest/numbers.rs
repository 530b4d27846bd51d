//! `/api/v1/numbers`: the org's WhatsApp numbers.

use super::{ApiError, ApiJson, ApiKeyAuth, List};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::whatsapp::numbers::{self, NewNumber};
use domain::dto::WaNumber;
use domain::NumberId;
use serde::Deserialize;

/// Body of `POST /api/v1/numbers`.
#[derive(Debug, Deserialize)]
pub struct CreateNumber {
    pub display_name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    #[serde(default)]
    pub system_prompt: String,
}

/// `POST /api/v1/numbers`: tests the connection with Meta, then stores the number
/// (token encrypted). 201, or 422 `WA_001` with Meta's error, 409 when already connected.
pub async fn create(State(state): State<AppState>, auth: ApiKeyAuth, ApiJson(body): ApiJson<CreateNumber>) -> Result<(StatusCode, Json<WaNumber>), ApiError> {
    let new = NewNumber::parse(&body.display_name, &body.phone_number_id, &body.waba_id, &body.access_token, &body.system_prompt).map_err(ApiError)?;
    let created = numbers::connect(&state.db, &state.cipher, state.graph.as_ref(), &auth.actor(), &new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/numbers`: the org's numbers, its sandbox number first.
pub async fn list(State(state): State<AppState>, auth: ApiKeyAuth) -> Result<Json<List<WaNumber>>, ApiError> {
    Ok(Json(List::of(backend::whatsapp::sandbox::numbers(&state.db, &state.cipher, &auth.actor()).await?)))
}

/// `GET /api/v1/numbers/{id}`.
pub async fn get(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Json<WaNumber>, ApiError> {
    Ok(Json(numbers::get(&state.db, &auth.actor(), &NumberId::from_string(id)).await?))
}
