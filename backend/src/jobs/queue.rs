//! The `jobs` table: enqueue in the caller's transaction, claim fairly with a lease,
//! settle what each run decided, and the counts an admin sees.
//!
//! Fairness: a claim serves the orgs that have due jobs of the kind in rotation (a cursor
//! over org ids, found with index seeks), so one org's backlog of thousands of jobs never
//! starves another org's single job: each org with due work gets a share of each batch.

use super::job::{Job, Step};
use crate::clock::new_id;
use crate::error::Result;
use crate::{Db, DbKind};
use domain::OrgId;
use sqlx::AnyConnection;

/// Orgs probed per claim. A claim costs one index seek per org probed; orgs past this
/// many are served by the next claims, as the cursor moves on.
pub const ORGS_PER_CLAIM: usize = 8;

/// A claimed job, not yet parsed into its type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub org_id: String,
    pub payload: String,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
    pub run_at: i64,
}

/// Adds a job of `kind` for `org` (`None`: a system job) inside the caller's
/// transaction. With a `dedupe_key` a second identical job is silently not added.
pub async fn enqueue_raw_in(
    conn: &mut AnyConnection,
    kind: &str,
    org: Option<&OrgId>,
    payload: &str,
    run_at: i64,
    dedupe_key: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, org_id, payload, status, run_at, attempts, dedupe_key, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7, $7) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(kind)
    .bind(org.map(|o| o.as_str().to_owned()).unwrap_or_default())
    .bind(payload)
    .bind(run_at)
    .bind(dedupe_key.map(str::to_owned))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a typed job (see [`enqueue_raw_in`]).
pub async fn enqueue_in<J: Job>(conn: &mut AnyConnection, job: &J, org: Option<&OrgId>, run_at: i64, dedupe_key: Option<&str>, now: i64) -> Result<()> {
    let payload = serde_json::to_string(job).map_err(anyhow::Error::new)?;
    enqueue_raw_in(conn, J::KIND, org, &payload, run_at, dedupe_key, now).await
}

/// Puts jobs of `kind` whose lease expired (their runner died mid-run) back in the queue.
pub async fn requeue_expired(db: &Db, kind: &str, now: i64) -> Result<u64> {
    let r = sqlx::query("UPDATE jobs SET status = 'pending', locked_until = NULL WHERE kind = $1 AND status = 'running' AND locked_until < $2")
        .bind(kind)
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(r.rows_affected())
}

/// The first org after `after` (in id order) with pending jobs of `kind`, and when its
/// earliest one is due. One index seek on `(kind, status, org_id, run_at)`.
async fn next_org(db: &Db, kind: &str, after: Option<&str>) -> Result<Option<(String, i64)>> {
    let row: Option<(String, i64)> = match after {
        Some(after) => {
            sqlx::query_as("SELECT org_id, run_at FROM jobs WHERE kind = $1 AND status = 'pending' AND org_id > $2 ORDER BY org_id, run_at LIMIT 1")
                .bind(kind)
                .bind(after)
                .fetch_optional(db.pool())
                .await?
        }
        None => {
            sqlx::query_as("SELECT org_id, run_at FROM jobs WHERE kind = $1 AND status = 'pending' ORDER BY org_id, run_at LIMIT 1")
                .bind(kind)
                .fetch_optional(db.pool())
                .await?
        }
    };
    Ok(row)
}

/// Where a kind's fair rotation stands between claims.
#[derive(Debug, Default, Clone)]
pub struct Cursor {
    last_org: Option<String>,
}

/// Claims up to `max` due jobs of `kind` for `lease_ms`, sharing them between the orgs
/// that have due jobs (up to [`ORGS_PER_CLAIM`] orgs per claim, in rotation from
/// `cursor`). Returns them oldest first within each org. PostgreSQL skips rows another
/// instance is claiming.
pub async fn claim(db: &Db, kind: &str, cursor: &mut Cursor, now: i64, lease_ms: i64, max: usize) -> Result<Vec<Claimed>> {
    // Find orgs with due work, starting after the cursor and wrapping around once.
    let mut due_orgs: Vec<String> = Vec::new();
    let start = cursor.last_org.clone();
    let mut at = start.clone();
    let mut wrapped = start.is_none();
    for _ in 0..ORGS_PER_CLAIM * 2 {
        if due_orgs.len() >= ORGS_PER_CLAIM.min(max.max(1)) {
            break;
        }
        match next_org(db, kind, at.as_deref()).await? {
            Some((org, earliest)) => {
                if wrapped && start.as_deref().is_some_and(|s| org.as_str() > s) {
                    break; // back where this claim began
                }
                if earliest <= now {
                    due_orgs.push(org.clone());
                }
                at = Some(org);
            }
            None if !wrapped => {
                wrapped = true;
                at = None;
            }
            None => break,
        }
    }
    if let Some(last) = due_orgs.last() {
        cursor.last_org = Some(last.clone());
    } else if let Some(probed) = at {
        cursor.last_org = Some(probed);
    }
    // An equal share each; what an org with less work leaves goes to those that filled
    // theirs, in further passes.
    let mut claimed = Vec::new();
    let mut active = due_orgs;
    while !active.is_empty() && claimed.len() < max {
        let n = active.len();
        let mut full = Vec::new();
        for (i, org) in active.iter().enumerate() {
            let left = max.saturating_sub(claimed.len());
            if left == 0 {
                break;
            }
            let share = left.div_ceil(n - i);
            let got = claim_of_org(db, kind, org, now, lease_ms, share).await?;
            if got.len() == share {
                full.push(org.clone());
            }
            claimed.extend(got);
        }
        active = full;
    }
    Ok(claimed)
}

