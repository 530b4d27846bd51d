//! The WhatsApp REST routes on both databases: connecting a number (with the connection
//! test against a Graph API double), and reading contacts, conversations and messages
//! that webhooks created.

use crate::common::*;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use backend::testing::{count_rows, seed_number};
use backend::whatsapp::signature;
use serde_json::{json, Value};

/// A Graph API double: `GET /{version}/{pnid}` answers for the token `good-token` only,
/// with Meta's 190 error otherwise.
async fn graph_double() -> String {
    async fn phone(axum::extract::Path((_v, pnid)): axum::extract::Path<(String, String)>, headers: axum::http::HeaderMap) -> (StatusCode, Json<Value>) {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer good-token") {
            (
                StatusCode::OK,
                Json(
                    json!({"verified_name": "Lucky Shrub", "display_phone_number": "15550783881", "quality_rating": "GREEN", "platform_type": "CLOUD_API", "status": "CONNECTED", "id": pnid}),
                ),
            )
        } else {
            (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "Afake"}}),
                ),
            )
        }
    }
    let app = Router::new().route("/{version}/{pnid}", get(phone));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_number_is_saved_only_after_meta_accepts_the_token() {
    let base = graph_double().await;
    for app in apps_with(&[("WHATSAPP_API_BASE", &base)]).await {
        let orgs = two_orgs(&app.db).await;
        let key = backend::api_keys::create(&app.db, &orgs.a.org, "setup").await.unwrap();
        let mut c = Client::new(&app);
        let body = |token: &str, pnid: &str| json!({"display_name": "Sales", "phone_number_id": pnid, "waba_id": "900000000000001", "access_token": token, "system_prompt": "Be kind."});

        let refused = c.api_post("/api/v1/numbers", Some(&key.secret), &body("expired-token", "106540352242922")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {}", app.label, refused.body);
        let err = refused.json();
        assert_eq!(err["code"], "WA_001");
        assert_eq!(err["details"]["meta_code"], 190);
        assert_eq!(count_rows(&app.db, "wa_numbers").await, 0, "nothing stored ({})", app.label);

        let created = c.api_post("/api/v1/numbers", Some(&key.secret), &body("good-token", "106540352242922")).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}: {}", app.label, created.body);
        let n = created.json();
        assert_eq!((n["verified_name"].as_str(), n["quality_rating"].as_str(), n["active"].as_bool()), (Some("Lucky Shrub"), Some("GREEN"), Some(true)));
        assert!(!created.body.contains("good-token"), "the token is never returned");
        let id = n["id"].as_str().unwrap().to_owned();

        let stored: String = {
            use sqlx::Row;
            sqlx::query("SELECT access_token_enc FROM wa_numbers WHERE id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap().get("access_token_enc")
        };
        assert!(!stored.contains("good-token") && stored.starts_with("v2:"), "encrypted at rest, sealed to its row ({})", app.label);

        let again = c.api_post("/api/v1/numbers", Some(&key.secret), &body("good-token", "106540352242922")).await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        let list = c.api_get("/api/v1/numbers", Some(&key.secret)).await.json();
        let listed: Vec<(bool, &str)> =
            list["data"].as_array().unwrap().iter().map(|n| (n["is_sandbox"].as_bool().unwrap(), n["display_name"].as_str().unwrap())).collect();
        assert_eq!(listed, vec![(true, "Sandbox"), (false, "Sales")], "every org has its sandbox number, listed first ({})", app.label);
        let one = c.api_get(&format!("/api/v1/numbers/{id}"), Some(&key.secret)).await;
        assert_eq!(one.json()["phone_number_id"], "106540352242922");
        assert_eq!((one.json()["active"].as_bool(), one.json()["send_rate"].as_f64()), (Some(true), Some(60.0)), "a new number starts at 60 msg/s");

        for bad in [
            json!({"display_name": "x"}),
            json!({"display_name": "", "phone_number_id": "1", "waba_id": "2", "access_token": "t"}),
            json!({"display_name": "x", "phone_number_id": "abc", "waba_id": "2", "access_token": "t"}),
        ] {
            let r = c.api_post("/api/v1/numbers", Some(&key.secret), &bad).await;
            assert_eq!((r.status, r.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("VALIDATION_001")), "{bad}: {}", r.body);
        }
        let key_b = backend::api_keys::create(&app.db, &orgs.b.org, "b").await.unwrap();
        assert_eq!(c.api_get(&format!("/api/v1/numbers/{id}"), Some(&key_b.secret)).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn contacts_conversations_and_messages_from_webhooks_are_readable_by_api() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        seed_number(&app.db, &orgs.a.actor, "555").await;
        let key = backend::api_keys::create(&app.db, &orgs.a.org, "reader").await.unwrap();
        let mut c = Client::new(&app);
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "555"},
            "contacts": [{"profile": {"name": "Ravi"}, "wa_id": "919876543210"}],
            "messages": [
                {"from": "919876543210", "id": "wamid.R1", "timestamp": "1760000000", "type": "text", "text": {"body": "Price?"}},
                {"from": "919876543210", "id": "wamid.R2", "timestamp": "1760000060", "type": "image", "image": {"id": "55", "mime_type": "image/png", "sha256": "x", "caption": "this one"}}
            ]}}]}]})
        .to_string()
        .into_bytes();
        let sig = vec![("x-hub-signature-256", signature::sign(APP_SECRET.as_bytes(), &body))];
        assert_eq!(c.post_raw("/webhooks/whatsapp", body.clone(), &sig).await.status, StatusCode::OK);

        let contacts = c.api_get("/api/v1/contacts?phone=%2B919876543210", Some(&key.secret)).await.json();
        let contact = &contacts["data"][0];
        assert_eq!((contact["phone"].as_str(), contact["profile_name"].as_str()), (Some("+919876543210"), Some("Ravi")), "{}", app.label);
        let convs = c.api_get(&format!("/api/v1/conversations?contact_id={}", contact["id"].as_str().unwrap()), Some(&key.secret)).await.json();
        let conv_id = convs["data"][0]["id"].as_str().unwrap().to_owned();
        assert!(convs["data"][0]["window_expires_at"].as_i64().unwrap() > 1_760_000_060_000);
        let msgs = c.api_get(&format!("/api/v1/conversations/{conv_id}/messages"), Some(&key.secret)).await.json();
        let got: Vec<(&str, &str, &str)> = msgs["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["direction"].as_str().unwrap(), m["type"].as_str().unwrap(), m["text"].as_str().unwrap()))
            .collect();
        assert_eq!(got, vec![("inbound", "text", "Price?"), ("inbound", "image", "this one")], "{}", app.label);
        assert_eq!(msgs["data"][0]["wa_message_id"], "wamid.R1");

        let none = c.api_get("/api/v1/contacts?phone=%2B15550000000", Some(&key.secret)).await.json();
        assert_eq!(none["data"].as_array().unwrap().len(), 0);
        let bad = c.api_get("/api/v1/contacts?phone=12", Some(&key.secret)).await;
        assert_eq!((bad.status, bad.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("CONTACT_003")));
        let key_b = backend::api_keys::create(&app.db, &orgs.b.org, "b").await.unwrap();
        let from_b = c.api_get("/api/v1/contacts?phone=%2B919876543210", Some(&key_b.secret)).await.json();
        assert_eq!(from_b["data"].as_array().unwrap().len(), 0, "another org sees nothing ({})", app.label);
        assert_eq!(c.api_get(&format!("/api/v1/conversations/{conv_id}/messages"), Some(&key_b.secret)).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn posting_a_message_queues_it_or_explains_why_not() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let number = seed_number(&app.db, &orgs.a.actor, "777").await;
        let key = backend::api_keys::create(&app.db, &orgs.a.org, "sender").await.unwrap();
        let mut c = Client::new(&app);
        let send = |extra: Value| {
            let mut b = json!({"number_id": number.id.as_str(), "to": "+5511999990000"});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let closed = c.api_post("/api/v1/messages", Some(&key.secret), &send(json!({"text": "Hi"}))).await;
        assert_eq!((closed.status, closed.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("WA_005")), "{}: {}", app.label, closed.body);

        let template = c.api_post("/api/v1/messages", Some(&key.secret), &send(json!({"template": {"name": "hello_world", "language": "en_US"}}))).await;
        assert_eq!(template.status, StatusCode::ACCEPTED, "{}: {}", app.label, template.body);
        let answer = template.json();
        assert_eq!(answer["status"], "queued");
        let conv = answer["conversation_id"].as_str().unwrap().to_owned();

        backend::testing::customer_writes(&app.db, "777", "5511999990000", backend::clock::now_ms() - 1000).await;
        let text = c.api_post("/api/v1/messages", Some(&key.secret), &send(json!({"text": "Now inside the window"}))).await;
        assert_eq!(text.status, StatusCode::ACCEPTED, "{}", app.label);
        let media = c
            .api_post(
                "/api/v1/messages",
                Some(&key.secret),
                &send(json!({"media": {"type": "image", "link": "https://example.com/a.jpg", "caption": "Our menu"}})),
            )
            .await;
        assert_eq!(media.status, StatusCode::ACCEPTED, "{}", media.body);

        let msgs = c.api_get(&format!("/api/v1/conversations/{conv}/messages"), Some(&key.secret)).await.json();
        let outbound: Vec<(&str, &str, &str)> = msgs["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .map(|m| (m["type"].as_str().unwrap(), m["status"].as_str().unwrap(), m["text"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(
            outbound,
            vec![("template", "pending", "Template: hello_world"), ("text", "pending", "Now inside the window"), ("image", "pending", "Our menu")],
            "{}",
            app.label
        );

        for (bad, code) in [
            (send(json!({"text": "a", "template": {"name": "x", "language": "en"}})), "VALIDATION_001"),
            (send(json!({})), "VALIDATION_001"),
            (json!({"number_id": number.id.as_str(), "to": "5511", "text": "x"}), "VALIDATION_001"),
            (send(json!({"interactive": {"type": "button", "body": {"text": "Pick"}, "action": {"buttons": []}}})), "VALIDATION_001"),
        ] {
            let r = c.api_post("/api/v1/messages", Some(&key.secret), &bad).await;
            assert_eq!((r.status, r.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{bad}: {}", r.body);
        }
        let key_b = backend::api_keys::create(&app.db, &orgs.b.org, "b").await.unwrap();
        let foreign = c.api_post("/api/v1/messages", Some(&key_b.secret), &send(json!({"template": {"name": "hello_world", "language": "en_US"}}))).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "another org's number ({})", app.label);
        assert_eq!(count_rows(&app.db, "jobs").await, 3, "one job per queued message");
    }
}
