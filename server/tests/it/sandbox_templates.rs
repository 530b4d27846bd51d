//! The sandbox simulator as Meta's template API, over real HTTP on both databases: the
//! ordinary Graph client creates, lists, edits and deletes templates of a sandbox WABA,
//! and the simulated review comes back as signed `message_template_status_update`
//! webhooks through `/webhooks/whatsapp`.

use crate::common::*;
use backend::testing::{databases, eventually, seed_org_with, test_cipher};
use backend::whatsapp::graph::GraphError;
use backend::whatsapp::sandbox;
use backend::whatsapp::sandbox_templates::{self as store, ReviewOutcome};
use domain::dto::WaNumber;
use domain::Role;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// Long enough for the simulator's review webhooks on a slow machine; only a failing
/// test waits this long.
const BOUND: Duration = Duration::from_secs(10);

fn submission(name: &str, language: &str, category: &str) -> Value {
    json!({"name": name, "language": language, "category": category, "parameter_format": "positional", "components": [
        {"type": "BODY", "text": "Hi {{1}}, your order {{2}} shipped.", "example": {"body_text": [["Ana", "#1234"]]}}
    ]})
}

/// The `value`s of the template webhooks of `field` that MCE received for the WABA.
async fn received(db: &backend::Db, waba: &str, field: &str) -> Vec<Value> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT payload FROM wa_account_events WHERE waba_id = $1 AND field = $2")
        .bind(waba)
        .bind(field)
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
}

/// Waits for the status webhook `event` of template `id` and returns its value.
async fn status_event(db: &backend::Db, waba: &str, id: &str, event: &str) -> Value {
    let wanted = |v: &Value| v["message_template_id"] == json!(id.parse::<u64>().unwrap()) && v["event"] == event;
    let arrived = eventually(BOUND, || async { received(db, waba, "message_template_status_update").await.iter().any(wanted) }).await;
    assert!(arrived, "the {event} webhook of {id} arrives");
    received(db, waba, "message_template_status_update").await.into_iter().find(wanted).unwrap()
}

fn api_error(e: GraphError) -> (i64, Option<i64>) {
    match e {
        GraphError::Api { code, subcode, .. } => (code, subcode),
        other => panic!("not a Meta error: {other:?}"),
    }
}

async fn sandbox_number(db: &backend::Db) -> (backend::testing::Seeded, WaNumber, String) {
    let a = seed_org_with(db, "Org A", "admin@a.test", Role::Admin).await;
    let number = sandbox::ensure_number(db, &test_cipher(), &a.actor).await.unwrap();
    let token = backend::whatsapp::numbers::access_token(db, &test_cipher(), &number.id).await.unwrap();
    (a, number, token)
}