async fn claim_of_org(db: &Db, kind: &str, org: &str, now: i64, lease_ms: i64, max: usize) -> Result<Vec<Claimed>> {
    let lock = match db.kind() {
        DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let sql = format!(
        // The pick is a materialised CTE, evaluated once: as `IN (SELECT … LIMIT n)`,
        // PostgreSQL may rescan the sub-select per row and claim more than `n`.
        "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE kind = $3 AND status = 'pending' AND org_id = $4 AND run_at <= $2 \
                                      ORDER BY run_at, id LIMIT $5{lock}) \
         UPDATE jobs SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM picked) AND status = 'pending' \
         RETURNING id, kind, org_id, payload, attempts, run_at"
    );
    let mut jobs: Vec<Claimed> = sqlx::query_as(&sql).bind(now + lease_ms).bind(now).bind(kind).bind(org).bind(max.max(1) as i64).fetch_all(db.pool()).await?;
    // RETURNING gives no order; keep the queue's.
    jobs.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
    Ok(jobs)
}

/// Applies what runs decided: finished jobs are deleted in one statement, the others
/// rescheduled or marked dead.
pub async fn settle(db: &Db, steps: &[(String, Step)], now: i64) -> Result<()> {
    let done: Vec<&str> = steps.iter().filter(|(_, s)| *s == Step::Done).map(|(id, _)| id.as_str()).collect();
    for chunk in done.chunks(crate::db::MAX_BIND_PARAMS) {
        let sql = format!("DELETE FROM jobs WHERE id IN ({})", crate::db::placeholders(1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        q.execute(db.pool()).await?;
    }
    // Jobs run again at one instant (a paced batch) share one statement.
    let mut again: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
    for (id, step) in steps {
        match step {
            Step::Done => {}
            Step::Again { at } => again.entry(*at).or_default().push(id),
            Step::Retry { at, error } => {
                sqlx::query("UPDATE jobs SET status = 'pending', run_at = $1, locked_until = NULL, last_error = $2, updated_at = $3 WHERE id = $4")
                    .bind(*at)
                    .bind(truncate(error))
                    .bind(now)
                    .bind(id)
                    .execute(db.pool())
                    .await?;
            }
            Step::Dead { error } => {
                sqlx::query("UPDATE jobs SET status = 'dead', locked_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3")
                    .bind(truncate(error))
                    .bind(now)
                    .bind(id)
                    .execute(db.pool())
                    .await?;
            }
        }
    }
    for (at, ids) in again {
        for chunk in ids.chunks(crate::db::MAX_BIND_PARAMS - 2) {
            let sql = format!(
                "UPDATE jobs SET status = 'pending', run_at = $1, locked_until = NULL, attempts = 0, updated_at = $2 WHERE id IN ({})",
                crate::db::placeholders(3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(at).bind(now);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            q.execute(db.pool()).await?;
        }
    }
    Ok(())
}

/// Errors are kept short: they are for a person reading Settings → System.
fn truncate(error: &str) -> String {
    error.chars().take(1000).collect()
}

/// When the next pending job of `kind` is due (for a runner deciding how long to sleep).
pub async fn next_due(db: &Db, kind: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(run_at) AS t FROM jobs WHERE kind = $1 AND status = 'pending'").bind(kind).fetch_one(db.pool()).await?)
}

/// One job kind's jobs in an org, by state (Settings → System).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindStats {
    pub kind: String,
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}

/// The org's jobs counted by kind and state.
pub async fn stats(db: &Db, org: &OrgId) -> Result<Vec<KindStats>> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT kind, status, CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE org_id = $1 GROUP BY kind, status ORDER BY kind")
            .bind(org.as_str())
            .fetch_all(db.pool())
            .await?;
    let mut out: Vec<KindStats> = Vec::new();
    for (kind, status, n) in rows {
        if out.last().map(|s| s.kind != kind).unwrap_or(true) {
            out.push(KindStats { kind: kind.clone(), ..Default::default() });
        }
        let s = out.last_mut().expect("pushed above");
        match status.as_str() {
            "pending" => s.queued += n,
            "running" => s.running += n,
            _ => s.dead += n,
        }
    }
    Ok(out)
}

/// A job that gave up, as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadJob {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// The org's dead jobs, newest first, a page at a time, with the total.
pub async fn dead(db: &Db, org: &OrgId, offset: i64, limit: i64) -> Result<(Vec<DeadJob>, i64)> {
    let jobs: Vec<DeadJob> = sqlx::query_as(
        "SELECT id, kind, attempts, last_error, updated_at FROM jobs WHERE org_id = $1 AND status = 'dead' ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(org.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE org_id = $1 AND status = 'dead'")
        .bind(org.as_str())
        .fetch_one(db.pool())
        .await?;
    Ok((jobs, total))
}

/// Puts an org's dead job back in the queue, due now, with a fresh attempt count.
/// Returns its kind; `None` when the org has no such dead job.
pub async fn retry_dead(db: &Db, org: &OrgId, id: &str, now: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE jobs SET status = 'pending', run_at = $1, attempts = 0, locked_until = NULL, updated_at = $1 WHERE id = $2 AND org_id = $3 AND status = 'dead' RETURNING kind",
    )
    .bind(now)
    .bind(id)
    .bind(org.as_str())
    .fetch_optional(db.pool())
    .await?)
}

/// Queues `job` as a system job (no org) unless one with `dedupe_key` is queued already:
/// how a periodic job is put in the queue once.
pub async fn ensure_system<J: Job>(db: &Db, job: &J, dedupe_key: &str, now: i64) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    enqueue_in(&mut conn, job, None, now, Some(dedupe_key), now).await
}
