//! What a job is ([`Job`]: a kind name, a serialisable payload and a `run`), what a run
//! decides ([`Step`]), and the context every run gets ([`JobContext`]). The machinery
//! (queue, registry, runner) and every kind build on this file; it knows no kind.

use crate::contacts::sheets_api::SheetsClient;
use crate::error::Result;
use crate::secrets::Cipher;
use crate::whatsapp::graph::WhatsAppApi;
use crate::whatsapp::pacing::SendState;
use crate::Db;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::sync::Notify;

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
    pub sheets: SheetsClient,
    /// Each number's adaptive send rate in this process.
    pub send: Arc<SendState>,
    /// How long raw webhook bodies are kept (the prune job).
    pub webhook_retention_ms: i64,
    /// The absolute lifetime of a session (`MCE_SESSION_MAX_HOURS`; the prune job).
    pub session_max_age_ms: i64,
    /// Turns true on shutdown: long jobs (imports) yield at their next safe point.
    pub stop: watch::Receiver<bool>,
    /// The runner's loops listen here; a job that queues another kind's work rings it.
    pub wakeups: Arc<Wakeups>,
}

impl JobContext {
    /// A context over `db` sending through `graph` (also used for sandbox numbers until
    /// [`JobContext::with_sandbox`]), with the system clock, the default Sheets API and
    /// published sheets at public addresses only.
    pub fn new(db: Db, graph: Arc<dyn WhatsAppApi>, cipher: Cipher) -> Self {
        Self {
            db,
            sandbox_graph: graph.clone(),
            graph,
            cipher,
            clock: Clock::system(),
            events: crate::events::Hub::new(1024),
            sheets: SheetsClient::new(
                crate::contacts::sheets_api::DEFAULT_API_BASE,
                crate::net::SafeClient::new(crate::net::FetchPolicy::public_only()).expect("an HTTP client"),
            )
            .expect("a valid built-in URL"),
            send: Arc::new(SendState::default()),
            webhook_retention_ms: 90 * 24 * 3600 * 1000,
            session_max_age_ms: crate::session_store::DEFAULT_MAX_AGE_MS,
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

/// Wakes the idle loops of one kind when work for it was committed, so it starts at
/// once instead of at the loop's next look (up to a second later). Whoever queues work
/// that should start now rings the kind after committing: the web handlers after a
/// reply or a webhook, a job after queueing another kind's work. Ringing only the kind
/// concerned keeps a webhook from making every loop probe the queue.
#[derive(Default)]
pub struct Wakeups {
    kinds: std::sync::Mutex<std::collections::HashMap<&'static str, Arc<Notify>>>,
}

impl Wakeups {
    /// Wakes one idle loop of `J`'s kind (or the next to go idle).
    pub fn wake<J: Job>(&self) {
        self.bell(J::KIND).notify_one();
    }

    /// Wakes one idle loop of `kind` (an admin's retry names the kind).
    pub fn wake_kind(&self, kind: &str) {
        let bell = self.kinds.lock().unwrap_or_else(|p| p.into_inner()).get(kind).cloned();
        if let Some(bell) = bell {
            bell.notify_one();
        }
    }

    pub(crate) fn bell(&self, kind: &'static str) -> Arc<Notify> {
        self.kinds.lock().unwrap_or_else(|p| p.into_inner()).entry(kind).or_default().clone()
    }
}
