//! Durable jobs in the database (ENGINEERING.md §3.6): enqueued in the same transaction
//! as the change that needs them, claimed with a lease so a crashed worker's job is
//! picked up again, and rescheduled with backoff by the code that ran it.

use crate::clock::new_id;
use crate::error::Result;
use crate::{Db, DbKind};
use sqlx::{AnyConnection, Row};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
}

/// Adds a job inside the caller's transaction. With a `dedupe_key` a second identical
/// job is silently not added.
pub async fn enqueue_in(conn: &mut AnyConnection, kind: &str, payload: &serde_json::Value, run_at: i64, dedupe_key: Option<&str>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, dedupe_key, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, 0, $5, $6, $6) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(kind)
    .bind(payload.to_string())
    .bind(run_at)
    .bind(dedupe_key.map(str::to_owned))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the next due job — pending and due, or running with an expired lease (its
/// worker died) — for `lease_ms`. PostgreSQL skips rows other workers hold.
pub async fn claim(db: &Db, now: i64, lease_ms: i64) -> Result<Option<Job>> {
    Ok(claim_many(db, now, lease_ms, 1).await?.into_iter().next())
}

/// Claims up to `max` due jobs in one statement, oldest first (see [`claim`]). A worker
/// that sends a batch pays one round trip for the claim instead of one per job.
pub async fn claim_many(db: &Db, now: i64, lease_ms: i64, max: usize) -> Result<Vec<Job>> {
    let lock = match db.kind() {
        DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let sql = format!(
        // The pick is a materialised CTE, evaluated once: as `IN (SELECT … LIMIT n)`,
        // PostgreSQL may rescan the sub-select per row and claim more than `n`.
        "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2) \
                                      ORDER BY run_at, id LIMIT $3{lock}) \
         UPDATE jobs SET status = 'running', locked_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM picked) \
         AND ((status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2)) \
         RETURNING id, kind, payload, attempts, run_at"
    );
    let rows = sqlx::query(&sql).bind(now + lease_ms).bind(now).bind(max.max(1) as i64).fetch_all(db.pool()).await?;
    let mut jobs: Vec<(i64, Job)> = rows
        .into_iter()
        .map(|r| {
            let job = Job {
                id: r.get("id"),
                kind: r.get("kind"),
                payload: serde_json::from_str(&r.get::<String, _>("payload")).unwrap_or(serde_json::Value::Null),
                attempts: r.get("attempts"),
            };
            (r.get::<i64, _>("run_at"), job)
        })
        .collect();
    // RETURNING gives no order; keep the queue's.
    jobs.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    Ok(jobs.into_iter().map(|(_, j)| j).collect())
}

/// Removes a finished job. Done jobs are not kept: the domain rows (messages) carry the
/// outcome, and a small table keeps every claim fast.
pub async fn complete(db: &Db, id: &str, _now: i64) -> Result<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id).execute(db.pool()).await?;
    Ok(())
}

/// Puts a job back to run at `run_at`, noting why.
pub async fn reschedule(db: &Db, id: &str, run_at: i64, error: Option<&str>, now: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET status = 'pending', run_at = $1, locked_until = NULL, last_error = COALESCE($2, last_error), updated_at = $3 WHERE id = $4")
        .bind(run_at)
        .bind(error.map(str::to_owned))
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Puts several jobs back to run at `run_at` in one statement (a batch that found no
/// send token left), without touching their last error.
pub async fn reschedule_many(db: &Db, ids: &[String], run_at: i64, now: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let marks = crate::db::placeholders(3, ids.len());
    let sql = format!("UPDATE jobs SET status = 'pending', run_at = $1, locked_until = NULL, updated_at = $2 WHERE id IN ({marks})");
    let mut q = sqlx::query(&sql).bind(run_at).bind(now);
    for id in ids {
        q = q.bind(id);
    }
    q.execute(db.pool()).await?;
    Ok(())
}

/// Gives up on a job.
pub async fn fail(db: &Db, id: &str, error: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET status = 'failed', locked_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3")
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// When the next job is due (for a worker deciding how long to sleep).
pub async fn next_due(db: &Db) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT MIN(run_at) AS t FROM jobs WHERE status = 'pending'").fetch_one(db.pool()).await?;
    Ok(row.get::<Option<i64>, _>("t"))
}
