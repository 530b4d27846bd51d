//! `/api/v1/media`: upload a file for sending (it goes to Meta's media API and a copy is
//! kept), read a file's facts, and download its bytes (uploads and customers' files).

use super::{ApiError, ApiKeyAuth};
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::whatsapp::media;
use domain::dto::MediaFile;
use domain::{AppError, NumberId};

/// `POST /api/v1/media` (multipart/form-data: `number_id`, `file`, optional `type` to
/// override the part's content type): 201 with the file, whose `wa_media_id` a media
/// message sends (`{"media": {"type": "image", "id": …}}`).
pub async fn upload(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<MediaFile>), ApiError> {
    let invalid = |m: &str| ApiError(AppError::validation(m));
    let form =
        crate::upload::read(form, "file").await.map_err(|_| invalid("The body must be multipart/form-data with number_id and file (at most 100 MB)."))?;
    let number = form.text("number_id").ok_or_else(|| invalid("number_id is required."))?;
    let declared = form.text("type");
    let file = form.file.ok_or_else(|| invalid("file is required."))?;
    let (name, part_mime, bytes) = (file.name.unwrap_or_else(|| "file".into()), file.mime, file.bytes);
    let mime = declared.or(part_mime).unwrap_or_else(|| "application/octet-stream".into());
    let stored = media::upload(
        &state.db,
        state.graph.as_ref(),
        state.sandbox.graph.as_ref(),
        &state.cipher,
        &auth.actor(),
        &NumberId::from_string(number),
        &name,
        &mime,
        bytes.to_vec(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /api/v1/media/{id}`: a file's facts.
pub async fn get(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Json<MediaFile>, ApiError> {
    Ok(Json(media::get(&state.db, &auth.actor(), &id).await?))
}

/// `GET /api/v1/media/{id}/content`: the bytes with their content type; 409 while an
/// inbound file is still being downloaded or when its download failed.
pub async fn content(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Response, ApiError> {
    let (file, bytes) = media::content(&state.db, &auth.actor(), &id).await?;
    match bytes {
        Some(bytes) => Ok(file_response(&file, bytes)),
        None => Err(ApiError(AppError::new(
            domain::ErrorCode::Conflict,
            format!("The file is not available yet ({}{}).", file.status, file.error.map(|e| format!(": {e}")).unwrap_or_default()),
        ))),
    }
}

/// The bytes of a file as a download: its type, its name, and no sniffing (a customer's
/// file must never run as a page of ours).
pub fn file_response(file: &MediaFile, bytes: Vec<u8>) -> Response {
    let name: String =
        file.filename.clone().unwrap_or_else(|| "file".into()).chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\' || *c == ' ').collect();
    (
        [
            (header::CONTENT_TYPE, file.mime_type.clone()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /media/{id}` (session cookie): a file of the signed-in member's org, for the
/// inbox (customers' photos, uploads).
pub async fn for_member(State(state): State<AppState>, Path(id): Path<String>, session: tower_sessions::Session) -> Response {
    let Some(actor) = crate::signed_in::actor(&state, &session).await else { return StatusCode::UNAUTHORIZED.into_response() };
    match media::content(&state.db, &actor, &id).await {
        Ok((file, Some(bytes))) => file_response(&file, bytes),
        Ok((_, None)) => StatusCode::CONFLICT.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
