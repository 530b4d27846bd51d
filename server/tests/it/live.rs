//! The live event stream (`GET /events`, SSE) on both databases: a signed-in member
//! hears of a new message as soon as its webhook commits, never of another org's; a
//! reconnect with `Last-Event-ID` replays what was missed; signed-out visitors get 401.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use backend::testing::{customer_writes, databases, seed_number, test_cipher};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use std::time::Duration;
use tower::ServiceExt;

const PNID: &str = "100000000000001";
const PNID_B: &str = "100000000000002";
const PASSWORD: &str = "password-for-tests";

/// The app with its event hub running.
async fn live_apps() -> Vec<(TestApp, app::state::AppState)> {
    let cfg = config(&[("WHATSAPP_APP_SECRET", APP_SECRET), ("WHATSAPP_API_BASE", "http://127.0.0.1:9")]);
    let mut out = Vec::new();
    for t in databases().await {
        let state =
            server::web::app_state(LeptosOptions::builder().output_name("mce").build(), t.db.clone(), &cfg, test_cipher(), "http://127.0.0.1:9").unwrap();
        let (_stop, rx) = tokio::sync::watch::channel(false);
        std::mem::forget(_stop);
        state.events.spawn(t.db.clone(), rx);
        out.push((TestApp { label: t.label, db: t.db, router: server::web::router(state.clone(), &cfg) }, state));
    }
    out
}

/// An open SSE stream, read as text.
struct Stream {
    body: Body,
    text: String,
}

