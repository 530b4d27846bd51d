//! Group commit for webhook bodies (issue 12): one writer task applies the bodies that
//! arrive together in one transaction, and each request is answered only after the
//! transaction holding its body has committed.
//!
//! Why: at a number's ceiling Meta sends thousands of webhooks a second. One transaction
//! per body costs a commit (an fsync on PostgreSQL) and, on SQLite, a turn on the one
//! write connection per body; batching pays that once per batch.
//!
//! How a batch runs: the bodies that carry only statuses (most of them at a campaign's
//! peak) are applied together in a few statements ([`super::status_batch`]); every other
//! body is applied inside its own savepoint, so a body that fails is rolled back alone and
//! the others go on; the raw bodies of what applied are kept in one insert. After the
//! commit the failed ones are tried again, each alone, and one that still fails is kept
//! raw (`failed`) and answered 500 so that Meta retries it. If the statuses fail together,
//! they are applied body by body in savepoints; if the commit itself fails, every body of
//! the batch is tried alone. Nothing is answered 200 before the transaction holding it
//! has committed.
//!
//! Back-pressure: the queue in front of the writer is bounded; past it a request is
//! refused at once ([`IngestError::Busy`], a 503 that Meta retries) instead of waiting
//! until Meta's timeout. [`WebhookWriter::backlog`] is what `/readyz` reports.

use super::ingest::{self, IngestReport, Routes};
use super::status_batch;
use crate::error::Result;
use crate::Db;
use domain::whatsapp::webhook::{MessagesValue, WebhookPayload};
use sqlx::Connection;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How the writer groups bodies.
#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// The most bodies in one transaction.
    pub max_batch: usize,
    /// How long the writer waits for more bodies once it holds one and the queue is
    /// empty: a little latency bought for fewer, larger transactions.
    pub linger: Duration,
    /// Bodies that may wait for the writers, all together; past this a request is
    /// refused (503). A few hundred milliseconds of Meta's peak: a body that would wait
    /// longer is better retried by Meta than answered late.
    pub queue: usize,
    /// Writer tasks on PostgreSQL, each with its own transaction; SQLite has one writer
    /// whatever this says. A body goes to the writer its key hashes to (the sender, or the
    /// status's message), so two writers rarely touch the same rows and never reorder
    /// one conversation's messages.
    pub writers: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        Self { max_batch: 256, linger: Duration::from_millis(1), queue: 1024, writers: 4 }
    }
}

/// Why a body was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestError {
    /// The queue is full: answer 503 at once (Meta retries later).
    Busy,
    /// Applying or committing failed, even alone: answer 500 (Meta retries). The raw body
    /// was kept when the database allowed it.
    Failed,
}

struct Pending {
    raw: String,
    payload: WebhookPayload,
    reply: oneshot::Sender<std::result::Result<IngestReport, IngestError>>,
}

/// The handle requests submit bodies through; cheap to clone. The writer task ends when
/// the last handle is dropped, after the bodies already queued.
#[derive(Clone)]
pub struct WebhookWriter {
    queues: Arc<[mpsc::Sender<Pending>]>,
    in_flight: Arc<AtomicUsize>,
    faults: Arc<Faults>,
    stats: Arc<WriterStats>,
}

/// Where the writer's time went, summed since it started: for the benchmark's note on
/// where a batch spends its time (issue 12) and for logs.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub bodies: AtomicU64,
    /// Bodies that were retried alone after their batch.
    pub retried: AtomicU64,
    /// Microseconds applying the status-only bodies together.
    pub statuses_us: AtomicU64,
    /// Microseconds applying the other bodies, each in its savepoint.
    pub others_us: AtomicU64,
    /// Microseconds keeping the raw bodies.
    pub raw_us: AtomicU64,
    /// Microseconds in BEGIN and COMMIT.
    pub commit_us: AtomicU64,
    /// Microseconds for bodies retried alone.
    pub alone_us: AtomicU64,
}

