//! `run_import`: stores a confirmed CSV import's rows, batch by batch
//! (`contacts::import::run_job`). Each batch commits with its progress, so an import cut
//! off by a crash or a shutdown goes on from the next row when the job runs again.

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::contacts::import::{self, RunEnd, RunImport};
use crate::error::Result;
use async_trait::async_trait;

/// Longest a run holds its claim; a run yields after [`BUDGET_MS`], well within it.
pub const LEASE_MS: i64 = 10 * 60_000;
/// How long one run stores rows before yielding, so another org's import may go next
/// (each run reads the stored file again: longer budgets waste less, shorter ones wait
/// less).
pub const BUDGET_MS: i64 = 15_000;

#[async_trait]
impl Job for RunImport {
    const KIND: &'static str = "run_import";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let stop = ctx.stop.clone();
        match import::run_job(&ctx.db, &self.import_id, attempt.now, BUDGET_MS, move || *stop.borrow()).await? {
            RunEnd::Finished => {
                tracing::info!(import_id = %self.import_id, "contact import finished");
                Ok(Done::step(Step::Done))
            }
            RunEnd::Paused => Ok(Done::step(Step::Again { at: attempt.now })),
        }
    }
}
