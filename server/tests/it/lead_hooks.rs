//! Lead webhooks (`POST /api/hooks/{source_key}`) on both databases: JSON and form posts
//! become one contact per phone with the source recorded, 20 concurrent posts of the same
//! phone make one contact, bad leads are 422 with the reason and nothing written.

use crate::common::*;
use axum::http::{Method, Request, StatusCode};
use backend::contacts::search::{self, ContactQuery};
use backend::contacts::sources::{self, SourceInput};
use backend::testing::{count_rows, test_cipher};
use serde_json::json;

fn query(phone: &str) -> ContactQuery {
    ContactQuery { phone: Some(phone.into()), page: 1, per_page: 10, ..Default::default() }
}

#[tokio::test]
async fn posted_leads_become_one_contact_per_phone_with_their_source() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let mapping = serde_json::from_value(json!({"whatsapp": "phone", "nome": "name", "plano": "tags"})).unwrap();
        let mapped = sources::create(
            &app.db,
            &test_cipher(),
            &orgs.a.actor,
            &SourceInput { kind: "webhook".into(), name: "Site form".into(), mapping, ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let by_name = sources::create(
            &app.db,
            &test_cipher(),
            &orgs.a.actor,
            &SourceInput { kind: "webhook".into(), name: "Ads".into(), ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let mut c = Client::new(&app);

        let first = c
            .post_raw(
                &format!("/api/hooks/{}", mapped.source_key),
                json!({"whatsapp": "+5511955550001", "nome": "Dora", "plano": "gold"}).to_string().into_bytes(),
                &[],
            )
            .await;
        assert_eq!(first.status, StatusCode::ACCEPTED, "{}: {}", app.label, first.body);
        assert_eq!(first.json()["status"], "created");
        let contact = search::list(&app.db, &orgs.a.actor, &query("+5511955550001")).await.unwrap().data.remove(0);
        assert_eq!((contact.name.as_deref(), contact.source.as_str(), contact.tags[0].name.as_str()), (Some("Dora"), "Site form", "gold"), "{}", app.label);

        // Form-encoded, matched by field names, and Meta lead-ads style nesting.
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/hooks/{}", by_name.source_key))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from("phone=%2B55+11+95555-0001&email=dora%40x.test"))
            .unwrap();
        let form = c.send(req).await;
        assert_eq!((form.status, form.json()["status"].as_str()), (StatusCode::ACCEPTED, Some("updated")), "{}: {}", app.label, form.body);
        let ads = c
            .post_raw(
                &format!("/api/hooks/{}", by_name.source_key),
                json!({"field_data": [{"name": "phone_number", "values": ["+5511955550002"]}, {"name": "full_name", "values": ["Eli"]}]})
                    .to_string()
                    .into_bytes(),
                &[],
            )
            .await;
        assert_eq!(ads.status, StatusCode::ACCEPTED, "{}", ads.body);
        let dora = search::get(&app.db, &orgs.a.actor, &contact.id).await.unwrap();
        assert_eq!((dora.email.as_deref(), dora.source.as_str()), (Some("dora@x.test"), "Site form"), "the first source stays ({})", app.label);
        assert_eq!(count_rows(&app.db, "contacts").await, 2);
        let events = backend::events::since(&app.db, &orgs.a.actor, 0, 100).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "contact" && e.payload["via"] == "webhook").count(), 2, "a created event per new lead ({})", app.label);
        let listed = sources::list(&app.db, &orgs.a.actor).await.unwrap();
        assert_eq!(listed.iter().map(|s| s.leads_count).sum::<i64>(), 3);
        assert!(listed.iter().all(|s| s.last_success_at.is_some()));
        assert!(sources::list(&app.db, &orgs.b.actor).await.unwrap().is_empty(), "B sees none of A's sources");
    }
}

