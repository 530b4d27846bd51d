#![recursion_limit = "256"]
//! WhatsApp channel benchmarks (issue 3). Prints its figures; asserts nothing.
//!
//! 1. Send pipeline against a Graph API double on loopback: the double's own capacity,
//!    the sustained send rate with the per-number rate at its 1,000 msg/s ceiling, and
//!    uncapped (pacing off) as a ratio of the double's capacity.
//! 2. Signed webhook ingest over HTTP at a fixed arrival rate: p50/p99 latency and the
//!    achieved rate, beside an axum hello-world measured in the same run.
//!
//! Run: `cargo run --release -p bench --bin whatsapp-bench [-- --postgres postgres://…/postgres]`
//! (the PostgreSQL URL is an admin URL; a fresh database is created there).

use axum::routing::post;
use axum::{Json, Router};
use backend::testing::{seed_number, seed_org_with, test_cipher, TestDb};
use backend::whatsapp::outbound::{self, SendRequest};
use backend::whatsapp::sender::Sender;
use domain::whatsapp::outbound::OutboundContent;
use domain::{PhoneE164, Role};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod campaign;

const PNID: &str = "100000000000001";
const INGEST_PNID: &str = "200000000000002";
const APP_SECRET: &str = "bench-secret";
/// Concurrent workers and jobs per batch (the server runs one worker with the same batch).
const WORKERS: usize = 2;
const BATCH: usize = backend::jobs::send_message::BATCH;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    url
}

/// A Graph API double: accepts every send with a fresh wamid.
async fn graph_double() -> String {
    let n = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/{version}/{pnid}/messages",
        post(move |Json(_b): Json<Value>| {
            let n = n.clone();
            async move { Json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.B{}", n.fetch_add(1, Ordering::Relaxed))}]})) }
        }),
    );
    serve(app).await
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// Closed-loop capacity of a POST endpoint with `concurrency` clients for `secs`.
async fn capacity(url: String, body: String, headers: Vec<(&'static str, String)>, concurrency: usize, secs: u64) -> f64 {
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, headers, done) = (client.clone(), url.clone(), body.clone(), headers.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let mut req = client.post(&url).header("content-type", "application/json").body(body.clone());
                for (k, v) in &headers {
                    req = req.header(*k, v);
                }
                if req.send().await.map(|r| r.status().is_success()).unwrap_or(false) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

async fn send_bench(t: &TestDb, label: &str) {
    let a = seed_org_with(&t.db, "Bench", &format!("bench-{label}@mce.test"), Role::Admin).await;
    let number = seed_number(&t.db, &a.actor, PNID).await;
    let base = graph_double().await;
    let double_rate = capacity(format!("{base}/v23.0/{PNID}/messages"), json!({"messaging_product": "whatsapp"}).to_string(), vec![], 32, 3).await;
    let api = Arc::new(backend::whatsapp::graph::GraphClient::new(&base, "v23.0").unwrap());
    for (mode, paced, n) in [("capped at 1,000 msg/s", true, 6_000u64), ("uncapped", false, 6_000u64)] {
        let now = backend::clock::now_ms();
        for i in 0..n {
            let to = PhoneE164::from_wa_id(&format!("55119{:08}", i)).unwrap();
            let req = SendRequest {
                number_id: number.id.clone(),
                to,
                content: OutboundContent::Template { name: "bench".into(), language: "en".into(), components: vec![] },
            };
            outbound::send(&t.db, &a.actor, &req, now).await.unwrap();
        }
        // The number already earned the top rate.
        backend::testing::set_send_rate(&t.db, &number.id, 1000.0).await;
        let mut sender = Sender::new(t.db.clone(), api.clone(), test_cipher());
        if !paced {
            sender = sender.without_pacing();
        }
        let sender = Arc::new(sender);
        let start = Instant::now();
        let sent = drain_sends(sender).await;
        let secs = start.elapsed().as_secs_f64();
        let rate = sent as f64 / secs;
        let vs = if paced { format!("{:.2} × the cap", rate / 1000.0) } else { format!("{:.2} × the double's capacity", rate / double_rate) };
        println!("[{label}] send {mode}: {sent} messages in {secs:.2} s = {rate:.0} msg/s ({vs})");
    }
    println!("[{label}] Graph API double capacity (32 clients): {double_rate:.0} req/s");
}

/// Runs [`WORKERS`] send loops until no send is queued; returns how many Meta accepted.
pub(crate) async fn drain_sends(sender: Arc<Sender>) -> u64 {
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let sender = sender.clone();
        workers.push(tokio::spawn(async move {
            let mut sent = 0u64;
            loop {
                let outcomes = sender.run_batch(backend::clock::now_ms(), BATCH).await.unwrap();
                let accepted = outcomes.iter().filter(|o| **o == backend::whatsapp::sender::Outcome::Accepted).count() as u64;
                sent += accepted;
                if outcomes.is_empty() && backend::jobs::queue::next_due(sender.db(), "send_message").await.unwrap().is_none() {
                    break;
                }
                if accepted == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            sent
        }));
    }
    let mut sent = 0;
    for w in workers {
        sent += w.await.unwrap();
    }
    sent
}

/// Open-loop: `rate` requests per second for `secs`, each latency recorded.
async fn fixed_rate(url: String, bodies: Vec<(String, String)>, rate: u64, secs: u64) -> (f64, f64, f64, usize) {
    let client = reqwest::Client::new();
    let total = (rate * secs) as usize;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for (i, (body, sig)) in bodies.into_iter().take(total).enumerate() {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            let t = Instant::now();
            let ok = client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", sig)
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16() == 200)
                .unwrap_or(false);
            (t.elapsed(), ok)
        }));
    }
    let mut lat = Vec::with_capacity(total);
    let mut failed = 0;
    for t in tasks {
        let (d, ok) = t.await.unwrap();
        if !ok {
            failed += 1;
        }
        lat.push(d);
    }
    let wall = start.elapsed().as_secs_f64();
    lat.sort();
    (percentile(&lat, 0.5), percentile(&lat, 0.99), total as f64 / wall, failed)
}

