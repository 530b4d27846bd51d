//! `POST /inbox/{conversation_id}/attachments` (session cookie + CSRF header): the
//! composer's file button. The file goes through the media API of the conversation's
//! number (checked against Meta's types and sizes first), then a media message with the
//! uploaded id is queued like any other reply, written by the signed-in agent.

use crate::rest::ApiError;
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use backend::whatsapp::{media, outbound};
use domain::whatsapp::media::kind_for;
use domain::whatsapp::outbound::{MediaKind, OutboundContent};
use domain::{AppError, ConversationId, ErrorCode, NumberId, PhoneE164, Role};
use serde_json::{json, Value};
use tower_sessions::Session;

/// The longest caption WhatsApp shows under a file.
const MAX_CAPTION_CHARS: usize = 1024;

/// Uploads the `file` part and sends it with the optional `caption` part; 201 with
/// `{"message_id", "media_id"}`.
pub async fn send(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    session: Session,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = crate::upload::member(&state, &session, Role::Agent).await?;
    let invalid = |m: &str| ApiError(AppError::validation(m));
    let form = crate::upload::read(form, "file").await.map_err(|_| invalid("Send the file as multipart/form-data (at most 100 MB)."))?;
    let caption = form.text("caption");
    let file = form.file.ok_or_else(|| invalid("Choose a file to send."))?;
    let (name, mime, bytes) = (file.name.unwrap_or_else(|| "file".into()), file.mime, file.bytes);
    if caption.as_ref().is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS) {
        return Err(invalid("A caption can be at most 1,024 characters."));
    }
    let mime = mime.filter(|m| !m.is_empty()).unwrap_or_else(|| "application/octet-stream".into());
    let now = backend::clock::now_ms();
    // Reading the conversation through the inbox scopes it to the member's org (404 otherwise).
    let item = backend::inbox::item(&state.db, &actor, &ConversationId::from_string(conversation), now).await?;
    let to = item.phone.as_deref().and_then(|p| PhoneE164::parse(p).ok()).ok_or_else(|| invalid("This contact has no phone number to write to."))?;
    let number = NumberId::from_string(item.number_id.clone());
    // The window is checked before anything is uploaded: a file that cannot be sent is
    // not left at Meta.
    if item.window_expires_at.is_none_or(|w| w <= now) {
        return Err(ApiError(AppError::new(
            ErrorCode::WindowClosed,
            "The 24-hour window is closed: the customer has not written in the last 24 hours. Send an approved template instead.",
        )));
    }
    let stored =
        media::upload(&state.db, state.graph.as_ref(), state.sandbox.graph.as_ref(), &state.cipher, &actor.org_id, &number, &name, &mime, bytes.to_vec())
            .await?;
    let kind = kind_for(&stored.mime_type).unwrap_or(MediaKind::Document);
    let content = OutboundContent::Media {
        kind,
        id: stored.wa_media_id.clone(),
        link: None,
        // Stickers and voice notes carry no caption on WhatsApp.
        caption: caption.filter(|_| matches!(kind, MediaKind::Image | MediaKind::Video | MediaKind::Document)),
        filename: (kind == MediaKind::Document).then(|| name.clone()),
    };
    let req = outbound::SendRequest { number_id: number, to, content };
    let queued = outbound::enqueue_by(&state.db, &actor.org_id, &req, actor.user_id(), now).await?;
    state.jobs_wakeup.notify_one();
    state.events.wake();
    Ok((StatusCode::CREATED, Json(json!({ "message_id": queued.message_id.as_str(), "media_id": stored.id }))))
}