#[tokio::test]
async fn a_submission_is_answered_pending_and_approved_by_a_signed_webhook() {
    for t in databases().await {
        let (app, state) = serve_on_loopback_app(t.db.clone(), t.label).await;
        let (_a, number, token) = sandbox_number(&t.db).await;
        let graph = &state.sandbox.graph;
        let waba = number.waba_id.as_str();

        // A new sandbox account starts with the three approved demo templates.
        let seeded = graph.list_templates(&token, waba, 25, None).await.unwrap();
        let names: HashSet<&str> = seeded.data.iter().filter_map(|d| d["name"].as_str()).collect();
        assert_eq!(names, HashSet::from(["welcome", "appointment_reminder", "special_offer"]), "{}", t.label);
        assert!(seeded.data.iter().all(|d| d["status"] == "APPROVED" && d["parameter_format"] == "POSITIONAL"), "{}", t.label);
        assert_eq!(seeded.after, None, "one page only");

        let created = graph.create_template(&token, waba, &submission("order_update", "en_US", "utility")).await.unwrap();
        assert_eq!((created.status.as_str(), created.category.as_str()), ("PENDING", "UTILITY"), "{}", t.label);
        assert!(created.id.bytes().all(|b| b.is_ascii_digit()), "Meta's ids are digits");
        let approved = status_event(&t.db, waba, &created.id, "APPROVED").await;
        assert_eq!(approved["message_template_name"], "order_update");
        assert_eq!(approved["message_template_language"], "en_US");
        assert_eq!(approved["message_template_category"], "UTILITY");
        assert_eq!(approved["reason"], "NONE");

        // Meta's own checks.
        let again = graph.create_template(&token, waba, &submission("order_update", "en_US", "UTILITY")).await.unwrap_err();
        assert_eq!(api_error(again), (100, Some(2388024)), "same name and language ({})", t.label);
        graph.create_template(&token, waba, &submission("order_update", "pt_BR", "UTILITY")).await.expect("another language is another template");
        for bad in [submission("Order Update", "en_US", "UTILITY"), submission("x", "English", "UTILITY"), submission("x", "en_US", "SERVICE")] {
            assert_eq!(api_error(graph.create_template(&token, waba, &bad).await.unwrap_err()).0, 100, "{bad}");
        }
        let no_body = json!({"name": "x", "language": "en_US", "category": "UTILITY", "components": [{"type": "FOOTER", "text": "f"}]});
        assert_eq!(api_error(graph.create_template(&token, waba, &no_body).await.unwrap_err()).0, 100);

        // `GET /{template_id}` answers the template like Meta, to its own token only.
        let mut client = Client::new(&app);
        let one = client.api_get(&format!("/sandbox/graph/v23.0/{}", created.id), Some(&token)).await;
        assert_eq!(one.status, 200, "{}", one.body);
        assert_eq!((one.json()["id"].as_str(), one.json()["status"].as_str()), (Some(created.id.as_str()), Some("APPROVED")));
        assert_eq!(client.api_get(&format!("/sandbox/graph/v23.0/{}", created.id), Some("SBXwrong")).await.json()["error"]["code"], 190);
    }
}

#[tokio::test]
async fn a_wrong_token_or_another_waba_is_refused_like_meta() {
    for t in databases().await {
        let state = serve_on_loopback(t.db.clone()).await;
        let (_a, number, token) = sandbox_number(&t.db).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let other = sandbox::ensure_number(&t.db, &test_cipher(), &b.actor).await.unwrap();
        let graph = &state.sandbox.graph;
        let waba = number.waba_id.as_str();

        assert_eq!(api_error(graph.list_templates("SBXwrong", waba, 25, None).await.unwrap_err()).0, 190, "{}", t.label);
        assert_eq!(api_error(graph.create_template("SBXwrong", waba, &submission("a", "en_US", "UTILITY")).await.unwrap_err()).0, 190);
        assert_eq!(api_error(graph.delete_template("SBXwrong", waba, "welcome", None).await.unwrap_err()).0, 190);
        // Org A's token does not open org B's account, nor its templates.
        assert_eq!(api_error(graph.list_templates(&token, &other.waba_id, 25, None).await.unwrap_err()).0, 190, "{}", t.label);
        let theirs = store::seed(&t.db, &other.waba_id).await.unwrap().remove(0);
        assert_eq!(api_error(graph.edit_template(&token, &theirs.id, &json!({"components": theirs.components})).await.unwrap_err()).0, 190);
        assert_eq!(api_error(graph.list_templates(&token, "98000", 25, None).await.unwrap_err()), (100, Some(33)), "no such account");
        assert_eq!(api_error(graph.edit_template(&token, "123", &json!({"category": "UTILITY"})).await.unwrap_err()), (100, Some(33)));
    }
}

