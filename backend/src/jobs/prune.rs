//! `prune`: the periodic upkeep — expired sessions, old sign-in attempts, accounts left
//! unverified for 7 days and used or expired account links, read
//! notifications, the event log and raw webhook bodies past their retention. It
//! reschedules itself every [`EVERY_MS`].

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::error::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How often the upkeep runs.
pub const EVERY_MS: i64 = 15 * 60_000;

/// The upkeep (one system job, kept by its dedupe key).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Prune {}

/// The dedupe key that keeps one prune job in the queue.
pub const DEDUPE_KEY: &str = "periodic:prune";

/// Queues the upkeep unless it is queued already (at start-up).
pub async fn ensure(db: &crate::Db, now: i64) -> Result<()> {
    super::ensure_system(db, &Prune {}, DEDUPE_KEY, now).await
}

#[async_trait]
impl Job for Prune {
    const KIND: &'static str = "prune";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let db = &ctx.db;
        // Each part is independent: one failing does not keep the others from running.
        let mut failures = Vec::new();
        if let Err(e) = crate::session_store::DbSessionStore::new(db.clone()).with_max_age_ms(ctx.session_max_age_ms).delete_expired().await {
            failures.push(format!("sessions: {e}"));
        }
        if let Err(e) = crate::auth::prune_login_attempts(db, 24 * 3600 * 1000).await {
            failures.push(format!("sign-in attempts: {}", e.into_app_error().message));
        }
        if let Err(e) = crate::accounts::prune(db, attempt.now).await {
            failures.push(format!("unverified accounts: {}", e.into_app_error().message));
        }
        if let Err(e) = crate::rate_limit::prune(db).await {
            failures.push(format!("rate limits: {}", e.into_app_error().message));
        }
        if let Err(e) = crate::notifications::prune(db).await {
            failures.push(format!("notifications: {}", e.into_app_error().message));
        }
        if let Err(e) = crate::events::prune(db, crate::events::RETENTION_MS).await {
            failures.push(format!("event log: {}", e.into_app_error().message));
        }
        if let Err(e) = crate::whatsapp::ingest::prune_raw(db, ctx.webhook_retention_ms).await {
            failures.push(format!("raw webhooks: {}", e.into_app_error().message));
        }
        if !failures.is_empty() {
            tracing::warn!(failures = %failures.join("; "), "upkeep partly failed");
        }
        Ok(Done::step(Step::Again { at: attempt.now + EVERY_MS }))
    }
}
