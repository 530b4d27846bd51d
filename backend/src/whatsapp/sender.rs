//! The send worker: claims `send_message` jobs and sends each message at most once.
//!
//! Before calling Meta the message is marked in flight (committed). If the worker dies
//! during the call, the next claim sees the mark and does not send again: the outcome is
//! reconciled from status webhooks, which echo our message id in
//! `biz_opaque_callback_data`; without any news within [`RECONCILE_AFTER_MS`] the message
//! is failed as "outcome unknown" rather than risking a duplicate.
//!
//! Retryable Meta codes are retried after 5 s, 20 s and 45 s, then the message fails
//! with Meta's code. Error 190 deactivates the number and notifies its admins. Every send
//! takes a token from its number's adaptive rate ([`AdaptiveRate`]).

use super::graph::{GraphError, WhatsAppApi};
use super::media::DOWNLOAD_JOB;
use super::outbound::{READ_JOB, SEND_JOB};
use crate::error::Result;
use crate::secrets::Cipher;
use crate::{jobs, notifications, Db};
use domain::whatsapp::rate::{AdaptiveRate, START_RATE};
use domain::{NumberId, OrgId};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Mutex;

/// How long a claimed job is held before another worker may take it over.
pub const LEASE_MS: i64 = 60_000;
/// How long an in-flight send with an unknown outcome waits for a status webhook.
pub const RECONCILE_AFTER_MS: i64 = 15 * 60_000;
/// Delays before the first, second and third retry.
pub const BACKOFF_MS: [i64; 3] = [5_000, 20_000, 45_000];
/// Meta codes worth retrying (WHATSAPP.md §9).
pub const RETRYABLE: [i64; 9] = [1, 2, 4, 80007, 130429, 131000, 131016, 131057, 133004];
/// Most per-recipient (131056) back-offs before giving up.
pub const PAIR_LIMIT_TRIES: i64 = 6;

/// What happened to one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Meta accepted the message (its wamid is recorded).
    Accepted,
    /// Failed with this Meta code (or none); will retry at the instant given.
    Retrying { code: Option<i64>, at: i64 },
    /// Failed for good with this Meta code (or none).
    Failed { code: Option<i64> },
    /// The number's rate allows no send yet; retried at the instant given.
    Paced { at: i64 },
    /// Sent before a crash with no answer: waiting for a status webhook until `at`.
    AwaitingReconciliation { at: i64 },
    /// Nothing to do: already sent, reconciled or deleted.
    Skipped,
}

/// The send worker's state: the Graph API, and each number's rate controller.
pub struct Sender {
    db: Db,
    api: Arc<dyn WhatsAppApi>,
    /// The client for sandbox numbers: the same `GraphClient`, pointed at the simulator.
    sandbox_api: Option<Arc<dyn WhatsAppApi>>,
    cipher: Cipher,
    rates: Mutex<HashMap<String, AdaptiveRate>>,
    /// Benchmarks measure raw throughput with pacing off; production never turns it off.
    pacing: bool,
}

struct Pending {
    id: String,
    number_id: String,
    org_id: String,
    status: String,
    wa_message_id: Option<String>,
    in_flight_since: Option<i64>,
    payload: Option<String>,
    attempts: i64,
    phone_number_id: String,
    active: bool,
    is_sandbox: bool,
    time_zone: String,
    rate_milli: i64,
    rate_day: Option<String>,
    token_enc: String,
}

/// The local date at `now_ms` in an IANA zone (UTC when the zone is unknown).
pub fn local_day(now_ms: i64, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default().with_timezone(&tz).format("%Y-%m-%d").to_string()
}

impl Sender {
    /// A worker over `db`, sending through `api`.
    pub fn new(db: Db, api: Arc<dyn WhatsAppApi>, cipher: Cipher) -> Self {
        Self { db, api, sandbox_api: None, cipher, rates: Mutex::new(HashMap::new()), pacing: true }
    }

    /// The database the worker claims jobs from.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Turns the per-number rate limit off (benchmarks of the pipeline's own capacity).
    pub fn without_pacing(mut self) -> Self {
        self.pacing = false;
        self
    }

    /// Sends on sandbox numbers through `api` (the simulator) instead.
    pub fn with_sandbox(mut self, api: Arc<dyn WhatsAppApi>) -> Self {
        self.sandbox_api = Some(api);
        self
    }

