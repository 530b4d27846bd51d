//! What a send job reports, and a runner of the WhatsApp job kinds for tests and
//! benchmarks. The sending itself is the `send_message` job (`jobs::send_message`).

use crate::error::Result;
use crate::jobs::{JobContext, Runner};
use crate::secrets::Cipher;
use crate::whatsapp::graph::WhatsAppApi;
use crate::Db;
use domain::NumberId;
use std::sync::Arc;

pub use crate::jobs::send_message::{local_day, Outcome, LEASE_MS, PAIR_LIMIT_TRIES, RECONCILE_AFTER_MS};
pub use crate::whatsapp::graph::{BACKOFF_MS, RETRYABLE};

/// The job runner with only the WhatsApp kinds (sends, read receipts, media downloads),
/// driven by an explicit clock: tests and benchmarks run due jobs with it instead of
/// waiting for the background loops. The same runner code serves production.
pub struct Sender {
    runner: Runner,
}

impl Sender {
    /// A runner over `db`, sending through `api`.
    pub fn new(db: Db, api: Arc<dyn WhatsAppApi>, cipher: Cipher) -> Self {
        Self { runner: Runner::new(JobContext::new(db, api, cipher), crate::jobs::kinds::whatsapp(1)) }
    }

    /// The database jobs are claimed from.
    pub fn db(&self) -> &Db {
        &self.runner.context().db
    }

    /// Turns the per-number rate limit off (benchmarks of the pipeline's own capacity).
    pub fn without_pacing(self) -> Self {
        self.runner.context().send.set_pacing(false);
        self
    }

    /// Sends on sandbox numbers through `api` (the simulator) instead.
    pub fn with_sandbox(self, api: Arc<dyn WhatsAppApi>) -> Self {
        let ctx = self.runner.context().clone().with_sandbox(api);
        Self { runner: Runner::new(ctx, self.runner.registry().clone()) }
    }

    /// The current rate of a number in this process (messages per second).
    pub async fn rate_of(&self, number: &NumberId) -> Option<f64> {
        self.runner.context().send.rate_of(number).await
    }

    /// Claims and runs one due job. `None` when nothing is due.
    pub async fn run_due(&self, now: i64) -> Result<Option<Outcome>> {
        Ok(self.runner.drain_one(&[], now).await?.map(|r| outcome_of(&r)))
    }

    /// Claims up to `max` due sends and runs them as one batch (see `jobs::send_message`).
    pub async fn run_batch(&self, now: i64, max: usize) -> Result<Vec<Outcome>> {
        let mut cursor = Default::default();
        let ran = self.runner.run_round(<crate::whatsapp::outbound::SendMessage as crate::jobs::Job>::KIND, &mut cursor, now, Some(max)).await?;
        Ok(ran.iter().map(outcome_of).collect())
    }

    /// Runs every job due at `now`, one at a time; returns what happened to each.
    pub async fn drain(&self, now: i64) -> Result<Vec<Outcome>> {
        Ok(self.runner.drain(&[], now).await?.iter().map(outcome_of).collect())
    }
}

/// A job's outcome as the WhatsApp kinds report it; kinds without a report map their
/// step (done → accepted, retry → retrying, dead → failed).
fn outcome_of(r: &crate::jobs::Ran) -> Outcome {
    use crate::jobs::Step;
    r.report::<Outcome>().unwrap_or(match &r.step {
        Step::Done => Outcome::Accepted,
        Step::Again { at } => Outcome::Paced { at: *at },
        Step::Retry { at, .. } => Outcome::Retrying { code: None, at: *at },
        Step::Dead { .. } => Outcome::Failed { code: None },
    })
}
