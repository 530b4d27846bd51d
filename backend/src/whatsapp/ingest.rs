//! Applying a verified webhook payload (CHAN-2), all of it in one transaction:
//! inbound messages are stored once per (number, wamid), create or update the contact and
//! the conversation and move its 24-hour window, emit their event and queue their
//! consumers (`conversations::inbound`, run as a `handle_inbound` job) — and nothing more;
//! statuses merge monotonically; template, quality and other account events are kept
//! (deduplicated), and template events are applied to the templates (`templates::review`). The raw body is stored in the same
//! transaction, so a 200 means it is all durable. The route hands bodies to the
//! [`super::webhook_writer`], which applies many of them per transaction.

use crate::clock::{new_id, now_ms};
use crate::contacts::{upsert_whatsapp_sender, WhatsAppSender};
use crate::error::Result;
use crate::Db;
use domain::whatsapp::webhook::{Change, Entry, InboundMessage, MessagesValue, StatusUpdate, WebhookPayload};
use domain::whatsapp::MessageStatus;
use domain::{NumberId, OrgId, PhoneE164};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// The customer-service window that an inbound message opens.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What a payload did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub messages_stored: usize,
    pub duplicate_messages: usize,
    pub statuses_applied: usize,
    pub statuses_ignored: usize,
    pub unknown_numbers: usize,
    pub account_events: usize,
    pub malformed_changes: usize,
}

/// An outbound message a status webhook is about.
#[derive(sqlx::FromRow)]
struct SentRow {
    id: String,
    status: String,
    org_id: OrgId,
    conversation_id: String,
}

/// How a raw webhook body ended, as kept in `webhook_events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Malformed,
    /// It parsed but could not be applied, even alone: Meta was answered 500 and retries.
    Failed,
}

/// Stores a body that could not be parsed, for inspection.
pub async fn record_malformed(db: &Db, body: &str, reason: &str) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    record_raw(&mut conn, body, Outcome::Malformed, Some(reason)).await
}

/// Stores a body that parsed but failed to apply (its reason is for the log reader), so
/// nothing Meta sent is lost while it retries.
pub async fn record_failed(db: &Db, body: &str, reason: &str) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    record_raw(&mut conn, body, Outcome::Failed, Some(reason)).await
}

