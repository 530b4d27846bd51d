//! `/api/v1/contacts` over HTTP on both databases: the contract scripts rely on —
//! `{"data": [...], "total": n}` lists, 201 on create, 409 `CONTACT_002` for a taken
//! phone, 422 `CONTACT_003` for a bad one, 404 for another org's id, PATCH and DELETE.

use crate::common::*;
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn contacts_are_created_listed_changed_and_deleted_through_the_api() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let key = backend::api_keys::create(&app.db, &orgs.a.org, "crm").await.unwrap().secret;
        let mut c = Client::new(&app);

        let made = c.api_post("/api/v1/contacts", Some(&key), &json!({"phone": "+5511988887777", "name": "Caio", "email": "caio@x.test", "company": "Acme", "tags": ["lead", "vip"], "custom_fields": {}, "opt_in_status": "opted_in"})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}: {}", app.label, made.body);
        let contact = made.json();
        let id = contact["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (contact["phone"].as_str(), contact["opt_in_status"].as_str(), contact["source"].as_str()),
            (Some("+5511988887777"), Some("opted_in"), Some("api"))
        );
        assert_eq!(contact["tags"].as_array().unwrap().len(), 2);

        let dup = c.api_post("/api/v1/contacts", Some(&key), &json!({"phone": "+55 11 98888-7777"})).await;
        assert_eq!((dup.status, dup.error_code().as_deref()), (StatusCode::CONFLICT, Some("CONTACT_002")), "{}", app.label);
        let bad = c.api_post("/api/v1/contacts", Some(&key), &json!({"phone": "not a phone"})).await;
        assert_eq!((bad.status, bad.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("CONTACT_003")), "{}", app.label);
        let not_json = c.api_send(Method::POST, "/api/v1/contacts", Some(&key), None).await;
        assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
        for i in 0..4 {
            c.api_post("/api/v1/contacts", Some(&key), &json!({"phone": format!("+551197777000{i}"), "name": format!("Other {i}"), "tags": ["lead"]})).await;
        }

        let all = c.api_get("/api/v1/contacts?per_page=2", Some(&key)).await.json();
        assert_eq!((all["total"].as_i64(), all["data"].as_array().unwrap().len()), (Some(5), 2), "{}", app.label);
        let page3 = c.api_get("/api/v1/contacts?per_page=2&page=3", Some(&key)).await.json();
        assert_eq!(page3["data"].as_array().unwrap().len(), 1);
        let by_phone = c.api_get("/api/v1/contacts?phone=%2B5511988887777", Some(&key)).await.json();
        assert_eq!((by_phone["total"].as_i64(), by_phone["data"][0]["id"].as_str()), (Some(1), Some(id.as_str())));
        let by_text = c.api_get("/api/v1/contacts?q=acme", Some(&key)).await.json();
        assert_eq!(by_text["total"], 1, "{}", app.label);
        let by_tags = c.api_get("/api/v1/contacts?tag=lead,vip", Some(&key)).await.json();
        assert_eq!(by_tags["total"], 1);
        assert_eq!(c.api_get("/api/v1/contacts?per_page=500", Some(&key)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A page number past any list is a clear 422, never an overflow (a 500).
        for page in ["100001", "9223372036854775807", "0", "-1"] {
            let far = c.api_get(&format!("/api/v1/contacts?page={page}"), Some(&key)).await;
            assert_eq!((far.status, far.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("VALIDATION_001")), "page {page} ({})", app.label);
        }
        let last = c.api_get("/api/v1/contacts?page=100000", Some(&key)).await;
        assert_eq!(
            (last.status, last.json()["data"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(0)),
            "the last allowed page is simply empty ({})",
            app.label
        );

        let path = format!("/api/v1/contacts/{id}");
        let got = c.api_get(&path, Some(&key)).await;
        assert_eq!((got.status, got.json()["name"].as_str()), (StatusCode::OK, Some("Caio")));
        let patched = c.api_send(Method::PATCH, &path, Some(&key), Some(&json!({"name": "Caio Lima", "company": null, "tags": ["customer"]}))).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        let p = patched.json();
        assert_eq!((p["name"].as_str(), p["company"].as_str(), p["tags"][0]["name"].as_str()), (Some("Caio Lima"), None, Some("customer")));
        let taken = c.api_send(Method::PATCH, &path, Some(&key), Some(&json!({"phone": "+5511977770001"}))).await;
        assert_eq!(taken.error_code().as_deref(), Some("CONTACT_002"));

        let key_b = backend::api_keys::create(&app.db, &orgs.b.org, "b").await.unwrap().secret;
        let theirs = c.api_get(&path, Some(&key_b)).await;
        assert_eq!((theirs.status, theirs.error_code().as_deref()), (StatusCode::NOT_FOUND, Some("CONTACT_001")), "{}", app.label);
        assert_eq!(c.api_get("/api/v1/contacts", Some(&key_b)).await.json()["total"], 0, "B sees none of A's contacts");
        assert_eq!(c.api_send(Method::DELETE, &path, Some(&key_b), None).await.status, StatusCode::NOT_FOUND);

        assert_eq!(c.api_send(Method::DELETE, &path, Some(&key), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(c.api_get("/api/v1/contacts", Some(&key)).await.json()["total"], 4, "gone from the list ({})", app.label);
        assert!(c.api_get(&path, Some(&key)).await.json()["deleted_at"].is_i64(), "still readable in the trash");
        // Creating it again brings it back from the trash rather than failing.
        let back = c.api_post("/api/v1/contacts", Some(&key), &json!({"phone": "+5511988887777"})).await;
        assert_eq!((back.status, back.json()["id"].as_str()), (StatusCode::CREATED, Some(id.as_str())), "{}", app.label);
    }
}