fn envelope(value: Value) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": value}]}]}).to_string()
}

/// An inbound message of the mix: text, or (every other time) an image or a button reply.
fn inbound_body(pnid: &str, i: usize, kind: &str) -> String {
    let from = format!("4915{:09}", i % 5000);
    let mut m = json!({"from": from, "id": format!("wamid.IN{i}"), "timestamp": "1760000000", "type": kind});
    m[kind] = match kind {
        "text" => json!({"body": "hello, is this still available?"}),
        "image" => json!({"id": format!("{}", 7_000_000 + i), "mime_type": "image/jpeg", "sha256": "x", "caption": "this one"}),
        _ => json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes please"}}),
    };
    envelope(json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": pnid},
            "contacts": [{"profile": {"name": "Bench"}, "wa_id": from}], "messages": [m]}))
}

fn status_body(pnid: &str, wamid: &str, status: &str, recipient: &str) -> String {
    envelope(json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": pnid},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1760000000", "recipient_id": recipient,
                "pricing": {"billable": true, "pricing_model": "PMP", "category": "marketing", "type": "regular"}}]}))
}

/// Outbound messages with wamids `wamid.OUT{i}` for `count` recipients (200 contacts).
async fn seed_sent(t: &TestDb, org: &domain::OrgId, number: &domain::NumberId, count: usize) {
    let mut conversations = Vec::new();
    for c in 0..200.min(count) {
        let id = backend::testing::seed_outbound_message(&t.db, org, number, &format!("+5511{:09}", c), Some(&format!("wamid.OUT{c}"))).await;
        let conv: String = sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = $1").bind(&id).fetch_one(t.db.pool()).await.unwrap();
        conversations.push(conv);
    }
    let mut tx = t.db.pool().begin().await.unwrap();
    for i in 200..count {
        sqlx::query("INSERT INTO messages (id, org_id, conversation_id, number_id, direction, type, text, content, wa_message_id, status, created_at) VALUES ($1, $2, $3, $4, 'outbound', 'template', 'offer', '{}', $5, 'accepted', $6)")
            .bind(backend::clock::new_id())
            .bind(org.as_str())
            .bind(&conversations[i % conversations.len()])
            .bind(number.as_str())
            .bind(format!("wamid.OUT{i}"))
            .bind(backend::clock::now_ms())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The mix, in arrival order: 70 % statuses for known messages (every message
/// sent, then delivered, then read, as after a campaign), 20 % inbound text, 10 % inbound
/// images or button replies. Returns the bodies and how many sent messages they need.
fn mix(pnid: &str, total: usize) -> (Vec<String>, usize) {
    let statuses = total * 7 / 10;
    let sent = statuses.div_ceil(3).max(1);
    let mut k = 0;
    let bodies = (0..total)
        .map(|i| match i % 10 {
            0..=6 => {
                let (m, phase) = (k % sent, k / sent);
                k += 1;
                let status = ["sent", "delivered", "read"][phase.min(2)];
                status_body(pnid, &format!("wamid.OUT{m}"), status, "5511000000000")
            }
            7 | 8 => inbound_body(pnid, i, "text"),
            _ if i % 20 == 9 => inbound_body(pnid, i, "image"),
            _ => inbound_body(pnid, i, "interactive"),
        })
        .collect();
    (bodies, sent)
}

fn bench_config() -> server::config::Config {
    server::config::Config::from_lookup(|k| match k {
        "WHATSAPP_APP_SECRET" => Some(APP_SECRET.into()),
        "WHATSAPP_API_BASE" => Some("http://127.0.0.1:9".into()),
        _ => None,
    })
    .unwrap()
}

/// The product's router on loopback; its webhook writer, for the time figures.
async fn serve_app(t: &TestDb) -> (String, backend::whatsapp::webhook_writer::WebhookWriter) {
    let cfg = bench_config();
    let mut state =
        server::web::app_state(leptos::prelude::LeptosOptions::builder().output_name("mce").build(), t.db.clone(), &cfg, test_cipher(), "http://127.0.0.1:9")
            .unwrap();
    // MCE_BENCH_WRITERS / MCE_BENCH_LINGER_MS: try other writer settings than the product's.
    let mut settings = backend::whatsapp::webhook_writer::WriterSettings::default();
    if let Some(n) = std::env::var("MCE_BENCH_WRITERS").ok().and_then(|v| v.parse().ok()) {
        settings.writers = n;
    }
    if let Some(ms) = std::env::var("MCE_BENCH_LINGER_MS").ok().and_then(|v| v.parse().ok()) {
        settings.linger = Duration::from_millis(ms);
    }
    state.ingest = backend::whatsapp::webhook_writer::WebhookWriter::spawn(t.db.clone(), settings);
    let writer = state.ingest.clone();
    (serve(server::web::router(state, &cfg)).await, writer)
}

/// Webhook ingest of the mix at `rate` per second for `secs`, on a fresh database.
async fn ingest_bench(t: TestDb, label: &str, rate: u64, secs: u64) {
    let a = seed_org_with(&t.db, "Ingest", &format!("ingest-{label}@mce.test"), Role::Admin).await;
    let number = seed_number(&t.db, &a.actor, INGEST_PNID).await;
    let (bodies, sent) = mix(INGEST_PNID, (rate * secs) as usize);
    seed_sent(&t, &a.org, &number.id, sent).await;
    let (url, writer) = serve_app(&t).await;
    let bodies: Vec<(String, String)> = bodies
        .into_iter()
        .map(|b| {
            let s = backend::whatsapp::signature::sign(APP_SECRET.as_bytes(), b.as_bytes());
            (b, s)
        })
        .collect();
    let (p50, p99, achieved, failed) = fixed_rate(format!("{url}/webhooks/whatsapp"), bodies, rate, secs).await;
    let read: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = 'read'").fetch_one(t.db.pool()).await.unwrap();
    println!("[{label}] webhook ingest (70/20/10 mix) at {rate}/s for {secs} s: p50 {p50:.2} ms, p99 {p99:.2} ms, achieved {achieved:.0}/s, {failed} not 200 ({read} of {sent} sent messages read)");
    println!("[{label}]   writer: {}", writer.stats().summary());
}

fn hello_bench_bodies(rate: u64, secs: u64) -> Vec<(String, String)> {
    (0..(rate * secs) as usize).map(|i| (inbound_body(INGEST_PNID, i, "text"), "x".to_string())).collect()
}

#[tokio::main]
async fn main() {
    backend::net::ensure_tls_provider();
    let args: Vec<String> = std::env::args().collect();
    let pg = args.iter().position(|a| a == "--postgres").and_then(|i| args.get(i + 1)).cloned();
    // One rate (MCE_BENCH_WEBHOOK_RATE), or the four.
    let rates: Vec<u64> = match std::env::var("MCE_BENCH_WEBHOOK_RATE").ok().and_then(|v| v.parse().ok()) {
        Some(r) => vec![r],
        None => vec![500, 1_000, 2_000, 3_300],
    };
    let only = std::env::var("MCE_BENCH_ONLY").unwrap_or_default();
    println!("machine: {} cores; release build", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut labels = vec!["sqlite"];
    if pg.is_some() {
        labels.push("postgres");
    }
    let fresh = |label: &str| {
        let pg = pg.clone();
        let label = label.to_owned();
        async move {
            match label.as_str() {
                "sqlite" => backend::testing::sqlite().await,
                _ => backend::testing::postgres(pg.as_deref().unwrap()).await,
            }
        }
    };
    for label in labels {
        if only.is_empty() || only == "send" {
            send_bench(&fresh(label).await, label).await;
        }
        if only.is_empty() || only == "ingest" {
            for &rate in &rates {
                ingest_bench(fresh(label).await, label, rate, 5).await;
            }
        }
        if only.is_empty() || only == "campaign" {
            campaign::run(fresh(label).await, label).await;
        }
    }
    if only.is_empty() || only == "ingest" {
        let hello = serve(Router::new().route("/hello", post(|| async { "OK" }))).await;
        for &rate in &rates {
            let (p50, p99, achieved, _) = fixed_rate(format!("{hello}/hello"), hello_bench_bodies(rate, 5), rate, 5).await;
            println!("[axum] hello-world at {rate}/s: p50 {p50:.2} ms, p99 {p99:.2} ms, achieved {achieved:.0}/s");
        }
    }
}