impl WriterStats {
    fn add(counter: &AtomicU64, since: std::time::Instant) {
        counter.fetch_add(since.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    /// One line: batches, mean batch size, and the mean time per batch of each phase.
    pub fn summary(&self) -> String {
        let batches = self.batches.load(Ordering::Relaxed).max(1) as f64;
        let per = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / batches / 1000.0;
        format!(
            "{} batches of {:.1} bodies on average; per batch: statuses together {:.2} ms, other bodies {:.2} ms, raw bodies {:.2} ms, begin+commit {:.2} ms, retried alone {:.2} ms ({} bodies)",
            self.batches.load(Ordering::Relaxed),
            self.bodies.load(Ordering::Relaxed) as f64 / batches,
            per(&self.statuses_us),
            per(&self.others_us),
            per(&self.raw_us),
            per(&self.commit_us),
            per(&self.alone_us),
            self.retried.load(Ordering::Relaxed),
        )
    }
}

/// A test hook: makes the next commits fail, to show that nothing of a failed commit is
/// answered 200. Always zero in production.
#[derive(Debug, Default)]
pub struct Faults {
    /// How many of the coming commits to replace by a rollback.
    pub failing_commits: AtomicUsize,
}

impl WebhookWriter {
    /// Starts the writer task over `db` (it needs a tokio runtime).
    pub fn spawn(db: Db, settings: WriterSettings) -> Self {
        let writers = if db.kind() == crate::DbKind::Sqlite { 1 } else { settings.writers.max(1) };
        let per_writer = settings.queue.div_ceil(writers).max(1);
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..writers).map(|_| mpsc::channel(per_writer)).unzip();
        let writer = Self { queues: senders.into(), in_flight: Arc::default(), faults: Arc::default(), stats: Arc::default() };
        for rx in receivers {
            let shared = Shared { faults: writer.faults.clone(), stats: writer.stats.clone() };
            tokio::spawn(run(db.clone(), rx, settings, writer.in_flight.clone(), shared));
        }
        writer
    }

    /// Applies `payload` (with its raw body) in the next batch and answers once that batch
    /// has committed. [`IngestError::Busy`] at once when the queue is full.
    pub async fn apply(&self, raw: String, payload: WebhookPayload) -> std::result::Result<IngestReport, IngestError> {
        let (reply, answer) = oneshot::channel();
        let queue = &self.queues[shard(&payload) as usize % self.queues.len()];
        queue.try_send(Pending { raw, payload, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Busy,
            mpsc::error::TrySendError::Closed(_) => IngestError::Failed,
        })?;
        answer.await.unwrap_or(Err(IngestError::Failed))
    }

    /// Bodies waiting for the writer or in the batch it is writing.
    pub fn backlog(&self) -> usize {
        self.queues.iter().map(|q| q.max_capacity() - q.capacity()).sum::<usize>() + self.in_flight.load(Ordering::Relaxed)
    }

    /// How many writer tasks there are (one on SQLite).
    pub fn writers(&self) -> usize {
        self.queues.len()
    }

    /// The most bodies that may wait before requests are refused.
    pub fn capacity(&self) -> usize {
        self.queues.iter().map(|q| q.max_capacity()).sum()
    }

    /// The test hook (see [`Faults`]).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Where the writer's time went.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }
}

/// Which writer a body goes to: a hash of its first sender or status's message, read
/// from the raw change values (no second parse), so one sender's messages and one
/// message's statuses are always written by the same writer, in arrival order.
fn shard(payload: &WebhookPayload) -> u64 {
    use std::hash::{Hash, Hasher};
    let key = payload.entry.iter().flat_map(|e| &e.changes).find_map(|c| {
        let v = &c.value;
        v["messages"][0]["from"].as_str().or_else(|| v["statuses"][0]["id"].as_str()).or_else(|| v["messages"][0]["from_user_id"].as_str())
    });
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.unwrap_or_default().hash(&mut h);
    h.finish()
}

/// What the writer task shares with the handles.
struct Shared {
    faults: Arc<Faults>,
    stats: Arc<WriterStats>,
}

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>, settings: WriterSettings, in_flight: Arc<AtomicUsize>, shared: Shared) {
    let max = settings.max_batch.max(1);
    let mut batch = Vec::with_capacity(max);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = tokio::time::Instant::now() + settings.linger;
        while batch.len() < max {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(mpsc::error::TryRecvError::Empty) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(p)) => batch.push(p),
                    _ => break,
                },
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            }
        }
        let size = batch.len();
        in_flight.fetch_add(size, Ordering::Relaxed);
        write_batch(&db, std::mem::take(&mut batch), &shared).await;
        in_flight.fetch_sub(size, Ordering::Relaxed);
    }
}

