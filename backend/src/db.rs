//! The database handle: one code path for SQLite (the embedded default) and PostgreSQL
//! (scale-out) through sqlx's `Any` driver.
//!
//! Storage rules that keep `Any` happy on both backends: ids are UUID text, instants are
//! epoch-millisecond BIGINT, flags are 0/1 BIGINT, JSON is TEXT, and queries name their
//! columns (never `SELECT *`). Each backend has its own migration folder with the same
//! schema; they differ only where the SQL dialects do.

pub mod rows;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// The org data, SQLite or PostgreSQL: a pool for writes and one for reads.
///
/// On SQLite the writer is a single connection (SQLite has one writer; one connection
/// serialises writers inside the process, so a transaction never fails with SQLITE_BUSY
/// when it upgrades to a write) and the readers are [`READERS`] more connections that
/// cannot write (`query_only`). In WAL mode readers see the last commit and never wait
/// for the writer, so pages, searches and `/events` catch-up do not queue behind webhook
/// batches and sends. On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    read: AnyPool,
    kind: DbKind,
}

/// Read-only SQLite connections beside the writer.
pub const READERS: u32 = 4;

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://…`. Does not migrate; call [`Db::migrate`].
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbKind::Postgres
        } else if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://");
        };
        let pool = match kind {
            DbKind::Sqlite => {
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                // The writer: one connection (see `Db`). It is made first, so the file
                // exists and is in WAL mode before any reader opens it.
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            DbKind::Postgres => AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect(url).await,
        }
        .with_context(|| format!("connecting to the {kind:?} database"))?;
        let read = match kind {
            // An in-memory database exists once per connection: read where it is written.
            DbKind::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => pool.clone(),
            DbKind::Sqlite => {
                // WAL needs the writer's file connected first (it is); `query_only` makes
                // a reader refuse any write, so no read ever upgrades to a write lock.
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rw") };
                AnyPoolOptions::new()
                    .max_connections(READERS)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA query_only = ON").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
                    .context("connecting the SQLite readers")?
            }
            DbKind::Postgres => pool.clone(),
        };
        Ok(Db { pool, read, kind })
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.kind {
            DbKind::Sqlite => &SQLITE_MIGRATIONS,
            DbKind::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.context("applying migrations")?;
        Ok(())
    }

    /// The connection pool for writes (and reads that must see a transaction's own
    /// writes).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for reads that may run beside the writer: they see the last commit. A
    /// write through it fails (`query_only` on SQLite).
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Which engine this is.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Whether the database answers: used by `/readyz`.
    pub async fn ping(&self) -> bool {
        // A reader: a long write (a webhook batch) must not make the probe time out.
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.read.close().await;
        self.pool.close().await;
    }
}

/// The most values one statement binds. sqlx's Any driver handles `$n` parameters in
/// time that grows with the square of their number (a 500-row insert of 14 columns took
/// 57 ms, five 100-row inserts 14 ms), so multi-row statements are cut to this size.
pub const MAX_BIND_PARAMS: usize = 1_000;

/// How many rows of `columns` values fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (MAX_BIND_PARAMS / columns.max(1)).max(1)
}

/// `$first, $first+1, …` — `count` numbered placeholders for an `IN (…)` list (both
/// backends accept `$n` through sqlx Any).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod placeholder_tests {
    #[test]
    fn placeholders_number_an_in_list_from_the_given_position() {
        assert_eq!(super::placeholders(3, 3), "$3, $4, $5");
        assert_eq!(super::placeholders(1, 1), "$1");
    }
}
