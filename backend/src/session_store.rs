//! Browser sessions stored in the `sessions` table, for tower-sessions. One store for
//! both backends (the Any pool), so the server never needs a second, typed pool.
//!
//! A row is keyed by the SHA-256 of the session id, never the id itself: whoever reads
//! the table (a backup, a leaked dump) cannot take a session over. Each row knows the
//! person signed in ([`USER_ID_KEY`] in the session's data), so a person's sessions can
//! be ended together, and when it was created, so it ends after an absolute lifetime
//! however active it was (besides the idle expiry tower-sessions keeps).

use crate::clock::now_ms;
use crate::error::Result;
use crate::Db;
use async_trait::async_trait;
use domain::UserId;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session-data key that holds the signed-in person's id (the app writes it at sign-in).
pub const USER_ID_KEY: &str = "user_id";

/// Default absolute lifetime of a session: 72 hours (`MCE_SESSION_MAX_HOURS`).
pub const DEFAULT_MAX_AGE_MS: i64 = 72 * 3600 * 1000;

/// The tower-sessions store over the MCE database.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
    max_age_ms: i64,
}

/// The stored form of a session id: hex SHA-256 of its text form.
pub fn hash_id(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

impl DbSessionStore {
    /// A store over `db` with the default absolute lifetime.
    pub fn new(db: Db) -> Self {
        Self { db, max_age_ms: DEFAULT_MAX_AGE_MS }
    }

    /// The same store with another absolute lifetime: a session is refused this long
    /// after it was created, whatever its activity.
    pub fn with_max_age_ms(mut self, max_age_ms: i64) -> Self {
        self.max_age_ms = max_age_ms;
        self
    }

    /// Deletes expired sessions (idle or past the absolute lifetime); run periodically.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let now = now_ms();
        let r =
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR created_at < $2").bind(now).bind(now - self.max_age_ms).execute(self.db.pool()).await?;
        Ok(r.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn user_of(record: &Record) -> Option<String> {
    record.data.get(USER_ID_KEY).and_then(|v| v.as_str()).map(str::to_owned)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id is drawn until the insert does not collide, so a session can never be
        // created over somebody else's.
        loop {
            let r = sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING",
            )
            .bind(hash_id(&record.id))
            .bind(user_of(record))
            .bind(encode(record)?)
            .bind(now_ms())
            .bind(expiry_ms(record))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
            if r.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // `created_at` is kept on update: activity never extends the absolute lifetime.
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(hash_id(&record.id))
        .bind(user_of(record))
        .bind(encode(record)?)
        .bind(now_ms())
        .bind(expiry_ms(record))
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = now_ms();
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2 AND created_at > $3")
            .bind(hash_id(id))
            .bind(now)
            .bind(now - self.max_age_ms)
            .fetch_optional(self.db.reader())
            .await
            .map_err(backend)?;
        data.map(|d| serde_json::from_str::<Record>(&d).map_err(|e| session_store::Error::Decode(e.to_string()))).transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(hash_id(id)).execute(self.db.pool()).await.map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of `user` except the one stored under `keep_session_hash` (see
/// [`hash_id`]): "sign out everywhere else", and a password change. Returns how many ended.
pub async fn end_other_sessions(db: &Db, user: &UserId, keep_session_hash: &str) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2").bind(user.as_str()).bind(keep_session_hash).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// Ends every session of `user` (a password reset). Returns how many ended.
pub async fn end_all_sessions(db: &Db, user: &UserId) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.as_str()).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// How many live sessions `user` has (the profile page shows it beside "Sign out
/// everywhere else").
pub async fn count_sessions(db: &Db, user: &UserId) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expires_at > $2")
        .bind(user.as_str())
        .bind(now_ms())
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}