/// Commits `tx`, or rolls it back when the test hook says this commit fails.
async fn commit(tx: sqlx::Transaction<'_, sqlx::Any>, faults: &Faults) -> Result<()> {
    let fail = faults.failing_commits.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok();
    if fail {
        tx.rollback().await?;
        return Err(crate::error::ServiceError::app(domain::ErrorCode::Internal, "commit failed (injected)"));
    }
    tx.commit().await?;
    Ok(())
}

/// One batch in one transaction: the status-only bodies together
/// ([`status_batch`]), every other body in a savepoint of its own, the raw bodies in one
/// insert; then the stragglers alone.
async fn write_batch(db: &Db, batch: Vec<Pending>, shared: &Shared) {
    let (faults, stats) = (&*shared.faults, &*shared.stats);
    let started = std::time::Instant::now();
    let size = batch.len();
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.bodies.fetch_add(size as u64, Ordering::Relaxed);
    let statuses: Vec<Option<Vec<MessagesValue>>> = batch.iter().map(|p| status_batch::statuses_of(&p.payload)).collect();
    // First without savepoints (two statements a body saved): a body that fails is rare,
    // and then the batch is rolled back and applied again, each body in its savepoint.
    let mut reports = None;
    for careful in [false, true] {
        let phase = std::time::Instant::now();
        let mut tx = match db.pool().begin().await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!(error = %e, "no transaction for a webhook batch; each body is tried alone");
                break;
            }
        };
        WriterStats::add(&stats.commit_us, phase);
        let applied = match apply_all(&mut tx, &batch, &statuses, careful, stats).await {
            Ok(applied) => applied,
            Err(e) => {
                tracing::warn!(error = %e.into_app_error().message, "a body failed in its webhook batch; the batch is applied again body by body");
                continue;
            }
        };
        let phase = std::time::Instant::now();
        let bodies: Vec<&str> = batch.iter().zip(&applied).filter(|(_, r)| r.is_some()).map(|(p, _)| p.raw.as_str()).collect();
        let kept = ingest::record_applied_all_in(&mut tx, &bodies).await;
        WriterStats::add(&stats.raw_us, phase);
        let phase = std::time::Instant::now();
        let committed = match kept {
            Ok(()) => commit(tx, faults).await,
            Err(e) => Err(e),
        };
        WriterStats::add(&stats.commit_us, phase);
        match committed {
            Ok(()) => reports = Some(applied),
            Err(e) => tracing::warn!(error = %e.into_app_error().message, bodies = size, "a webhook batch did not commit; each body is tried alone"),
        }
        break;
    }
    let reports = reports.unwrap_or_else(|| vec![None; size]);
    let mut alone = Vec::new();
    for (p, report) in batch.into_iter().zip(reports) {
        match report {
            Some(report) => {
                let _ = p.reply.send(Ok(report));
            }
            None => alone.push(p),
        }
    }
    let retried = alone.len();
    retry_alone(db, alone, faults, stats).await;
    tracing::debug!(bodies = size, retried, ms = started.elapsed().as_secs_f64() * 1000.0, "webhook batch written");
}

