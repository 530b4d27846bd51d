//! The org's event log (INBOX-6) and the hub that fans it out to open browsers.
//!
//! Services write an event in the transaction that makes the change ([`publish_in`]), so
//! an event exists exactly when its change committed. The [`Hub`] reads new events —
//! at once when woken by this instance, and every [`POLL_MS`] for events other instances
//! wrote — and broadcasts them; each SSE stream filters by org and member. A browser that
//! reconnects sends the last id it saw and gets the rest from [`since`].

use crate::error::Result;
use crate::Db;
use domain::dto::OrgEvent;
use domain::{OrgId, UserId};
use sqlx::AnyConnection;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

/// How often the hub looks for events written by other instances.
pub const POLL_MS: u64 = 250;
/// How far back the hub re-reads: on PostgreSQL ids are handed out before commit, so a
/// lower id can become visible after a higher one; re-reading a short tail catches it.
pub const REREAD_MS: i64 = 10_000;
/// Events are kept this long for reconnecting browsers, then pruned.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;

/// An event with its audience.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub org_id: String,
    /// Only this member may see it (their notifications); everyone in the org when `None`.
    pub user_id: Option<String>,
    pub event: OrgEvent,
}

impl Envelope {
    /// Whether `user` of `org` may see this event.
    pub fn visible_to(&self, org: &OrgId, user: &UserId) -> bool {
        self.org_id == org.as_str() && self.user_id.as_deref().is_none_or(|u| u == user.as_str())
    }
}