#[tokio::test]
async fn the_next_review_can_reject_with_a_reason_or_recategorise() {
    for t in databases().await {
        let state = serve_on_loopback(t.db.clone()).await;
        let (_a, number, token) = sandbox_number(&t.db).await;
        let graph = &state.sandbox.graph;
        let waba = number.waba_id.as_str();
        assert_eq!(store::next_review(&t.db, &number).await.unwrap(), (ReviewOutcome::Approve, None));

        store::set_next_review(&t.db, &number, ReviewOutcome::Reject, Some("Too many exclamation marks".into())).await.unwrap();
        let rejected = graph.create_template(&token, waba, &submission("shouty", "en_US", "MARKETING")).await.unwrap();
        assert_eq!(rejected.status, "PENDING", "the answer is always PENDING ({})", t.label);
        let event = status_event(&t.db, waba, &rejected.id, "REJECTED").await;
        assert_eq!(event["reason"], "INVALID_FORMAT", "free text is filed as INVALID_FORMAT");
        assert_eq!(event["rejection_info"]["reason"], "Too many exclamation marks", "{}", t.label);
        assert!(event["rejection_info"]["recommendation"].is_string());
        assert_eq!(store::next_review(&t.db, &number).await.unwrap().0, ReviewOutcome::Approve, "one submission only");

        store::set_next_review(&t.db, &number, ReviewOutcome::Reject, Some("PROMOTIONAL".into())).await.unwrap();
        let promo = graph.create_template(&token, waba, &submission("promo", "en_US", "UTILITY")).await.unwrap();
        assert_eq!(status_event(&t.db, waba, &promo.id, "REJECTED").await["reason"], "PROMOTIONAL", "{}", t.label);

        store::set_next_review(&t.db, &number, ReviewOutcome::Recategorise, None).await.unwrap();
        let recat = graph.create_template(&token, waba, &submission("shipping", "en_US", "UTILITY")).await.unwrap();
        assert_eq!(recat.category, "MARKETING", "Meta's category is answered ({})", t.label);
        assert_eq!(status_event(&t.db, waba, &recat.id, "APPROVED").await["message_template_category"], "MARKETING");
        let listed = graph.list_templates(&token, waba, 100, None).await.unwrap();
        let shipping = listed.data.iter().find(|d| d["name"] == "shipping").unwrap();
        assert_eq!((shipping["category"].as_str(), shipping["status"].as_str()), (Some("MARKETING"), Some("APPROVED")));
        let shouty = listed.data.iter().find(|d| d["name"] == "shouty").unwrap();
        assert_eq!(shouty["status"], "REJECTED", "the store keeps the review's outcome ({})", t.label);
    }
}

#[tokio::test]
async fn the_list_pages_with_cursors_until_the_last_page() {
    for t in databases().await {
        let state = serve_on_loopback(t.db.clone()).await;
        let (_a, number, token) = sandbox_number(&t.db).await;
        let waba = number.waba_id.as_str();
        // Straight into the store: 120 reviews' webhooks would only slow the test.
        for i in 0..120 {
            store::create(&t.db, waba, &submission(&format!("bulk_{i:03}"), "en_US", "UTILITY")).await.unwrap().unwrap();
        }
        let mut pages = vec![];
        let mut after: Option<String> = None;
        loop {
            let page = state.sandbox.graph.list_templates(&token, waba, 50, after.as_deref()).await.unwrap();
            pages.push(page.data.len());
            assert!(page.data.iter().all(|d| d["id"].as_str().is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))));
            after = page.after;
            if after.is_none() || pages.len() > 5 {
                break;
            }
        }
        assert_eq!(pages, vec![50, 50, 23], "120 and the 3 demo templates in pages of 50 ({})", t.label);

        // Every template exactly once, in name order as the database sorts.
        let mut seen = vec![];
        let mut after: Option<String> = None;
        loop {
            let page = state.sandbox.graph.list_templates(&token, waba, 50, after.as_deref()).await.unwrap();
            seen.extend(page.data.iter().map(|d| d["name"].as_str().unwrap().to_owned()));
            match page.after {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 123, "{}", t.label);
        assert!(seen.iter().filter(|n| n.starts_with("bulk_")).collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]), "{}", t.label);

        let mut big = store::list(&t.db, waba, Some(1000), None, "http://x").await.unwrap().unwrap();
        assert_eq!(big["data"].as_array().unwrap().len(), 100, "at most 100 a page");
        assert!(big["paging"]["next"].as_str().unwrap().starts_with("http://x?limit=100&after="));
        big = store::list(&t.db, waba, None, None, "http://x").await.unwrap().unwrap();
        assert_eq!(big["data"].as_array().unwrap().len(), 25, "25 by default");
        let bogus = state.sandbox.graph.list_templates(&token, waba, 50, Some("garbage")).await.unwrap_err();
        assert_eq!(api_error(bogus).0, 100, "{}", t.label);
    }
}

