//! The job runner: panics and errors are retried with backoff and end dead, visible to
//! admins and retried by them; one org's backlog never starves another org; periodic jobs
//! reschedule themselves; a kind runs as many at once as configured; shutdown lets
//! running jobs finish.

use async_trait::async_trait;
use backend::clock::now_ms;
use backend::jobs::queue::{self, Cursor};
use backend::jobs::{Attempt, Done, Job, JobContext, KindConfig, Registry, Runner, Step};
use backend::testing::{databases, seed_org_with, test_cipher, FakeGraph};
use backend::Db;
use domain::Role;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn context(db: &Db) -> JobContext {
    JobContext::new(db.clone(), Arc::new(FakeGraph::default()), test_cipher())
}

async fn enqueue<J: Job>(db: &Db, job: &J, org: Option<&domain::OrgId>, run_at: i64) {
    let mut conn = db.pool().acquire().await.unwrap();
    backend::jobs::enqueue_in(&mut conn, job, org, run_at, None, run_at).await.unwrap();
}

async fn job_row(db: &Db, kind: &str) -> (String, i64, Option<String>) {
    use sqlx::Row;
    let r = sqlx::query("SELECT status, attempts, last_error FROM jobs WHERE kind = $1").bind(kind).fetch_one(db.pool()).await.unwrap();
    (r.get("status"), r.get("attempts"), r.get("last_error"))
}

/// Panics on every run.
#[derive(Serialize, Deserialize)]
struct Panics {}

#[async_trait]
impl Job for Panics {
    const KIND: &'static str = "test_panics";
    async fn run(self, _: &JobContext, _: &Attempt) -> backend::error::Result<Done> {
        panic!("a bug in a job");
    }
}

/// Fails with an error on every run.
#[derive(Serialize, Deserialize)]
struct Fails {}

#[async_trait]
impl Job for Fails {
    const KIND: &'static str = "test_fails";
    async fn run(self, _: &JobContext, _: &Attempt) -> backend::error::Result<Done> {
        Err(anyhow::anyhow!("the remote end said no").into())
    }
}

/// Records which org's job ran, in order.
#[derive(Serialize, Deserialize)]
struct Records {
    org: String,
}

static RECORDED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[async_trait]
impl Job for Records {
    const KIND: &'static str = "test_records";
    async fn run(self, _: &JobContext, _: &Attempt) -> backend::error::Result<Done> {
        RECORDED.lock().unwrap().push(self.org);
        Ok(Done::step(Step::Done))
    }
}

#[tokio::test]
async fn a_panicking_job_is_caught_retried_with_backoff_and_the_runner_goes_on() {
    for t in databases().await {
        let runner = Runner::new(context(&t.db), Registry::new().register::<Panics>(KindConfig::default()));
        let now = now_ms();
        enqueue(&t.db, &Panics {}, None, now).await;
        let ran = runner.drain(&[], now).await.expect("a panic is not an error of the runner");
        assert_eq!(ran.len(), 1, "{}", t.label);
        assert_eq!(ran[0].step, Step::Retry { at: now + 5_000, error: "the job panicked: a bug in a job".into() }, "{}", t.label);
        let (status, attempts, error) = job_row(&t.db, Panics::KIND).await;
        assert_eq!((status.as_str(), attempts, error.as_deref()), ("pending", 1, Some("the job panicked: a bug in a job")), "{}", t.label);
        // Not before its backoff; then again, with a longer one.
        assert!(runner.drain(&[], now + 4_999).await.unwrap().is_empty());
        let again = runner.drain(&[], now + 5_000).await.unwrap();
        assert!(matches!(again[0].step, Step::Retry { at, .. } if at == now + 5_000 + 20_000), "{:?}", again[0].step);
    }
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_dead_and_an_admin_sees_it_and_retries_it() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let runner = Runner::new(context(&t.db), Registry::new().register::<Fails>(KindConfig { max_attempts: 2, ..Default::default() }));
        let now = now_ms();
        enqueue(&t.db, &Fails {}, Some(&a.org), now).await;
        assert!(matches!(runner.drain(&[], now).await.unwrap()[0].step, Step::Retry { .. }));
        let last = runner.drain(&[], now + 3_600_000).await.unwrap();
        assert_eq!(last[0].step, Step::Dead { error: "the remote end said no".into() }, "{}", t.label);
        assert!(runner.drain(&[], now + 10 * 3_600_000).await.unwrap().is_empty(), "a dead job does not run again by itself");

        let seen = backend::jobs::admin::overview(&t.db, &a.actor, 0).await.unwrap();
        assert_eq!(seen.kinds.len(), 1);
        assert_eq!((seen.kinds[0].kind.as_str(), seen.kinds[0].queued, seen.kinds[0].dead), ("test_fails", 0, 1), "{}", t.label);
        assert_eq!((seen.dead_total, seen.dead[0].last_error.as_deref(), seen.dead[0].attempts), (1, Some("the remote end said no"), 2));
        let job_id = seen.dead[0].id.clone();
        let far = backend::jobs::admin::overview(&t.db, &a.actor, i64::MAX).await.unwrap();
        assert!(far.dead.is_empty() && far.dead_total == 1, "a page past the end is empty, never an overflow ({})", t.label);

        // Another org sees nothing of it and cannot retry it; an agent may not look.
        assert_eq!(backend::jobs::admin::overview(&t.db, &b.actor, 0).await.unwrap().dead_total, 0);
        let other = backend::jobs::admin::retry(&t.db, &b.actor, &job_id, now).await.unwrap_err();
        assert_eq!(other.code(), domain::ErrorCode::NotFound, "{}", t.label);
        let agent = backend::testing::seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let agent = backend::auth::actor_for(&t.db, &agent.id, &a.org).await.unwrap();
        assert_eq!(backend::jobs::admin::overview(&t.db, &agent, 0).await.unwrap_err().code(), domain::ErrorCode::Forbidden);

        backend::jobs::admin::retry(&t.db, &a.actor, &job_id, now + 11 * 3_600_000).await.unwrap();
        let (status, attempts, _) = job_row(&t.db, Fails::KIND).await;
        assert_eq!((status.as_str(), attempts), ("pending", 0), "{}", t.label);
        assert_eq!(runner.drain(&[], now + 11 * 3_600_000).await.unwrap().len(), 1, "it runs again");
    }
}