    fn api_for(&self, is_sandbox: bool) -> &dyn WhatsAppApi {
        match (&self.sandbox_api, is_sandbox) {
            (Some(sandbox), true) => sandbox.as_ref(),
            _ => self.api.as_ref(),
        }
    }

    /// The current rate of a number in this process (messages per second).
    pub async fn rate_of(&self, number: &NumberId) -> Option<f64> {
        self.rates.lock().await.get(number.as_str()).map(AdaptiveRate::rate)
    }

    /// Claims and runs one due job. `None` when nothing is due.
    pub async fn run_due(&self, now: i64) -> Result<Option<Outcome>> {
        Ok(self.run_batch(now, 1).await?.into_iter().next())
    }

    /// Claims up to `max` due jobs and runs them, returning one outcome per claimed job.
    /// The sends' Graph API calls go out concurrently and their database work is
    /// batched (one claim, one load, one in-flight mark, one commit for the accepted
    /// ones), which is what lets one worker keep up with a number at 1,000 msg/s.
    pub async fn run_batch(&self, now: i64, max: usize) -> Result<Vec<Outcome>> {
        let claimed = jobs::claim_many(&self.db, now, LEASE_MS, max).await?;
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut sends = Vec::new();
        let mut downloads = Vec::new();
        for job in claimed {
            match job.kind.as_str() {
                SEND_JOB => sends.push(job),
                DOWNLOAD_JOB => downloads.push(job),
                READ_JOB => outcomes.push(self.mark_read(&job, now).await?),
                other => {
                    jobs::fail(&self.db, &job.id, &format!("unknown job kind {other}"), now).await?;
                    outcomes.push(Outcome::Skipped);
                }
            }
        }
        // Downloads (up to 100 MB each) run beside the sends, not before them.
        let fetching = futures_util::future::join_all(
            downloads.iter().map(|job| super::media::download(&self.db, self.api.as_ref(), self.api_for(true), &self.cipher, job, now)),
        );
        let sending = async {
            if sends.is_empty() {
                Ok(Vec::new())
            } else {
                self.send_batch(sends, now).await
            }
        };
        let (fetched, sent) = futures_util::future::join(fetching, sending).await;
        outcomes.extend(sent?);
        for f in fetched {
            outcomes.push(match f? {
                super::media::DownloadOutcome::Stored => Outcome::Accepted,
                super::media::DownloadOutcome::Retrying { at, .. } => Outcome::Retrying { code: None, at },
                super::media::DownloadOutcome::Failed { .. } => Outcome::Failed { code: None },
            });
        }
        Ok(outcomes)
    }

    /// Runs every job due at `now`; returns what happened to each.
    pub async fn drain(&self, now: i64) -> Result<Vec<Outcome>> {
        let mut out = Vec::new();
        while let Some(o) = self.run_due(now).await? {
            out.push(o);
        }
        Ok(out)
    }