/// Writes an event inside the caller's transaction.
pub async fn publish_in(
    conn: &mut AnyConnection,
    org: &OrgId,
    kind: &str,
    conversation: Option<&str>,
    user: Option<&str>,
    payload: &serde_json::Value,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO org_events (org_id, kind, conversation_id, user_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org.as_str())
        .bind(kind)
        .bind(conversation.map(str::to_owned))
        .bind(user.map(str::to_owned))
        .bind(payload.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes events of one kind for the whole org inside the caller's transaction, in
/// multi-row statements (an import creates thousands of contacts).
pub async fn publish_many_in(conn: &mut AnyConnection, org: &OrgId, kind: &str, payloads: &[serde_json::Value], now: i64) -> Result<()> {
    for chunk in payloads.chunks(crate::db::rows_per_statement(1)) {
        let values: Vec<String> = (0..chunk.len()).map(|n| format!("($1, $2, ${}, $3)", n + 4)).collect();
        let sql = format!("INSERT INTO org_events (org_id, kind, payload, created_at) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql).bind(org.as_str()).bind(kind).bind(now);
        for p in chunk {
            q = q.bind(p.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// An event to write with [`publish_all_in`]: for the whole org, about a conversation.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub org: OrgId,
    pub kind: &'static str,
    pub conversation: Option<String>,
    pub payload: serde_json::Value,
}

/// Writes events of any org and kind inside the caller's transaction, in as few
/// multi-row statements as the bind limit allows, in the order given (a webhook batch's
/// statuses).
pub async fn publish_all_in(conn: &mut AnyConnection, events: &[NewEvent], now: i64) -> Result<()> {
    for chunk in events.chunks(crate::db::rows_per_statement(4)) {
        let values: Vec<String> = (0..chunk.len()).map(|n| format!("(${}, ${}, ${}, ${}, $1)", 4 * n + 2, 4 * n + 3, 4 * n + 4, 4 * n + 5)).collect();
        let sql = format!("INSERT INTO org_events (org_id, kind, conversation_id, payload, created_at) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql).bind(now);
        for e in chunk {
            q = q.bind(e.org.as_str()).bind(e.kind).bind(e.conversation.clone()).bind(e.payload.to_string());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    org_id: String,
    kind: String,
    conversation_id: Option<String>,
    user_id: Option<String>,
    /// Kept as text and parsed leniently (unreadable JSON becomes `null`), as before: one
    /// bad payload must not fail every read of the log, which would stall the hub.
    payload: String,
    created_at: i64,
}

fn envelope(r: EventRow) -> Envelope {
    Envelope {
        org_id: r.org_id,
        user_id: r.user_id,
        event: OrgEvent {
            id: r.id,
            kind: r.kind,
            conversation_id: r.conversation_id,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            at: r.created_at,
        },
    }
}

/// The events the actor may see after `after_id`, oldest first (catch-up after a
/// reconnect), at most `limit`: the org's, and those addressed to the member acting.
pub async fn since(db: &Db, actor: &crate::auth::Actor, after_id: i64, limit: i64) -> Result<Vec<OrgEvent>> {
    let org = &actor.org_id;
    let user = actor.user_id().map(|u| u.as_str()).unwrap_or_default();
    let rows = sqlx::query_as::<_, EventRow>(
        "SELECT id, org_id, kind, conversation_id, user_id, payload, created_at FROM org_events \
         WHERE org_id = $1 AND id > $2 AND (user_id IS NULL OR user_id = $3) ORDER BY id LIMIT $4",
    )
    .bind(org.as_str())
    .bind(after_id)
    .bind(user)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    Ok(rows.into_iter().map(|r| envelope(r).event).collect())
}

/// The newest event id (0 when there is none): where a new subscriber starts.
pub async fn latest_id(db: &Db) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) AS id FROM org_events").fetch_one(db.reader()).await?;
    Ok(id.unwrap_or(0))
}

/// The newest event id of one org (what a browser's stream may be told: the log's
/// overall newest id would show how busy other orgs are).
pub async fn latest_id_of(db: &Db, org: &OrgId) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) AS id FROM org_events WHERE org_id = $1").bind(org.as_str()).fetch_one(db.reader()).await?;
    Ok(id.unwrap_or(0))
}

/// Most event streams one member may have open at once (tabs, devices) in one process.
pub const MAX_STREAMS_PER_MEMBER: usize = 10;

/// One of a member's open streams; dropping it frees the slot.
pub struct StreamSlot {
    hub: Arc<Hub>,
    user: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.hub.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Deletes events older than `max_age_ms`.
pub async fn prune(db: &Db, max_age_ms: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM org_events WHERE created_at < $1").bind(crate::clock::now_ms() - max_age_ms).execute(db.pool()).await?.rows_affected())
}

/// Fans the event log out to subscribers in this process.
pub struct Hub {
    tx: broadcast::Sender<Arc<Envelope>>,
    wake: Notify,
    /// Turns true when the server shuts down: open streams end so a graceful shutdown is
    /// not held up by browsers that would stay connected forever.
    closing: watch::Sender<bool>,
    /// Open streams per member (see [`Hub::open_stream`]).
    streams: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

impl Hub {
    /// Takes one of the member's [`MAX_STREAMS_PER_MEMBER`] stream slots; `None` when
    /// all are taken (a script opening streams in a loop holds memory and a database
    /// read per stream).
    pub fn open_stream(self: &Arc<Self>, user: &UserId) -> Option<StreamSlot> {
        let mut open = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user.as_str().to_owned()).or_insert(0);
        if *n >= MAX_STREAMS_PER_MEMBER {
            return None;
        }
        *n += 1;
        Some(StreamSlot { hub: self.clone(), user: user.as_str().to_owned() })
    }

    /// A hub whose subscribers may fall `capacity` events behind before they must catch up
    /// from the log.
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self { tx: broadcast::channel(capacity).0, wake: Notify::new(), closing: watch::channel(false).0, streams: Default::default() })
    }

    /// Asks every open stream to end (the browsers reconnect to another instance or to
    /// this one once it is back, and catch up from the log).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Turns true once [`Hub::close`] was called.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Receives every event from now on (the stream filters by org and member).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.tx.subscribe()
    }

    /// Tells the hub that this instance just committed events: read them now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Reads the log and broadcasts new events until `stop` turns true.
    pub fn spawn(self: &Arc<Self>, db: Db, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut cursor = latest_id(&db).await.unwrap_or(0);
            // Ids already broadcast within the re-read window, oldest first.
            let mut seen: HashSet<i64> = HashSet::new();
            let mut order: VecDeque<(i64, i64)> = VecDeque::new();
            loop {
                match hub.read_new(&db, cursor, &mut seen, &mut order).await {
                    Ok(max) => cursor = cursor.max(max),
                    Err(e) => tracing::warn!(error = %format!("{e:?}"), "reading the event log failed"),
                }
                tokio::select! {
                    _ = hub.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(POLL_MS)) => {}
                    _ = stop.changed() => break,
                }
            }
        })
    }

    async fn read_new(&self, db: &Db, cursor: i64, seen: &mut HashSet<i64>, order: &mut VecDeque<(i64, i64)>) -> Result<i64> {
        let now = crate::clock::now_ms();
        // New ids, plus the recent tail for ids that committed late (PostgreSQL).
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT id, org_id, kind, conversation_id, user_id, payload, created_at FROM org_events \
             WHERE id > $1 OR (created_at > $2 AND id > $3) ORDER BY id LIMIT 5000",
        )
        .bind(cursor)
        .bind(now - REREAD_MS)
        .bind(cursor - 10_000)
        .fetch_all(db.pool())
        .await?;
        let mut max = cursor;
        for r in rows {
            let env = envelope(r);
            max = max.max(env.event.id);
            if seen.insert(env.event.id) {
                order.push_back((env.event.id, now));
                // No subscriber is not an error: nobody is looking.
                let _ = self.tx.send(Arc::new(env));
            }
        }
        while order.front().is_some_and(|(_, at)| *at < now - 2 * REREAD_MS) {
            let (id, _) = order.pop_front().expect("checked");
            seen.remove(&id);
        }
        Ok(max)
    }
}
