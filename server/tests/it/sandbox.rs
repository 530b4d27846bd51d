//! The sandbox number end to end over real HTTP on both databases: the simulator accepts
//! sends from the ordinary Graph client, records what the customer receives, and its
//! signed status webhooks come back through `/webhooks/whatsapp`; it can be told to fail,
//! duplicate and reorder.

use crate::common::*;
use backend::clock::now_ms;
use backend::testing::{count_rows, databases, eventually, message_status, seed_org_with, test_cipher};
use backend::whatsapp::outbound::{self, SendRequest};
use backend::whatsapp::sandbox::{self, Behaviour};
use backend::whatsapp::sender::{Outcome, Sender};
use domain::whatsapp::outbound::OutboundContent;
use domain::{PhoneE164, Role};
use serde_json::json;
use std::time::Duration;

const CUSTOMER: &str = "5511988887777";

/// Ensures the sandbox number from two tasks at once.
async fn ensure_twice_at_once(db: &backend::Db, org: &domain::OrgId) -> (domain::NumberId, domain::NumberId) {
    let (d1, d2) = (db.clone(), db.clone());
    let (o1, o2) = (backend::auth::Actor::system(org, "test"), backend::auth::Actor::system(org, "test"));
    let a = tokio::spawn(async move { sandbox::ensure_number(&d1, &test_cipher(), &o1).await.unwrap().id });
    let b = tokio::spawn(async move { sandbox::ensure_number(&d2, &test_cipher(), &o2).await.unwrap().id });
    (a.await.unwrap(), b.await.unwrap())
}

/// Long enough for the simulator's status webhooks on a slow machine; only a failing test
/// waits this long.
const BOUND: Duration = Duration::from_secs(10);

async fn wait_for_status(db: &backend::Db, id: &str, want: &str) -> String {
    eventually(BOUND, || async { message_status(db, id).await.0 == want }).await;
    message_status(db, id).await.0
}

#[tokio::test]
async fn a_sandbox_message_is_received_and_its_ticks_come_back_by_webhook() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        assert!(number.is_sandbox && number.active);
        assert_eq!(sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap().id, number.id, "one per org ({})", t.label);
        let other = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let racing = ensure_twice_at_once(&t.db, &other.org).await;
        assert_eq!(racing.0, racing.1, "two first uses at once still make one number ({})", t.label);

        // The customer writes first (through the simulator's signed webhook).
        let (_, inbound) = sandbox::inbound_webhook(&number, CUSTOMER, "Zoë", json!({"type": "text", "text": {"body": "Olá, preço?"}}));
        assert!(inbound.contains("\\u00e1"), "non-ASCII is escaped like Meta's");
        let customer = PhoneE164::from_wa_id(CUSTOMER).unwrap();
        sandbox::customer_acts(&t.db, &number, &customer, "Zoë", &sandbox::CustomerAction::Text("Olá, preço?".into()), &state.sandbox.public_url, APP_SECRET)
            .await
            .unwrap();
        let contact = backend::conversations::contact_by_phone(&t.db, &a.actor, &PhoneE164::from_wa_id(CUSTOMER).unwrap())
            .await
            .unwrap()
            .expect("the webhook created the contact");
        assert_eq!(contact.profile_name.as_deref(), Some("Zoë"), "{}", t.label);

        let now = now_ms();
        let q = outbound::send(
            &t.db,
            &a.actor,
            &SendRequest {
                number_id: number.id.clone(),
                to: PhoneE164::from_wa_id(CUSTOMER).unwrap(),
                content: OutboundContent::Text { body: "R$ 10".into(), preview_url: false },
            },
            now,
        )
        .await
        .unwrap();
        let sender =
            Sender::new(t.db.clone(), std::sync::Arc::new(backend::testing::FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        assert_eq!(sender.drain(now).await.unwrap(), vec![Outcome::Accepted], "{}", t.label);
        assert_eq!(wait_for_status(&t.db, q.message_id.as_str(), "read").await, "read", "{}", t.label);
        let phone = sandbox::phone(&t.db, &number.id, CUSTOMER, 10).await.unwrap();
        assert_eq!(phone.len(), 2, "{}", t.label);
        assert_eq!((phone[1].direction.as_str(), phone[1].body["text"]["body"].as_str()), (sandbox::TO_CUSTOMER, Some("R$ 10")));

        // The customer taps nothing but types a reply; it lands in MCE like any message.
        let to = PhoneE164::from_wa_id(CUSTOMER).unwrap();
        sandbox::customer_acts(&t.db, &number, &to, "Zoë", &sandbox::CustomerAction::Text("Obrigada!".into()), &state.sandbox.public_url, APP_SECRET)
            .await
            .unwrap();
        let conv = backend::conversations::for_contact(&t.db, &a.actor, &contact.id).await.unwrap().remove(0);
        let texts: Vec<(String, Option<String>)> =
            backend::conversations::messages(&t.db, &a.actor, &conv.id, 10).await.unwrap().into_iter().map(|m| (m.direction, m.text)).collect();
        assert_eq!(texts.last().unwrap(), &("inbound".to_string(), Some("Obrigada!".to_string())), "{}", t.label);
        assert_eq!(sandbox::phone(&t.db, &number.id, CUSTOMER, 10).await.unwrap().len(), 3, "the phone shows all three");
    }
}