#[tokio::test]
async fn edits_go_back_to_review_and_deletes_follow_metas_rules() {
    for t in databases().await {
        let state = serve_on_loopback(t.db.clone()).await;
        let (_a, number, token) = sandbox_number(&t.db).await;
        let graph = &state.sandbox.graph;
        let waba = number.waba_id.as_str();

        // A rejected template is fixed by an edit, which is reviewed again.
        store::set_next_review(&t.db, &number, ReviewOutcome::Reject, None).await.unwrap();
        let order = graph.create_template(&token, waba, &submission("order_update", "en_US", "UTILITY")).await.unwrap();
        status_event(&t.db, waba, &order.id, "REJECTED").await;
        let fixed = json!([{"type": "BODY", "text": "Hi {{1}}, order {{2}} is on its way.", "example": {"body_text": [["Ana", "#1"]]}}]);
        graph.edit_template(&token, &order.id, &json!({"components": fixed, "category": "MARKETING"})).await.unwrap();
        let approved = status_event(&t.db, waba, &order.id, "APPROVED").await;
        assert_eq!(approved["message_template_category"], "MARKETING", "a rejected template may change category ({})", t.label);
        let stored = store::get(&t.db, &order.id).await.unwrap().unwrap();
        assert_eq!((stored.status.as_str(), stored.components.clone()), ("APPROVED", fixed), "components replaced");

        // An approved one keeps its category; an edit needs something to change.
        let refused = graph.edit_template(&token, &order.id, &json!({"category": "UTILITY"})).await.unwrap_err();
        assert_eq!(api_error(refused).0, 100, "{}", t.label);
        assert_eq!(api_error(graph.edit_template(&token, &order.id, &json!({})).await.unwrap_err()).0, 100);
        let no_body = json!({"components": [{"type": "FOOTER", "text": "f"}]});
        assert_eq!(api_error(graph.edit_template(&token, &order.id, &no_body).await.unwrap_err()).0, 100);

        // Disabled: neither editable nor deletable; reinstated, it is approved again.
        let disabled = store::disable(&t.db, &number, &order.id).await.unwrap();
        server::sandbox::post_webhook(&state, disabled).await;
        assert!(status_event(&t.db, waba, &order.id, "DISABLED").await["disable_info"]["disable_date"].is_i64(), "{}", t.label);
        assert_eq!(api_error(graph.edit_template(&token, &order.id, &json!({"components": []})).await.unwrap_err()).0, 100);
        assert_eq!(api_error(graph.delete_template(&token, waba, "order_update", None).await.unwrap_err()).0, 100, "DISABLED stays ({})", t.label);
        let back = store::reinstate(&t.db, &number, &order.id).await.unwrap();
        server::sandbox::post_webhook(&state, back).await;
        status_event(&t.db, waba, &order.id, "REINSTATED").await;
        assert_eq!(store::get(&t.db, &order.id).await.unwrap().unwrap().status, "APPROVED");

        // Delete one language by hsm_id, then every language by name.
        let pt = graph.create_template(&token, waba, &submission("order_update", "pt_BR", "UTILITY")).await.unwrap();
        let es = graph.create_template(&token, waba, &submission("order_update", "es", "UTILITY")).await.unwrap();
        graph.delete_template(&token, waba, "order_update", Some(&pt.id)).await.unwrap();
        assert!(store::get(&t.db, &pt.id).await.unwrap().is_none(), "{}", t.label);
        assert!(store::get(&t.db, &es.id).await.unwrap().is_some(), "the other languages stay");
        assert_eq!(api_error(graph.delete_template(&token, waba, "order_update", Some(&pt.id)).await.unwrap_err()).0, 100, "gone already");
        graph.delete_template(&token, waba, "order_update", None).await.unwrap();
        assert!(store::get(&t.db, &order.id).await.unwrap().is_none() && store::get(&t.db, &es.id).await.unwrap().is_none(), "{}", t.label);
        assert_eq!(api_error(graph.delete_template(&token, waba, "never_was", None).await.unwrap_err()).0, 100);
        assert_eq!(api_error(graph.edit_template(&token, &es.id, &json!({"category": "UTILITY"})).await.unwrap_err()), (100, Some(33)));
    }
}

