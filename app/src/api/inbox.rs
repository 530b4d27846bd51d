//! The team inbox (INBOX): the conversation list, a chat with its messages, replies,
//! notes, assignment, resolve/reopen, take over; canned responses; notifications. Any
//! member reads; agents and above act (the services check the role).

use super::client::CsrfClient;
pub use domain::dto::ChatView;
use domain::dto::{CannedResponse, InboxPage, Notification};
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// A page of the list: `tab` is `all`, `mine`, `unassigned` or `resolved`.
#[server(prefix = "/api", endpoint = "inbox/list", client = CsrfClient)]
pub async fn inbox_list(tab: String, search: String, cursor: String) -> Result<InboxPage, AppError> {
    let (state, actor) = actor().await?;
    let tab = domain::inbox::Tab::parse(&tab).ok_or_else(|| fail(AppError::validation("Unknown tab.")))?;
    let q = backend::inbox::ListQuery { tab, search: Some(search), cursor: Some(cursor).filter(|c| !c.is_empty()), limit: 50, only: None };
    backend::inbox::list(&state.db, &actor, &q, backend::clock::now_ms()).await.map_err(fail)
}

/// One chat. Opening it marks the customer's messages read (blue ticks) when the member
/// may act.
#[server(prefix = "/api", endpoint = "inbox/chat", client = CsrfClient)]
pub async fn inbox_chat(conversation_id: String) -> Result<ChatView, AppError> {
    let (state, actor) = actor().await?;
    let view =
        backend::inbox::chat::open(&state.db, &actor, &domain::ConversationId::from_string(conversation_id), backend::clock::now_ms()).await.map_err(fail)?;
    if view.can_act {
        // Opening may have queued read receipts.
        state.wakeups.wake::<backend::whatsapp::outbound::MarkRead>();
    }
    Ok(view)
}

/// Sends a text reply (refused with `WA_005` when the 24-hour window is closed).
#[server(prefix = "/api", endpoint = "inbox/send", client = CsrfClient)]
pub async fn inbox_send(conversation_id: String, text: String) -> Result<(), AppError> {
    send(conversation_id, domain::whatsapp::outbound::OutboundContent::Text { body: text, preview_url: false }).await
}

/// Sends an approved template (works when the window is closed). `variables` holds the
/// body's `{{1}}`, `{{2}}`… values, one per line (empty lines are not sent).
#[server(prefix = "/api", endpoint = "inbox/send_template", client = CsrfClient)]
pub async fn inbox_send_template(conversation_id: String, name: String, language: String, variables: String) -> Result<(), AppError> {
    let components = domain::whatsapp::outbound::body_parameters(&variables);
    send(conversation_id, domain::whatsapp::outbound::OutboundContent::Template { name, language, components }).await
}

#[cfg(feature = "ssr")]
async fn send(conversation_id: String, content: domain::whatsapp::outbound::OutboundContent) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let id = domain::ConversationId::from_string(conversation_id);
    backend::inbox::chat::reply(&state.db, &actor, &id, content, backend::clock::now_ms()).await.map_err(fail)?;
    state.wakeups.wake::<backend::whatsapp::outbound::SendMessage>();
    state.events.wake();
    Ok(())
}

/// Adds an internal note (never sent to WhatsApp).
#[server(prefix = "/api", endpoint = "inbox/note", client = CsrfClient)]
pub async fn inbox_note(conversation_id: String, text: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::add_note(&state.db, &actor, &domain::ConversationId::from_string(conversation_id), &text, backend::clock::now_ms()).await.map_err(fail)?;
    state.events.wake();
    Ok(())
}

