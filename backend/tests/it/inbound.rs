//! The inbound pipeline: ingest stores the message and queues its consumers, and nothing
//! more; the consumers (consent keywords, scoring, assignment) run as one job, and one
//! that fails rolls the others back and is retried without losing the message.

use backend::clock::now_ms;
use backend::jobs::Step;
use backend::testing::{count_rows, databases, drain_inbound, seed_number, seed_org_with};
use backend::whatsapp::ingest;
use domain::{PhoneE164, Role};

const PNID: &str = "100000000000001";

async fn customer_says(db: &backend::Db, wamid: &str, text: &str) {
    let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Customer"}, "wa_id": "5511900000777"}],
        "messages": [{"from": "5511900000777", "id": wamid, "timestamp": (now_ms() / 1000).to_string(), "type": "text", "text": {"body": text}}]}}]}]})
    .to_string();
    ingest::apply(db, &body, &serde_json::from_str(&body).unwrap()).await.unwrap();
}

async fn opt_in_status(db: &backend::Db, org: &domain::OrgId) -> String {
    let phone = PhoneE164::parse("+5511900000777").unwrap();
    let contact = backend::conversations::contact_by_phone(db, &backend::auth::Actor::system(org, "test"), &phone).await.unwrap().unwrap();
    backend::contacts::search::get(db, &backend::auth::Actor::system(org, "test"), &contact.id).await.unwrap().opt_in_status
}

#[tokio::test]
async fn ingest_stores_the_message_and_queues_its_consumers_which_then_run_once() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        customer_says(&t.db, "wamid.stop.1", "STOP").await;
        assert_eq!(count_rows(&t.db, "messages").await, 1, "{}", t.label);
        assert_eq!(opt_in_status(&t.db, &a.org).await, "unknown", "ingest itself does not act on the keyword ({})", t.label);
        let ran = drain_inbound(&t.db).await;
        assert_eq!(ran.iter().map(|r| (r.kind, r.step.clone())).collect::<Vec<_>>(), vec![("handle_inbound", Step::Done)], "{}", t.label);
        assert_eq!(opt_in_status(&t.db, &a.org).await, "opted_out", "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 2, "the confirmation is queued ({})", t.label);
        // The same webhook again stores nothing and queues nothing.
        customer_says(&t.db, "wamid.stop.1", "STOP").await;
        assert!(drain_inbound(&t.db).await.is_empty(), "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 2, "{}", t.label);
    }
}

#[tokio::test]
async fn a_failing_consumer_rolls_the_others_back_and_is_retried_without_losing_the_message() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        // Assignment (the last consumer) cannot read who is online.
        sqlx::query("ALTER TABLE member_presence RENAME TO member_presence_away").execute(t.db.pool()).await.unwrap();
        customer_says(&t.db, "wamid.stop.2", "STOP").await;
        let ran = drain_inbound(&t.db).await;
        assert!(matches!(ran[0].step, Step::Retry { .. }), "{:?} ({})", ran[0].step, t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 1, "the message is kept ({})", t.label);
        assert_eq!(opt_in_status(&t.db, &a.org).await, "unknown", "the opt-out before it was rolled back ({})", t.label);

        sqlx::query("ALTER TABLE member_presence_away RENAME TO member_presence").execute(t.db.pool()).await.unwrap();
        let ctx = backend::jobs::JobContext::new(t.db.clone(), std::sync::Arc::new(backend::testing::FakeGraph::default()), backend::testing::test_cipher());
        let runner = backend::jobs::Runner::new(ctx, backend::jobs::kinds::standard(1));
        let retried = runner.drain(&["handle_inbound"], now_ms() + backend::jobs::registry::backoff_ms(1)).await.unwrap();
        assert_eq!(retried.iter().map(|r| r.step.clone()).collect::<Vec<_>>(), vec![Step::Done], "{}", t.label);
        assert_eq!(opt_in_status(&t.db, &a.org).await, "opted_out", "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 2, "one confirmation, not two ({})", t.label);
    }
}