#[tokio::test]
async fn the_sandbox_page_can_pause_rate_and_recategorise_a_template() {
    for t in databases().await {
        let state = serve_on_loopback(t.db.clone()).await;
        let (_a, number, _token) = sandbox_number(&t.db).await;
        let waba = number.waba_id.as_str();
        let welcome = store::seed(&t.db, waba).await.unwrap().into_iter().find(|s| s.name == "welcome").unwrap();
        assert_eq!(welcome.category, "UTILITY");
        let value = |body: &str| -> Value { serde_json::from_str::<Value>(body).unwrap()["entry"][0]["changes"][0].clone() };

        let paused = store::pause(&t.db, &number, &welcome.id).await.unwrap();
        assert_eq!(value(&paused)["value"]["other_info"]["title"], "FIRST_PAUSE", "{}", t.label);
        server::sandbox::post_webhook(&state, paused).await;
        status_event(&t.db, waba, &welcome.id, "PAUSED").await;
        assert!(store::pause(&t.db, &number, &welcome.id).await.is_err(), "only an approved template pauses");
        store::reinstate(&t.db, &number, &welcome.id).await.unwrap();

        let rated = value(&store::set_quality(&t.db, &number, &welcome.id, "yellow").await.unwrap());
        assert_eq!(rated["field"], "message_template_quality_update");
        assert_eq!((rated["value"]["previous_quality_score"].as_str(), rated["value"]["new_quality_score"].as_str()), (Some("GREEN"), Some("YELLOW")));
        assert!(store::set_quality(&t.db, &number, &welcome.id, "PURPLE").await.is_err());

        let notice = value(&store::announce_category(&t.db, &number, &welcome.id, "MARKETING").await.unwrap());
        assert_eq!(notice["field"], "template_category_update");
        assert_eq!((notice["value"]["new_category"].as_str(), notice["value"]["correct_category"].as_str()), (Some("UTILITY"), Some("MARKETING")));
        let at = notice["value"]["category_update_timestamp"].as_i64().unwrap();
        assert!((at - backend::clock::now_ms() / 1000 - 24 * 3600).abs() < 60, "24 hours ahead");
        assert_eq!(store::get(&t.db, &welcome.id).await.unwrap().unwrap().category, "UTILITY", "announced only ({})", t.label);
        let applied = store::apply_category(&t.db, &number, &welcome.id, "MARKETING").await.unwrap();
        assert_eq!(
            (value(&applied)["value"]["previous_category"].as_str(), value(&applied)["value"]["new_category"].as_str()),
            (Some("UTILITY"), Some("MARKETING"))
        );
        server::sandbox::post_webhook(&state, applied).await;
        assert!(eventually(BOUND, || async { !received(&t.db, waba, "template_category_update").await.is_empty() }).await, "{}", t.label);
        let stored = store::get(&t.db, &welcome.id).await.unwrap().unwrap();
        assert_eq!((stored.category.as_str(), stored.quality.as_str()), ("MARKETING", "YELLOW"));

        // Another org's number reaches none of it.
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let theirs = sandbox::ensure_number(&t.db, &test_cipher(), &b.actor).await.unwrap();
        assert!(store::disable(&t.db, &theirs, &welcome.id).await.is_err(), "{}", t.label);
    }
}
