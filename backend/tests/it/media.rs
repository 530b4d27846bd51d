//! Media in and out (CHAN-4) on both databases: uploads checked against Meta's limits and
//! kept, inbound files downloaded once through the media API by the worker.

use backend::testing::{count_rows, databases, seed_number, seed_org_with, test_cipher, FakeGraph};
use backend::whatsapp::{ingest, media, sender::Sender};
use domain::{ErrorCode, Role};
use serde_json::json;
use std::sync::Arc;

const PNID: &str = "100000000000001";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-a-small-test-picture";

fn inbound_image(wamid: &str, media_id: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}],
        "messages": [{"from": "5511999990000", "id": wamid, "timestamp": "1760000000", "type": "image",
                      "image": {"id": media_id, "mime_type": "image/png", "sha256": media::sha256_b64(PNG), "caption": "my receipt"}}]}}]}]})
    .to_string()
}

async fn ingest_body(db: &backend::Db, body: &str) {
    ingest::apply(db, body, &serde_json::from_str(body).unwrap()).await.unwrap();
    // The message's consumers run straight after, as in the server.
    backend::testing::drain_inbound(db).await;
}

#[tokio::test]
async fn an_upload_goes_to_meta_and_a_copy_is_kept_for_the_org_only() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let graph = FakeGraph::default();
        let file = media::upload(&t.db, &graph, &graph, &test_cipher(), &a.actor, &number.id, "menu.png", "image/png", PNG.to_vec()).await.unwrap();
        let wa_id = file.wa_media_id.clone().expect("Meta's id");
        assert_eq!(graph.held_media(&wa_id).unwrap().bytes, PNG, "Meta got the bytes ({})", t.label);
        assert_eq!((file.kind.as_deref(), file.status.as_str(), file.file_size), (Some("image"), "stored", Some(PNG.len() as i64)));
        let (_, bytes) = media::content(&t.db, &a.actor, &file.id).await.unwrap();
        assert_eq!(bytes.as_deref(), Some(PNG), "{}", t.label);
        assert_eq!(media::get(&t.db, &b.actor, &file.id).await.unwrap_err().code(), ErrorCode::NotFound, "another org cannot see it ({})", t.label);
    }
}

#[tokio::test]
async fn files_meta_would_refuse_are_refused_before_upload_and_nothing_is_kept() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let graph = FakeGraph::default();
        let big = vec![0u8; 5 * 1024 * 1024 + 1];
        let e = media::upload(&t.db, &graph, &graph, &test_cipher(), &a.actor, &number.id, "big.jpg", "image/jpeg", big).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{}", t.label);
        assert!(e.into_app_error().message.contains("5 MB"));
        let e = media::upload(&t.db, &graph, &graph, &test_cipher(), &a.actor, &number.id, "a.gif", "image/gif", PNG.to_vec()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation);
        let e = media::upload(&t.db, &graph, &graph, &test_cipher(), &b.actor, &number.id, "a.png", "image/png", PNG.to_vec()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "another org's number ({})", t.label);
        let refusing = FakeGraph::scripted(vec![Err(backend::testing::meta_error(131053))]);
        let e = media::upload(&t.db, &refusing, &refusing, &test_cipher(), &a.actor, &number.id, "a.png", "image/png", PNG.to_vec()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::WhatsAppApi, "Meta's refusal ({})", t.label);
        assert_eq!(count_rows(&t.db, "media").await, 0, "{}", t.label);
    }
}

#[tokio::test]
async fn an_inbound_image_is_downloaded_once_through_the_media_api_even_when_the_webhook_repeats() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let graph = Arc::new(FakeGraph::default());
        graph.hold_media("555001", "image/png", PNG);
        let body = inbound_image("wamid.IMG1", "555001");
        ingest_body(&t.db, &body).await;
        ingest_body(&t.db, &body).await;
        assert_eq!(count_rows(&t.db, "media").await, 1, "{}", t.label);
        let sender = Sender::new(t.db.clone(), graph.clone(), test_cipher());
        let outcomes = sender.drain(backend::clock::now_ms()).await.unwrap();
        assert_eq!(outcomes.len(), 1, "one download job ({})", t.label);
        let message_id: String = {
            use sqlx::Row;
            sqlx::query("SELECT id FROM messages WHERE wa_message_id = 'wamid.IMG1'").fetch_one(t.db.pool()).await.unwrap().get("id")
        };
        let file = media::of_message(&t.db, &a.actor, &message_id).await.unwrap().expect("a file for the message");
        assert_eq!((file.status.as_str(), file.direction.as_str(), file.mime_type.as_str()), ("stored", "inbound", "image/png"), "{}", t.label);
        let (_, bytes) = media::content(&t.db, &a.actor, &file.id).await.unwrap();
        assert_eq!(bytes.as_deref(), Some(PNG), "{}", t.label);
    }
}

#[tokio::test]
async fn an_inbound_file_meta_no_longer_has_is_marked_failed_with_the_reason_and_the_message_stays() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let graph = Arc::new(FakeGraph::default());
        ingest_body(&t.db, &inbound_image("wamid.IMG2", "555404")).await;
        let sender = Sender::new(t.db.clone(), graph.clone(), test_cipher());
        sender.drain(backend::clock::now_ms()).await.unwrap();
        use sqlx::Row;
        let row = sqlx::query("SELECT status, error FROM media").fetch_one(t.db.pool()).await.unwrap();
        assert_eq!(row.get::<String, _>("status"), "failed", "{}", t.label);
        assert!(row.get::<Option<String>, _>("error").unwrap().contains("100"), "Meta's error is kept ({})", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 1, "{}", t.label);
        assert_eq!(count_rows(&t.db, "jobs").await, 0, "{}", t.label);
    }
}
