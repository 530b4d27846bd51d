//! The inbox's replies over the real app on both databases: a file attached in the
//! composer reaches the customer by its media id, and two agents sending at the same
//! moment produce every message exactly once.

use crate::common::*;
use axum::http::StatusCode;
use backend::clock::now_ms;
use backend::testing::{count_rows, databases, seed_member, seed_org_with, test_cipher, FakeGraph};
use backend::whatsapp::sandbox;
use backend::whatsapp::sender::Sender;
use domain::{ConversationId, PhoneE164, Role};
use std::collections::HashSet;
use std::sync::Arc;

const CUSTOMER: &str = "5511977775555";
const PASSWORD: &str = "password-for-tests";

/// A multipart body with a `file` part and an optional `caption`.
fn attachment(filename: &str, mime: &str, bytes: &[u8], caption: Option<&str>) -> (Vec<u8>, String) {
    let b = "composer-boundary-7";
    let mut body = Vec::new();
    if let Some(c) = caption {
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n{c}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={b}"))
}

/// The customer writes to the org's sandbox number (opening the 24-hour window); the
/// conversation's id.
async fn customer_writes_first(db: &backend::Db, number: &domain::dto::WaNumber, org: &domain::OrgId, base: &str) -> ConversationId {
    let customer = PhoneE164::from_wa_id(CUSTOMER).unwrap();
    sandbox::customer_acts(db, number, &customer, "Rui", &sandbox::CustomerAction::Text("hello?".into()), base, APP_SECRET).await.unwrap();
    let reader = backend::auth::Actor::system(org, "test");
    let contact = backend::conversations::contact_by_phone(db, &reader, &customer).await.unwrap().expect("the customer is a contact");
    backend::conversations::for_contact(db, &reader, &contact.id).await.unwrap().remove(0).id
}

#[tokio::test]
async fn a_file_attached_in_the_composer_reaches_the_customer_by_its_media_id() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let (app, state) = serve_on_loopback_app(t.db.clone(), t.label).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let conversation = customer_writes_first(&t.db, &number, &a.org, &state.sandbox.public_url).await;
        let path = format!("/inbox/{}/attachments", conversation.as_str());

        let mut agent = Client::new(&app);
        assert_eq!(agent.login("agent@a.test", PASSWORD).await.status, StatusCode::OK);
        let (body, ct) = attachment("menu.png", "image/png", sandbox::SAMPLE_PHOTO, Some("Today's menu"));
        let res = agent.post_multipart(&path, body, &ct).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}: {}", t.label, res.body);

        let sender = Sender::new(t.db.clone(), Arc::new(FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        sender.drain(now_ms()).await.unwrap();
        let phone = sandbox::phone(&t.db, &number.id, CUSTOMER, 10).await.unwrap();
        let got = &phone.iter().find(|m| m.body.get("image").is_some()).expect("the customer's phone shows the picture").body["image"];
        let (held, bytes) = sandbox::media_file(&t.db, got["id"].as_str().unwrap(), true).await.unwrap().expect("sent by the id Meta gave the upload");
        assert_eq!(
            (held.mime_type.as_str(), bytes.as_deref(), got["caption"].as_str()),
            ("image/png", Some(sandbox::SAMPLE_PHOTO), Some("Today's menu")),
            "{}",
            t.label
        );

        let chat = backend::conversations::messages(&t.db, &a.actor, &conversation, 10).await.unwrap();
        let sent = chat.iter().find(|m| m.kind == "image" && m.direction == "outbound").expect("the chat shows the picture");
        assert!(sent.media_id.is_some(), "linked to our copy of the file ({})", t.label);
        assert_eq!(sent.author_name.as_deref(), Some("agent"), "the chat says who sent it ({})", t.label);
    }
}

