//! Group commit for webhook bodies (issue 12): one writer task applies the bodies that
//! arrive together in one transaction, and each request is answered only after the
//! transaction holding its body has committed.
//!
//! Why: at a number's ceiling Meta sends thousands of webhooks a second. One transaction
//! per body costs a commit (an fsync on PostgreSQL) and, on SQLite, a turn on the one
//! write connection per body; batching pays that once per batch.
//!
//! How a batch runs: each body is applied inside its own savepoint, so a body that fails
//! is rolled back alone and the others go on; after the commit the failed ones are tried
//! again, each alone, and one that still fails is kept raw (`failed`) and answered 500 so
//! that Meta retries it. If the commit itself fails, every body of the batch is tried
//! alone. Nothing is answered 200 before the transaction holding it has committed.
//!
//! Back-pressure: the queue in front of the writer is bounded; past it a request is
//! refused at once ([`IngestError::Busy`], a 503 that Meta retries) instead of waiting
//! until Meta's timeout. [`WebhookWriter::backlog`] is what `/readyz` reports.

use super::ingest::{self, IngestReport};
use crate::error::Result;
use crate::Db;
use domain::whatsapp::webhook::WebhookPayload;
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Bodies that may wait for the writer; past this a request is refused (503).
    pub queue: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        Self { max_batch: 256, linger: Duration::from_millis(1), queue: 4096 }
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
    queue: mpsc::Sender<Pending>,
    in_flight: Arc<AtomicUsize>,
    faults: Arc<Faults>,
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
        let (queue, rx) = mpsc::channel(settings.queue.max(1));
        let writer = Self { queue, in_flight: Arc::default(), faults: Arc::default() };
        tokio::spawn(run(db, rx, settings, writer.in_flight.clone(), writer.faults.clone()));
        writer
    }

    /// Applies `payload` (with its raw body) in the next batch and answers once that batch
    /// has committed. [`IngestError::Busy`] at once when the queue is full.
    pub async fn apply(&self, raw: String, payload: WebhookPayload) -> std::result::Result<IngestReport, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Pending { raw, payload, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Busy,
            mpsc::error::TrySendError::Closed(_) => IngestError::Failed,
        })?;
        answer.await.unwrap_or(Err(IngestError::Failed))
    }

    /// Bodies waiting for the writer or in the batch it is writing.
    pub fn backlog(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity() + self.in_flight.load(Ordering::Relaxed)
    }

    /// The most bodies that may wait before requests are refused.
    pub fn capacity(&self) -> usize {
        self.queue.max_capacity()
    }

    /// The test hook (see [`Faults`]).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Pending>, settings: WriterSettings, in_flight: Arc<AtomicUsize>, faults: Arc<Faults>) {
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
        in_flight.store(batch.len(), Ordering::Relaxed);
        write_batch(&db, std::mem::take(&mut batch), &faults).await;
        in_flight.store(0, Ordering::Relaxed);
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

/// One batch: every body in a savepoint of one transaction, then the stragglers alone.
async fn write_batch(db: &Db, batch: Vec<Pending>, faults: &Faults) {
    let started = std::time::Instant::now();
    let size = batch.len();
    let mut applied: Vec<(Pending, IngestReport)> = Vec::with_capacity(size);
    let mut alone: Vec<Pending> = Vec::new();
    match db.pool().begin().await {
        Ok(mut tx) => {
            for p in batch {
                match apply_in_savepoint(&mut tx, &p).await {
                    Ok(report) => applied.push((p, report)),
                    Err(e) => {
                        tracing::warn!(error = %e.into_app_error().message, "a webhook body failed inside its batch; it is tried alone");
                        alone.push(p);
                    }
                }
            }
            match commit(tx, faults).await {
                Ok(()) => {
                    for (p, report) in applied {
                        let _ = p.reply.send(Ok(report));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e.into_app_error().message, bodies = size, "a webhook batch did not commit; each body is tried alone");
                    alone.extend(applied.into_iter().map(|(p, _)| p));
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "no transaction for a webhook batch; each body is tried alone");
            alone.extend(batch);
        }
    }
    let retried = alone.len();
    for p in alone {
        let answer = apply_alone(db, &p, faults).await;
        let _ = p.reply.send(answer);
    }
    tracing::debug!(bodies = size, retried, ms = started.elapsed().as_secs_f64() * 1000.0, "webhook batch written");
}

async fn apply_in_savepoint(tx: &mut sqlx::Transaction<'_, sqlx::Any>, p: &Pending) -> Result<IngestReport> {
    let mut savepoint = tx.begin().await?;
    match ingest::apply_in(&mut savepoint, &p.raw, &p.payload).await {
        Ok(report) => {
            savepoint.commit().await?;
            Ok(report)
        }
        Err(e) => {
            // Undo this body only; the batch goes on.
            savepoint.rollback().await?;
            Err(e)
        }
    }
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
