#![recursion_limit = "256"]
//! Inbox real-time benchmark (issue 4): webhook in → event received by every subscribed
//! browser, with N clients (default 1,000) holding `GET /events` open on loopback.
//! Prints p50/p99/max of (event received − webhook posted) over all clients and
//! messages. Asserts nothing.
//!
//! Run: `cargo run --release -p bench --bin inbox-bench [-- --postgres <admin url>]`
//! (`MCE_BENCH_CLIENTS`, `MCE_BENCH_MESSAGES`, `MCE_BENCH_RATE` change the load).

use backend::testing::{seed_number, seed_org_with, test_cipher, TestDb};
use domain::Role;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PNID: &str = "300000000000003";
const APP_SECRET: &str = "bench-secret";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Signs in over HTTP and returns the cookie header (session + CSRF).
async fn sign_in(base: &str, email: &str, password: &str) -> String {
    let http = reqwest::Client::new();
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let mut cookies: HashMap<String, String> = HashMap::new();
    fn keep(cookies: &mut HashMap<String, String>, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, val)) = pair.split_once('=') {
                cookies.insert(k.trim().into(), val.trim().into());
            }
        }
    }
    keep(&mut cookies, &page);
    let header = |c: &HashMap<String, String>| c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let csrf = cookies.get("mce_csrf").cloned().unwrap_or_default();
    let res = http
        .post(format!("{base}/api/auth/login"))
        .header("cookie", header(&cookies))
        .header("x-csrf-token", csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}&password={password}", email.replace('@', "%40")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign-in failed: {}", res.status());
    keep(&mut cookies, &res);
    header(&cookies)
}

async fn run(t: &TestDb, label: &str, clients: usize, messages: usize, rate: usize) {
    let a = seed_org_with(&t.db, "Bench", &format!("inbox-{label}@mce.test"), Role::Admin).await;
    seed_number(&t.db, &a.actor, PNID).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cfg = server::config::Config::from_lookup(|k| match k {
        "WHATSAPP_APP_SECRET" => Some(APP_SECRET.into()),
        "WHATSAPP_API_BASE" => Some("http://127.0.0.1:9".into()),
        _ => None,
    })
    .unwrap();
    let state = server::web::app_state(leptos::prelude::LeptosOptions::builder().output_name("mce").build(), t.db.clone(), &cfg, test_cipher(), &base).unwrap();
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    state.events.spawn(t.db.clone(), stop_rx);
    let router = server::web::router(state, &cfg);
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    let cookie = sign_in(&base, &format!("inbox-{label}@mce.test"), &a.password).await;

    // Every client is a browser tab with the inbox open.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::with_capacity(clients * messages)));
    let ready = Arc::new(tokio::sync::Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (base, cookie, sent_at, latencies, ready) = (base.clone(), cookie.clone(), sent_at.clone(), latencies.clone(), ready.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut res = http.get(format!("{base}/events")).header("cookie", cookie).send().await.unwrap();
            let mut buf = String::new();
            let mut got = 0;
            let mut announced = false;
            while got < messages {
                let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(60), res.chunk()).await else { break };
                let now = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if frame.contains("event: ready") && !announced {
                        announced = true;
                        ready.add_permits(1);
                    }
                    if let Some(start) = frame.find("bench-msg-") {
                        let key: String = frame[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
                        if let Some(at) = sent_at.lock().unwrap().get(&key) {
                            latencies.lock().unwrap().push(now.duration_since(*at).as_secs_f64() * 1000.0);
                            got += 1;
                        }
                    }
                }
            }
        }));
    }
    let _ = tokio::time::timeout(Duration::from_secs(120), ready.acquire_many(clients as u32)).await;
    println!("[{label}] {clients} clients subscribed");

    let http = reqwest::Client::new();
    let start = Instant::now();
    for i in 0..messages {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let key = format!("bench-msg-{i}");
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": PNID},
            "contacts": [{"profile": {"name": "Bench"}, "wa_id": format!("4917{:08}", i % 50)}],
            "messages": [{"from": format!("4917{:08}", i % 50), "id": format!("wamid.INBOX{label}{i}"), "timestamp": "1760000000", "type": "text", "text": {"body": key}}]}}]}]})
        .to_string();
        let sig = backend::whatsapp::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
        sent_at.lock().unwrap().insert(key, Instant::now());
        let res = http
            .post(format!("{base}/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(60), t).await;
    }
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let expected = clients * messages;
    println!(
        "[{label}] webhook → SSE event, {clients} clients × {messages} messages at {rate}/s: {} of {expected} delivered; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

#[tokio::main]
async fn main() {
    backend::net::ensure_tls_provider();
    let args: Vec<String> = std::env::args().collect();
    let pg = args.iter().position(|a| a == "--postgres").and_then(|i| args.get(i + 1)).cloned();
    let clients = env_or("MCE_BENCH_CLIENTS", 1000);
    let messages = env_or("MCE_BENCH_MESSAGES", 100);
    let rate = env_or("MCE_BENCH_RATE", 20);
    println!("machine: {} cores; release build", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let mut dbs = vec![("sqlite", backend::testing::sqlite().await)];
    if let Some(url) = pg {
        dbs.push(("postgres", backend::testing::postgres(&url).await));
    }
    for (label, t) in dbs {
        run(&t, label, clients, messages, rate).await;
    }
}
