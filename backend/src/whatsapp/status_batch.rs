//! The status webhooks of one writer batch applied together (issue 12).
//!
//! Seven of ten webhooks at a campaign's peak are statuses, and applying each alone costs
//! a lookup, an update and an event insert: three round trips per body, which on
//! PostgreSQL is most of a batch's time. Here a batch's statuses take one lookup per
//! number (`wa_message_id IN (…)`), are merged in memory in arrival order with the same
//! monotone rule as one at a time ([`MessageStatus::merge`]), and are written as one
//! `UPDATE … FROM (VALUES …)` and one multi-row event insert. Every transition still gets
//! its event, in arrival order, so a browser sees exactly what it saw before.
//!
//! The update is a compare-and-set on the status each message was read with; a message
//! that changed meanwhile (another instance on PostgreSQL) falls back to the one-at-a-time
//! path for its updates, which retries the compare-and-set.

use super::ingest::{self, IngestReport, Routes};
use crate::clock::now_ms;
use crate::error::Result;
use crate::events::{self, NewEvent};
use domain::whatsapp::webhook::{MessagesValue, StatusUpdate, WebhookPayload};
use domain::whatsapp::MessageStatus;
use domain::{NumberId, OrgId};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The `messages` changes of a body that carries statuses and nothing else (the
/// common case), or `None` for any other body, which is applied on its own.
pub fn statuses_of(payload: &WebhookPayload) -> Option<Vec<MessagesValue>> {
    let mut out = Vec::new();
    for entry in &payload.entry {
        for change in &entry.changes {
            // Looked at on the raw value first, so an inbound body is not parsed twice.
            let raw = &change.value;
            if raw.get("messages").is_some() || raw.get("errors").is_some() || !raw["statuses"].is_array() {
                return None;
            }
            let v = change.messages()?.ok()?;
            if !v.messages.is_empty() || !v.errors.is_empty() || v.statuses.is_empty() {
                return None;
            }
            out.push(v);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// One status update of the batch, in arrival order.
struct Item<'a> {
    body: usize,
    number: NumberId,
    update: MessageStatus,
    status: &'a StatusUpdate,
}

/// An outbound message a status is about, as read before the batch's merge.
#[derive(Clone, sqlx::FromRow)]
struct Found {
    id: String,
    status: String,
    org_id: OrgId,
    conversation_id: String,
    wa_message_id: Option<String>,
}

/// What the batch does to one message.
struct Plan {
    found: Found,
    current: MessageStatus,
    /// The items that moved it, with the status each moved it to.
    moves: Vec<(usize, MessageStatus, Option<i64>, Option<String>)>,
    /// Every item about it (for the fallback).
    items: Vec<usize>,
}

/// Applies the statuses of `bodies` (each from [`statuses_of`]) on `conn`, inside the
/// caller's transaction; a report per body. An error leaves the caller to roll back and
/// apply the bodies one at a time.
pub async fn apply_in(conn: &mut AnyConnection, bodies: &[&[MessagesValue]], routes: &mut Routes) -> Result<Vec<IngestReport>> {
    let mut reports = vec![IngestReport::default(); bodies.len()];
    let mut items = Vec::new();
    for (body, values) in bodies.iter().enumerate() {
        for v in values.iter() {
            let pnid = v.metadata.phone_number_id.as_str();
            let Some((number, _)) = routes.get(conn, pnid).await? else {
                tracing::warn!(phone_number_id = %pnid, "webhook for an unknown number; raw body kept");
                reports[body].unknown_numbers += 1;
                continue;
            };
            for status in &v.statuses {
                match MessageStatus::parse(&status.status).filter(|s| *s != MessageStatus::Pending) {
                    Some(update) => items.push(Item { body, number: number.clone(), update, status }),
                    None => reports[body].statuses_ignored += 1,
                }
            }
        }
    }

    let found = look_up(conn, &items).await?;
    let mut plans: HashMap<String, Plan> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(f) = found.get(&(item.number.as_str().to_owned(), item.status.id.clone())) else {
            reports[item.body].statuses_ignored += 1;
            continue;
        };
        let plan = plans.entry(f.id.clone()).or_insert_with(|| {
            order.push(f.id.clone());
            Plan { current: MessageStatus::parse(&f.status).unwrap_or(MessageStatus::Pending), found: f.clone(), moves: Vec::new(), items: Vec::new() }
        });
        plan.items.push(i);
        let new = plan.current.merge(item.update);
        if new == plan.current {
            continue;
        }
        let (code, title) = ingest::failure_of(new, item.status);
        plan.current = new;
        plan.moves.push((i, new, code, title));
    }

    let moved: Vec<&Plan> = order.iter().map(|id| &plans[id]).filter(|p| !p.moves.is_empty()).collect();
    let now = now_ms();
    let updated = update_all(conn, &moved, now).await?;
    let mut events: Vec<(usize, NewEvent)> = Vec::new();
    let mut lost: Vec<usize> = Vec::new();
    for plan in &moved {
        if !updated.contains(&plan.found.id) {
            lost.extend(&plan.items);
            continue;
        }
        for (i, new, code, title) in &plan.moves {
            reports[items[*i].body].statuses_applied += 1;
            let payload = serde_json::json!({"message_id": plan.found.id, "conversation_id": plan.found.conversation_id, "status": new.as_str(), "error_code": code, "error_title": title});
            events.push((*i, NewEvent { org: plan.found.org_id.clone(), kind: "status", conversation: Some(plan.found.conversation_id.clone()), payload }));
        }
        reports_ignore_rest(&mut reports, &items, plan);
    }
    for plan in order.iter().map(|id| &plans[id]).filter(|p| p.moves.is_empty()) {
        for i in &plan.items {
            reports[items[*i].body].statuses_ignored += 1;
        }
    }
    events.sort_by_key(|(i, _)| *i);
    let events: Vec<NewEvent> = events.into_iter().map(|(_, e)| e).collect();
    events::publish_all_in(conn, &events, now).await?;

    // Changed by someone else since it was read: one at a time, compare-and-set retried.
    lost.sort_unstable();
    for i in lost {
        let item = &items[i];
        ingest::apply_status(conn, &item.number, item.status, &mut reports[item.body]).await?;
    }
    Ok(reports)
}

/// The items of an updated message that did not move it count as ignored, as they did
/// one at a time.
fn reports_ignore_rest(reports: &mut [IngestReport], items: &[Item<'_>], plan: &Plan) {
    let moved: HashSet<usize> = plan.moves.iter().map(|(i, ..)| *i).collect();
    for i in plan.items.iter().filter(|i| !moved.contains(i)) {
        reports[items[*i].body].statuses_ignored += 1;
    }
}

/// The outbound messages the items are about, by (number, wamid): one statement per
/// number and chunk; then, for wamids not found, our own id echoed in
/// `biz_opaque_callback_data` (a send whose response was lost), whose wamid is recorded.
async fn look_up(conn: &mut AnyConnection, items: &[Item<'_>]) -> Result<HashMap<(String, String), Found>> {
    let mut wamids: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for item in items {
        if seen.insert((item.number.as_str(), item.status.id.as_str())) {
            wamids.entry(item.number.as_str()).or_default().push(item.status.id.as_str());
        }
    }
    let mut found = HashMap::new();
    for (number, ids) in wamids {
        for chunk in ids.chunks(crate::db::rows_per_statement(1) - 1) {
            let sql = format!(
                "SELECT id, status, org_id, conversation_id, wa_message_id FROM messages WHERE number_id = $1 AND direction = 'outbound' AND wa_message_id IN ({})",
                crate::db::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, Found>(&sql).bind(number);
            for id in chunk {
                q = q.bind(*id);
            }
            for f in q.fetch_all(&mut *conn).await? {
                let wamid = f.wa_message_id.clone().unwrap_or_default();
                found.insert((number.to_owned(), wamid), f);
            }
        }
    }
    for item in items {
        let key = (item.number.as_str().to_owned(), item.status.id.clone());
        if found.contains_key(&key) {
            continue;
        }
        let Some(ours) = &item.status.biz_opaque_callback_data else { continue };
        let row: Option<Found> = sqlx::query_as(
            "SELECT id, status, org_id, conversation_id, wa_message_id FROM messages WHERE number_id = $1 AND id = $2 AND direction = 'outbound'",
        )
        .bind(item.number.as_str())
        .bind(ours)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(f) = row {
            sqlx::query("UPDATE messages SET wa_message_id = $1 WHERE id = $2 AND wa_message_id IS NULL")
                .bind(&item.status.id)
                .bind(ours)
                .execute(&mut *conn)
                .await?;
            found.insert(key, f);
        }
    }
    Ok(found)
}

/// Writes each moved message's final status, compare-and-set on the status it was read
/// with; returns the ids that were updated.
async fn update_all(conn: &mut AnyConnection, moved: &[&Plan], now: i64) -> Result<HashSet<String>> {
    const COLUMNS: usize = 5;
    let mut updated = HashSet::new();
    for chunk in moved.chunks(crate::db::rows_per_statement(COLUMNS) - 1) {
        let values: Vec<String> = (0..chunk.len())
            .map(|n| {
                let p = 2 + COLUMNS * n;
                format!("(${p}, ${}, ${}, CAST(${} AS BIGINT), ${})", p + 1, p + 2, p + 3, p + 4)
            })
            .collect();
        // The VALUES columns are named apart from `messages`' so that unqualified names
        // in SET and RETURNING mean the same on SQLite and PostgreSQL.
        let sql = format!(
            "WITH v (mid, new_status, old_status, code, title) AS (VALUES {}) \
             UPDATE messages SET status = v.new_status, status_updated_at = $1, \
             error_code = COALESCE(v.code, error_code), error_title = COALESCE(v.title, error_title) \
             FROM v WHERE messages.id = v.mid AND messages.status = v.old_status RETURNING id",
            values.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(now);
        for plan in chunk {
            // `failed` is final, so a failed message's last move carries Meta's error.
            let (code, title) = plan.moves.last().map(|(_, _, c, t)| (*c, t.clone())).unwrap_or_default();
            q = q.bind(plan.found.id.as_str()).bind(plan.current.as_str()).bind(plan.found.status.as_str()).bind(code).bind(title);
        }
        updated.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(updated)
}
