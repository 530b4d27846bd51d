//! Durable background work (ARCHITECTURE.md "Background jobs"; shaped like crates.io's worker).
//!
//! A job is a type with a kind name and a serialisable payload ([`Job`]); its `run` says
//! what happens next ([`Step`]): done, run again later, retry after a failure, or give
//! up (dead, kept for an admin). Jobs are enqueued in the transaction of the change that
//! needs them ([`enqueue_in`]), so a committed change always has its job.
//!
//! - [`queue`]: the SQL — enqueue, the fair claim with a lease, settling steps, stats.
//! - [`registry`]: which kinds exist and how each runs (concurrency, batch, lease).
//! - [`runner`]: the one loop per kind that claims, runs (panics caught) and settles.
//! - one file per kind: [`send_message`], [`mark_read`], [`download_media`],
//!   [`handle_inbound`], [`run_import`], [`poll_sheet`], [`prune`].
//!
//! A new job kind is a new file here with a `Job` impl, registered in
//! [`registry::Registry::standard`].

pub mod admin;
pub mod download_media;
pub mod handle_inbound;
pub mod mark_read;
pub mod poll_sheet;
pub mod prune;
pub mod queue;
pub mod registry;
pub mod run_import;
pub mod runner;
pub mod send_message;

use crate::error::Result;
use crate::secrets::Cipher;
use crate::whatsapp::graph::WhatsAppApi;
use crate::Db;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::sync::Arc;
use tokio::sync::watch;

pub use queue::{enqueue_in, Claimed, KindStats};
pub use registry::{KindConfig, Registry};
pub use runner::{Ran, Runner, Wakeups};

/// What the runner does with a job after it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Finished: the job row is deleted (the domain rows carry the outcome).
    Done,
    /// Not a failure: run it again at `at` (a periodic job's next turn, a paced send,
    /// an import that yields between batches). Its attempt count starts again.
    Again { at: i64 },
    /// This attempt failed: try again at `at`, keeping `error` as its last error.
    Retry { at: i64, error: String },
    /// Give up: the job stays, `dead`, with `error`, until an admin retries it.
    Dead { error: String },
}

/// What a job run returns: the next step, and optionally a kind-specific report for
/// tests and benchmarks (the WhatsApp kinds report a `send_message::Outcome`).
pub struct Done {
    pub step: Step,
    pub report: Option<Box<dyn Any + Send>>,
}

impl Done {
    /// A step without a report.
    pub fn step(step: Step) -> Self {
        Self { step, report: None }
    }

    /// A step with a report.
    pub fn with<R: Any + Send>(step: Step, report: R) -> Self {
        Self { step, report: Some(Box::new(report)) }
    }
}

impl From<Step> for Done {
    fn from(step: Step) -> Self {
        Done::step(step)
    }
}

/// Facts about the claim a job runs under.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The job's row id.
    pub id: String,
    /// How many times it has been claimed, this time included.
    pub number: i64,
    /// The instant the runner runs it at (tests drive it with a controlled clock).
    pub now: i64,
}

/// A kind of background work. The payload is the type itself, stored as JSON.
#[async_trait]
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind's name in the `jobs` table. Never rename one: queued rows carry it.
    const KIND: &'static str;

    /// Runs the job once.
    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done>;

    /// Runs several claimed jobs of this kind. By default they run concurrently; a kind
    /// whose jobs share work (the send job's one claim, one load, one commit) overrides it.
    async fn run_batch(jobs: Vec<(Self, Attempt)>, ctx: &JobContext) -> Vec<Result<Done>> {
        futures_util::future::join_all(jobs.into_iter().map(|(job, attempt)| async move { job.run(ctx, &attempt).await })).await
    }
}

/// The current time in epoch milliseconds, injectable so tests control it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(crate::clock::now_ms))
    }

    /// Now.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

/// Everything a job may need, built once and shared by every job run (instead of long
/// argument lists): the database, the Graph API clients, the cipher for stored secrets,
/// the clock, the event hub, the Sheets client, the send rate state, the stop signal and
/// the loops' wake-ups.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    /// The Graph API for real numbers.
    pub graph: Arc<dyn WhatsAppApi>,
    /// The Graph API for sandbox numbers: the same client pointed at the simulator.
    pub sandbox_graph: Arc<dyn WhatsAppApi>,
    pub cipher: Cipher,
    pub clock: Clock,
    pub events: Arc<crate::events::Hub>,
    pub sheets: crate::contacts::sheets::SheetsClient,
    /// Each number's adaptive send rate in this process.
    pub send: Arc<send_message::SendState>,
    /// How long raw webhook bodies are kept (the prune job).
    pub webhook_retention_ms: i64,
    /// Turns true on shutdown: long jobs (imports) yield at their next safe point.
    pub stop: watch::Receiver<bool>,
    /// The runner's loops listen here; a job that queues another kind's work rings it.
    pub wakeups: Arc<Wakeups>,
}

impl JobContext {
    /// A context over `db` sending through `graph` (also used for sandbox numbers until
    /// [`JobContext::with_sandbox`]), with the system clock and the default Sheets API.
    pub fn new(db: Db, graph: Arc<dyn WhatsAppApi>, cipher: Cipher) -> Self {
        Self {
            db,
            sandbox_graph: graph.clone(),
            graph,
            cipher,
            clock: Clock::system(),
            events: crate::events::Hub::new(1024),
            sheets: crate::contacts::sheets::SheetsClient::new("https://sheets.googleapis.com").expect("a valid built-in URL"),
            send: Arc::new(send_message::SendState::default()),
            webhook_retention_ms: 90 * 24 * 3600 * 1000,
            stop: watch::channel(false).1,
            wakeups: Arc::new(Wakeups::default()),
        }
    }

    /// Sends on sandbox numbers through `api` (the simulator).
    pub fn with_sandbox(mut self, api: Arc<dyn WhatsAppApi>) -> Self {
        self.sandbox_graph = api;
        self
    }

    /// The Graph API for a number.
    pub fn graph_for(&self, is_sandbox: bool) -> &dyn WhatsAppApi {
        if is_sandbox {
            self.sandbox_graph.as_ref()
        } else {
            self.graph.as_ref()
        }
    }

    /// True once shutdown has begun.
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

/// Queues `job` as a system job (no org) unless one with `dedupe_key` is queued already:
/// how a periodic job is put in the queue once.
pub async fn ensure_system<J: Job>(db: &Db, job: &J, dedupe_key: &str, now: i64) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    enqueue_in(&mut conn, job, None, now, Some(dedupe_key), now).await
}

/// Queues the periodic system jobs (upkeep, sheet polling) unless they are queued
/// already. Called at start-up, before the runner starts.
pub async fn ensure_periodic(db: &Db, now: i64) -> Result<()> {
    prune::ensure(db, now).await?;
    poll_sheet::ensure(db, now).await
}