#[tokio::test]
async fn one_orgs_backlog_does_not_starve_another_orgs_job() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let now = now_ms();
        // Org A queued 500 jobs before org B queued one.
        let mut conn = t.db.pool().acquire().await.unwrap();
        for i in 0..500 {
            backend::jobs::enqueue_in(&mut conn, &Records { org: "a".into() }, Some(&a.org), now - 10_000 + i, None, now).await.unwrap();
        }
        backend::jobs::enqueue_in(&mut conn, &Records { org: "b".into() }, Some(&b.org), now, None, now).await.unwrap();
        drop(conn);
        let claimed = queue::claim(&t.db, Records::KIND, &mut Cursor::default(), now, 60_000, 10).await.unwrap();
        let orgs: Vec<&str> = claimed.iter().map(|c| if c.org_id == b.org.as_str() { "b" } else { "a" }).collect();
        assert_eq!(claimed.len(), 10, "{}", t.label);
        assert!(orgs.contains(&"b"), "org B's job is in the first batch, not after org A's 500 ({})", t.label);
        assert_eq!(orgs.iter().filter(|o| **o == "a").count(), 9, "the rest of the batch goes to org A ({})", t.label);
    }
}

#[tokio::test]
async fn one_at_a_time_claims_take_turns_between_orgs() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let now = now_ms();
        let mut conn = t.db.pool().acquire().await.unwrap();
        for i in 0..5 {
            backend::jobs::enqueue_in(&mut conn, &Records { org: "a".into() }, Some(&a.org), now - 1_000 + i, None, now).await.unwrap();
            backend::jobs::enqueue_in(&mut conn, &Records { org: "b".into() }, Some(&b.org), now, None, now).await.unwrap();
        }
        drop(conn);
        let mut cursor = Cursor::default();
        let mut turns = Vec::new();
        for _ in 0..4 {
            let c = queue::claim(&t.db, Records::KIND, &mut cursor, now, 60_000, 1).await.unwrap();
            turns.push(c[0].org_id == a.org.as_str());
        }
        assert_eq!(turns.iter().filter(|is_a| **is_a).count(), 2, "alternating orgs, not org A's older jobs first ({})", t.label);
        assert_ne!(turns[0], turns[1]);
    }
}