/// Assigns conversations (comma-separated ids) to `user_id`, or unassigns them (empty).
#[server(prefix = "/api", endpoint = "inbox/assign", client = CsrfClient)]
pub async fn inbox_assign(conversation_ids: String, user_id: String) -> Result<usize, AppError> {
    let (state, actor) = actor().await?;
    let ids: Vec<domain::ConversationId> =
        conversation_ids.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| domain::ConversationId::from_string(s.to_owned())).collect();
    let user = Some(user_id.trim()).filter(|u| !u.is_empty()).map(|u| domain::UserId::from_string(u.to_owned()));
    let n = backend::inbox::assign(&state.db, &actor, &ids, user.as_ref(), backend::clock::now_ms()).await.map_err(fail)?;
    state.events.wake();
    Ok(n)
}

/// Resolves (`resolved` true) or reopens a conversation.
#[server(prefix = "/api", endpoint = "inbox/resolve", client = CsrfClient)]
pub async fn inbox_resolve(conversation_id: String, resolved: bool) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::set_resolved(&state.db, &actor, &domain::ConversationId::from_string(conversation_id), resolved, backend::clock::now_ms())
        .await
        .map_err(fail)?;
    state.events.wake();
    Ok(())
}

/// Marks a conversation unread again.
#[server(prefix = "/api", endpoint = "inbox/mark_unread", client = CsrfClient)]
pub async fn inbox_mark_unread(conversation_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::mark_unread(&state.db, &actor, &domain::ConversationId::from_string(conversation_id), backend::clock::now_ms()).await.map_err(fail)?;
    state.events.wake();
    Ok(())
}

/// "Take over" (`human`) or "Return to bot" (`flow` or `ai`).
#[server(prefix = "/api", endpoint = "inbox/handler", client = CsrfClient)]
pub async fn inbox_set_handler(conversation_id: String, handled_by: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::set_handler(&state.db, &actor, &domain::ConversationId::from_string(conversation_id), &handled_by, backend::clock::now_ms())
        .await
        .map_err(fail)?;
    state.events.wake();
    Ok(())
}

/// The org's canned responses.
#[server(prefix = "/api", endpoint = "inbox/canned", client = CsrfClient)]
pub async fn canned_responses() -> Result<Vec<CannedResponse>, AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::canned_list(&state.db, &actor).await.map_err(fail)
}

/// The member's latest notifications and how many are unread.
#[server(prefix = "/api", endpoint = "notifications/list", client = CsrfClient)]
pub async fn my_notifications() -> Result<(Vec<Notification>, i64), AppError> {
    let (state, actor) = actor().await?;
    let list = backend::notifications::list_for(&state.db, &actor, 30).await.map_err(fail)?;
    let unread = backend::notifications::unread_count(&state.db, &actor).await.map_err(fail)?;
    Ok((list, unread))
}

/// Marks one notification (`notification_id`) or, when empty, all of them read.
#[server(prefix = "/api", endpoint = "notifications/read", client = CsrfClient)]
pub async fn read_notifications(notification_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let id = Some(notification_id.trim()).filter(|s| !s.is_empty());
    backend::notifications::mark_read(&state.db, &actor, id).await.map_err(fail)?;
    Ok(())
}

/// The members conversations can be assigned to: `(user id, name)`.
#[server(prefix = "/api", endpoint = "inbox/members", client = CsrfClient)]
pub async fn inbox_members() -> Result<Vec<(String, String)>, AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::assignable_members(&state.db, &actor).await.map_err(fail)
}

/// Saves a canned response: new when `canned_id` is empty, else an edit. Managers and up.
#[server(prefix = "/api", endpoint = "inbox/canned_save", client = CsrfClient)]
pub async fn save_canned_response(canned_id: String, title: String, shortcut: String, content: String) -> Result<CannedResponse, AppError> {
    let (state, actor) = actor().await?;
    let id = Some(canned_id.trim()).filter(|s| !s.is_empty());
    backend::inbox::canned_save(&state.db, &actor, id, &title, &shortcut, &content).await.map_err(fail)
}

/// Deletes a canned response. Managers and up.
#[server(prefix = "/api", endpoint = "inbox/canned_delete", client = CsrfClient)]
pub async fn delete_canned_response(canned_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    backend::inbox::canned_delete(&state.db, &actor, canned_id.trim()).await.map_err(fail)
}
