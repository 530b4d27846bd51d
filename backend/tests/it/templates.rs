//! Templates on both databases: Meta's review webhooks (approved, rejected with its
//! reason, replayed, out of order), the category quarantine (announced and completed
//! changes, the admin-only lift) and the org's campaign-categories policy.

use backend::auth::Actor;
use backend::clock::{new_id, now_ms};
use backend::templates::{self, quarantine, ListQuery};
use backend::testing::{databases, seed_member, seed_number, seed_org_with};
use backend::whatsapp::ingest;
use backend::Db;
use domain::{ErrorCode, OrgId, Role};
use serde_json::{json, Value};

const WABA: &str = "900000000000001";

/// A submitted template as Meta knows it: our row, PENDING, with Meta's id.
async fn pending_template(db: &Db, actor: &Actor, name: &str, category: &str, wa_id: &str) -> String {
    let number = seed_number(db, actor, &format!("10{}", &wa_id[..wa_id.len().min(10)])).await;
    let id = new_id();
    let components = json!([{"type": "BODY", "text": "Hi {{1}}, your order shipped.", "example": {"body_text": [["Ana"]]}}]);
    sqlx::query(
        "INSERT INTO templates (id, org_id, number_id, waba_id, wa_template_id, name, language, category, status, parameter_format, components, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'en_US', $7, 'PENDING', 'positional', $8, $9, $9)",
    )
    .bind(&id)
    .bind(actor.org_id.as_str())
    .bind(number.id.as_str())
    .bind(WABA)
    .bind(wa_id)
    .bind(name)
    .bind(category)
    .bind(components.to_string())
    .bind(now_ms())
    .execute(db.pool())
    .await
    .unwrap();
    id
}

/// Delivers a template webhook of `field` sent at `time` (Unix seconds).
async fn webhook(db: &Db, field: &str, time: i64, value: Value) {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "time": time, "changes": [{"field": field, "value": value}]}]}).to_string();
    let payload = serde_json::from_str(&body).unwrap();
    ingest::apply(db, &body, &payload).await.expect("applied");
}

fn status_event(event: &str, wa_id: &str, extra: Value) -> Value {
    let mut v = json!({"event": event, "message_template_id": wa_id.parse::<i64>().unwrap(), "message_template_name": "order_update", "message_template_language": "en_US", "reason": "NONE"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn notifications_of(db: &Db, org: &OrgId, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE org_id = $1 AND kind = $2").bind(org.as_str()).bind(kind).fetch_one(db.pool()).await.unwrap()
}

#[tokio::test]
async fn an_approval_webhook_approves_the_template_once_and_notifies_its_managers() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let id = pending_template(&t.db, &a.actor, "order_update", "UTILITY", "7001").await;
        webhook(&t.db, "message_template_status_update", 1_000, status_event("APPROVED", "7001", json!({"message_template_category": "UTILITY"}))).await;
        // Meta delivers at least once: the same body again changes nothing.
        webhook(&t.db, "message_template_status_update", 1_000, status_event("APPROVED", "7001", json!({"message_template_category": "UTILITY"}))).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(view.status, "APPROVED", "{}", t.label);
        assert_eq!(notifications_of(&t.db, &a.org, "template_approved").await, 1, "the admin only, once ({})", t.label);
        let history = templates::model::history(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(history.iter().filter(|h| h.kind == "status").count(), 1, "one line for a replayed webhook ({})", t.label);
        assert_eq!(history[0].summary, "Approved");
    }
}

#[tokio::test]
async fn a_rejection_keeps_metas_reason_and_an_older_event_arriving_late_does_not_undo_it() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let id = pending_template(&t.db, &a.actor, "order_update", "UTILITY", "7002").await;
        let rejection =
            json!({"reason": "INVALID_FORMAT", "rejection_info": {"reason": "Variables at the end", "recommendation": "Add text after the last variable"}});
        webhook(&t.db, "message_template_status_update", 2_000, status_event("REJECTED", "7002", rejection)).await;
        // The PENDING of an earlier moment arrives after the rejection.
        webhook(&t.db, "message_template_status_update", 1_990, status_event("PENDING", "7002", json!({}))).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(view.status, "REJECTED", "{}", t.label);
        let reason = view.reason.unwrap();
        assert!(reason.contains("INVALID_FORMAT") && reason.contains("Add text after the last variable"), "{reason}");
        assert_eq!(notifications_of(&t.db, &a.org, "template_rejected").await, 1);
        // A later approval (after an edit) does apply.
        webhook(&t.db, "message_template_status_update", 3_000, status_event("APPROVED", "7002", json!({}))).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(view.status, "APPROVED", "{}", t.label);
        assert_eq!(view.reason, None, "an approval clears the rejection reason");
    }
}

#[tokio::test]
async fn a_template_another_org_cannot_see_is_not_found() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let id = pending_template(&t.db, &a.actor, "order_update", "UTILITY", "7003").await;
        let err = templates::get(&t.db, &b.actor, &id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::TemplateNotFound, "{}", t.label);
        assert_eq!(templates::list(&t.db, &b.actor, &ListQuery::default()).await.unwrap().total, 0);
        assert_eq!(templates::list(&t.db, &a.actor, &ListQuery { q: Some("ORDER".into()), ..Default::default() }).await.unwrap().total, 1);
    }
}