    /// The messages behind a batch of send jobs, with their numbers, by message id.
    async fn load_many(&self, message_ids: &[String]) -> Result<HashMap<String, Pending>> {
        let sql = format!(
            "SELECT m.id, m.number_id, m.org_id, m.status, m.wa_message_id, m.in_flight_since, m.send_payload, m.send_attempts, \
             n.phone_number_id, n.active, n.is_sandbox, n.send_rate_milli, n.rate_day, n.access_token_enc, o.time_zone \
             FROM messages m JOIN wa_numbers n ON n.id = m.number_id JOIN orgs o ON o.id = m.org_id WHERE m.id IN ({})",
            crate::db::placeholders(1, message_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in message_ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let m = Pending {
                    id: r.get("id"),
                    number_id: r.get("number_id"),
                    org_id: r.get("org_id"),
                    status: r.get("status"),
                    wa_message_id: r.get("wa_message_id"),
                    in_flight_since: r.get("in_flight_since"),
                    payload: r.get("send_payload"),
                    attempts: r.get("send_attempts"),
                    phone_number_id: r.get("phone_number_id"),
                    active: r.get::<i64, _>("active") != 0,
                    is_sandbox: r.get::<i64, _>("is_sandbox") != 0,
                    time_zone: r.get("time_zone"),
                    rate_milli: r.get("send_rate_milli"),
                    rate_day: r.get("rate_day"),
                    token_enc: r.get("access_token_enc"),
                };
                (m.id.clone(), m)
            })
            .collect())
    }

    async fn fail_message(&self, id: &str, code: Option<i64>, title: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET status = 'failed', error_code = $1, error_title = $2, in_flight_since = NULL, status_updated_at = $3 WHERE id = $4 AND status = 'pending'")
            .bind(code)
            .bind(title)
            .bind(crate::clock::now_ms())
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Runs `f` on the number's rate controller (loaded from storage, rolled to today),
    /// and stores the rate when it changed.
    async fn with_rate<T>(&self, m: &Pending, now: i64, f: impl FnOnce(&mut AdaptiveRate) -> T) -> Result<T> {
        let today = local_day(now, &m.time_zone);
        let mut rates = self.rates.lock().await;
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
                .execute(self.db.pool())
                .await?;
        }
        Ok(out)
    }

    async fn retry_or_fail(&self, job: &jobs::Job, m: &Pending, code: Option<i64>, title: &str, now: i64) -> Result<Outcome> {
        // `attempts` counts the send that just failed.
        let failures = m.attempts + 1;
        if let Some(delay) = BACKOFF_MS.get((failures - 1) as usize) {
            let at = now + delay;
            jobs::reschedule(&self.db, &job.id, at, Some(title), now).await?;
            Ok(Outcome::Retrying { code, at })
        } else {
            self.fail_message(&m.id, code, title).await?;
            jobs::complete(&self.db, &job.id, now).await?;
            Ok(Outcome::Failed { code })
        }
    }

    /// Sends a read receipt. Retried on retryable errors like a message; dropped otherwise
    /// (a missing blue tick is not worth an alarm).
    async fn mark_read(&self, job: &jobs::Job, now: i64) -> Result<Outcome> {
        let number = NumberId::from_string(job.payload.get("number_id").and_then(|v| v.as_str()).unwrap_or_default());
        let wamid = job.payload.get("wa_message_id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let row = sqlx::query("SELECT phone_number_id, active, is_sandbox FROM wa_numbers WHERE id = $1")
            .bind(number.as_str())
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row.filter(|r| r.get::<i64, _>("active") != 0) else {
            jobs::complete(&self.db, &job.id, now).await?;
            return Ok(Outcome::Skipped);
        };
        let token = super::numbers::access_token(&self.db, &self.cipher, &number).await?;
        let body = serde_json::json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        match self.api_for(row.get::<i64, _>("is_sandbox") != 0).send_message(&token, &row.get::<String, _>("phone_number_id"), &body).await {
            Ok(_) => {
                jobs::complete(&self.db, &job.id, now).await?;
                Ok(Outcome::Accepted)
            }
            Err(e) => {
                let code = e.code();
                let retryable = matches!(e, GraphError::Unreachable(_) | GraphError::Transport(_)) || code.is_some_and(|c| RETRYABLE.contains(&c));
                match BACKOFF_MS.get((job.attempts - 1).max(0) as usize).filter(|_| retryable) {
                    Some(delay) => {
                        jobs::reschedule(&self.db, &job.id, now + delay, Some(&e.to_string()), now).await?;
                        Ok(Outcome::Retrying { code, at: now + delay })
                    }
                    None => {
                        jobs::fail(&self.db, &job.id, &e.to_string(), now).await?;
                        Ok(Outcome::Failed { code })
                    }
                }
            }
        }
    }

    /// What a send job needs before its Graph API call, or its outcome when it needs no
    /// call at all (already sent, awaiting reconciliation, number disconnected).
    async fn preflight(&self, job: &jobs::Job, m: &Pending, now: i64) -> Result<Option<Outcome>> {
        if m.status != "pending" || m.wa_message_id.is_some() {
            jobs::complete(&self.db, &job.id, now).await?;
            return Ok(Some(Outcome::Skipped));
        }
        if let Some(since) = m.in_flight_since {
            // A previous worker sent and never heard back: never send again.
            let deadline = since + RECONCILE_AFTER_MS;
            if now >= deadline {
                self.fail_message(
                    &m.id,
                    None,
                    "The send's outcome is unknown (the server stopped mid-send) and no status arrived; not resent, to avoid a duplicate.",
                )
                .await?;
                jobs::complete(&self.db, &job.id, now).await?;
                return Ok(Some(Outcome::Failed { code: None }));
            }
            jobs::reschedule(&self.db, &job.id, deadline, Some("awaiting a status webhook"), now).await?;
            return Ok(Some(Outcome::AwaitingReconciliation { at: deadline }));
        }
        if !m.active {
            self.fail_message(&m.id, None, "WA_006: the number is not connected; replace its access token.").await?;
            jobs::complete(&self.db, &job.id, now).await?;
            return Ok(Some(Outcome::Failed { code: None }));
        }
        Ok(None)
    }

    /// Marks messages in flight (committed before any call leaves); returns those marked.
    /// A message another worker marked or finished meanwhile is not returned.
    async fn mark_in_flight(&self, ids: &[&str], now: i64) -> Result<HashSet<String>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "UPDATE messages SET in_flight_since = $1 WHERE id IN ({}) AND in_flight_since IS NULL AND wa_message_id IS NULL AND status = 'pending' RETURNING id",
            crate::db::placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(now);
        for id in ids {
            q = q.bind(id.to_string());
        }
        Ok(q.fetch_all(self.db.pool()).await?.into_iter().map(|r| r.get::<String, _>("id")).collect())
    }

    async fn send_batch(&self, batch: Vec<jobs::Job>, now: i64) -> Result<Vec<Outcome>> {
        let message_ids: Vec<String> = batch.iter().map(|j| j.payload.get("message_id").and_then(|v| v.as_str()).unwrap_or_default().to_owned()).collect();
        let mut loaded = self.load_many(&message_ids).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut ready: Vec<(jobs::Job, Pending, String)> = Vec::new();
        let mut paced: Vec<(String, i64)> = Vec::new();
        for (job, message_id) in batch.into_iter().zip(message_ids) {
            let Some(m) = loaded.remove(&message_id) else {
                jobs::complete(&self.db, &job.id, now).await?;
                outcomes.push(Outcome::Skipped);
                continue;
            };
            if let Some(outcome) = self.preflight(&job, &m, now).await? {
                outcomes.push(outcome);
                continue;
            }
            let token = match self.cipher.decrypt(&m.token_enc) {
                Ok(token) => token,
                Err(_) => {
                    // Only a changed MCE_ENCRYPTION_KEY does this; say so on the message.
                    self.fail_message(
                        &m.id,
                        None,
                        "WA_006: the number's access token cannot be decrypted (was MCE_ENCRYPTION_KEY changed?); replace the token.",
                    )
                    .await?;
                    jobs::complete(&self.db, &job.id, now).await?;
                    outcomes.push(Outcome::Failed { code: None });
                    continue;
                }
            };
            let pacing = self.pacing;
            match self.with_rate(&m, now, |r| if pacing { r.try_acquire(now) } else { Ok(()) }).await? {
                Ok(()) => ready.push((job, m, token)),
                // Pacing is not a failure: the job simply runs again when a token is due.
                Err(wait) => paced.push((job.id, now + wait)),
            }
        }
        if let Some(at) = paced.iter().map(|(_, at)| *at).max() {
            let ids: Vec<String> = paced.iter().map(|(id, _)| id.clone()).collect();
            jobs::reschedule_many(&self.db, &ids, at, now).await?;
            outcomes.extend(paced.iter().map(|_| Outcome::Paced { at }));
        }

        let marked = self.mark_in_flight(&ready.iter().map(|(_, m, _)| m.id.as_str()).collect::<Vec<_>>(), now).await?;
        let mut sending = Vec::with_capacity(ready.len());
        for (job, m, token) in ready {
            if marked.contains(&m.id) {
                sending.push((job, m, token));
            } else {
                jobs::complete(&self.db, &job.id, now).await?;
                outcomes.push(Outcome::Skipped);
            }
        }
        let calls = sending.iter().map(|(_, m, token)| async move {
            let body: serde_json::Value = serde_json::from_str(m.payload.as_deref().unwrap_or("{}")).unwrap_or_default();
            self.api_for(m.is_sandbox).send_message(token, &m.phone_number_id, &body).await
        });
        let results = futures_util::future::join_all(calls).await;

        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        for ((job, m, _), result) in sending.into_iter().zip(results) {
            match result {
                Ok(wamid) => accepted.push((job, m, wamid)),
                Err(e) => refused.push((job, m, e)),
            }
        }
        if !accepted.is_empty() {
            // One commit records every accepted send: the in-flight mark goes, the attempt
            // counts, the wamid is kept (unless a status webhook already recorded it), and
            // the job is done.
            let mut tx = self.db.pool().begin().await?;
            for (_, m, wamid) in &accepted {
                sqlx::query(
                    "UPDATE messages SET in_flight_since = NULL, send_attempts = send_attempts + 1, wa_message_id = COALESCE(wa_message_id, $1) WHERE id = $2",
                )
                .bind(wamid)
                .bind(&m.id)
                .execute(&mut *tx)
                .await?;
            }
            let sql = format!("DELETE FROM jobs WHERE id IN ({})", crate::db::placeholders(1, accepted.len()));
            let mut q = sqlx::query(&sql);
            for (job, _, _) in &accepted {
                q = q.bind(&job.id);
            }
            q.execute(&mut *tx).await?;
            tx.commit().await?;
            for (_, m, _) in &accepted {
                self.with_rate(m, now, |r| r.on_success(now)).await?;
                outcomes.push(Outcome::Accepted);
            }
        }
        for (job, m, error) in refused {
            outcomes.push(self.after_refusal(&job, &m, error, now).await?);
        }
        Ok(outcomes)
    }

    /// Records a send the Graph API did not accept, and decides what comes next.
    async fn after_refusal(&self, job: &jobs::Job, m: &Pending, error: GraphError, now: i64) -> Result<Outcome> {
        if let GraphError::Transport(reason) = &error {
            // The request left; whether Meta took it is unknown. Keep the in-flight mark.
            tracing::warn!(message_id = %m.id, %reason, "send outcome unknown; waiting for a status webhook");
            let at = now + RECONCILE_AFTER_MS;
            jobs::reschedule(&self.db, &job.id, at, Some(reason), now).await?;
            return Ok(Outcome::AwaitingReconciliation { at });
        }
        sqlx::query("UPDATE messages SET in_flight_since = NULL, send_attempts = send_attempts + 1 WHERE id = $1").bind(&m.id).execute(self.db.pool()).await?;
        let number = NumberId::from_string(m.number_id.clone());
        match error {
            GraphError::Unreachable(reason) => self.retry_or_fail(job, m, None, &format!("WhatsApp API unreachable: {reason}"), now).await,
            GraphError::Api { code, message, details, .. } => {
                let title = details.clone().unwrap_or(message.clone());
                match code {
                    190 => {
                        // Several sends of one batch may all meet the dead token: one notice.
                        if super::numbers::deactivate(&self.db, &number, "Meta rejected the access token (190)").await? {
                            // Released before the next query: SQLite has a single connection.
                            let mut conn = self.db.pool().acquire().await?;
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
                        self.fail_message(&m.id, Some(190), &title).await?;
                        jobs::complete(&self.db, &job.id, now).await?;
                        Ok(Outcome::Failed { code: Some(190) })
                    }
                    131056 => {
                        // Too fast to this one recipient: back off only this message, 4^n s.
                        if m.attempts + 1 >= PAIR_LIMIT_TRIES {
                            self.fail_message(&m.id, Some(code), &title).await?;
                            jobs::complete(&self.db, &job.id, now).await?;
                            return Ok(Outcome::Failed { code: Some(code) });
                        }
                        let at = now + 4_i64.pow(m.attempts.clamp(0, 5) as u32) * 1000;
                        jobs::reschedule(&self.db, &job.id, at, Some(&title), now).await?;
                        Ok(Outcome::Retrying { code: Some(code), at })
                    }
                    130429 => {
                        self.with_rate(m, now, |r| r.on_throttled(now)).await?;
                        self.retry_or_fail(job, m, Some(code), &title, now).await
                    }
                    c if RETRYABLE.contains(&c) => {
                        self.with_rate(m, now, |r| r.on_error(now)).await?;
                        self.retry_or_fail(job, m, Some(code), &title, now).await
                    }
                    _ => {
                        self.with_rate(m, now, |r| r.on_error(now)).await?;
                        self.fail_message(&m.id, Some(code), &title).await?;
                        jobs::complete(&self.db, &job.id, now).await?;
                        Ok(Outcome::Failed { code: Some(code) })
                    }
                }
            }
            GraphError::Transport(_) => unreachable!("handled above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_day;

    #[test]
    fn the_local_day_follows_the_org_time_zone() {
        // 2026-11-21 20:00 UTC is already the 22nd in Kolkata (+05:30).
        let t = 1_795_291_200_000;
        assert_eq!(local_day(t, "UTC"), "2026-11-21");
        assert_eq!(local_day(t, "Asia/Kolkata"), "2026-11-22");
        assert_eq!(local_day(t, "Not/AZone"), "2026-11-21");
    }
}
