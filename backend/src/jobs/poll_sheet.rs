//! Sheet polling in two kinds. `poll_sheet`, one periodic system job every [`EVERY_MS`],
//! finds the sheet sources whose poll time has come and queues a `poll_source` job for
//! each, in its org (`contacts::sheets::queue_due`). `poll_source` reads one sheet: the
//! runner's loops take these in rotation between orgs, and at most one poll per org runs
//! at a time in a process, so one org's slow or hanging sheet (up to the fetch's 30 s
//! timeout) never holds back another org's.

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::contacts::sheets::PollSource;
use crate::error::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// How often due sources are looked for ("Poll now" is answered within this).
pub const EVERY_MS: i64 = 1_000;
/// The dedupe key that keeps one poller in the queue.
pub const DEDUPE_KEY: &str = "periodic:poll_sheet";
/// Loops that poll sheets at once in a process (each on another org's sheet).
pub const CONCURRENCY: usize = 4;
/// How soon a poll waiting for its org's running poll is tried again.
pub const WAIT_FOR_ORG_MS: i64 = 250;

/// Queues the polls of every sheet source that is due.
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
        // A periodic job is never given up on: it notes the error and keeps its turn.
        let next = attempt.now + EVERY_MS;
        Ok(Done::step(match crate::contacts::sheets::queue_due(&ctx.db, attempt.now).await {
            Ok(queued) => {
                if queued > 0 {
                    ctx.wakeups.wake::<PollSource>();
                }
                Step::Again { at: next }
            }
            Err(e) => Step::Retry { at: next, error: e.into_app_error().message },
        }))
    }
}

/// The orgs with a sheet poll running in this process.
fn polling_orgs() -> &'static Mutex<HashSet<String>> {
    static ORGS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    ORGS.get_or_init(Default::default)
}

/// An org's turn to poll, given back when dropped (also when the poll panics).
struct OrgTurn(String);

impl OrgTurn {
    fn take(org: &str) -> Option<Self> {
        polling_orgs().lock().unwrap_or_else(|e| e.into_inner()).insert(org.to_owned()).then(|| Self(org.to_owned()))
    }
}

impl Drop for OrgTurn {
    fn drop(&mut self) {
        polling_orgs().lock().unwrap_or_else(|e| e.into_inner()).remove(&self.0);
    }
}

#[async_trait]
impl Job for PollSource {
    const KIND: &'static str = "poll_source";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let Some(_turn) = OrgTurn::take(&self.org_id) else {
            // The org's other sheet is being read: let other orgs' polls have this loop.
            return Ok(Done::step(Step::Again { at: attempt.now + WAIT_FOR_ORG_MS }));
        };
        match crate::contacts::sheets::poll_one(&ctx.db, &ctx.cipher, &ctx.sheets, &self.source_id, attempt.now).await {
            Ok(_) => Ok(Done::step(Step::Done)),
            // The source was deleted after it was queued.
            Err(e) if e.code() == domain::ErrorCode::NotFound => Ok(Done::step(Step::Done)),
            Err(e) => Err(e),
        }
    }
}
