//! `/api/v1/conversations` and their messages.

use super::{ApiError, ApiKeyAuth, List};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use backend::conversations;
use domain::dto::{ConversationSummary, MessageView};
use domain::{AppError, ContactId, ConversationId};
use serde::Deserialize;

/// Query of `GET /api/v1/conversations`.
#[derive(Debug, Deserialize)]
pub struct ConversationQuery {
    pub contact_id: Option<String>,
}

/// `GET /api/v1/conversations?contact_id=…`.
pub async fn list(State(state): State<AppState>, auth: ApiKeyAuth, Query(q): Query<ConversationQuery>) -> Result<Json<List<ConversationSummary>>, ApiError> {
    let contact = q.contact_id.ok_or_else(|| ApiError(AppError::validation("Give ?contact_id=<contact id>.")))?;
    Ok(Json(List::of(conversations::for_contact(&state.db, &auth.actor(), &ContactId::from_string(contact)).await?)))
}

/// `GET /api/v1/conversations/{id}/messages`: oldest first, the latest 500.
pub async fn messages(State(state): State<AppState>, auth: ApiKeyAuth, Path(id): Path<String>) -> Result<Json<List<MessageView>>, ApiError> {
    Ok(Json(List::of(conversations::messages(&state.db, &auth.actor(), &ConversationId::from_string(id), 500).await?)))
}
