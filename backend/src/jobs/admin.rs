//! What an org's admins see of the background jobs (Settings → System), and the retry
//! of a dead job. Admins only; scoped to the actor's org.

use super::queue;
use crate::auth::Actor;
use crate::error::Result;
use crate::Db;
use domain::dto::{DeadJobView, JobKindStats, SystemView};
use domain::{AppError, Role};

/// Dead jobs shown per page.
pub const PAGE_SIZE: i64 = 20;

/// The org's jobs per kind and a page (from 0) of its dead jobs, newest first.
pub async fn overview(db: &Db, actor: &Actor, page: i64) -> Result<SystemView> {
    actor.require(Role::Admin)?;
    let kinds =
        queue::stats(db, &actor.org_id).await?.into_iter().map(|s| JobKindStats { kind: s.kind, queued: s.queued, running: s.running, dead: s.dead }).collect();
    // Bounded, so that no page number can overflow the offset.
    let page = page.clamp(0, crate::contacts::search::MAX_PAGE);
    let (dead, dead_total) = queue::dead(db, &actor.org_id, page * PAGE_SIZE, PAGE_SIZE).await?;
    let dead =
        dead.into_iter().map(|d| DeadJobView { id: d.id, kind: d.kind, attempts: d.attempts, last_error: d.last_error, failed_at: d.updated_at }).collect();
    Ok(SystemView { kinds, dead, dead_total, page_size: PAGE_SIZE })
}

/// Queues one of the org's dead jobs again, due now; returns its kind (to wake its
/// loops). Another org's id is `NOT_FOUND_001`.
pub async fn retry(db: &Db, actor: &Actor, job_id: &str, now: i64) -> Result<String> {
    actor.require(Role::Admin)?;
    queue::retry_dead(db, &actor.org_id, job_id, now).await?.ok_or_else(|| AppError::not_found("Job").into())
}
