//! `POST /inbox/{conversation_id}/attachments` (session cookie + CSRF header): the
//! composer's file button. The file goes through the media API of the conversation's
//! number (checked against Meta's types and sizes first), then a media message with the
//! uploaded id is queued like any other reply, written by the signed-in agent.

use crate::api_error::ApiError;
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::inbox::chat::{self, FileReply};
use domain::{AppError, ConversationId};
use serde_json::{json, Value};
use tower_sessions::Session;

/// Uploads the `file` part and sends it with the optional `caption` part; 201 with
/// `{"message_id", "media_id"}`.
pub async fn send(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    session: Session,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = crate::signed_in::member(&state, &session).await?;
    let invalid = |m: &str| ApiError(AppError::validation(m));
    let form = crate::upload::read(form, "file").await.map_err(|_| invalid("Send the file as multipart/form-data (at most 100 MB)."))?;
    let caption = form.text("caption");
    let file = form.file.ok_or_else(|| invalid("Choose a file to send."))?;
    let mime_type = file.mime.filter(|m| !m.is_empty()).unwrap_or_else(|| "application/octet-stream".into());
    let reply = FileReply { name: file.name.unwrap_or_else(|| "file".into()), mime_type, bytes: file.bytes.to_vec(), caption };
    let graphs = (state.graph.as_ref(), state.sandbox.graph.as_ref());
    let (queued, stored) =
        chat::send_file(&state.db, graphs, &state.cipher, &actor, &ConversationId::from_string(conversation), reply, backend::clock::now_ms()).await?;
    state.wakeups.wake::<backend::whatsapp::outbound::SendMessage>();
    state.events.wake();
    Ok((StatusCode::CREATED, Json(json!({ "message_id": queued.message_id.as_str(), "media_id": stored.id }))))
}