#[tokio::test]
async fn bad_leads_are_refused_with_the_reason_and_nothing_is_written() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let source = sources::create(
            &app.db,
            &test_cipher(),
            &orgs.a.actor,
            &SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let url = format!("/api/hooks/{}", source.source_key);
        let mut c = Client::new(&app);
        let cases = [
            (json!({"phone": "12", "name": "X"}).to_string(), "CONTACT_003"),
            (json!({"name": "No phone"}).to_string(), "CONTACT_003"),
            (json!({"phone": "+5511955550003", "email": "not-an-email"}).to_string(), "VALIDATION_001"),
            ("{not json".to_string(), "VALIDATION_001"),
            ("[1, 2]".to_string(), "VALIDATION_001"),
        ];
        for (body, code) in cases {
            let r = c.post_raw(&url, body.clone().into_bytes(), &[]).await;
            assert_eq!((r.status, r.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{} {body}: {}", app.label, r.body);
        }
        assert_eq!(count_rows(&app.db, "contacts").await, 0, "nothing half-written ({})", app.label);
        assert!(sources::get(&app.db, &orgs.a.org, &source.id).await.unwrap().last_error.is_some(), "the source shows the last error");
        assert_eq!(c.post_raw("/api/hooks/no-such-key", b"{}".to_vec(), &[]).await.status, StatusCode::NOT_FOUND);
        let huge = json!({"phone": "+5511955550004", "note": "x".repeat(70_000)}).to_string();
        assert_eq!(c.post_raw(&url, huge.into_bytes(), &[]).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn twenty_concurrent_posts_of_the_same_phone_make_one_contact() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let source = sources::create(
            &app.db,
            &test_cipher(),
            &orgs.a.actor,
            &SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (mut c, url) = (Client::new(&app), format!("/api/hooks/{}", source.source_key));
            set.spawn(async move { c.post_raw(&url, json!({"phone": "+5511955550009", "name": format!("Try {i}")}).to_string().into_bytes(), &[]).await });
        }
        let mut created = 0;
        while let Some(r) = set.join_next().await {
            let r = r.unwrap();
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}: {}", app.label, r.body);
            created += usize::from(r.json()["status"] == "created");
        }
        assert_eq!((created, count_rows(&app.db, "contacts").await), (1, 1), "{}", app.label);
    }
}

#[tokio::test]
async fn a_lead_for_an_existing_contact_fills_only_empty_fields_and_never_changes_its_consent() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let source = sources::create(
            &app.db,
            &test_cipher(),
            &orgs.a.actor,
            &SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let url = format!("/api/hooks/{}", source.source_key);
        let mut c = Client::new(&app);
        let first = c.post_raw(&url, json!({"phone": "+5511955550021", "name": "Dora", "opt_in_status": "opted_out"}).to_string().into_bytes(), &[]).await;
        assert_eq!(first.status, StatusCode::ACCEPTED, "{}: {}", app.label, first.body);
        let id = search::list(&app.db, &orgs.a.actor, &query("+5511955550021")).await.unwrap().data.remove(0).id;

        // Anyone holding the URL tries to rename her, take her e-mail and opt her in.
        let again = c
            .post_raw(
                &url,
                json!({"phone": "+5511955550021", "name": "Mallory", "email": "dora@x.test", "opt_in_status": "opted_in"}).to_string().into_bytes(),
                &[],
            )
            .await;
        assert_eq!((again.status, again.json()["status"].as_str()), (StatusCode::ACCEPTED, Some("updated")), "{}", app.label);
        let dora = search::get(&app.db, &orgs.a.actor, &id).await.unwrap();
        assert_eq!(
            (dora.name.as_deref(), dora.email.as_deref(), dora.opt_in_status.as_str()),
            (Some("Dora"), Some("dora@x.test"), "opted_out"),
            "the name is kept, the empty e-mail filled in, the consent untouched ({})",
            app.label
        );

        // A new contact takes the lead's consent, with the source as its evidence.
        let new = c.post_raw(&url, json!({"phone": "+5511955550022", "opt_in_status": "opted_in"}).to_string().into_bytes(), &[]).await;
        assert_eq!(new.status, StatusCode::ACCEPTED, "{}", new.body);
        let eli = search::list(&app.db, &orgs.a.actor, &query("+5511955550022")).await.unwrap().data.remove(0);
        assert_eq!(eli.opt_in_status, "opted_in", "{}", app.label);
        let timeline = backend::contacts::activity::timeline(&app.db, &orgs.a.actor, &eli.id, 50).await.unwrap();
        let consent = timeline.iter().find(|i| i.kind == "opt_in").expect("the consent is on the timeline");
        assert_eq!((consent.detail["to"].as_str(), consent.detail["evidence"].as_str()), (Some("opted_in"), Some("lead from Form")), "{}", app.label);
    }
}