async fn record_raw(conn: &mut AnyConnection, body: &str, outcome: Outcome, detail: Option<&str>) -> Result<()> {
    sqlx::query("INSERT INTO webhook_events (id, received_at, outcome, detail, body) VALUES ($1, $2, $3, $4, $5)")
        .bind(new_id())
        .bind(now_ms())
        .bind(match outcome {
            Outcome::Applied => "applied",
            Outcome::Malformed => "malformed",
            Outcome::Failed => "failed",
        })
        .bind(detail.map(str::to_owned))
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes raw webhook bodies older than `max_age_ms` (retention).
pub async fn prune_raw(db: &Db, max_age_ms: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1").bind(now_ms() - max_age_ms).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// Applies a parsed payload and stores its raw body, in one transaction of its own. The
/// webhook route goes through [`super::webhook_writer`] instead, which applies many
/// bodies per transaction.
pub async fn apply(db: &Db, raw_body: &str, payload: &WebhookPayload) -> Result<IngestReport> {
    let mut tx = db.pool().begin().await?;
    let report = apply_in(&mut tx, raw_body, payload).await?;
    tx.commit().await?;
    Ok(report)
}

/// Applies a parsed payload and stores its raw body on `conn`, inside the caller's
/// transaction (or savepoint): nothing is durable until the caller commits.
pub async fn apply_in(tx: &mut AnyConnection, raw_body: &str, payload: &WebhookPayload) -> Result<IngestReport> {
    record_raw(tx, raw_body, Outcome::Applied, None).await?;
    apply_changes_in(tx, payload, &mut Routes::default()).await
}

/// Keeps the raw bodies of a batch that was applied, in multi-row statements, inside the
/// caller's transaction (the writer's batch).
pub async fn record_applied_all_in(conn: &mut AnyConnection, bodies: &[&str]) -> Result<()> {
    let now = now_ms();
    for chunk in bodies.chunks(crate::db::rows_per_statement(2)) {
        let values: Vec<String> = (0..chunk.len()).map(|n| format!("(${}, $1, 'applied', ${})", 2 * n + 2, 2 * n + 3)).collect();
        let sql = format!("INSERT INTO webhook_events (id, received_at, outcome, body) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql).bind(now);
        for body in chunk {
            q = q.bind(new_id()).bind(*body);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Which number and org a `phone_number_id` routes to, looked up once per writer batch
/// (every body of a campaign's peak names the same number).
#[derive(Debug, Default)]
pub struct Routes(std::collections::HashMap<String, Option<(NumberId, OrgId)>>);

impl Routes {
    /// The number and org of `phone_number_id`, `None` for a number nobody connected.
    pub async fn get(&mut self, conn: &mut AnyConnection, phone_number_id: &str) -> Result<Option<(NumberId, OrgId)>> {
        if let Some(known) = self.0.get(phone_number_id) {
            return Ok(known.clone());
        }
        let route = super::numbers::route(conn, phone_number_id).await?;
        self.0.insert(phone_number_id.to_owned(), route.clone());
        Ok(route)
    }
}

/// Applies a parsed payload's changes on `conn`, inside the caller's transaction, without
/// keeping its raw body (the writer keeps a batch's raw bodies together).
pub async fn apply_changes_in(tx: &mut AnyConnection, payload: &WebhookPayload, routes: &mut Routes) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    for entry in &payload.entry {
        for change in &entry.changes {
            match change.messages() {
                Some(Ok(value)) => apply_messages(tx, &value, routes, &mut report).await?,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "webhook messages change could not be read; raw body kept");
                    report.malformed_changes += 1;
                }
                None => store_account_event(tx, entry, change, &mut report).await?,
            }
        }
    }
    Ok(report)
}

async fn apply_messages(conn: &mut AnyConnection, v: &MessagesValue, routes: &mut Routes, report: &mut IngestReport) -> Result<()> {
    let Some((number, org)) = routes.get(conn, &v.metadata.phone_number_id).await? else {
        tracing::warn!(phone_number_id = %v.metadata.phone_number_id, "webhook for an unknown number; raw body kept");
        report.unknown_numbers += 1;
        return Ok(());
    };
    for m in &v.messages {
        store_inbound(conn, &org, &number, v, m, report).await?;
    }
    for s in &v.statuses {
        apply_status(conn, &number, s, report).await?;
    }
    if !v.errors.is_empty() {
        let payload = serde_json::json!({ "phone_number_id": v.metadata.phone_number_id, "errors": v.errors.iter().map(|e| serde_json::json!({"code": e.code, "details": e.describe()})).collect::<Vec<_>>() });
        insert_account_event(conn, &number.to_string(), "messages.errors", None, &payload.to_string(), report).await?;
    }
    Ok(())
}

fn sender_of(v: &MessagesValue, m: &InboundMessage) -> WhatsAppSender {
    let profile = v
        .contacts
        .iter()
        .find(|c| (c.wa_id.is_some() && c.wa_id == m.from) || (c.user_id.is_some() && c.user_id == m.from_user_id))
        .or_else(|| (v.contacts.len() == 1).then(|| &v.contacts[0]));
    let wa_id = m.from.clone().or_else(|| profile.and_then(|c| c.wa_id.clone()));
    WhatsAppSender {
        phone: wa_id.as_deref().and_then(|d| PhoneE164::from_wa_id(d).ok()),
        wa_id,
        wa_user_id: m.from_user_id.clone().or_else(|| profile.and_then(|c| c.user_id.clone())),
        profile_name: profile.and_then(|c| c.profile.as_ref()).and_then(|p| p.name.clone()),
        username: profile.and_then(|c| c.profile.as_ref()).and_then(|p| p.username.clone()),
    }
}

async fn store_inbound(
    conn: &mut AnyConnection,
    org: &OrgId,
    number: &NumberId,
    v: &MessagesValue,
    m: &InboundMessage,
    report: &mut IngestReport,
) -> Result<()> {
    let Some(contact) = upsert_whatsapp_sender(conn, org, &sender_of(v, m), "whatsapp").await? else {
        tracing::warn!("inbound message without a sender; raw body kept");
        return Ok(());
    };
    let now = now_ms();
    let at = m.timestamp_secs().map(|s| s * 1000).unwrap_or(now);
    let before = crate::conversations::ensure_returning_in(conn, org, number, &contact, now).await?;
    let conversation = before.id.clone();

    let mut content = serde_json::Map::new();
    if let Some(c) = m.content() {
        content.insert(m.kind.clone(), c.clone());
    }
    if let Some(c) = &m.context {
        content.insert("context".into(), c.clone());
    }
    if let Some(r) = &m.referral {
        content.insert("referral".into(), r.clone());
    }
    let (error_code, error_title) = m.errors.first().map(|e| (Some(e.code), Some(e.describe()))).unwrap_or((None, None));
    let message_id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO messages (id, org_id, conversation_id, number_id, direction, type, text, content, wa_message_id, status, error_code, error_title, wa_timestamp, created_at) \
         VALUES ($1, $2, $3, $4, 'inbound', $5, $6, $7, $8, 'received', $9, $10, $11, $12) ON CONFLICT (number_id, wa_message_id) DO NOTHING",
    )
    .bind(&message_id)
    .bind(org.as_str())
    .bind(&conversation)
    .bind(number.as_str())
    .bind(&m.kind)
    .bind(m.preview_text())
    .bind(serde_json::Value::Object(content).to_string())
    .bind(&m.id)
    .bind(error_code)
    .bind(error_title)
    .bind(at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        report.duplicate_messages += 1;
        return Ok(());
    }
    // A first message, or one that reopens a resolved chat, is routed to an agent later.
    let needs_routing = before.assignee_id.is_none() && (before.last_inbound_at.is_none() || before.status == "resolved");
    // The window and the ordering move only forward, whatever order messages arrive in.
    sqlx::query(
        "UPDATE conversations SET \
         last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $1 THEN $1 ELSE last_inbound_at END, \
         window_expires_at = CASE WHEN window_expires_at IS NULL OR window_expires_at < $2 THEN $2 ELSE window_expires_at END, \
         last_message_at = CASE WHEN last_message_at IS NULL OR last_message_at < $1 THEN $1 ELSE last_message_at END, \
         unread_count = unread_count + 1, status = 'open', updated_at = $3 WHERE id = $4",
    )
    .bind(at)
    .bind(at + WINDOW_MS)
    .bind(now)
    .bind(&conversation)
    .execute(&mut *conn)
    .await?;
    // What follows (consent keywords, scoring, assignment, later flows) runs as a job in
    // the conversations' inbound pipeline, queued here so it cannot be lost.
    let arrived = crate::conversations::inbound::Arrived {
        org_id: org.as_str().to_owned(),
        number_id: number.as_str().to_owned(),
        conversation_id: conversation.clone(),
        contact_id: contact.as_str().to_owned(),
        message_id: message_id.clone(),
        first_reply: before.last_inbound_at.is_none(),
        needs_routing,
    };
    crate::jobs::queue::enqueue_in(conn, &crate::conversations::inbound::HandleInbound(arrived), Some(org), now, Some(&format!("inbound:{message_id}")), now)
        .await?;
    let payload = serde_json::json!({"message_id": message_id, "conversation_id": conversation, "direction": "inbound", "type": m.kind, "text": m.preview_text(), "contact_id": contact.as_str()});
    crate::events::publish_in(conn, org, "message", Some(&conversation), None, &payload, now).await?;
    if let Some(wa_media_id) = m.media_id() {
        let field = |k: &str| m.content().and_then(|c| c.get(k)).and_then(|v| v.as_str()).map(str::to_owned);
        super::media::enqueue_download_in(conn, org, number, &message_id, &wa_media_id, field("mime_type").as_deref(), field("filename").as_deref(), now)
            .await?;
    }
    report.messages_stored += 1;
    Ok(())
}

/// Meta's error code and title when `new` is `failed` (from the update's first error).
pub(super) fn failure_of(new: MessageStatus, s: &StatusUpdate) -> (Option<i64>, Option<String>) {
    match (new, s.errors.first()) {
        (MessageStatus::Failed, Some(e)) => (Some(e.code), Some(e.describe())),
        _ => (None, None),
    }
}

pub(super) async fn apply_status(conn: &mut AnyConnection, number: &NumberId, s: &StatusUpdate, report: &mut IngestReport) -> Result<()> {
    let Some(update) = MessageStatus::parse(&s.status).filter(|st| *st != MessageStatus::Pending) else {
        report.statuses_ignored += 1;
        return Ok(());
    };
    // Find the message by its wamid, or by our own id echoed in biz_opaque_callback_data
    // (a send whose response was lost): then its wamid is recorded too.
    let mut row: Option<SentRow> =
        sqlx::query_as("SELECT id, status, org_id, conversation_id FROM messages WHERE number_id = $1 AND wa_message_id = $2 AND direction = 'outbound'")
            .bind(number.as_str())
            .bind(&s.id)
            .fetch_optional(&mut *conn)
            .await?;
    if row.is_none() {
        if let Some(ours) = &s.biz_opaque_callback_data {
            row = sqlx::query_as("SELECT id, status, org_id, conversation_id FROM messages WHERE number_id = $1 AND id = $2 AND direction = 'outbound'")
                .bind(number.as_str())
                .bind(ours)
                .fetch_optional(&mut *conn)
                .await?;
            if row.is_some() {
                sqlx::query("UPDATE messages SET wa_message_id = $1 WHERE id = $2 AND wa_message_id IS NULL")
                    .bind(&s.id)
                    .bind(ours)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    let Some(row) = row else {
        report.statuses_ignored += 1;
        return Ok(());
    };
    let SentRow { id, status: mut current, org_id, conversation_id: conversation } = row;
    // Compare-and-set, so concurrent webhooks can never move a status backwards.
    loop {
        let old = MessageStatus::parse(&current).unwrap_or(MessageStatus::Pending);
        let new = old.merge(update);
        if new == old {
            report.statuses_ignored += 1;
            return Ok(());
        }
        let (code, title) = failure_of(new, s);
        let r = sqlx::query(
            "UPDATE messages SET status = $1, status_updated_at = $2, error_code = COALESCE($3, error_code), error_title = COALESCE($4, error_title) WHERE id = $5 AND status = $6",
        )
        .bind(new.as_str())
        .bind(now_ms())
        .bind(code)
        .bind(title.clone())
        .bind(&id)
        .bind(&current)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() == 1 {
            report.statuses_applied += 1;
            let payload =
                serde_json::json!({"message_id": id, "conversation_id": conversation, "status": new.as_str(), "error_code": code, "error_title": title});
            crate::events::publish_in(conn, &org_id, "status", Some(&conversation), None, &payload, now_ms()).await?;
            return Ok(());
        }
        current = sqlx::query_scalar("SELECT status FROM messages WHERE id = $1").bind(&id).fetch_one(&mut *conn).await?;
    }
}

async fn store_account_event(conn: &mut AnyConnection, entry: &Entry, change: &Change, report: &mut IngestReport) -> Result<()> {
    let before = report.account_events;
    insert_account_event(conn, &entry.id, &change.field, entry.time, &change.value.to_string(), report).await?;
    // A template change is applied once: a replayed body was already kept and is skipped.
    if report.account_events > before && crate::templates::review::FIELDS.contains(&change.field.as_str()) {
        crate::templates::review::apply_in(conn, &entry.id, &change.field, entry.time, &change.value, now_ms()).await?;
    }
    Ok(())
}

async fn insert_account_event(conn: &mut AnyConnection, waba: &str, field: &str, time: Option<i64>, payload: &str, report: &mut IngestReport) -> Result<()> {
    let key = hex::encode(Sha256::digest(format!("{waba}\n{field}\n{}\n{payload}", time.unwrap_or_default()).as_bytes()));
    let r = sqlx::query(
        "INSERT INTO wa_account_events (id, waba_id, field, entry_time, payload, dedupe_key, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(waba)
    .bind(field)
    .bind(time)
    .bind(payload)
    .bind(key)
    .bind(now_ms())
    .execute(conn)
    .await?;
    report.account_events += r.rows_affected() as usize;
    Ok(())
}
