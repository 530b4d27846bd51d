//! Contact files for the signed-in member (session cookie; uploads need the CSRF
//! header): `POST /contacts/import` takes a CSV (up to 50 MB) and answers with its
//! preview and guessed mapping; `GET /contacts/imports/{id}/errors.csv` is the file of
//! rows an import could not store; `GET /contacts/export.csv` exports the filtered view (the list's
//! filters, the same `ContactFilters` the list page sends).

use crate::api_error::ApiError;
use app::state::AppState;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::contacts::{export, import};
use domain::contacts::ContactFilters;
use domain::dto::ImportView;
use domain::{AppError, ErrorCode};
use tower_sessions::Session;

/// The request body limit of an upload: the file plus the form's framing.
pub const MAX_UPLOAD_BODY: usize = domain::import::MAX_IMPORT_BYTES + 64 * 1024;

/// `POST /contacts/import` (multipart `file`): 201 with the import, ready for its mapping.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let actor = crate::signed_in::member(&state, &session).await?;
    let too_big = || ApiError(AppError::new(ErrorCode::ImportInvalid, "Send a CSV file of at most 50 MB."));
    let form = crate::upload::read(form, "file").await.map_err(|_| too_big())?;
    let file = form.file.ok_or_else(|| ApiError(AppError::new(ErrorCode::ImportInvalid, "Choose a CSV file.")))?;
    let (name, bytes) = (file.name.unwrap_or_else(|| "contacts.csv".into()), file.bytes);
    let view = import::upload(&state.db, &actor, &name, bytes.to_vec(), backend::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn csv_file(name: &str, bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], bytes)
        .into_response()
}

/// `GET /contacts/imports/{id}/errors.csv`.
pub async fn errors(State(state): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, ApiError> {
    let actor = crate::signed_in::member(&state, &session).await?;
    let bytes = import::error_file(&state.db, &actor, &id).await?;
    Ok(csv_file("import-errors.csv", bytes))
}

/// `GET /contacts/export.csv`: the contacts matching the filters (all without any).
pub async fn export_csv(State(state): State<AppState>, session: Session, Query(view): Query<ContactFilters>) -> Result<Response, ApiError> {
    let actor = crate::signed_in::member(&state, &session).await?;
    let export = export::start(&state.db, &actor, &view).await?;
    // Sent a batch of contacts at a time: a large org's export never sits in memory. A
    // failure part-way ends the download early (the browser reports it as failed).
    let body = axum::body::Body::from_stream(futures_util::stream::unfold(export, |mut e| async move {
        match e.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(chunk)), e)),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err.into_app_error().message, "a contact export stopped part-way");
                None
            }
        }
    }));
    let name = format!("contacts-{}.csv", domain::time::utc_date(backend::clock::now_ms()));
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], body)
        .into_response())
}