#[tokio::test]
async fn the_sandbox_can_be_told_to_fail_and_to_duplicate_and_reorder_webhooks() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let sender =
            Sender::new(t.db.clone(), std::sync::Arc::new(backend::testing::FakeGraph::default()), test_cipher()).with_sandbox(state.sandbox.graph.clone());
        let template = || OutboundContent::Template { name: "hello_world".into(), language: "en_US".into(), components: vec![] };
        let to = PhoneE164::from_wa_id(CUSTOMER).unwrap();

        sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour { fail_code: Some(131026), ..Default::default() }).await.unwrap();
        let now = now_ms();
        let failing = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to.clone(), content: template() }, now).await.unwrap();
        assert_eq!(sender.drain(now).await.unwrap(), vec![Outcome::Failed { code: Some(131026) }], "{}", t.label);
        assert_eq!(message_status(&t.db, failing.message_id.as_str()).await.1, Some(131026));

        sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour { duplicate_webhooks: true, reorder_webhooks: true, ..Default::default() }).await.unwrap();
        let later = now + 1_000;
        let shuffled =
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to.clone(), content: template() }, later).await.unwrap();
        assert_eq!(sender.drain(later).await.unwrap(), vec![Outcome::Accepted]);
        assert_eq!(wait_for_status(&t.db, shuffled.message_id.as_str(), "read").await, "read", "read arrives first and stays ({})", t.label);
        // Read, delivered and sent, each twice: once all six are applied, the late ones
        // have had their chance to move the status back.
        assert!(eventually(BOUND, || async { count_rows(&t.db, "webhook_events").await >= 6 }).await, "all six webhooks arrive ({})", t.label);
        assert_eq!(message_status(&t.db, shuffled.message_id.as_str()).await.0, "read", "late sent/delivered never move it back");

        sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour { drop_all_statuses: true, ..Default::default() }).await.unwrap();
        let quiet_at = later + 500;
        let quiet =
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to.clone(), content: template() }, quiet_at).await.unwrap();
        assert_eq!(sender.drain(quiet_at).await.unwrap(), vec![Outcome::Accepted]);
        // Nothing arrives for it, so there is nothing to wait on; wait instead for the read
        // of a later message, which the simulator schedules after any status it could
        // have planned for the quiet one.
        sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour::default()).await.unwrap();
        let marker_at = quiet_at + 250;
        let marker =
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to.clone(), content: template() }, marker_at).await.unwrap();
        assert_eq!(sender.drain(marker_at).await.unwrap(), vec![Outcome::Accepted]);
        assert_eq!(wait_for_status(&t.db, marker.message_id.as_str(), "read").await, "read", "{}", t.label);
        assert_eq!(message_status(&t.db, quiet.message_id.as_str()).await.0, "pending", "no webhook ever arrives ({})", t.label);

        sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour { fail_code: Some(190), ..Default::default() }).await.unwrap();
        let at = later + 1_000;
        outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to, content: template() }, at).await.unwrap();
        assert_eq!(sender.drain(at).await.unwrap(), vec![Outcome::Failed { code: Some(190) }]);
        assert!(!backend::whatsapp::numbers::get(&t.db, &a.actor, &number.id).await.unwrap().active, "190 deactivates the sandbox number too ({})", t.label);
        assert!(sandbox::set_behaviour(&t.db, &a.org, &number.id, &Behaviour { fail_code: Some(1), ..Default::default() }).await.is_err());
    }
}

#[tokio::test]
async fn the_simulator_checks_the_token_like_meta() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let wrong = state.sandbox.graph.phone_number("not-the-token", &number.phone_number_id).await.unwrap_err();
        assert_eq!(wrong.code(), Some(190), "{}", t.label);
        let token = backend::whatsapp::numbers::access_token(&t.db, &test_cipher(), &number.id).await.unwrap();
        let info = state.sandbox.graph.phone_number(&token, &number.phone_number_id).await.unwrap();
        assert_eq!(info.verified_name.as_deref(), Some("MCE Sandbox"));
        assert_eq!(state.sandbox.graph.phone_number(&token, "123").await.unwrap_err().code(), Some(100));
    }
}

#[tokio::test]
async fn the_simulator_keeps_its_own_24_hour_window_and_fails_late_free_text_by_webhook() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let state = serve_on_loopback(t.db.clone()).await;
        let number = sandbox::ensure_number(&t.db, &test_cipher(), &a.actor).await.unwrap();
        let token = backend::whatsapp::numbers::access_token(&t.db, &test_cipher(), &number.id).await.unwrap();
        // MCE refuses such a send itself (WA_005); here the Graph client talks to the
        // simulator directly, as a misbehaving client would.
        let body = json!({"messaging_product": "whatsapp", "to": "5511900001111", "type": "text", "text": {"body": "nobody asked"}, "biz_opaque_callback_data": "ours-1"});
        let wamid = state.sandbox.graph.send_message(&token, &number.phone_number_id, &body).await.unwrap();
        assert!(wamid.starts_with("wamid.SBX"), "accepted first, like Meta ({})", t.label);
        assert!(sandbox::phone(&t.db, &number.id, "5511900001111", 10).await.unwrap().is_empty(), "the customer never sees it");
        // A template is fine outside the window.
        let template = json!({"messaging_product": "whatsapp", "to": "5511900001111", "type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}});
        state.sandbox.graph.send_message(&token, &number.phone_number_id, &template).await.unwrap();
        assert_eq!(sandbox::phone(&t.db, &number.id, "5511900001111", 10).await.unwrap().len(), 1, "{}", t.label);
    }
}
