//! Queuing outbound messages (CHAN-1, CAMP-3): the message row and its send job are
//! written in one transaction, after the checks that must never reach Meta — content
//! limits, the number being connected (`WA_006`), and the 24-hour window for anything
//! but a template (`WA_005`).

use crate::auth::Actor;
use crate::clock::new_id;
use crate::contacts::{upsert_whatsapp_sender, WhatsAppSender};
use crate::db::rows::Flag;
use crate::error::{Result, ServiceError};
use crate::jobs::queue as jobs;
use crate::Db;
use domain::whatsapp::outbound::OutboundContent;
use domain::{AppError, ConversationId, ErrorCode, MessageId, NumberId, OrgId, PhoneE164, Role, UserId};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Sends the message with this id (queued with it by `whatsapp::outbound`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMessage {
    pub message_id: String,
}

/// Marks `wa_message_id`, received on our number `number_id`, as read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkRead {
    pub number_id: String,
    pub wa_message_id: String,
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub number_id: NumberId,
    pub to: PhoneE164,
    pub content: OutboundContent,
}

/// A message accepted into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
}

/// Queues a message on behalf of `actor` (agents and above; an API key; an automation):
/// the inbox records which member wrote each reply. A media message sent by the id of a
/// file uploaded through MCE is linked to that file, so the chat shows what went out.
/// Nothing is written when a check fails.
pub async fn send(db: &Db, actor: &Actor, req: &SendRequest, now: i64) -> Result<Queued> {
    actor.require(Role::Agent)?;
    let mut tx = db.pool().begin().await?;
    let queued = enqueue_in(&mut tx, &actor.org_id, req, actor.user_id(), now).await?;
    tx.commit().await?;
    Ok(queued)
}

/// [`send`] inside the caller's transaction, for an org already checked (an automatic reply written while a
/// webhook is stored). The caller wakes the workers after committing.
pub async fn enqueue_in(tx: &mut sqlx::AnyConnection, org: &OrgId, req: &SendRequest, author: Option<&UserId>, now: i64) -> Result<Queued> {
    req.content.validate()?;
    let active: Flag = sqlx::query_scalar("SELECT active FROM wa_numbers WHERE org_id = $1 AND id = $2")
        .bind(org.as_str())
        .bind(req.number_id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found("Number"))?;
    if !active.0 {
        return Err(ServiceError::app(
            ErrorCode::NumberInactive,
            "This WhatsApp number is not connected: Meta rejected its token. An admin must replace the token.",
        ));
    }
    let sender = WhatsAppSender { phone: Some(req.to.clone()), wa_id: Some(req.to.digits().to_owned()), ..Default::default() };
    let contact = upsert_whatsapp_sender(&mut *tx, org, &sender, "api").await?.expect("a phone number always yields a contact");
    let conversation = crate::conversations::ensure_in(&mut *tx, org, &req.number_id, &contact, now).await?;
    if req.content.needs_open_window() {
        let window: Option<i64> =
            sqlx::query_scalar("SELECT window_expires_at FROM conversations WHERE id = $1").bind(&conversation).fetch_one(&mut *tx).await?;
        if window.is_none_or(|w| w <= now) {
            return Err(ServiceError::app(
                ErrorCode::WindowClosed,
                "The 24-hour window is closed: the customer has not written in the last 24 hours. Send an approved template instead.",
            ));
        }
    }
    let id = new_id();
    let kind = req.content.wa_type();
    sqlx::query(
        "INSERT INTO messages (id, org_id, conversation_id, number_id, direction, type, text, content, status, send_payload, author_id, created_at) \
         VALUES ($1, $2, $3, $4, 'outbound', $5, $6, $7, 'pending', $8, $9, $10)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(&conversation)
    .bind(req.number_id.as_str())
    .bind(kind)
    .bind(req.content.preview_text())
    .bind(json!({ kind: req.content.wire_object() }).to_string())
    .bind(req.content.wire_body(req.to.digits(), &id).to_string())
    .bind(author.map(|a| a.as_str()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let OutboundContent::Media { id: Some(wa_media_id), .. } = &req.content {
        // One file row shows one message; a file sent again keeps its first message.
        sqlx::query("UPDATE media SET message_id = $1 WHERE org_id = $2 AND wa_media_id = $3 AND direction = 'outbound' AND message_id IS NULL")
            .bind(&id)
            .bind(org.as_str())
            .bind(wa_media_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE conversations SET last_message_at = CASE WHEN last_message_at IS NULL OR last_message_at < $1 THEN $1 ELSE last_message_at END, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&conversation)
        .execute(&mut *tx)
        .await?;
    jobs::enqueue_in(&mut *tx, &SendMessage { message_id: id.clone() }, Some(org), now, Some(&format!("send:{id}")), now).await?;
    let event = json!({"message_id": id, "conversation_id": conversation, "direction": "outbound", "type": kind, "text": req.content.preview_text(), "status": "pending"});
    crate::events::publish_in(&mut *tx, org, "message", Some(&conversation), None, &event, now).await?;
    Ok(Queued { message_id: MessageId::from_string(id), conversation_id: ConversationId::from_string(conversation) })
}

/// Queues "read" for an inbound message of the org (and earlier ones, as WhatsApp does)
/// and clears the conversation's unread count. Agents and above. Idempotent per message.
pub async fn mark_read(db: &Db, actor: &Actor, message: &MessageId, now: i64) -> Result<()> {
    actor.require(Role::Agent)?;
    let org = &actor.org_id;
    let mut tx = db.pool().begin().await?;
    let (number, conversation, wamid): (String, String, Option<String>) =
        sqlx::query_as("SELECT number_id, conversation_id, wa_message_id FROM messages WHERE org_id = $1 AND id = $2 AND direction = 'inbound'")
            .bind(org.as_str())
            .bind(message.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::not_found("Message"))?;
    sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1").bind(&conversation).execute(&mut *tx).await?;
    if let Some(wamid) = wamid {
        jobs::enqueue_in(&mut tx, &MarkRead { number_id: number, wa_message_id: wamid }, Some(org), now, Some(&format!("read:{}", message.as_str())), now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