#[tokio::test]
async fn a_source_that_requires_a_signature_refuses_unsigned_and_wrongly_signed_posts() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let input = SourceInput { kind: "webhook".into(), name: "Signed form".into(), require_signature: true, ..Default::default() };
        let source = sources::create(&app.db, &test_cipher(), &orgs.a.actor, &input, backend::clock::now_ms()).await.unwrap();
        let secret = source.signing_secret.clone().expect("the secret is shown once, at creation");
        assert!(source.require_signature && secret.len() >= 32, "{}", app.label);
        let listed = sources::list(&app.db, &orgs.a.actor).await.unwrap();
        assert!(listed.iter().all(|s| s.signing_secret.is_none()), "never listed again ({})", app.label);
        let stored: Option<String> =
            sqlx::query_scalar("SELECT signing_secret_enc FROM lead_sources WHERE id = $1").bind(&source.id).fetch_one(app.db.pool()).await.unwrap();
        assert!(stored.is_some_and(|s| !s.contains(&secret)), "encrypted at rest ({})", app.label);

        let url = format!("/api/hooks/{}", source.source_key);
        let body = json!({"phone": "+5511955550031", "name": "Ana"}).to_string().into_bytes();
        let mut c = Client::new(&app);
        let unsigned = c.post_raw(&url, body.clone(), &[]).await;
        assert_eq!((unsigned.status, unsigned.error_code().as_deref()), (StatusCode::UNAUTHORIZED, Some("AUTH_002")), "{}: {}", app.label, unsigned.body);
        let wrong = c.post_raw(&url, body.clone(), &[("x-mce-signature", backend::whatsapp::signature::sign(b"guess", &body))]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", app.label);
        let other_body = json!({"phone": "+5511955550031", "name": "Mallory"}).to_string().into_bytes();
        let replayed = c.post_raw(&url, other_body, &[("x-mce-signature", backend::whatsapp::signature::sign(secret.as_bytes(), &body))]).await;
        assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "a signature covers its own body only ({})", app.label);
        assert_eq!(count_rows(&app.db, "contacts").await, 0, "{}", app.label);
        let signed = c.post_raw(&url, body.clone(), &[("x-mce-signature", backend::whatsapp::signature::sign(secret.as_bytes(), &body))]).await;
        assert_eq!(signed.status, StatusCode::ACCEPTED, "{}: {}", app.label, signed.body);
        assert_eq!(count_rows(&app.db, "contacts").await, 1, "{}", app.label);
    }
}

#[tokio::test]
async fn only_admins_see_a_sources_secret_address() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let input = SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() };
        let source = sources::create(&app.db, &test_cipher(), &orgs.b.actor, &input, backend::clock::now_ms()).await.unwrap();
        let agent = backend::auth::actor_for(&app.db, &orgs.b_agent.id, &orgs.b.org).await.unwrap();
        let seen = sources::list(&app.db, &agent).await.unwrap();
        assert_eq!((seen.len(), seen[0].source_key.as_str()), (1, ""), "an agent sees the source but not its key ({})", app.label);
        assert_eq!(sources::list(&app.db, &orgs.b.actor).await.unwrap()[0].source_key, source.source_key, "{}", app.label);
    }
}

#[tokio::test]
async fn the_request_log_names_the_route_never_the_sources_key() {
    let log = Captured::on_this_thread();
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let input = SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() };
        let source = sources::create(&app.db, &test_cipher(), &orgs.a.actor, &input, backend::clock::now_ms()).await.unwrap();
        let mut c = Client::new(&app);
        let r = c.post_raw(&format!("/api/hooks/{}", source.source_key), json!({"name": "no phone"}).to_string().into_bytes(), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.label);
        let text = log.text();
        assert!(text.contains("/api/hooks/{source_key}"), "the route is logged ({}): {text}", app.label);
        assert!(!text.contains(&source.source_key), "the key never is ({})", app.label);
    }
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Collects what the server logs on this thread while a test runs. One process-wide
/// subscriber routes each thread's lines to its capture (or nowhere): a per-test
/// `set_default` subscriber loses lines when other tests' threads register the same
/// callsites at the same moment (tracing caches each callsite's interest globally).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    fn on_this_thread() -> Captured {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let subscriber = tracing_subscriber::fmt().with_writer(|| ThreadWriter).with_env_filter("info,tower_http=debug").with_ansi(false).finish();
            tracing::subscriber::set_global_default(subscriber).expect("the one test subscriber");
        });
        let log = Captured::default();
        CAPTURE.with(|c| *c.borrow_mut() = Some(log.clone()));
        log
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(log) = c.borrow().as_ref() {
                log.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
