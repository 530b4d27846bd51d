//! `poll_sheet`: reads the Google Sheets lead sources whose poll time has come
//! (`contacts::sheets::poll_due`, which claims each source by moving its next poll time
//! first, so one instance polls it). One system job, rescheduled every [`EVERY_MS`].

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::error::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How often due sources are looked for ("Poll now" is answered within this).
pub const EVERY_MS: i64 = 1_000;
/// The dedupe key that keeps one poller in the queue.
pub const DEDUPE_KEY: &str = "periodic:poll_sheet";

/// Polls every sheet source that is due.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PollSheets {}

/// Queues the poller unless it is queued already (at start-up).
pub async fn ensure(db: &crate::Db, now: i64) -> Result<()> {
    super::ensure_system(db, &PollSheets {}, DEDUPE_KEY, now).await
}

#[async_trait]
impl Job for PollSheets {
    const KIND: &'static str = "poll_sheet";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        // A source's own failure is kept on the source; an error here is the database's.
        // A periodic job is never given up on: it notes the error and keeps its turn.
        let next = attempt.now + EVERY_MS;
        Ok(Done::step(match crate::contacts::sheets::poll_due(&ctx.db, &ctx.cipher, &ctx.sheets, attempt.now).await {
            Ok(_) => Step::Again { at: next },
            Err(e) => Step::Retry { at: next, error: e.into_app_error().message },
        }))
    }
}
