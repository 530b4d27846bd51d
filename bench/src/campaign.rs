//! The campaign-shaped run (issue 12): sends at the number's 1,000 msg/s ceiling while a
//! Graph API double answers each send and then posts `sent`, `delivered` and `read`
//! webhooks for it back to `/webhooks/whatsapp` (and a reply from 1 % of recipients),
//! and an agent's inbox list is loaded every 100 ms. Prints the sustained send rate as a
//! ratio of the cap, the webhook latencies, and the inbox list's p95.

use super::{percentile, serve, serve_app, APP_SECRET};
use axum::routing::post;
use axum::{Json, Router};
use backend::testing::{seed_number, seed_org_with, test_cipher, TestDb};
use backend::whatsapp::outbound::{self, SendRequest};
use backend::whatsapp::sender::Sender;
use domain::whatsapp::outbound::OutboundContent;
use domain::{PhoneE164, Role};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PNID: &str = "300000000000003";
/// Ten seconds at the cap.
const SENDS: u64 = 10_000;

/// What the double's webhooks met.
#[derive(Default)]
struct Posted {
    latencies: Mutex<Vec<Duration>>,
    not_ok: AtomicU64,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

fn signed_post(client: &reqwest::Client, url: &str, body: String, posted: Arc<Posted>, after: Duration) -> tokio::task::JoinHandle<()> {
    let (client, url) = (client.clone(), url.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let sig = backend::whatsapp::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
        let started = Instant::now();
        let ok = client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16() == 200)
            .unwrap_or(false);
        posted.latencies.lock().unwrap().push(started.elapsed());
        if !ok {
            posted.not_ok.fetch_add(1, Ordering::Relaxed);
        }
    })
}

fn change(value: Value) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": value}]}]}).to_string()
}

/// A Graph double that accepts each send and plays its webhooks back to `webhook_url`.
async fn graph_double(webhook_url: String, posted: Arc<Posted>) -> String {
    let n = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let app = Router::new().route(
        "/{version}/{pnid}/messages",
        post(move |Json(b): Json<Value>| {
            let (n, posted, client, url) = (n.clone(), posted.clone(), client.clone(), webhook_url.clone());
            async move {
                let i = n.fetch_add(1, Ordering::Relaxed);
                let wamid = format!("wamid.CAMP{i}");
                let to = b["to"].as_str().unwrap_or("5511000000000").trim_start_matches('+').to_owned();
                let meta = json!({"display_phone_number": "15550001111", "phone_number_id": PNID});
                let mut tasks = Vec::new();
                for (status, ms) in [("sent", 30), ("delivered", 80), ("read", 200)] {
                    let body = change(json!({"messaging_product": "whatsapp", "metadata": meta,
                        "statuses": [{"id": wamid, "status": status, "timestamp": "1760000000", "recipient_id": to}]}));
                    tasks.push(signed_post(&client, &url, body, posted.clone(), Duration::from_millis(ms)));
                }
                if i % 100 == 0 {
                    let body = change(json!({"messaging_product": "whatsapp", "metadata": meta,
                        "contacts": [{"profile": {"name": "Customer"}, "wa_id": to}],
                        "messages": [{"from": to, "id": format!("wamid.REPLY{i}"), "timestamp": "1760000000", "type": "text", "text": {"body": "Interested!"}}]}));
                    tasks.push(signed_post(&client, &url, body, posted.clone(), Duration::from_millis(300)));
                }
                posted.tasks.lock().unwrap().extend(tasks);
                Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}))
            }
        }),
    );
    serve(app).await
}

/// The run on a fresh database.
pub async fn run(t: TestDb, label: &str) {
    let a = seed_org_with(&t.db, "Campaign", &format!("campaign-{label}@mce.test"), Role::Admin).await;
    let number = seed_number(&t.db, &a.actor, PNID).await;
    let (app_url, writer) = serve_app(&t).await;
    let posted = Arc::new(Posted::default());
    let base = graph_double(format!("{app_url}/webhooks/whatsapp"), posted.clone()).await;
    let now = backend::clock::now_ms();
    for i in 0..SENDS {
        let to = PhoneE164::from_wa_id(&format!("55119{:08}", i)).unwrap();
        let req = SendRequest {
            number_id: number.id.clone(),
            to,
            content: OutboundContent::Template { name: "offer".into(), language: "en".into(), components: vec![] },
        };
        outbound::send(&t.db, &a.actor, &req, now).await.unwrap();
    }
    backend::testing::set_send_rate(&t.db, &number.id, 1000.0).await;
    let api = Arc::new(backend::whatsapp::graph::GraphClient::new(&base, "v23.0").unwrap());
    let sender = Arc::new(Sender::new(t.db.clone(), api, test_cipher()));

    // An agent's inbox, every 100 ms while the campaign runs.
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let inbox = {
        let (db, actor, running) = (t.db.clone(), a.actor.clone(), running.clone());
        tokio::spawn(async move {
            let mut lat = Vec::new();
            let q = backend::inbox::ListQuery { tab: domain::inbox::Tab::All, search: None, cursor: None, limit: 30, only: None };
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                backend::inbox::list(&db, &actor, &q, backend::clock::now_ms()).await.unwrap();
                lat.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(100).saturating_sub(started.elapsed())).await;
            }
            lat
        })
    };

    let start = Instant::now();
    let sent = super::drain_sends(sender).await;
    let secs = start.elapsed().as_secs_f64();
    // The last webhooks land after the last send.
    loop {
        let pending: Vec<_> = std::mem::take(&mut *posted.tasks.lock().unwrap());
        if pending.is_empty() {
            break;
        }
        for p in pending {
            let _ = p.await;
        }
    }
    running.store(false, Ordering::Relaxed);
    let mut inbox_lat = inbox.await.unwrap();
    inbox_lat.sort();
    let mut hook_lat = posted.latencies.lock().unwrap().clone();
    hook_lat.sort();
    let read: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = 'read'").fetch_one(t.db.pool()).await.unwrap();
    let rate = sent as f64 / secs;
    println!(
        "[{label}] campaign: {sent} sends in {secs:.2} s = {rate:.0} msg/s ({:.2} × the cap); {} webhooks p50 {:.2} ms, p99 {:.2} ms, {} not 200; {read} read; inbox list every 100 ms: p50 {:.2} ms, p95 {:.2} ms ({} loads)",
        rate / 1000.0,
        hook_lat.len(),
        percentile(&hook_lat, 0.5),
        percentile(&hook_lat, 0.99),
        posted.not_ok.load(Ordering::Relaxed),
        percentile(&inbox_lat, 0.5),
        percentile(&inbox_lat, 0.95),
        inbox_lat.len()
    );
    println!("[{label}]   writer: {}", writer.stats().summary());
}
