//! The one job runner: for each registered kind, `concurrency` loops that claim due jobs
//! (fairly between orgs), run them, and settle what each run decided.
//!
//! A run that returns an error, or panics, is retried with [`backoff_ms`] until the
//! kind's `max_attempts`, then kept dead with its last error; a panic never ends a loop.
//! On shutdown each loop finishes the batch it is in and stops; long jobs see
//! [`JobContext::stopping`] and yield.

use super::job::{Done, JobContext, Step};
use super::queue::{self, Cursor};
use super::registry::{backoff_ms, AnyKind, KindConfig, Registry};
use crate::error::Result;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

/// How often a loop looks for jobs whose runner died (their lease expired).
const REQUEUE_EVERY_MS: i64 = 1_000;

/// One job that ran: its id and kind, what the runner did next, and the kind's report.
pub struct Ran {
    pub id: String,
    pub kind: &'static str,
    pub step: Step,
    pub report: Option<Box<dyn Any + Send>>,
}

impl Ran {
    /// The kind-specific report, when it is a `T`.
    pub fn report<T: Clone + 'static>(&self) -> Option<T> {
        self.report.as_ref().and_then(|r| r.downcast_ref::<T>()).cloned()
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ran").field("id", &self.id).field("kind", &self.kind).field("step", &self.step).finish()
    }
}

/// Runs the registered kinds' jobs.
pub struct Runner {
    ctx: Arc<JobContext>,
    registry: Registry,
}

impl Runner {
    /// A runner of `registry`'s kinds with `ctx` (its loops listen on `ctx.wakeups`).
    pub fn new(ctx: JobContext, registry: Registry) -> Self {
        Self { ctx: Arc::new(ctx), registry }
    }

    /// The context jobs run with.
    pub fn context(&self) -> &JobContext {
        &self.ctx
    }

    /// The registered kinds.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// One round of `kind` at `now`: requeue expired leases, claim a batch, run it (a
    /// panic is caught), settle. Returns what ran; empty when nothing was due.
    pub async fn run_round(&self, kind: &str, cursor: &mut Cursor, now: i64, max: Option<usize>) -> Result<Vec<Ran>> {
        let Some((name, (config, handler))) = self.registry.kinds.get_key_value(kind).map(|(k, v)| (*k, v.clone())) else {
            return Ok(Vec::new());
        };
        let claimed = queue::claim(&self.ctx.db, name, cursor, now, config.lease_ms, max.unwrap_or(config.batch)).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let attempts: Vec<(String, i64)> = claimed.iter().map(|c| (c.id.clone(), c.attempts)).collect();
        let results = run_caught(self.ctx.clone(), handler, claimed, now).await;
        let mut ran = Vec::with_capacity(attempts.len());
        match results {
            Ok(results) => {
                let mut by_id: std::collections::HashMap<String, Result<Done>> = results.into_iter().collect();
                for (id, attempt) in attempts {
                    let (step, report) = match by_id.remove(&id) {
                        Some(Ok(done)) => (done.step, done.report),
                        Some(Err(e)) => {
                            let error = match e {
                                crate::ServiceError::App(e) => e.message,
                                crate::ServiceError::Unexpected(e) => format!("{e:#}"),
                            };
                            (after_failure(name, &config, &id, attempt, error, now), None)
                        }
                        None => (after_failure(name, &config, &id, attempt, "the job's run returned no result".into(), now), None),
                    };
                    ran.push(Ran { id, kind: name, step, report });
                }
            }
            Err(panic) => {
                for (id, attempt) in attempts {
                    let step = after_failure(name, &config, &id, attempt, format!("the job panicked: {panic}"), now);
                    ran.push(Ran { id, kind: name, step, report: None });
                }
            }
        }
        let steps: Vec<(String, Step)> = ran.iter().map(|r| (r.id.clone(), r.step.clone())).collect();
        queue::settle(&self.ctx.db, &steps, now).await?;
        Ok(ran)
    }

