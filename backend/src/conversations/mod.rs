//! Reading contacts, conversations and messages, always within one org; [`inbound`] runs
//! what follows an inbound message.

pub mod inbound;

use crate::auth::Actor;
use crate::db::rows::Json;
use crate::error::Result;
use crate::Db;
use domain::dto::{ContactSummary, ConversationSummary, MessageView};
use domain::{AppError, ContactId, ConversationId, MessageId, NumberId, OrgId, PhoneE164};
use sqlx::AnyConnection;

/// The contact with this phone number in the actor's org, if any. Any member.
pub async fn contact_by_phone(db: &Db, actor: &Actor, phone: &PhoneE164) -> Result<Option<ContactSummary>> {
    let org = &actor.org_id;
    let row = sqlx::query_as::<_, ContactRow>(
        "SELECT id, phone, wa_id, wa_user_id, name, profile_name, username, source, created_at FROM contacts WHERE org_id = $1 AND phone = $2",
    )
    .bind(org.as_str())
    .bind(phone.as_str())
    .fetch_optional(db.reader())
    .await?;
    Ok(row.map(|r| ContactSummary {
        id: r.id,
        phone: r.phone,
        wa_id: r.wa_id,
        wa_user_id: r.wa_user_id,
        name: r.name,
        profile_name: r.profile_name,
        username: r.username,
        source: r.source,
        created_at: r.created_at,
    }))
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: ContactId,
    phone: Option<String>,
    wa_id: Option<String>,
    wa_user_id: Option<String>,
    name: Option<String>,
    profile_name: Option<String>,
    username: Option<String>,
    source: String,
    created_at: i64,
}

const CONVERSATION_COLUMNS: &str = "id, number_id, contact_id, status, last_message_at, last_inbound_at, window_expires_at, unread_count";

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: ConversationId,
    number_id: NumberId,
    contact_id: ContactId,
    status: String,
    last_message_at: Option<i64>,
    last_inbound_at: Option<i64>,
    window_expires_at: Option<i64>,
    unread_count: i64,
}

fn conversation_from_row(r: ConversationRow) -> ConversationSummary {
    ConversationSummary {
        id: r.id,
        number_id: r.number_id,
        contact_id: r.contact_id,
        status: r.status,
        last_message_at: r.last_message_at,
        last_inbound_at: r.last_inbound_at,
        window_expires_at: r.window_expires_at,
        unread_count: r.unread_count,
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: MessageId,
    direction: String,
    #[sqlx(rename = "type")]
    kind: String,
    text: Option<String>,
    status: String,
    wa_message_id: Option<String>,
    error_code: Option<i64>,
    error_title: Option<String>,
    content: Json<serde_json::Value>,
    media_id: Option<String>,
    author_name: Option<String>,
    at: i64,
}

/// A contact's conversations in the actor's org, latest first. Any member.
pub async fn for_contact(db: &Db, actor: &Actor, contact: &ContactId) -> Result<Vec<ConversationSummary>> {
    let org = &actor.org_id;
    let rows = sqlx::query_as::<_, ConversationRow>(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE org_id = $1 AND contact_id = $2 ORDER BY last_message_at DESC, id"
    ))
    .bind(org.as_str())
    .bind(contact.as_str())
    .fetch_all(db.reader())
    .await?;
    Ok(rows.into_iter().map(conversation_from_row).collect())
}

/// One conversation of the actor's org, or `NOT_FOUND_001`. Any member.
pub async fn get(db: &Db, actor: &Actor, id: &ConversationId) -> Result<ConversationSummary> {
    let org = &actor.org_id;
    let row = sqlx::query_as::<_, ConversationRow>(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE org_id = $1 AND id = $2"))
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(db.reader())
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?;
    Ok(conversation_from_row(row))
}

/// The messages of a conversation of the actor's org, oldest first (at most `limit`,
/// newest kept). Any member.
pub async fn messages(db: &Db, actor: &Actor, conversation: &ConversationId, limit: i64) -> Result<Vec<MessageView>> {
    get(db, actor, conversation).await?;
    let org = &actor.org_id;
    let rows = sqlx::query_as::<_, MessageRow>(
        // WhatsApp times have whole seconds, ours milliseconds: within the same second the
        // arrival time decides, so a reply never sorts above the message it answers.
        "SELECT id, direction, type, text, status, wa_message_id, error_code, error_title, content, \
         (SELECT f.id FROM media f WHERE f.message_id = messages.id) AS media_id, \
         (SELECT u.name FROM users u WHERE u.id = messages.author_id) AS author_name, \
         CASE WHEN wa_timestamp IS NOT NULL AND created_at >= wa_timestamp AND created_at - wa_timestamp < 1000 THEN created_at \
              ELSE COALESCE(wa_timestamp, created_at) END AS at \
         FROM messages WHERE org_id = $1 AND conversation_id = $2 ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(org.as_str())
    .bind(conversation.as_str())
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    let mut out: Vec<MessageView> = rows
        .into_iter()
        .map(|r| MessageView {
            id: r.id,
            direction: r.direction,
            kind: r.kind,
            text: r.text,
            status: r.status,
            wa_message_id: r.wa_message_id,
            error_code: r.error_code,
            error_title: r.error_title,
            content: r.content.0,
            media_id: r.media_id,
            author_name: r.author_name,
            at: r.at,
        })
        .collect();
    out.reverse();
    Ok(out)
}

/// A conversation as it was before an inbound message moved it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Before {
    pub id: String,
    pub status: String,
    pub assignee_id: Option<String>,
    pub last_inbound_at: Option<i64>,
}

/// The conversation between a number and a contact as it is now, created when missing:
/// one statement on the webhook's hot path (the no-op update makes the upsert return the
/// existing row on both backends).
pub(crate) async fn ensure_returning_in(conn: &mut AnyConnection, org: &OrgId, number: &NumberId, contact: &ContactId, now: i64) -> Result<Before> {
    Ok(sqlx::query_as(
        "INSERT INTO conversations (id, org_id, number_id, contact_id, status, unread_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', 0, $5, $5) ON CONFLICT (number_id, contact_id) DO UPDATE SET updated_at = conversations.updated_at \
         RETURNING id, status, assignee_id, last_inbound_at",
    )
    .bind(crate::clock::new_id())
    .bind(org.as_str())
    .bind(number.as_str())
    .bind(contact.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// The conversation between a number and a contact, created when missing. Returns its id.
pub(crate) async fn ensure_in(conn: &mut AnyConnection, org: &OrgId, number: &NumberId, contact: &ContactId, now: i64) -> Result<String> {
    Ok(ensure_returning_in(conn, org, number, contact, now).await?.id)
}
