//! Media in and out over real HTTP on both databases (CHAN-4): an upload through the REST
//! API reaches the simulator's media API and can be sent by id; a customer's photo is
//! downloaded by the worker through `GET /{media-id}` and the short-lived URL, exactly as
//! from Meta; the simulator's URLs need the token and expire.

use crate::common::*;
use backend::clock::now_ms;
use backend::testing::{databases, seed_org_with, test_cipher, FakeGraph};
use backend::whatsapp::graph::{GraphClient, WhatsAppApi};
use backend::whatsapp::sandbox;
use backend::whatsapp::sender::Sender;
use domain::Role;
use serde_json::{json, Value};
use std::sync::Arc;

const CUSTOMER: &str = "5511977776666";

/// A multipart body with `number_id` and `file`.
fn upload_form(number_id: &str, filename: &str, mime: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let b = "test-boundary-42";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"number_id\"\r\n\r\n{number_id}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={b}"))
}

async fn wait_until<F: std::future::Future<Output = bool>>(check: impl FnMut() -> F) -> bool {
    backend::testing::eventually(std::time::Duration::from_secs(10), check).await
}

#[tokio::test]
async fn an_uploaded_picture_goes_to_the_media_api_and_is_sent_by_id_to_the_customer() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let base = &state.sandbox.public_url;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let key_a = backend::api_keys::create(&t.db, &a.org, "a").await.unwrap().secret;
        let key_b = backend::api_keys::create(&t.db, &b.org, "b").await.unwrap().secret;
        let http = reqwest::Client::new();

        let (body, ct) = upload_form(number.id.as_str(), "menu.png", "image/png", sandbox::SAMPLE_PHOTO);
        let res = http.post(format!("{base}/api/v1/media")).bearer_auth(&key_a).header("content-type", ct).body(body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 201, "{}", t.label);
        let file: Value = res.json().await.unwrap();
        assert_eq!(
            (file["kind"].as_str(), file["status"].as_str(), file["filename"].as_str()),
            (Some("image"), Some("stored"), Some("menu.png")),
            "{}",
            t.label
        );
        let wa_media_id = file["wa_media_id"].as_str().unwrap().to_owned();
        let (held, bytes) = sandbox::media_file(&t.db, &wa_media_id, true).await.unwrap().expect("the simulator holds the upload");
        assert_eq!((held.mime_type.as_str(), bytes.as_deref()), ("image/png", Some(sandbox::SAMPLE_PHOTO)), "{}", t.label);

        let content = http.get(format!("{base}/api/v1/media/{}/content", file["id"].as_str().unwrap())).bearer_auth(&key_a).send().await.unwrap();
        assert_eq!(content.headers()["content-type"], "image/png");
        assert_eq!(content.bytes().await.unwrap().as_ref(), sandbox::SAMPLE_PHOTO, "{}", t.label);
        let other = http.get(format!("{base}/api/v1/media/{}", file["id"].as_str().unwrap())).bearer_auth(&key_b).send().await.unwrap();
        assert_eq!(other.status().as_u16(), 404, "another org's key ({})", t.label);

        // Sent by id: the customer must have written first (a picture is not a template).
        let customer = domain::PhoneE164::from_wa_id(CUSTOMER).unwrap();
        sandbox::customer_acts(&t.db, &number, &customer, "Rui", &sandbox::CustomerAction::Text("menu?".into()), base, APP_SECRET).await.unwrap();
        let sent = http
            .post(format!("{base}/api/v1/messages"))
            .bearer_auth(&key_a)
            .json(&json!({"number_id": number.id.as_str(), "to": format!("+{CUSTOMER}"), "media": {"type": "image", "id": wa_media_id, "caption": "Today's menu"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status().as_u16(), 202, "{}", t.label);
        let sender = Sender::new(t.db.clone(), Arc::new(FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        sender.drain(now_ms()).await.unwrap();
        let phone = sandbox::phone(&t.db, &number.id, CUSTOMER, 10).await.unwrap();
        let last = phone.last().unwrap();
        assert_eq!(
            (last.body["image"]["id"].as_str(), last.body["image"]["caption"].as_str()),
            (Some(wa_media_id.as_str()), Some("Today's menu")),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn files_meta_refuses_are_refused_by_the_api_with_a_clear_error() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let base = &state.sandbox.public_url;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let key = backend::api_keys::create(&t.db, &a.org, "a").await.unwrap().secret;
        let http = reqwest::Client::new();
        let (body, ct) = upload_form(number.id.as_str(), "anim.gif", "image/gif", b"GIF89a");
        let res = http.post(format!("{base}/api/v1/media")).bearer_auth(&key).header("content-type", ct).body(body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 422, "{}", t.label);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["code"], "VALIDATION_001");
        assert!(err["message"].as_str().unwrap().contains("image/gif"), "{err}");
        let res = http.post(format!("{base}/api/v1/media")).bearer_auth(&key).json(&json!({"number_id": number.id.as_str()})).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 422, "JSON instead of a form ({})", t.label);
        assert_eq!(backend::testing::count_rows(&t.db, "media").await, 0);
        assert_eq!(backend::testing::count_rows(&t.db, "sandbox_media").await, 0);
    }
}

#[tokio::test]
async fn a_customers_photo_is_downloaded_through_the_media_api_and_served_to_the_org() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let base = state.sandbox.public_url.clone();
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let customer = domain::PhoneE164::from_wa_id(CUSTOMER).unwrap();
        sandbox::customer_acts(&t.db, &number, &customer, "Rui", &sandbox::CustomerAction::Image { caption: Some("my receipt".into()) }, &base, APP_SECRET)
            .await
            .unwrap();
        let sender = Sender::new(t.db.clone(), Arc::new(FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        let db = t.db.clone();
        let stored = wait_until(|| {
            let (db, sender) = (db.clone(), &sender);
            async move {
                sender.drain(now_ms()).await.unwrap();
                backend::testing::count_rows(&db, "media").await == 1 && {
                    use sqlx::Row;
                    sqlx::query("SELECT status FROM media").fetch_one(db.pool()).await.unwrap().get::<String, _>("status") == "stored"
                }
            }
        })
        .await;
        assert!(stored, "the photo was downloaded ({})", t.label);
        let contact = backend::conversations::contact_by_phone(&t.db, &a.actor, &customer).await.unwrap().unwrap();
        let conversations = backend::conversations::for_contact(&t.db, &a.actor, &contact.id).await.unwrap();
        let messages = backend::conversations::messages(&t.db, &a.actor, &conversations[0].id, 10).await.unwrap();
        let photo = messages.iter().find(|m| m.kind == "image").expect("the image message");
        assert_eq!(photo.text.as_deref(), Some("my receipt"));
        let media_id = photo.media_id.clone().expect("linked to our copy");
        let (file, bytes) = backend::whatsapp::media::content(&t.db, &a.actor, &media_id).await.unwrap();
        assert_eq!((file.mime_type.as_str(), bytes.as_deref()), ("image/png", Some(sandbox::SAMPLE_PHOTO)), "{}", t.label);
    }
}

#[tokio::test]
async fn the_simulators_media_urls_need_the_token_expire_and_refuse_files_over_the_limit() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let token = backend::whatsapp::numbers::access_token(&t.db, &test_cipher(), &number.id).await.unwrap();
        let file = sandbox::store_media(&t.db, &number.id, "image/png", Some("p.png"), sandbox::SAMPLE_PHOTO).await.unwrap();
        let graph = GraphClient::new(&format!("{}/sandbox/graph", state.sandbox.public_url), "v23.0").unwrap();
        let info = graph.media_info(&token, &number.phone_number_id, &file.id).await.unwrap();
        assert_eq!((info.mime_type.as_str(), info.file_size), ("image/png", Some(sandbox::SAMPLE_PHOTO.len() as u64)), "{}", t.label);
        assert_eq!(graph.download_media(&token, &info.url, 10_000).await.unwrap(), sandbox::SAMPLE_PHOTO);
        let too_big = graph.download_media(&token, &info.url, 100).await.unwrap_err();
        assert_eq!(too_big.code(), Some(131052), "{}", t.label);
        let http = reqwest::Client::new();
        assert_eq!(http.get(&info.url).send().await.unwrap().status().as_u16(), 401, "no token ({})", t.label);
        let expired = info.url.split("?exp=").next().unwrap().to_owned() + "?exp=1";
        assert_eq!(http.get(&expired).bearer_auth(&token).send().await.unwrap().status().as_u16(), 404, "expired URL ({})", t.label);
        assert_eq!(graph.media_info("wrong-token", &number.phone_number_id, &file.id).await.unwrap_err().code(), Some(190));
    }
}