    /// Runs the one job of `kinds` (all kinds when empty) that is due first at `now`,
    /// as a single queue would order them. `None` when nothing is due. Tests and
    /// benchmarks use it (and [`Runner::drain`]) instead of sleeping.
    pub async fn drain_one(&self, kinds: &[&str], now: i64) -> Result<Option<Ran>> {
        let kinds: Vec<&'static str> = self.registry.kinds().filter(|k| kinds.is_empty() || kinds.contains(k)).collect();
        let mut next: Option<(i64, &'static str)> = None;
        for kind in &kinds {
            queue::requeue_expired(&self.ctx.db, kind, now).await?;
            if let Some(at) = queue::next_due(&self.ctx.db, kind).await?.filter(|at| *at <= now) {
                if next.is_none_or(|(best, _)| at < best) {
                    next = Some((at, kind));
                }
            }
        }
        let Some((_, kind)) = next else { return Ok(None) };
        // The fair rotation may look at orgs without due jobs first: go round until the
        // due job is reached.
        let mut cursor = Cursor::default();
        for _ in 0..64 {
            if let Some(ran) = self.run_round(kind, &mut cursor, now, Some(1)).await?.into_iter().next() {
                return Ok(Some(ran));
            }
        }
        Ok(None)
    }

    /// Runs every job of `kinds` (all kinds when empty) that is due at `now`, one at a
    /// time, until none is due; returns what ran, in order.
    pub async fn drain(&self, kinds: &[&str], now: i64) -> Result<Vec<Ran>> {
        let mut out = Vec::new();
        while let Some(ran) = self.drain_one(kinds, now).await? {
            out.push(ran);
        }
        Ok(out)
    }

    /// Starts `concurrency` loops per kind; the handle ends when they all have, after
    /// the context's stop signal turned true and each finished its batch.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        let mut loops = Vec::new();
        for (kind, (config, _)) in &self.registry.kinds {
            for _ in 0..config.concurrency.max(1) {
                loops.push(tokio::spawn(self.clone().kind_loop(kind)));
            }
        }
        tokio::spawn(async move {
            for l in loops {
                let _ = l.await;
            }
            tracing::info!("job runner stopped");
        })
    }

    async fn kind_loop(self: Arc<Self>, kind: &'static str) {
        let mut stop = self.ctx.stop.clone();
        let bell = self.ctx.wakeups.bell(kind);
        let batch = self.registry.kinds.get(kind).map(|(c, _)| c.batch).unwrap_or(1);
        let mut cursor = Cursor::default();
        let mut requeued_at: Option<i64> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            let now = self.ctx.clock.now();
            if requeued_at.is_none_or(|at| now - at >= REQUEUE_EVERY_MS) {
                requeued_at = Some(now);
                if let Err(e) = queue::requeue_expired(&self.ctx.db, kind, now).await {
                    tracing::warn!(kind, error = %e.into_app_error().message, "requeueing expired jobs failed");
                }
            }
            match self.run_round(kind, &mut cursor, now, None).await {
                Ok(ran) if !ran.is_empty() => {
                    tracing::debug!(kind, jobs = ran.len(), "batch done");
                    if ran.len() >= batch {
                        // A full batch: there may be more, so an idle sibling joins in.
                        bell.notify_one();
                    }
                    continue;
                }
                Ok(_) => {
                    let next = queue::next_due(&self.ctx.db, kind).await.ok().flatten();
                    let ms = next.map(|t| (t - self.ctx.clock.now()).clamp(5, 1000)).unwrap_or(1000) as u64;
                    tokio::select! {
                        _ = bell.notified() => {}
                        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(kind, error = %e.into_app_error().message, "job round failed");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }
}

/// Runs a batch on its own task, so a panic in it is caught here instead of ending the loop.
async fn run_caught(
    ctx: Arc<JobContext>,
    handler: Arc<dyn AnyKind>,
    claimed: Vec<queue::Claimed>,
    now: i64,
) -> std::result::Result<Vec<(String, Result<Done>)>, String> {
    match tokio::spawn(async move { handler.run_batch(&ctx, claimed, now).await }).await {
        Ok(results) => Ok(results),
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let message = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
            Err(message)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A run failed: retry with backoff, or give up after the kind's attempts.
fn after_failure(kind: &str, config: &KindConfig, id: &str, attempt: i64, error: String, now: i64) -> Step {
    if attempt >= config.max_attempts {
        tracing::warn!(kind, job_id = id, attempt, %error, "job failed for good; kept as dead");
        Step::Dead { error }
    } else {
        tracing::warn!(kind, job_id = id, attempt, %error, "job failed; retrying");
        Step::Retry { at: now + backoff_ms(attempt), error }
    }
}
