//! Contact files for the signed-in member (session cookie; uploads need the CSRF
//! header): `POST /contacts/import` takes a CSV (up to 50 MB) and answers with its
//! preview and guessed mapping; `GET /contacts/imports/{id}/errors.csv` is the file of
//! rows an import could not store; `GET /contacts/export.csv` exports the filtered view.

use crate::rest::ApiError;
use app::state::AppState;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use backend::contacts::search::{ContactQuery, Sort};
use backend::contacts::{export, import};
use domain::dto::ImportView;
use domain::{AppError, ErrorCode, Role};
use serde::Deserialize;
use tower_sessions::Session;

/// The request body limit of an upload: the file plus the form's framing.
pub const MAX_UPLOAD_BODY: usize = domain::import::MAX_IMPORT_BYTES + 64 * 1024;

/// `POST /contacts/import` (multipart `file`): 201 with the import, ready for its mapping.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let actor = crate::upload::member(&state, &session, Role::Agent).await?;
    let too_big = || ApiError(AppError::new(ErrorCode::ImportInvalid, "Send a CSV file of at most 50 MB."));
    let form = crate::upload::read(form, "file").await.map_err(|_| too_big())?;
    let file = form.file.ok_or_else(|| ApiError(AppError::new(ErrorCode::ImportInvalid, "Choose a CSV file.")))?;
    let (name, bytes) = (file.name.unwrap_or_else(|| "contacts.csv".into()), file.bytes);
    let view = import::upload(&state.db, &actor.org_id, Some(&actor.user_id), &name, bytes.to_vec(), backend::clock::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn csv_file(name: &str, bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], bytes)
        .into_response()
}

/// `GET /contacts/imports/{id}/errors.csv`.
pub async fn errors(State(state): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, ApiError> {
    let actor = crate::upload::member(&state, &session, Role::Viewer).await?;
    let bytes = import::error_file(&state.db, &actor.org_id, &id).await?;
    Ok(csv_file("import-errors.csv", bytes))
}

/// Filters of an export, as the contact list's URL gives them.
#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    pub q: Option<String>,
    pub tag: Option<String>,
    pub opt_in_status: Option<String>,
    pub lead_status: Option<String>,
    pub source: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub sort: Option<String>,
    pub trash: Option<bool>,
}

/// `GET /contacts/export.csv`: the contacts matching the filters (all without any).
pub async fn export_csv(State(state): State<AppState>, session: Session, Query(q): Query<ExportQuery>) -> Result<Response, ApiError> {
    let actor = crate::upload::member(&state, &session, Role::Viewer).await?;
    let day = |d: &Option<String>, end: bool| {
        d.as_deref().filter(|d| !d.is_empty()).and_then(domain::time::midnight_of).map(|m| m + if end { 86_400_000 } else { 0 })
    };
    let query = ContactQuery {
        q: q.q,
        tags: q.tag.into_iter().collect(),
        opt_in_status: q.opt_in_status,
        lead_status: q.lead_status,
        source: q.source,
        created_from: day(&q.created_from, false),
        created_to: day(&q.created_to, true),
        sort: Sort::parse(q.sort.as_deref().unwrap_or(""))?,
        trash: q.trash.unwrap_or(false),
        ..Default::default()
    };
    let bytes = export::csv(&state.db, &actor.org_id, &query).await?;
    Ok(csv_file(&format!("contacts-{}.csv", domain::time::utc_date(backend::clock::now_ms())), bytes))
}
