//! `send_message`: sends one queued outbound message, at most once.
//!
//! Before calling Meta the message is marked in flight (committed). If the process dies
//! during the call, the next claim sees the mark and does not send again: the outcome is
//! reconciled from status webhooks, which echo our message id in
//! `biz_opaque_callback_data`; without any news within [`RECONCILE_AFTER_MS`] the message
//! is failed as "outcome unknown" rather than risking a duplicate.
//!
//! Retryable Meta codes are retried after 5 s, 20 s and 45 s ([`GraphError::retry_delay`]),
//! then the message fails with Meta's code. Error 190 deactivates the number and notifies
//! its admins. Every send takes a token from its number's adaptive rate ([`AdaptiveRate`]).
//! A claim's batch shares its database work: one load, one in-flight mark, one commit for
//! the accepted sends, while the Graph API calls overlap.

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::db::rows::Flag;
use crate::error::Result;
use crate::notifications;
use crate::whatsapp::graph::GraphError;
use crate::whatsapp::outbound::SendMessage;
pub use crate::whatsapp::pacing::{local_day, Outcome};
use async_trait::async_trait;
use domain::whatsapp::rate::{AdaptiveRate, START_RATE};
use domain::{NumberId, OrgId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

/// How long a claimed send is held before another runner may take it over.
pub const LEASE_MS: i64 = 60_000;
/// How long an in-flight send with an unknown outcome waits for a status webhook.
pub const RECONCILE_AFTER_MS: i64 = 15 * 60_000;
/// Most per-recipient (131056) back-offs before giving up.
pub const PAIR_LIMIT_TRIES: i64 = 6;
/// Sends claimed per round: their Graph API calls overlap and their bookkeeping shares
/// commits. Small enough that a shutdown waits for at most one short batch.
pub const BATCH: usize = 32;

impl From<Outcome> for Step {
    fn from(o: Outcome) -> Self {
        match o {
            // A failed message is a finished job: the message carries Meta's code.
            Outcome::Accepted | Outcome::Skipped | Outcome::Failed { .. } => Step::Done,
            Outcome::Retrying { at, .. } => Step::Retry { at, error: "send failed; retrying".into() },
            Outcome::Paced { at } => Step::Again { at },
            Outcome::AwaitingReconciliation { at } => Step::Retry { at, error: "awaiting a status webhook".into() },
        }
    }
}

fn done(o: Outcome) -> Result<Done> {
    Ok(Done::with(Step::from(o.clone()), o))
}

fn retry(o: Outcome, error: &str) -> Result<Done> {
    let step = match &o {
        Outcome::Retrying { at, .. } | Outcome::AwaitingReconciliation { at } => Step::Retry { at: *at, error: error.to_owned() },
        _ => Step::from(o.clone()),
    };
    Ok(Done::with(step, o))
}

#[async_trait]
impl Job for SendMessage {
    const KIND: &'static str = "send_message";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let now = attempt.now;
        Self::run_batch(vec![(self, Attempt { id: attempt.id.clone(), number: attempt.number, now })], ctx)
            .await
            .pop()
            .unwrap_or_else(|| Err(anyhow::anyhow!("a batch of one returned nothing").into()))
    }

    async fn run_batch(jobs: Vec<(Self, Attempt)>, ctx: &JobContext) -> Vec<Result<Done>> {
        let n = jobs.len();
        match send_batch(ctx, jobs).await {
            Ok(results) => results,
            Err(e) => {
                // A database failure part-way: every job of the batch is retried; the
                // in-flight marks keep any send that left from being repeated.
                let message = format!("{:#}", anyhow::Error::from(e));
                (0..n).map(|_| Err(crate::ServiceError::Unexpected(anyhow::anyhow!(message.clone())))).collect()
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: String,
    number_id: String,
    org_id: String,
    status: String,
    wa_message_id: Option<String>,
    in_flight_since: Option<i64>,
    #[sqlx(rename = "send_payload")]
    payload: Option<String>,
    #[sqlx(rename = "send_attempts")]
    attempts: i64,
    phone_number_id: String,
    active: Flag,
    is_sandbox: Flag,
    time_zone: String,
    #[sqlx(rename = "send_rate_milli")]
    rate_milli: i64,
    rate_day: Option<String>,
    #[sqlx(rename = "access_token_enc")]
    token_enc: String,
}

/// The messages behind a batch of send jobs, with their numbers, by message id.
async fn load_many(ctx: &JobContext, message_ids: &[String]) -> Result<HashMap<String, Pending>> {
    let sql = format!(
        "SELECT m.id, m.number_id, m.org_id, m.status, m.wa_message_id, m.in_flight_since, m.send_payload, m.send_attempts, \
         n.phone_number_id, n.active, n.is_sandbox, n.send_rate_milli, n.rate_day, n.access_token_enc, o.time_zone \
         FROM messages m JOIN wa_numbers n ON n.id = m.number_id JOIN orgs o ON o.id = m.org_id WHERE m.id IN ({})",
        crate::db::placeholders(1, message_ids.len())
    );
    let mut q = sqlx::query_as::<_, Pending>(&sql);
    for id in message_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(ctx.db.pool()).await?.into_iter().map(|m| (m.id.clone(), m)).collect())
}

async fn fail_message(ctx: &JobContext, id: &str, code: Option<i64>, title: &str) -> Result<()> {
    sqlx::query("UPDATE messages SET status = 'failed', error_code = $1, error_title = $2, in_flight_since = NULL, status_updated_at = $3 WHERE id = $4 AND status = 'pending'")
        .bind(code)
        .bind(title)
        .bind(crate::clock::now_ms())
        .bind(id)
        .execute(ctx.db.pool())
        .await?;
    Ok(())
}

/// Runs `f` on the number's rate controller (loaded from storage, rolled to today),
/// and stores the rate when it changed.
async fn with_rate<T>(ctx: &JobContext, m: &Pending, now: i64, f: impl FnOnce(&mut AdaptiveRate) -> T) -> Result<T> {
    let today = local_day(now, &m.time_zone);
    let mut rates = ctx.send.rates.lock().await;
    let rate = rates.entry(m.number_id.clone()).or_insert_with(|| {
        let stored = if m.rate_milli > 0 { m.rate_milli as f64 / 1000.0 } else { START_RATE };
        AdaptiveRate::new(stored, m.rate_day.as_deref().unwrap_or(&today), now)
    });
    let (before_rate, before_day) = (rate.rate(), rate.day().to_owned());
    rate.roll_day(&today, now);
    let out = f(rate);
    if rate.rate() != before_rate || rate.day() != before_day {
        sqlx::query("UPDATE wa_numbers SET send_rate_milli = $1, rate_day = $2 WHERE id = $3")
            .bind((rate.rate() * 1000.0).round() as i64)
            .bind(rate.day())
            .bind(&m.number_id)
            .execute(ctx.db.pool())
            .await?;
    }
    Ok(out)
}

async fn retry_or_fail(ctx: &JobContext, m: &Pending, code: Option<i64>, title: &str, now: i64) -> Result<Done> {
    // `attempts` counts the send that just failed.
    let failures = m.attempts + 1;
    if let Some(delay) = GraphError::retry_delay(failures) {
        retry(Outcome::Retrying { code, at: now + delay }, title)
    } else {
        fail_message(ctx, &m.id, code, title).await?;
        done(Outcome::Failed { code })
    }
}

/// A send's outcome when it needs no Graph API call at all (already sent, awaiting
/// reconciliation, number disconnected).
async fn preflight(ctx: &JobContext, m: &Pending, now: i64) -> Result<Option<Done>> {
    if m.status != "pending" || m.wa_message_id.is_some() {
        return done(Outcome::Skipped).map(Some);
    }
    if let Some(since) = m.in_flight_since {
        // A previous run sent and never heard back: never send again.
        let deadline = since + RECONCILE_AFTER_MS;
        if now >= deadline {
            fail_message(
                ctx,
                &m.id,
                None,
                "The send's outcome is unknown (the server stopped mid-send) and no status arrived; not resent, to avoid a duplicate.",
            )
            .await?;
            return done(Outcome::Failed { code: None }).map(Some);
        }
        return done(Outcome::AwaitingReconciliation { at: deadline }).map(Some);
    }
    if !m.active.0 {
        fail_message(ctx, &m.id, None, "WA_006: the number is not connected; replace its access token.").await?;
        return done(Outcome::Failed { code: None }).map(Some);
    }
    Ok(None)
}

/// Marks messages in flight (committed before any call leaves); returns those marked.
/// A message another runner marked or finished meanwhile is not returned.
async fn mark_in_flight(ctx: &JobContext, ids: &[&str], now: i64) -> Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "UPDATE messages SET in_flight_since = $1 WHERE id IN ({}) AND in_flight_since IS NULL AND wa_message_id IS NULL AND status = 'pending' RETURNING id",
        crate::db::placeholders(2, ids.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(now);
    for id in ids {
        q = q.bind(id.to_string());
    }
    Ok(q.fetch_all(ctx.db.pool()).await?.into_iter().collect())
}

/// Runs a claimed batch; the results are in the jobs' order.
async fn send_batch(ctx: &JobContext, batch: Vec<(SendMessage, Attempt)>) -> Result<Vec<Result<Done>>> {
    let now = batch.first().map(|(_, a)| a.now).unwrap_or_else(|| ctx.clock.now());
    let message_ids: Vec<String> = batch.iter().map(|(j, _)| j.message_id.clone()).collect();
    let mut loaded = load_many(ctx, &message_ids).await?;
    let mut results: Vec<Option<Result<Done>>> = (0..batch.len()).map(|_| None).collect();
    let mut ready: Vec<(usize, Pending, String)> = Vec::new();
    let mut paced: Vec<usize> = Vec::new();
    let mut paced_at = now;
    for (i, message_id) in message_ids.iter().enumerate() {
        let Some(m) = loaded.remove(message_id) else {
            results[i] = Some(done(Outcome::Skipped));
            continue;
        };
        if let Some(d) = preflight(ctx, &m, now).await? {
            results[i] = Some(Ok(d));
            continue;
        }
        let token = match crate::whatsapp::numbers::open_token(&ctx.cipher, &m.org_id, &m.number_id, &m.token_enc) {
            Ok(token) => token,
            Err(_) => {
                // Only a changed MCE_ENCRYPTION_KEY does this; say so on the message.
                fail_message(ctx, &m.id, None, "WA_006: the number's access token cannot be decrypted (was MCE_ENCRYPTION_KEY changed?); replace the token.")
                    .await?;
                results[i] = Some(done(Outcome::Failed { code: None }));
                continue;
            }
        };
        let pacing = ctx.send.pacing.load(Ordering::Relaxed);
        match with_rate(ctx, &m, now, |r| if pacing { r.try_acquire(now) } else { Ok(()) }).await? {
            Ok(()) => ready.push((i, m, token)),
            // Pacing is not a failure: the job simply runs again when a token is due.
            Err(wait) => {
                paced_at = paced_at.max(now + wait);
                paced.push(i);
            }
        }
    }
    // A paced batch runs again together, when the last of them may go.
    for i in paced {
        results[i] = Some(done(Outcome::Paced { at: paced_at }));
    }

    let marked = mark_in_flight(ctx, &ready.iter().map(|(_, m, _)| m.id.as_str()).collect::<Vec<_>>(), now).await?;
    let mut sending = Vec::with_capacity(ready.len());
    for (i, m, token) in ready {
        if marked.contains(&m.id) {
            sending.push((i, m, token));
        } else {
            results[i] = Some(done(Outcome::Skipped));
        }
    }
    let calls = sending.iter().map(|(_, m, token)| async move {
        let body: serde_json::Value = serde_json::from_str(m.payload.as_deref().unwrap_or("{}")).unwrap_or_default();
        ctx.graph_for(m.is_sandbox.0).send_message(token, &m.phone_number_id, &body).await
    });
    let answers = futures_util::future::join_all(calls).await;

    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for ((i, m, _), answer) in sending.into_iter().zip(answers) {
        match answer {
            Ok(wamid) => accepted.push((i, m, wamid)),
            Err(e) => refused.push((i, m, e)),
        }
    }
    if !accepted.is_empty() {
        // One commit records every accepted send: the in-flight mark goes, the attempt
        // counts, and the wamid is kept (unless a status webhook already recorded it).
        // The runner then deletes the jobs; a crash in between finds the wamid and skips.
        let mut tx = ctx.db.pool().begin().await?;
        for (_, m, wamid) in &accepted {
            sqlx::query(
                "UPDATE messages SET in_flight_since = NULL, send_attempts = send_attempts + 1, wa_message_id = COALESCE(wa_message_id, $1) WHERE id = $2",
            )
            .bind(wamid)
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        for (i, m, _) in &accepted {
            with_rate(ctx, m, now, |r| r.on_success(now)).await?;
            results[*i] = Some(done(Outcome::Accepted));
        }
    }
    for (i, m, error) in refused {
        results[i] = Some(after_refusal(ctx, &m, error, now).await);
    }
    Ok(results.into_iter().map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a send job was left without an outcome").into()))).collect())
}

/// Records a send the Graph API did not accept, and decides what comes next.
async fn after_refusal(ctx: &JobContext, m: &Pending, error: GraphError, now: i64) -> Result<Done> {
    if let GraphError::Transport(reason) = &error {
        // The request left; whether Meta took it is unknown. Keep the in-flight mark.
        tracing::warn!(message_id = %m.id, %reason, "send outcome unknown; waiting for a status webhook");
        return retry(Outcome::AwaitingReconciliation { at: now + RECONCILE_AFTER_MS }, reason);
    }
    sqlx::query("UPDATE messages SET in_flight_since = NULL, send_attempts = send_attempts + 1 WHERE id = $1").bind(&m.id).execute(ctx.db.pool()).await?;
    let number = NumberId::from_string(m.number_id.clone());
    match error {
        GraphError::Unreachable(reason) => retry_or_fail(ctx, m, None, &format!("WhatsApp API unreachable: {reason}"), now).await,
        GraphError::Api { code, message, details, .. } => {
            let title = details.clone().unwrap_or(message.clone());
            match code {
                190 => {
                    // Several sends of one batch may all meet the dead token: one notice.
                    if crate::whatsapp::numbers::deactivate(&ctx.db, &number, "Meta rejected the access token (190)").await? {
                        // Released before the next query: SQLite has a single connection.
                        let mut conn = ctx.db.pool().acquire().await?;
                        notifications::notify_admins(
                            &mut conn,
                            &OrgId::from_string(m.org_id.clone()),
                            "number_token_expired",
                            "WhatsApp number disconnected",
                            "Meta rejected the access token (error 190). Sends on this number fail until an admin replaces the token.",
                            Some("/settings/numbers"),
                        )
                        .await?;
                    }
                    fail_message(ctx, &m.id, Some(190), &title).await?;
                    done(Outcome::Failed { code: Some(190) })
                }
                131056 => {
                    // Too fast to this one recipient: back off only this message, 4^n s.
                    if m.attempts + 1 >= PAIR_LIMIT_TRIES {
                        fail_message(ctx, &m.id, Some(code), &title).await?;
                        return done(Outcome::Failed { code: Some(code) });
                    }
                    let at = now + 4_i64.pow(m.attempts.clamp(0, 5) as u32) * 1000;
                    retry(Outcome::Retrying { code: Some(code), at }, &title)
                }
                130429 => {
                    with_rate(ctx, m, now, |r| r.on_throttled(now)).await?;
                    retry_or_fail(ctx, m, Some(code), &title, now).await
                }
                c if GraphError::is_retryable_code(c) => {
                    with_rate(ctx, m, now, |r| r.on_error(now)).await?;
                    retry_or_fail(ctx, m, Some(code), &title, now).await
                }
                _ => {
                    with_rate(ctx, m, now, |r| r.on_error(now)).await?;
                    fail_message(ctx, &m.id, Some(code), &title).await?;
                    done(Outcome::Failed { code: Some(code) })
                }
            }
        }
        GraphError::Transport(_) => unreachable!("handled above"),
    }
}