/// Applies `batch` inside `tx`: a report per body, `None` for a body left to try alone
/// after the commit. Not `careful`: any failure fails the whole (the caller starts over
/// carefully). `careful`: the statuses together in a savepoint (body by body if that
/// fails), every other body in a savepoint of its own.
async fn apply_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    batch: &[Pending],
    statuses: &[Option<Vec<MessagesValue>>],
    careful: bool,
    stats: &WriterStats,
) -> Result<Vec<Option<IngestReport>>> {
    let mut routes = Routes::default();
    let mut reports: Vec<Option<IngestReport>> = vec![None; batch.len()];
    let grouped: Vec<usize> = (0..batch.len()).filter(|i| statuses[*i].is_some()).collect();
    let mut single: Vec<usize> = (0..batch.len()).filter(|i| statuses[*i].is_none()).collect();
    let phase = std::time::Instant::now();
    if !grouped.is_empty() {
        let values: Vec<&[MessagesValue]> = grouped.iter().map(|i| statuses[*i].as_deref().unwrap_or_default()).collect();
        let together = if careful {
            let mut savepoint = tx.begin().await?;
            let r = status_batch::apply_in(&mut savepoint, &values, &mut routes).await;
            settle(savepoint, r).await
        } else {
            status_batch::apply_in(tx, &values, &mut routes).await
        };
        match together {
            Ok(r) => {
                for (i, report) in grouped.iter().zip(r) {
                    reports[*i] = Some(report);
                }
            }
            Err(e) if careful => {
                tracing::warn!(error = %e.into_app_error().message, "a webhook batch's statuses failed together; each body is applied on its own");
                single.extend(grouped);
                single.sort_unstable();
            }
            Err(e) => return Err(e),
        }
    }
    WriterStats::add(&stats.statuses_us, phase);
    let phase = std::time::Instant::now();
    for i in single {
        let payload = &batch[i].payload;
        let applied = if careful {
            let mut savepoint = tx.begin().await?;
            let r = ingest::apply_changes_in(&mut savepoint, payload, &mut routes).await;
            settle(savepoint, r).await
        } else {
            ingest::apply_changes_in(tx, payload, &mut routes).await
        };
        match applied {
            Ok(report) => reports[i] = Some(report),
            Err(e) if careful => tracing::warn!(error = %e.into_app_error().message, "a webhook body failed inside its batch; it is tried alone"),
            Err(e) => return Err(e),
        }
    }
    WriterStats::add(&stats.others_us, phase);
    Ok(reports)
}

/// Ends a savepoint after its work: kept when the work succeeded, undone alone when not.
async fn settle<T>(savepoint: sqlx::Transaction<'_, sqlx::Any>, work: Result<T>) -> Result<T> {
    match work {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

/// Each body in a transaction of its own, answered as it ends.
async fn retry_alone(db: &Db, bodies: Vec<Pending>, faults: &Faults, stats: &WriterStats) {
    let phase = std::time::Instant::now();
    stats.retried.fetch_add(bodies.len() as u64, Ordering::Relaxed);
    for p in bodies {
        let answer = apply_alone(db, &p, faults).await;
        let _ = p.reply.send(answer);
    }
    WriterStats::add(&stats.alone_us, phase);
}

async fn apply_alone(db: &Db, p: &Pending, faults: &Faults) -> std::result::Result<IngestReport, IngestError> {
    let attempt = async {
        let mut tx = db.pool().begin().await?;
        let report = ingest::apply_in(&mut tx, &p.raw, &p.payload).await?;
        commit(tx, faults).await?;
        Ok::<IngestReport, crate::error::ServiceError>(report)
    };
    match attempt.await {
        Ok(report) => Ok(report),
        Err(e) => {
            let reason = e.into_app_error().message;
            tracing::error!(error = %reason, "a webhook body could not be applied; raw body kept, Meta will retry");
            if let Err(e) = ingest::record_failed(db, &p.raw, &reason).await {
                tracing::error!(error = %e.into_app_error().message, "the failed webhook body could not be kept either");
            }
            Err(IngestError::Failed)
        }
    }
}
