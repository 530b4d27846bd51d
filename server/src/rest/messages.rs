//! `POST /api/v1/messages`: queue a message on one of the org's numbers.

use super::{ApiError, ApiJson, ApiKeyAuth};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use backend::whatsapp::outbound::{self, SendRequest};
use domain::whatsapp::outbound::{MediaKind, OutboundContent};
use domain::{AppError, NumberId, PhoneE164};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Media in a send request.
#[derive(Debug, Deserialize)]
pub struct MediaBody {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    #[serde(rename = "type")]
    pub kind: MediaKind,
    pub id: Option<String>,
    pub link: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

/// A template in a send request.
#[derive(Debug, Deserialize)]
pub struct TemplateBody {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub components: Vec<Value>,
}

/// A location in a send request.
#[derive(Debug, Deserialize)]
pub struct LocationBody {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A reaction in a send request.
#[derive(Debug, Deserialize)]
pub struct ReactionBody {
    pub message_id: String,
    pub emoji: String,
}

/// Body of `POST /api/v1/messages`: `number_id`, `to`, and exactly one content field.
#[derive(Debug, Deserialize)]
pub struct SendBody {
    pub number_id: String,
    pub to: String,
    pub text: Option<String>,
    #[serde(default)]
    pub preview_url: bool,
    pub template: Option<TemplateBody>,
    pub media: Option<MediaBody>,
    pub interactive: Option<Value>,
    pub reaction: Option<ReactionBody>,
    pub location: Option<LocationBody>,
    pub contacts: Option<Vec<Value>>,
}

/// The answer: the new message's id and `queued`.
#[derive(Debug, Serialize)]
pub struct SendAnswer {
    pub id: String,
    pub conversation_id: String,
    /// Always `queued`: stored and waiting to be sent; the message's own status is
    /// `pending` until Meta reports `sent`.
    pub status: &'static str,
}

fn content_of(b: SendBody) -> Result<(String, String, OutboundContent), AppError> {
    let mut found: Vec<OutboundContent> = Vec::new();
    if let Some(body) = b.text {
        found.push(OutboundContent::Text { body, preview_url: b.preview_url });
    }
    if let Some(t) = b.template {
        found.push(OutboundContent::Template { name: t.name, language: t.language, components: t.components });
    }
    if let Some(m) = b.media {
        found.push(OutboundContent::Media { kind: m.kind, id: m.id, link: m.link, caption: m.caption, filename: m.filename });
    }
    if let Some(interactive) = b.interactive {
        found.push(OutboundContent::Interactive { interactive });
    }
    if let Some(r) = b.reaction {
        found.push(OutboundContent::Reaction { message_id: r.message_id, emoji: r.emoji });
    }
    if let Some(l) = b.location {
        found.push(OutboundContent::Location { latitude: l.latitude, longitude: l.longitude, name: l.name, address: l.address });
    }
    if let Some(contacts) = b.contacts {
        found.push(OutboundContent::Contacts { contacts });
    }
    if found.len() != 1 {
        return Err(AppError::validation("Give exactly one of text, template, media, interactive, reaction, location or contacts."));
    }
    Ok((b.number_id, b.to, found.remove(0)))
}

/// `POST /api/v1/messages`: 202 with the message id once it is queued; 422 with
/// `VALIDATION_001`, `WA_005` (window closed) or `WA_006` (number not connected).
pub async fn send(State(state): State<AppState>, auth: ApiKeyAuth, ApiJson(body): ApiJson<SendBody>) -> Result<(StatusCode, Json<SendAnswer>), ApiError> {
    let (number_id, to, content) = content_of(body).map_err(ApiError)?;
    let to = PhoneE164::parse(&to).map_err(|e| ApiError(e.into()))?;
    let req = SendRequest { number_id: NumberId::from_string(number_id), to, content };
    let queued = outbound::send(&state.db, &auth.actor(), &req, backend::clock::now_ms()).await?;
    state.wakeups.wake::<backend::whatsapp::outbound::SendMessage>();
    state.events.wake();
    Ok((StatusCode::ACCEPTED, Json(SendAnswer { id: queued.message_id.to_string(), conversation_id: queued.conversation_id.to_string(), status: "queued" })))
}