#[tokio::test]
async fn an_attachment_is_refused_with_a_reason_and_nothing_is_uploaded() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_member(&t.db, &a.org, "viewer@a.test", Role::Viewer).await;
        seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let (app, state) = serve_on_loopback_app(t.db.clone(), t.label).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let conversation = customer_writes_first(&t.db, &number, &a.org, &state.sandbox.public_url).await;
        let path = format!("/inbox/{}/attachments", conversation.as_str());
        let png = || attachment("menu.png", "image/png", sandbox::SAMPLE_PHOTO, None);

        let mut intruder = Client::new(&app);
        assert_eq!(intruder.login("admin@b.test", PASSWORD).await.status, StatusCode::OK);
        let (body, ct) = png();
        assert_eq!(intruder.post_multipart(&path, body, &ct).await.status, StatusCode::NOT_FOUND, "another org's conversation ({})", t.label);

        let mut viewer = Client::new(&app);
        viewer.login("viewer@a.test", PASSWORD).await;
        let (body, ct) = png();
        assert_eq!(viewer.post_multipart(&path, body, &ct).await.status, StatusCode::FORBIDDEN, "viewers do not send ({})", t.label);

        let mut admin = Client::new(&app);
        admin.login("admin@a.test", PASSWORD).await;
        let (body, ct) = attachment("anim.gif", "image/gif", b"GIF89a", None);
        let res = admin.post_multipart(&path, body, &ct).await;
        assert_eq!((res.status, res.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("VALIDATION_001")), "{}", t.label);
        assert!(res.body.contains("image/gif"), "says which type: {}", res.body);

        let mut no_token = admin.clone();
        no_token.cookies.remove("mce_csrf");
        let (body, ct) = png();
        let res = no_token
            .send(
                axum::http::Request::post(&path)
                    .header("content-type", ct)
                    .header("cookie", format!("mce_session={}", admin.cookies["mce_session"]))
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "no CSRF header ({})", t.label);

        sqlx::query("UPDATE conversations SET window_expires_at = $1").bind(now_ms() - 1).execute(t.db.pool()).await.unwrap();
        let (body, ct) = png();
        let res = admin.post_multipart(&path, body, &ct).await;
        assert_eq!(res.error_code().as_deref(), Some("WA_005"), "window closed ({})", t.label);

        assert_eq!((count_rows(&t.db, "media").await, count_rows(&t.db, "sandbox_media").await), (0, 0), "nothing uploaded ({})", t.label);
        let outbound =
            backend::conversations::messages(&t.db, &a.actor, &conversation, 50).await.unwrap().into_iter().filter(|m| m.direction == "outbound").count();
        assert_eq!(outbound, 0, "nothing queued ({})", t.label);
    }
}

#[tokio::test]
async fn two_agents_sending_at_the_same_moment_each_deliver_every_message_exactly_once() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let (app, state) = serve_on_loopback_app(t.db.clone(), t.label).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let conversation = customer_writes_first(&t.db, &number, &a.org, &state.sandbox.public_url).await;
        let mut first = Client::new(&app);
        assert_eq!(first.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let mut second = Client::new(&app);
        assert_eq!(second.login("agent@a.test", PASSWORD).await.status, StatusCode::OK);

        // Each agent fires ten replies at once; both agents at the same moment.
        let mut sends = tokio::task::JoinSet::new();
        for (who, client) in [("admin", &first), ("agent", &second)] {
            for i in 0..10 {
                let (mut c, id) = (client.clone(), conversation.as_str().to_owned());
                sends.spawn(async move { c.call("/api/inbox/send", &[("conversation_id", &id), ("text", &format!("{who} reply {i}"))]).await.status });
            }
        }
        while let Some(status) = sends.join_next().await {
            assert_eq!(status.unwrap(), StatusCode::OK, "{}", t.label);
        }

        // The number's send rate paces the twenty sends: drain until the queue is empty.
        let sender = Sender::new(t.db.clone(), Arc::new(FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        backend::testing::eventually(std::time::Duration::from_secs(10), || async {
            sender.drain(now_ms()).await.unwrap();
            count_rows(&t.db, "jobs").await == 0
        })
        .await;
        let expected: HashSet<String> = ["admin", "agent"].iter().flat_map(|w| (0..10).map(move |i| format!("{w} reply {i}"))).collect();
        let chat = backend::conversations::messages(&t.db, &a.actor, &conversation, 100).await.unwrap();
        let stored: Vec<String> = chat.iter().filter(|m| m.direction == "outbound").filter_map(|m| m.text.clone()).collect();
        assert_eq!(stored.len(), 20, "twenty rows, no duplicate ({})", t.label);
        assert_eq!(stored.into_iter().collect::<HashSet<_>>(), expected, "every reply stored ({})", t.label);
        let phone = sandbox::phone(&t.db, &number.id, CUSTOMER, 100).await.unwrap();
        let received: Vec<String> = phone.iter().filter_map(|m| m.body["text"]["body"].as_str().map(str::to_owned)).filter(|b| b.contains(" reply ")).collect();
        assert_eq!(received.len(), 20, "the customer got twenty messages ({})", t.label);
        assert_eq!(received.into_iter().collect::<HashSet<_>>(), expected, "each once ({})", t.label);
    }
}
