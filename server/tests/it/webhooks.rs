//! `/webhooks/whatsapp` over HTTP on both databases: the handshake, signatures, size and
//! JSON checks, and durable, idempotent application.

use crate::common::*;
use axum::http::StatusCode;
use backend::testing::{count_rows, seed_number, seed_org_with};
use backend::whatsapp::signature;
use domain::{PhoneE164, Role};
use serde_json::json;

const PNID: &str = "100000000000001";

fn inbound(wamid: &str, text: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Zoë"}, "wa_id": "5511999990000"}],
        "messages": [{"from": "5511999990000", "id": wamid, "timestamp": "1760000000", "type": "text", "text": {"body": text}}]}}]}]})
    .to_string()
    // Meta sends non-ASCII \u-escaped and signs exactly those bytes.
    .replace('á', "\\u00e1")
    .replace('ë', "\\u00eb")
    .into_bytes()
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![("x-hub-signature-256", signature::sign(APP_SECRET.as_bytes(), body))]
}

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let ok = c.get(&format!("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}")).await;
        assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "1158201444"), "{}", app.label);
        let wrong = c.get("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess").await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        let no_mode = c.get(&format!("/webhooks/whatsapp?hub.challenge=1&hub.verify_token={VERIFY_TOKEN}")).await;
        assert_eq!(no_mode.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_signed_message_is_stored_once_however_often_it_is_delivered() {
    for app in apps().await {
        let a = seed_org_with(&app.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&app.db, &a.actor, PNID).await;
        let mut c = Client::new(&app);
        // Non-ASCII arrives \u-escaped, exactly as Meta signs it.
        let body = inbound("wamid.ONE", "Olá");
        assert!(String::from_utf8_lossy(&body).contains("Ol\\u00e1"), "the body carries the escape");
        for _ in 0..3 {
            let r = c.post_raw("/webhooks/whatsapp", body.clone(), &signed(&body)).await;
            assert_eq!(r.status, StatusCode::OK, "{}: {}", app.label, r.body);
        }
        assert_eq!(count_rows(&app.db, "messages").await, 1, "{}", app.label);
        let contact = backend::conversations::contact_by_phone(&app.db, &a.actor, &PhoneE164::parse("+5511999990000").unwrap()).await.unwrap().unwrap();
        assert_eq!(contact.profile_name.as_deref(), Some("Zoë"));
        let conv = &backend::conversations::for_contact(&app.db, &a.actor, &contact.id).await.unwrap()[0];
        let msgs = backend::conversations::messages(&app.db, &a.actor, &conv.id, 10).await.unwrap();
        assert_eq!(msgs[0].text.as_deref(), Some("Olá"));
    }
}

#[tokio::test]
async fn missing_or_wrong_signatures_are_refused_and_store_nothing() {
    for app in apps().await {
        let a = seed_org_with(&app.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&app.db, &a.actor, PNID).await;
        let mut c = Client::new(&app);
        let body = inbound("wamid.BAD", "hi");
        let missing = c.post_raw("/webhooks/whatsapp", body.clone(), &[]).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{}", app.label);
        let forged = vec![("x-hub-signature-256", signature::sign(b"not-the-secret", &body))];
        assert_eq!(c.post_raw("/webhooks/whatsapp", body.clone(), &forged).await.status, StatusCode::UNAUTHORIZED);
        let mut tampered = body.clone();
        let sig = signed(&body);
        tampered.extend_from_slice(b" ");
        assert_eq!(c.post_raw("/webhooks/whatsapp", tampered, &sig).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(count_rows(&app.db, "webhook_events").await, 0, "{}", app.label);
        assert_eq!(count_rows(&app.db, "messages").await, 0);
    }
}

#[tokio::test]
async fn bodies_over_3_mb_are_refused() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let mut body = br#"{"object":"whatsapp_business_account","entry":[],"pad":""#.to_vec();
        body.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
        body.extend_from_slice(b"\"}");
        let r = c.post_raw("/webhooks/whatsapp", body.clone(), &signed(&body)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", app.label);
        assert_eq!(count_rows(&app.db, "webhook_events").await, 0);
    }
}

#[tokio::test]
async fn malformed_json_is_400_but_the_raw_body_is_kept() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let body = b"{\"object\": \"whatsapp_business_account\", \"entry\": [".to_vec();
        let r = c.post_raw("/webhooks/whatsapp", body.clone(), &signed(&body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", app.label);
        assert_eq!(count_rows(&app.db, "webhook_events").await, 1, "{}", app.label);
    }
}

#[tokio::test]
async fn while_the_writer_is_behind_a_webhook_is_answered_503_at_once_and_readyz_reports_the_backlog() {
    use backend::whatsapp::webhook_writer::{WebhookWriter, WriterSettings};
    for t in backend::testing::databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let cfg = config(&[("WHATSAPP_APP_SECRET", APP_SECRET)]);
        let mut state = server::web::app_state(
            leptos::prelude::LeptosOptions::builder().output_name("mce").build(),
            t.db.clone(),
            &cfg,
            backend::testing::test_cipher(),
            "http://127.0.0.1:9",
        )
        .unwrap();
        state.ingest = WebhookWriter::spawn(t.db.clone(), WriterSettings { max_batch: 1, linger: std::time::Duration::ZERO, queue: 1, writers: 1 });
        let writer = state.ingest.clone();
        let app = TestApp { label: t.label, db: t.db.clone(), router: server::web::router(state, &cfg) };

        // The writer is held up (the write connection on SQLite, a table lock on PostgreSQL).
        let mut blocker = t.db.pool().begin().await.unwrap();
        if t.db.kind() == backend::DbKind::Postgres {
            sqlx::query("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE").execute(&mut *blocker).await.unwrap();
        }
        let post = |wamid: &'static str| {
            let mut c = Client::new(&app);
            let body = inbound(wamid, "hi");
            async move { c.post_raw("/webhooks/whatsapp", body.clone(), &signed(&body)).await }
        };
        let in_batch = tokio::spawn(post("wamid.B1"));
        backend::testing::eventually(std::time::Duration::from_secs(10), || std::future::ready(writer.backlog() == 1)).await;
        let queued = tokio::spawn(post("wamid.B2"));
        backend::testing::eventually(std::time::Duration::from_secs(10), || std::future::ready(writer.backlog() == 2)).await;
        let refused = post("wamid.B3").await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}: {}", t.label, refused.body);
        assert_eq!(refused.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
        let ready = Client::new(&app).get("/readyz").await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "a full queue routes traffic elsewhere ({})", t.label);
        assert_eq!((ready.json()["status"].as_str(), ready.json()["webhook_backlog"].as_u64()), (Some("webhook writer behind"), Some(2)));

        blocker.rollback().await.unwrap();
        assert_eq!(in_batch.await.unwrap().status, StatusCode::OK, "{}", t.label);
        assert_eq!(queued.await.unwrap().status, StatusCode::OK, "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 2, "the refused body waits for Meta's retry ({})", t.label);
        assert_eq!(Client::new(&app).get("/readyz").await.status, StatusCode::OK);
    }
}