impl Stream {
    async fn open(app: &TestApp, c: &Client, last_event_id: Option<i64>) -> (StatusCode, Stream) {
        let cookies = c.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut req = Request::builder().uri("/events").header(header::COOKIE, cookies).header(header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        (res.status(), Stream { body: res.into_body(), text: String::new() })
    }

    /// Reads until `needle` appears (true) or `within` passes (false).
    async fn until(&mut self, needle: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.text.contains(needle) {
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Some(data) = frame.data_ref() {
                        self.text.push_str(&String::from_utf8_lossy(data));
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

#[tokio::test]
async fn a_member_hears_of_a_new_message_at_once_and_another_org_hears_nothing() {
    for (app, state) in live_apps().await {
        let orgs = two_orgs(&app.db).await;
        seed_number(&app.db, &orgs.a.actor, PNID).await;
        let mut a = Client::new(&app);
        assert_eq!(a.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let mut b = Client::new(&app);
        assert_eq!(b.login("admin@b.test", PASSWORD).await.status, StatusCode::OK);
        let (status, mut stream_a) = Stream::open(&app, &a, None).await;
        assert_eq!(status, StatusCode::OK, "{}", app.label);
        let (_, mut stream_b) = Stream::open(&app, &b, None).await;
        assert!(stream_a.until("event: ready", Duration::from_secs(5)).await, "{}", app.label);
        assert!(stream_b.until("event: ready", Duration::from_secs(5)).await);

        customer_writes(&app.db, PNID, "5511999990000", backend::clock::now_ms() - 1000).await;
        state.events.wake();
        assert!(stream_a.until("event: message", Duration::from_secs(5)).await, "A hears of it ({}): {}", app.label, stream_a.text);
        assert!(stream_a.text.contains("\"direction\":\"inbound\""));
        // B's stream, when it next hears of a message, hears of its own org's: A's never
        // came before it (no timed wait for an absence).
        seed_number(&app.db, &orgs.b.actor, PNID_B).await;
        backend::testing::customer_writes_text(&app.db, PNID_B, "5511999990009", backend::clock::now_ms() - 500, "only for B").await;
        state.events.wake();
        assert!(stream_b.until("event: message", Duration::from_secs(5)).await, "B hears of its own message ({})", app.label);
        assert!(stream_b.text.contains("only for B") && !stream_b.text.contains("\"hello\""), "B hears nothing of A ({}): {}", app.label, stream_b.text);
    }
}

#[tokio::test]
async fn a_reconnecting_browser_first_gets_what_it_missed() {
    for (app, state) in live_apps().await {
        let orgs = two_orgs(&app.db).await;
        seed_number(&app.db, &orgs.a.actor, PNID).await;
        let mut a = Client::new(&app);
        assert_eq!(a.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let before = backend::events::latest_id(&app.db).await.unwrap();
        // Two messages arrive while the browser is away.
        let now = backend::clock::now_ms();
        customer_writes(&app.db, PNID, "5511999990001", now - 2000).await;
        customer_writes(&app.db, PNID, "5511999990002", now - 1000).await;
        state.events.wake();
        let (_, mut resumed) = Stream::open(&app, &a, Some(before)).await;
        assert!(
            resumed.until("5511999990002", Duration::from_secs(5)).await || resumed.text.matches("event: message").count() == 2,
            "{}: {}",
            app.label,
            resumed.text
        );
        assert_eq!(resumed.text.matches("event: message").count(), 2, "both missed messages, once each ({})", app.label);
        let (_, mut fresh) = Stream::open(&app, &a, None).await;
        assert!(fresh.until("event: ready", Duration::from_secs(5)).await);
        // The next message after it opened is the first one it hears: it starts from now.
        backend::testing::customer_writes_text(&app.db, PNID, "5511999990003", backend::clock::now_ms(), "after the fresh stream opened").await;
        state.events.wake();
        assert!(fresh.until("after the fresh stream opened", Duration::from_secs(5)).await, "{}", app.label);
        assert_eq!(fresh.text.matches("event: message").count(), 1, "a new stream starts from now ({}): {}", app.label, fresh.text);
    }
}

#[tokio::test]
async fn the_stream_is_for_signed_in_members_only() {
    for (app, _state) in live_apps().await {
        let c = Client::new(&app);
        let (status, _) = Stream::open(&app, &c, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", app.label);
    }
}

#[tokio::test]
async fn open_streams_end_when_the_server_shuts_down_so_the_shutdown_is_not_held_up() {
    for (app, state) in live_apps().await {
        two_orgs(&app.db).await;
        let mut a = Client::new(&app);
        assert_eq!(a.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let (_, mut stream) = Stream::open(&app, &a, None).await;
        assert!(stream.until("event: ready", Duration::from_secs(5)).await, "{}", app.label);
        state.events.close();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.body.frame().await {
                    None | Some(Err(_)) => return true,
                    Some(Ok(_)) => continue,
                }
            }
        })
        .await;
        assert_eq!(ended, Ok(true), "the stream ended ({})", app.label);
    }
}

/// Reads until the stream ends (true) or `within` passes (false).
async fn ends_within(stream: &mut Stream, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        loop {
            match stream.body.frame().await {
                None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_stream_ends_within_15_seconds_of_sign_out_or_removal_from_the_org() {
    // Both databases at once: each case waits for the stream's next check.
    let cases = live_apps().await.into_iter().map(|(app, _state)| async move {
        let orgs = two_orgs(&app.db).await;
        let mut agent = Client::new(&app);
        assert_eq!(agent.login("agent@b.test", PASSWORD).await.status, StatusCode::OK, "{}", app.label);
        let (_, mut removed) = Stream::open(&app, &agent, None).await;
        assert!(removed.until("event: ready", Duration::from_secs(5)).await, "{}", app.label);
        let mut admin = Client::new(&app);
        assert_eq!(admin.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let (_, mut signed_out) = Stream::open(&app, &admin, None).await;
        assert!(signed_out.until("event: ready", Duration::from_secs(5)).await, "{}", app.label);

        backend::members::remove(&app.db, &orgs.b.actor, &orgs.b_agent.id).await.unwrap();
        assert_eq!(admin.call("/api/auth/logout", &[]).await.status, StatusCode::OK, "{}", app.label);
        let (a, b) = tokio::join!(ends_within(&mut removed, Duration::from_secs(17)), ends_within(&mut signed_out, Duration::from_secs(17)));
        assert!(a, "the removed member's stream ended ({})", app.label);
        assert!(b, "the signed-out member's stream ended ({})", app.label);
    });
    futures_util::future::join_all(cases).await;
}

#[tokio::test]
async fn ready_tells_the_newest_event_of_the_members_org_only() {
    for (app, state) in live_apps().await {
        let orgs = two_orgs(&app.db).await;
        seed_number(&app.db, &orgs.b.actor, PNID_B).await;
        customer_writes(&app.db, PNID_B, "5511999990010", backend::clock::now_ms()).await;
        state.events.wake();
        assert!(backend::events::latest_id(&app.db).await.unwrap() > 0);
        let mut a = Client::new(&app);
        assert_eq!(a.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let (_, mut stream) = Stream::open(&app, &a, None).await;
        assert!(stream.until("event: ready", Duration::from_secs(5)).await, "{}", app.label);
        let own = backend::events::latest_id_of(&app.db, &orgs.a.org).await.unwrap();
        assert!(stream.text.contains(&format!("{{\"last_id\":{own}}}")), "A is told only of its own log ({}): {}", app.label, stream.text);
    }
}

#[tokio::test]
async fn a_member_has_at_most_ten_streams_open() {
    for (app, _state) in live_apps().await {
        two_orgs(&app.db).await;
        let mut a = Client::new(&app);
        assert_eq!(a.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let mut open = Vec::new();
        for _ in 0..backend::events::MAX_STREAMS_PER_MEMBER {
            let (status, stream) = Stream::open(&app, &a, None).await;
            assert_eq!(status, StatusCode::OK, "{}", app.label);
            open.push(stream);
        }
        let (status, _) = Stream::open(&app, &a, None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the eleventh is refused ({})", app.label);
        drop(open.pop());
        let (status, _) = Stream::open(&app, &a, None).await;
        assert_eq!(status, StatusCode::OK, "a closed stream frees its slot ({})", app.label);
    }
}