#[tokio::test]
async fn periodic_jobs_are_queued_once_and_reschedule_themselves() {
    for t in databases().await {
        let now = now_ms();
        backend::jobs::kinds::ensure_periodic(&t.db, now).await.unwrap();
        backend::jobs::kinds::ensure_periodic(&t.db, now).await.unwrap();
        let runner = Runner::new(context(&t.db), backend::jobs::kinds::standard(1));
        let ran = runner.drain(&[], now).await.unwrap();
        let mut steps: Vec<(&str, Step)> = ran.iter().map(|r| (r.kind, r.step.clone())).collect();
        steps.sort_by_key(|(k, _)| *k);
        assert_eq!(
            steps,
            vec![
                ("poll_sheet", Step::Again { at: now + backend::jobs::poll_sheet::EVERY_MS }),
                ("prune", Step::Again { at: now + backend::jobs::prune::EVERY_MS })
            ],
            "each runs once and comes back ({})",
            t.label
        );
        let (status, attempts, _) = job_row(&t.db, "prune").await;
        assert_eq!((status.as_str(), attempts), ("pending", 0));
        assert_eq!(runner.drain(&[], now + backend::jobs::prune::EVERY_MS).await.unwrap().len(), 2, "both are due again ({})", t.label);
    }
}

/// Waits until three run at once (or times out).
#[derive(Serialize, Deserialize)]
struct Meets {}

static MEETING: std::sync::OnceLock<tokio::sync::Barrier> = std::sync::OnceLock::new();

#[async_trait]
impl Job for Meets {
    const KIND: &'static str = "test_meets";
    async fn run(self, _: &JobContext, _: &Attempt) -> backend::error::Result<Done> {
        let met = tokio::time::timeout(Duration::from_secs(20), MEETING.get_or_init(|| tokio::sync::Barrier::new(3)).wait()).await;
        Ok(Done::step(if met.is_ok() { Step::Done } else { Step::Dead { error: "ran alone".into() } }))
    }
}

#[tokio::test]
async fn a_kind_runs_as_many_jobs_at_once_as_its_concurrency() {
    let t = backend::testing::sqlite().await;
    let now = now_ms();
    for _ in 0..3 {
        enqueue(&t.db, &Meets {}, None, now).await;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut ctx = context(&t.db);
    ctx.stop = stop_rx;
    let runner = Arc::new(Runner::new(ctx, Registry::new().register::<Meets>(KindConfig { concurrency: 3, ..Default::default() })));
    let handle = runner.spawn();
    let all_done = async {
        loop {
            if queue::next_due(&t.db, Meets::KIND).await.unwrap().is_none() && count_jobs(&t.db).await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), all_done).await.expect("three loops ran the three jobs together");
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), handle).await.expect("the runner stops").unwrap();
}

async fn count_jobs(db: &Db) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs").fetch_one(db.pool()).await.unwrap().get("n")
}

/// Takes a while, then counts itself finished.
#[derive(Serialize, Deserialize)]
struct Slow {}

static SLOW_STARTED: AtomicUsize = AtomicUsize::new(0);
static SLOW_FINISHED: AtomicUsize = AtomicUsize::new(0);

#[async_trait]
impl Job for Slow {
    const KIND: &'static str = "test_slow";
    async fn run(self, _: &JobContext, _: &Attempt) -> backend::error::Result<Done> {
        SLOW_STARTED.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        SLOW_FINISHED.fetch_add(1, Ordering::SeqCst);
        Ok(Done::step(Step::Done))
    }
}

#[tokio::test]
async fn shutdown_lets_a_running_job_finish() {
    let t = backend::testing::sqlite().await;
    enqueue(&t.db, &Slow {}, None, now_ms()).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut ctx = context(&t.db);
    ctx.stop = stop_rx;
    let handle = Arc::new(Runner::new(ctx, Registry::new().register::<Slow>(KindConfig::default()))).spawn();
    let started = async {
        while SLOW_STARTED.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), started).await.expect("the job starts");
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), handle).await.expect("the runner stops").unwrap();
    assert_eq!(SLOW_FINISHED.load(Ordering::SeqCst), 1, "the running job finished before the runner stopped");
    assert_eq!(count_jobs(&t.db).await, 0, "and was settled (deleted as done)");
}

#[tokio::test]
async fn a_payload_that_cannot_be_read_is_kept_dead_with_the_reason() {
    for t in databases().await {
        let now = now_ms();
        let mut conn = t.db.pool().acquire().await.unwrap();
        queue::enqueue_raw_in(&mut conn, Records::KIND, None, "{\"not\": \"a record\"}", now, None, now).await.unwrap();
        drop(conn);
        let runner = Runner::new(context(&t.db), Registry::new().register::<Records>(KindConfig::default()));
        let ran = runner.drain(&[], now).await.unwrap();
        assert!(matches!(&ran[0].step, Step::Dead { error } if error.starts_with("the job's payload cannot be read")), "{:?} ({})", ran[0].step, t.label);
        assert_eq!(job_row(&t.db, Records::KIND).await.0, "dead");
    }
}
