//! What happens after an inbound message is stored: its consumers, in order and in one
//! place. Ingest (`whatsapp::ingest`) only stores what arrived and emits its event, and
//! queues a `handle_inbound` job in the same transaction; that job runs [`handle`], which
//! runs every consumer in one transaction, so a consumer that fails rolls the others
//! back and the job is retried (the message itself is already safe).
//!
//! The consumers, in order: consent keywords (STOP / START), scoring (a first reply),
//! auto-assignment (a new or reopened chat). The flows and AI issues register their
//! triggers at the end of [`CONSUMERS`].

use crate::error::Result;
use crate::Db;
use async_trait::async_trait;
use domain::{ContactId, NumberId, OrgId};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// An inbound message that was just stored, with what ingest saw before storing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrived {
    pub org_id: String,
    pub number_id: String,
    pub conversation_id: String,
    pub contact_id: String,
    pub message_id: String,
    /// The contact's first message in this conversation (scoring rules on replies apply).
    pub first_reply: bool,
    /// The chat is new or was resolved, and has no assignee: route it.
    pub needs_routing: bool,
}

impl Arrived {
    fn org(&self) -> OrgId {
        OrgId::from_string(self.org_id.clone())
    }
}

/// The consumers of one stored inbound message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandleInbound(pub Arrived);

/// One reaction to an inbound message, run inside the pipeline's transaction.
#[async_trait]
pub trait Consumer: Send + Sync {
    /// For logs.
    fn name(&self) -> &'static str;
    /// Reacts to `m`. An error rolls back every consumer's work and the job is retried.
    async fn on_message(&self, conn: &mut AnyConnection, m: &Arrived, now: i64) -> Result<()>;
}

/// STOP (or the org's other keywords) opts the sender out and START back in, with the
/// message as evidence and a confirmation sent back.
pub struct ConsentKeywords;

#[async_trait]
impl Consumer for ConsentKeywords {
    fn name(&self) -> &'static str {
        "consent keywords"
    }

    async fn on_message(&self, conn: &mut AnyConnection, m: &Arrived, now: i64) -> Result<()> {
        let (kind, text): (String, Option<String>) =
            sqlx::query_as("SELECT type, text FROM messages WHERE id = $1").bind(&m.message_id).fetch_one(&mut *conn).await?;
        let Some(text) = text.filter(|_| kind == "text") else { return Ok(()) };
        let contact = ContactId::from_string(m.contact_id.clone());
        let Some(reply) = crate::contacts::consent::on_inbound_text_in(conn, &m.org(), &contact, &text, now).await? else { return Ok(()) };
        let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM contacts WHERE id = $1").bind(&m.contact_id).fetch_one(&mut *conn).await?;
        if let Some(to) = phone.and_then(|p| domain::PhoneE164::parse(&p).ok()) {
            let req = crate::whatsapp::outbound::SendRequest {
                number_id: NumberId::from_string(m.number_id.clone()),
                to,
                content: domain::whatsapp::outbound::OutboundContent::Text { body: reply.to_owned(), preview_url: false },
            };
            crate::whatsapp::outbound::enqueue_in(conn, &m.org(), &req, None, now).await?;
        }
        Ok(())
    }
}

/// A contact's first reply rescores it (scoring rules on replies).
pub struct ReplyScoring;

#[async_trait]
impl Consumer for ReplyScoring {
    fn name(&self) -> &'static str {
        "scoring"
    }

    async fn on_message(&self, conn: &mut AnyConnection, m: &Arrived, _now: i64) -> Result<()> {
        if !m.first_reply {
            return Ok(());
        }
        let settings = crate::contacts::settings::load_in(conn, &m.org()).await?;
        if !settings.score_rules.is_empty() {
            crate::contacts::scoring::recompute_in(conn, &m.org(), &settings, std::slice::from_ref(&m.contact_id)).await?;
        }
        Ok(())
    }
}

/// A new (or reopened) chat without an assignee goes to an agent by the number's
/// auto-assignment, or the org's agents hear of it.
pub struct AutoAssignment;

#[async_trait]
impl Consumer for AutoAssignment {
    fn name(&self) -> &'static str {
        "auto-assignment"
    }

    async fn on_message(&self, conn: &mut AnyConnection, m: &Arrived, now: i64) -> Result<()> {
        if m.needs_routing {
            crate::inbox::route_new_in(conn, &m.org(), &NumberId::from_string(m.number_id.clone()), &m.conversation_id, now).await?;
        }
        Ok(())
    }
}

/// Every consumer, in the order they run.
pub static CONSUMERS: &[&dyn Consumer] = &[&ConsentKeywords, &ReplyScoring, &AutoAssignment];

/// Runs every consumer for `m` in one transaction.
pub async fn handle(db: &Db, m: &Arrived, now: i64) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    for consumer in CONSUMERS {
        if let Err(e) = consumer.on_message(&mut tx, m, now).await {
            tracing::warn!(consumer = consumer.name(), message_id = %m.message_id, "an inbound consumer failed; the job retries");
            return Err(e);
        }
    }
    tx.commit().await?;
    Ok(())
}
