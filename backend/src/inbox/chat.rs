//! One chat of the inbox as a member works in it: opening it (which marks the customer's
//! messages read when the member may act), replying, and sending a file. Every reply goes
//! through [`outbound::send`], the same queue as the REST API's and the automations'.

use super::item;
use crate::auth::Actor;
use crate::error::{Result, ServiceError};
use crate::secrets::Cipher;
use crate::whatsapp::graph::WhatsAppApi;
use crate::whatsapp::media;
use crate::whatsapp::outbound::{self, Queued, SendRequest};
use crate::{contacts, conversations, Db};
use domain::dto::{ChatView, InboxItem, MediaFile};
use domain::whatsapp::media::kind_for;
use domain::whatsapp::outbound::{MediaKind, OutboundContent};
use domain::{AppError, ContactId, ConversationId, ErrorCode, NumberId, PhoneE164, Role};

/// The messages a chat shows (the newest ones).
pub const SHOWN_MESSAGES: i64 = 300;
/// The contact's latest notes shown beside the chat.
pub const SHOWN_NOTES: usize = 3;
/// The longest caption WhatsApp shows under a file.
pub const MAX_CAPTION_CHARS: usize = 1024;

/// Opens a chat of the actor's org: its row, messages, the members it can go to, the
/// contact's other conversations, card and latest notes. Any member reads; for agents
/// and above, opening queues read receipts (blue ticks) for the unread messages.
pub async fn open(db: &Db, actor: &Actor, id: &ConversationId, now: i64) -> Result<ChatView> {
    let item = item(db, actor, id, now).await?;
    let messages = conversations::messages(db, actor, id, SHOWN_MESSAGES).await?;
    let can_act = actor.role.at_least(Role::Agent);
    if can_act && item.unread_count > 0 {
        if let Some(last) = messages.iter().rev().find(|m| m.direction == "inbound") {
            outbound::mark_read(db, actor, &last.id, now).await?;
        }
    }
    let members = super::assignable_members(db, actor).await?;
    let me = actor.member_id()?.to_string();
    let my_name = members.iter().find(|(id, _)| *id == me).map(|(_, n)| n.clone()).unwrap_or_default();
    let contact_id = ContactId::from_string(item.contact_id.clone());
    let mut others = Vec::new();
    for c in conversations::for_contact(db, actor, &contact_id).await? {
        if c.id.as_str() != id.as_str() {
            others.push(super::item(db, actor, &c.id, now).await?);
        }
    }
    // The contact panel is a convenience: a chat still opens when the card cannot be read.
    let contact = contacts::search::get(db, actor, &contact_id).await.ok();
    let mut contact_notes = contacts::notes::list(db, actor, &contact_id).await.unwrap_or_default();
    contact_notes.truncate(SHOWN_NOTES);
    Ok(ChatView { item, messages, members, me, my_name, others, can_act, contact, contact_notes })
}

/// Where a chat's replies go: its number and the customer's phone.
fn recipient(item: &InboxItem) -> Result<(NumberId, PhoneE164)> {
    let phone =
        item.phone.as_deref().and_then(|p| PhoneE164::parse(p).ok()).ok_or_else(|| AppError::validation("This contact has no phone number to write to."))?;
    Ok((NumberId::from_string(item.number_id.clone()), phone))
}

/// Replies in a chat of the actor's org (`WA_005` when the 24-hour window is closed and
/// the content needs it open). Agents and above.
pub async fn reply(db: &Db, actor: &Actor, id: &ConversationId, content: OutboundContent, now: i64) -> Result<Queued> {
    actor.require(Role::Agent)?;
    let (number_id, to) = recipient(&item(db, actor, id, now).await?)?;
    outbound::send(db, actor, &SendRequest { number_id, to, content }, now).await
}

/// A file a member sends from the composer.
pub struct FileReply {
    /// The name the browser gave.
    pub name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
}

/// Sends a file in a chat of the actor's org: it goes through the media API of the
/// chat's number (checked against Meta's types and sizes first), then a media message
/// with the uploaded id is queued like any other reply. Agents and above. The window is
/// checked before anything is uploaded, so a file that cannot be sent is not left at Meta.
pub async fn send_file(
    db: &Db,
    (api, sandbox_api): (&dyn WhatsAppApi, &dyn WhatsAppApi),
    cipher: &Cipher,
    actor: &Actor,
    id: &ConversationId,
    file: FileReply,
    now: i64,
) -> Result<(Queued, MediaFile)> {
    actor.require(Role::Agent)?;
    if file.caption.as_ref().is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS) {
        return Err(AppError::validation("A caption can be at most 1,024 characters.").into());
    }
    let item = item(db, actor, id, now).await?;
    let (number_id, to) = recipient(&item)?;
    if item.window_expires_at.is_none_or(|w| w <= now) {
        return Err(ServiceError::app(
            ErrorCode::WindowClosed,
            "The 24-hour window is closed: the customer has not written in the last 24 hours. Send an approved template instead.",
        ));
    }
    let stored = media::upload(db, api, sandbox_api, cipher, actor, &number_id, &file.name, &file.mime_type, file.bytes).await?;
    let kind = kind_for(&stored.mime_type).unwrap_or(MediaKind::Document);
    let content = OutboundContent::Media {
        kind,
        id: stored.wa_media_id.clone(),
        link: None,
        // Stickers and voice notes carry no caption on WhatsApp.
        caption: file.caption.filter(|_| matches!(kind, MediaKind::Image | MediaKind::Video | MediaKind::Document)),
        filename: (kind == MediaKind::Document).then(|| file.name.clone()),
    };
    let queued = outbound::send(db, actor, &SendRequest { number_id, to, content }, now).await?;
    Ok((queued, stored))
}
