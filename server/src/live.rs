//! `GET /events`: the org's event log as Server-Sent Events, for the signed-in member
//! (INBOX-6). Each event carries its log id as the SSE id; a browser that reconnects
//! sends `Last-Event-ID` (or `?after=`) and first gets what it missed from the log, then
//! live events from the hub. The first event, `ready`, says the stream is live (and the
//! newest event id of the member's org, nothing about other orgs).
//!
//! A stream outlives the request that opened it, so it checks again, every
//! [`RECHECK_EVERY`], that its session still exists (not signed out, not expired) and
//! still acts for the same member in the same org, and that the membership stands; it
//! ends at once when any of these no longer holds. A member has at most
//! `events::MAX_STREAMS_PER_MEMBER` streams open (`429` past that).

use crate::signed_in;
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use backend::events::{self, Envelope};
use domain::dto::OrgEvent;
use domain::{OrgId, UserId};
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Most events replayed at once to a reconnecting browser (it asks again for more).
pub const CATCH_UP_LIMIT: i64 = 1000;

/// Query of `GET /events`.
#[derive(Debug, serde::Deserialize)]
pub struct EventsQuery {
    /// The last event id the client saw (when it cannot send `Last-Event-ID`).
    pub after: Option<i64>,
}

/// Events the app's pages react to. Others (a contact created by an import of 100,000
/// rows) are for flows and integrations, and would only flood open tabs.
fn for_browsers(kind: &str) -> bool {
    matches!(kind, "message" | "status" | "conversation" | "notification" | "template")
}

struct Subscription {
    db: backend::Db,
    org: OrgId,
    user: UserId,
    /// Who reads: the catch-up from the log is read as them.
    actor: backend::auth::Actor,
    rx: broadcast::Receiver<Arc<Envelope>>,
    backlog: VecDeque<OrgEvent>,
    /// Events up to here were before the subscription (or replayed from the log).
    floor: i64,
    last: i64,
    sent: HashSet<i64>,
    ready: Option<i64>,
    /// When to tell the inbox this member is still online.
    next_touch: tokio::time::Instant,
    /// The server is shutting down: end the stream.
    closing: tokio::sync::watch::Receiver<bool>,
    /// The session that opened the stream, checked again every [`RECHECK_EVERY`].
    session: Option<(backend::session_store::DbSessionStore, tower_sessions::session::Id)>,
    /// Held while the stream is open: one of the member's stream slots.
    _slot: events::StreamSlot,
}

/// How often an open stream refreshes the member's presence (see `inbox::ONLINE_MS`)
/// and checks its session and membership again.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(15);
/// How long a stream may go on after its session ended or its member left the org.
pub const RECHECK_EVERY: Duration = PRESENCE_EVERY;

fn sse(e: &OrgEvent) -> Event {
    Event::default().id(e.id.to_string()).event(e.kind.clone()).json_data(e).unwrap_or_default()
}

impl Subscription {
    /// Whether the stream may go on: its session is still stored, unexpired, for the same
    /// member and org, and the membership still stands (its role is taken afresh).
    async fn still_allowed(&mut self) -> bool {
        use tower_sessions::SessionStore;
        let Some((store, id)) = &self.session else { return false };
        let Ok(Some(record)) = store.load(id).await else { return false };
        let same = |key: &str, want: &str| record.data.get(key).and_then(|v| v.as_str()) == Some(want);
        if !same(app::api::ssr::USER_ID, self.user.as_str()) || !same(app::api::ssr::ORG_ID, self.org.as_str()) {
            return false;
        }
        match backend::auth::actor_for(&self.db, &self.user, &self.org).await {
            Ok(actor) => {
                self.actor = actor;
                true
            }
            Err(_) => false,
        }
    }

    fn mark(&mut self, id: i64) {
        self.last = self.last.max(id);
        self.sent.insert(id);
        if self.sent.len() > 10_000 {
            // Keep memory bounded: ids far below the newest cannot come again.
            let keep_from = self.last - 5_000;
            self.sent.retain(|i| *i >= keep_from);
            self.floor = self.floor.max(keep_from - 1);
        }
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        if let Some(last) = self.ready.take() {
            return Some((Ok(Event::default().event("ready").data(format!("{{\"last_id\":{last}}}"))), self));
        }
        loop {
            if let Some(e) = self.backlog.pop_front() {
                self.mark(e.id);
                if !for_browsers(&e.kind) {
                    continue;
                }
                let event = sse(&e);
                return Some((Ok(event), self));
            }
            if tokio::time::Instant::now() >= self.next_touch {
                self.next_touch = tokio::time::Instant::now() + PRESENCE_EVERY;
                if !self.still_allowed().await {
                    return None;
                }
                let _ = backend::inbox::touch_presence(&self.db, &self.org, &self.user, backend::clock::now_ms()).await;
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                _ = self.closing.wait_for(|c| *c) => return None,
                _ = tokio::time::sleep_until(self.next_touch) => continue,
            };
            match received {
                Ok(env) => {
                    let id = env.event.id;
                    if env.visible_to(&self.org, &self.user) && for_browsers(&env.event.kind) && id > self.floor && !self.sent.contains(&id) {
                        self.mark(id);
                        return Some((Ok(sse(&env.event)), self));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // This browser fell behind the hub: read the rest from the log.
                    let after = self.last.max(self.floor);
                    let missed = events::since(&self.db, &self.actor, after, CATCH_UP_LIMIT).await.unwrap_or_default();
                    self.backlog.extend(missed.into_iter().filter(|e| !self.sent.contains(&e.id)));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /events` (session cookie): the member's live event stream.
pub async fn events(State(state): State<AppState>, session: tower_sessions::Session, headers: HeaderMap, Query(q): Query<EventsQuery>) -> Response {
    let Some(actor) = signed_in::actor(&state, &session).await else { return StatusCode::UNAUTHORIZED.into_response() };
    let Some(user) = actor.user_id().cloned() else { return StatusCode::FORBIDDEN.into_response() };
    let Some(slot) = state.events.open_stream(&user) else { return StatusCode::TOO_MANY_REQUESTS.into_response() };
    let Some(session_id) = session.id() else { return StatusCode::UNAUTHORIZED.into_response() };
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok()).or(q.after);
    // Subscribe before reading the log, so nothing falls between the two.
    let rx = state.events.subscribe();
    let (floor, backlog) = match resume {
        Some(after) => match events::since(&state.db, &actor, after, CATCH_UP_LIMIT).await {
            Ok(missed) => (after, missed),
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
        None => match events::latest_id_of(&state.db, &actor.org_id).await {
            Ok(latest) => (latest, Vec::new()),
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
    };
    let last = backlog.last().map(|e| e.id).unwrap_or(floor);
    let sub = Subscription {
        db: state.db.clone(),
        org: actor.org_id.clone(),
        actor,
        user,
        rx,
        backlog: backlog.into(),
        floor,
        last: floor,
        sent: HashSet::new(),
        ready: Some(last),
        next_touch: tokio::time::Instant::now(),
        closing: state.events.closing(),
        session: Some((backend::session_store::DbSessionStore::new(state.db.clone()).with_max_age_ms(state.auth.session_max_age_ms), session_id)),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(sub, Subscription::next);
    let mut res = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    // Proxies must not buffer the stream.
    res.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    res
}