#[tokio::test]
async fn under_a_utility_only_policy_an_announced_marketing_category_quarantines_at_once_and_only_an_admin_lifts_it_when_allowed() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let manager = seed_member(&t.db, &a.org, "manager@a.test", Role::Manager).await;
        let manager = backend::auth::actor_for(&t.db, &manager.id, &a.org).await.unwrap();
        assert_eq!(quarantine::settings(&t.db, &a.actor).await.unwrap().campaign_categories, vec!["MARKETING", "UTILITY"], "the default policy");
        assert_eq!(quarantine::set_settings(&t.db, &manager, &["UTILITY".into()], now_ms()).await.unwrap_err().code(), ErrorCode::Forbidden);
        quarantine::set_settings(&t.db, &a.actor, &["UTILITY".into()], now_ms()).await.unwrap();
        let id = pending_template(&t.db, &a.actor, "order_update", "UTILITY", "7004").await;
        webhook(&t.db, "message_template_status_update", 1_000, status_event("APPROVED", "7004", json!({}))).await;

        // The 24-hour notice: not changed yet, but quarantined now.
        let notice = json!({"message_template_id": 7004, "message_template_name": "order_update", "message_template_language": "en_US",
            "new_category": "UTILITY", "correct_category": "MARKETING", "category_update_timestamp": 1_746_169_200});
        webhook(&t.db, "template_category_update", 1_100, notice).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert!(view.quarantined, "{}", t.label);
        assert_eq!((view.category.as_str(), view.correct_category.as_deref()), ("UTILITY", Some("MARKETING")));
        assert_eq!(notifications_of(&t.db, &a.org, "template_quarantined").await, 2, "the admin and the manager");
        assert_eq!(
            quarantine::lift(&t.db, &a.actor, &id, now_ms()).await.unwrap_err().code(),
            ErrorCode::Conflict,
            "not while the announced category is not allowed"
        );

        // The change itself.
        let done = json!({"message_template_id": 7004, "message_template_name": "order_update", "message_template_language": "en_US",
            "previous_category": "UTILITY", "new_category": "MARKETING"});
        webhook(&t.db, "template_category_update", 1_200, done).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!((view.category.as_str(), view.quarantined), ("MARKETING", true), "{}", t.label);
        let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action LIKE 'template.category%'")
            .bind(a.org.as_str())
            .fetch_one(t.db.pool())
            .await
            .unwrap();
        assert_eq!(audited, 2, "the notice and the change are both audited ({})", t.label);

        // Allowed again (the policy changes): a manager may not lift it, an admin may.
        quarantine::set_settings(&t.db, &a.actor, &["MARKETING".into(), "UTILITY".into()], now_ms()).await.unwrap();
        assert_eq!(quarantine::lift(&t.db, &manager, &id, now_ms()).await.unwrap_err().code(), ErrorCode::Forbidden);
        let view = quarantine::lift(&t.db, &a.actor, &id, now_ms()).await.unwrap();
        assert!(!view.quarantined, "{}", t.label);
        let history = templates::model::history(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(history[0].kind, "released");
    }
}

#[tokio::test]
async fn tightening_the_policy_quarantines_the_templates_it_no_longer_allows() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let offer = pending_template(&t.db, &a.actor, "offer", "MARKETING", "7005").await;
        let receipt = pending_template(&t.db, &a.actor, "receipt", "UTILITY", "7006").await;
        assert!(quarantine::set_settings(&t.db, &a.actor, &["SOMETHING".into()], now_ms()).await.is_err());
        quarantine::set_settings(&t.db, &a.actor, &["utility".into()], now_ms()).await.unwrap();
        assert!(templates::get(&t.db, &a.actor, &offer).await.unwrap().quarantined, "{}", t.label);
        assert!(!templates::get(&t.db, &a.actor, &receipt).await.unwrap().quarantined, "{}", t.label);
        let listed = templates::list(&t.db, &a.actor, &ListQuery { status: Some("quarantined".into()), ..Default::default() }).await.unwrap();
        assert_eq!(listed.data.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["offer"]);
    }
}

#[tokio::test]
async fn quality_and_content_changes_at_meta_are_kept_with_their_history() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let id = pending_template(&t.db, &a.actor, "order_update", "UTILITY", "7007").await;
        let q = json!({"previous_quality_score": "UNKNOWN", "new_quality_score": "YELLOW", "message_template_id": 7007, "message_template_name": "order_update", "message_template_language": "en_US"});
        webhook(&t.db, "message_template_quality_update", 1_000, q).await;
        let c = json!({"message_template_id": 7007, "message_template_name": "order_update", "message_template_language": "en_US",
            "message_template_element": "Hello {{1}}, your parcel is on its way."});
        webhook(&t.db, "message_template_components_update", 1_001, c).await;
        let view = templates::get(&t.db, &a.actor, &id).await.unwrap();
        assert_eq!(view.quality, "YELLOW", "{}", t.label);
        assert_eq!(view.components[0]["text"], "Hello {{1}}, your parcel is on its way.");
        assert_eq!(notifications_of(&t.db, &a.org, "template_quality").await, 1);
    }
}
