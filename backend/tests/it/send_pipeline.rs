//! The durable send pipeline on both databases, against an in-process Graph API with a
//! controlled clock: at-most-once sends, the window and number checks, retries and their
//! timing, 190 deactivation, 130429 rate cuts, and a worker killed mid-send.

use backend::testing::{count_rows, customer_writes, databases, message_status, meta_error, seed_number, seed_org_with, FakeGraph};
use backend::whatsapp::graph::GraphError;
use backend::whatsapp::outbound::{self, SendRequest};
use backend::whatsapp::sender::{Outcome, Sender, BACKOFF_MS, RECONCILE_AFTER_MS};
use backend::{clock::now_ms, notifications, whatsapp::ingest};
use domain::whatsapp::outbound::OutboundContent;
use domain::{ErrorCode, PhoneE164, Role};
use serde_json::json;
use std::sync::Arc;

const PNID: &str = "100000000000001";
const CUSTOMER: &str = "5511999990000";

fn text(body: &str) -> OutboundContent {
    OutboundContent::Text { body: body.into(), preview_url: false }
}

fn to() -> PhoneE164 {
    PhoneE164::from_wa_id(CUSTOMER).unwrap()
}

#[tokio::test]
async fn a_message_inside_the_window_is_sent_once_with_our_id_as_callback() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, now - 60_000).await;
        let q = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("Hi Ana") }, now).await.unwrap();
        let graph = Arc::new(FakeGraph::default());
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert_eq!(sender.drain(now).await.unwrap(), vec![Outcome::Accepted], "{}", t.label);
        assert_eq!(sender.drain(now + 3_600_000).await.unwrap(), vec![], "nothing left to send");
        let calls = graph.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0]["to"].as_str(), calls[0]["text"]["body"].as_str()), (Some(CUSTOMER), Some("Hi Ana")));
        assert_eq!(calls[0]["biz_opaque_callback_data"], q.message_id.as_str());
        // Meta's status webhooks then move it along.
        let status = |s: &str| {
            json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {"metadata": {"phone_number_id": PNID}, "statuses": [{"id": "wamid.FAKE1", "status": s, "timestamp": "1760000000"}]}}]}]}).to_string()
        };
        for s in ["delivered", "sent"] {
            let b = status(s);
            ingest::apply(&t.db, &b, &serde_json::from_str(&b).unwrap()).await.unwrap();
        }
        assert_eq!(message_status(&t.db, q.message_id.as_str()).await.0, "delivered", "{}", t.label);
    }
}

#[tokio::test]
async fn free_text_outside_the_window_is_refused_before_sending_but_a_template_goes() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        let refused = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("Hello?") }, now).await;
        assert_eq!(refused.unwrap_err().code(), ErrorCode::WindowClosed, "{}", t.label);
        customer_writes(&t.db, PNID, CUSTOMER, now - 25 * 3_600_000).await;
        let stale = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("Hello?") }, now).await;
        assert_eq!(stale.unwrap_err().code(), ErrorCode::WindowClosed, "a 25-hour-old message does not open it");
        assert_eq!(count_rows(&t.db, "jobs").await, 0);
        let template = OutboundContent::Template {
            name: "order_update".into(),
            language: "en_US".into(),
            components: vec![json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]})],
        };
        outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: template }, now).await.unwrap();
        let graph = Arc::new(FakeGraph::default());
        Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher()).drain(now).await.unwrap();
        assert_eq!(graph.calls()[0]["template"]["name"], "order_update", "{}", t.label);
        let bad = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("") }, now).await;
        assert_eq!(bad.unwrap_err().code(), ErrorCode::Validation);
        let other_org = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let foreign = outbound::send(&t.db, &other_org.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("x") }, now).await;
        assert_eq!(foreign.unwrap_err().code(), ErrorCode::NotFound, "another org's number is not found");
    }
}

#[tokio::test]
async fn retryable_errors_are_retried_after_5_20_and_45_seconds_then_fail() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let q = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("retry me") }, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(131000)), Err(meta_error(131000)), Err(meta_error(131000)), Err(meta_error(131000))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        let mut at = t0;
        for (i, delay) in BACKOFF_MS.iter().enumerate() {
            assert_eq!(sender.drain(at).await.unwrap(), vec![Outcome::Retrying { code: Some(131000), at: at + delay }], "{} try {}", t.label, i + 1);
            assert_eq!(sender.drain(at + delay - 1).await.unwrap(), vec![], "not before the backoff");
            at += delay;
        }
        assert_eq!(sender.drain(at).await.unwrap(), vec![Outcome::Failed { code: Some(131000) }]);
        assert_eq!(graph.calls().len(), 4, "first try and three retries");
        let (status, code, title) = message_status(&t.db, q.message_id.as_str()).await;
        assert_eq!((status.as_str(), code, title.as_deref()), ("failed", Some(131000), Some("details of 131000")), "{}", t.label);
    }
}

#[tokio::test]
async fn a_retry_that_succeeds_sends_once_more_only() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("x") }, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(GraphError::Unreachable("connection refused".into()))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert!(matches!(sender.drain(t0).await.unwrap()[..], [Outcome::Retrying { code: None, .. }]));
        assert_eq!(sender.drain(t0 + 5_000).await.unwrap(), vec![Outcome::Accepted], "{}", t.label);
        assert_eq!(graph.calls().len(), 2);
    }
}

#[tokio::test]
async fn a_non_retryable_error_fails_at_once_with_metas_code() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let q = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("x") }, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(131026))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert_eq!(sender.drain(t0).await.unwrap(), vec![Outcome::Failed { code: Some(131026) }], "{}", t.label);
        assert_eq!(message_status(&t.db, q.message_id.as_str()).await.1, Some(131026));
        assert_eq!(sender.drain(t0 + 3_600_000).await.unwrap(), vec![]);
        assert_eq!(graph.calls().len(), 1);
    }
}

#[tokio::test]
async fn error_190_deactivates_the_number_notifies_admins_and_later_sends_get_wa_006() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let first = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("one") }, t0).await.unwrap();
        let second = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("two") }, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(190))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        let outcomes = sender.drain(t0).await.unwrap();
        assert_eq!(outcomes, vec![Outcome::Failed { code: Some(190) }, Outcome::Failed { code: None }], "{}", t.label);
        assert_eq!(graph.calls().len(), 1, "nothing more is sent with a dead token");
        assert_eq!(message_status(&t.db, first.message_id.as_str()).await.1, Some(190));
        assert!(message_status(&t.db, second.message_id.as_str()).await.2.unwrap().contains("WA_006"));
        let n = backend::whatsapp::numbers::get(&t.db, &a.actor, &number.id).await.unwrap();
        assert!(!n.active, "{}", t.label);
        let notes = notifications::list_for(&t.db, &a.actor, 10).await.unwrap();
        assert_eq!(notes[0].kind, "number_token_expired");
        let later = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("three") }, t0).await;
        assert_eq!(later.unwrap_err().code(), ErrorCode::NumberInactive);
        backend::whatsapp::numbers::replace_token(&t.db, &backend::testing::test_cipher(), &a.actor, &number.id, "EAAG-new").await.unwrap();
        outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("four") }, t0).await.unwrap();
        assert_eq!(sender.drain(t0 + 1_000).await.unwrap(), vec![Outcome::Accepted], "a new token brings it back ({})", t.label);
    }
}

#[tokio::test]
async fn three_throughput_errors_in_a_row_cut_the_numbers_rate_by_a_fifth() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        for i in 0..3 {
            let phone = format!("55119999900{i:02}");
            customer_writes(&t.db, PNID, &phone, t0 - 1000).await;
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: PhoneE164::from_wa_id(&phone).unwrap(), content: text("x") }, t0)
                .await
                .unwrap();
        }
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(130429)), Err(meta_error(130429)), Err(meta_error(130429))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        // The bucket paces the three first sends a few milliseconds apart.
        let mut now = t0;
        while graph.calls().len() < 3 && now < t0 + 1_000 {
            sender.drain(now).await.unwrap();
            now += 10;
        }
        assert_eq!(graph.calls().len(), 3);
        assert_eq!(sender.rate_of(&number.id).await, Some(48.0), "{}", t.label);
        // The rate is stored, so a restarted worker carries it on.
        let restarted = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        let mut accepted = 0;
        let mut now = t0 + 5_000;
        while accepted < 3 && now < t0 + 10_000 {
            accepted += restarted.drain(now).await.unwrap().iter().filter(|o| **o == Outcome::Accepted).count();
            now += 10;
        }
        assert_eq!(accepted, 3, "{}", t.label);
        assert_eq!(restarted.rate_of(&number.id).await, Some(48.0));
    }
}

#[tokio::test]
async fn a_worker_killed_mid_send_causes_no_duplicate_and_no_loss() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let q = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("exactly once") }, t0).await.unwrap();

        // The first worker reaches Meta and dies before hearing back.
        let gate = Arc::new(tokio::sync::Notify::new());
        let stuck = Arc::new(FakeGraph::gated(gate.clone()));
        let doomed = Sender::new(t.db.clone(), stuck.clone(), backend::testing::test_cipher());
        let task = tokio::spawn(async move { doomed.run_due(t0).await });
        assert!(backend::testing::eventually(std::time::Duration::from_secs(10), || async { !stuck.calls().is_empty() }).await, "the call reaches Meta");
        task.abort();
        let _ = task.await;

        // A restarted worker, after the lease ran out, does not send again.
        let graph = Arc::new(FakeGraph::default());
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert_eq!(sender.drain(t0 + 1_000).await.unwrap(), vec![], "the lease still holds ({})", t.label);
        let after_lease = t0 + backend::whatsapp::sender::LEASE_MS + 1;
        assert_eq!(sender.drain(after_lease).await.unwrap(), vec![Outcome::AwaitingReconciliation { at: t0 + RECONCILE_AFTER_MS }]);
        assert!(graph.calls().is_empty(), "never blindly re-sent");

        // Meta did accept it: its status webhook carries our id and reconciles the message.
        let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {"metadata": {"phone_number_id": PNID}, "statuses": [{"id": "wamid.REAL", "status": "sent", "timestamp": "1760000000", "biz_opaque_callback_data": q.message_id.as_str()}]}}]}]}).to_string();
        ingest::apply(&t.db, &status, &serde_json::from_str(&status).unwrap()).await.unwrap();
        assert_eq!(message_status(&t.db, q.message_id.as_str()).await.0, "sent", "{}", t.label);
        assert_eq!(sender.drain(t0 + RECONCILE_AFTER_MS).await.unwrap(), vec![Outcome::Skipped], "the job ends without sending");
        assert!(graph.calls().is_empty());
        assert_eq!(stuck.calls().len(), 1, "one request reached Meta in all");
    }
}

#[tokio::test]
async fn an_unknown_outcome_without_any_webhook_fails_instead_of_resending() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let q = outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("lost answer") }, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(GraphError::Transport("timed out".into()))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert_eq!(sender.drain(t0).await.unwrap(), vec![Outcome::AwaitingReconciliation { at: t0 + RECONCILE_AFTER_MS }], "{}", t.label);
        assert_eq!(sender.drain(t0 + RECONCILE_AFTER_MS).await.unwrap(), vec![Outcome::Failed { code: None }]);
        assert_eq!(graph.calls().len(), 1);
        assert_eq!(message_status(&t.db, q.message_id.as_str()).await.0, "failed");
    }
}

#[tokio::test]
async fn reading_an_inbound_message_sends_a_read_receipt_once_and_clears_unread() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        let contact = backend::conversations::contact_by_phone(&t.db, &a.actor, &to()).await.unwrap().unwrap();
        let conv = backend::conversations::for_contact(&t.db, &a.actor, &contact.id).await.unwrap().remove(0);
        assert_eq!(conv.unread_count, 1);
        let inbound = backend::conversations::messages(&t.db, &a.actor, &conv.id, 10).await.unwrap().remove(0);
        outbound::mark_read(&t.db, &a.actor, &inbound.id, t0).await.unwrap();
        outbound::mark_read(&t.db, &a.actor, &inbound.id, t0).await.unwrap();
        let graph = Arc::new(FakeGraph::default());
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        assert_eq!(sender.drain(t0).await.unwrap(), vec![Outcome::Accepted], "{}", t.label);
        let calls = graph.calls();
        assert_eq!(calls.len(), 1, "one receipt for two clicks");
        assert_eq!((calls[0]["status"].as_str(), calls[0]["message_id"].as_str()), (Some("read"), inbound.wa_message_id.as_deref()));
        assert_eq!(backend::conversations::get(&t.db, &a.actor, &conv.id).await.unwrap().unread_count, 0);
        let other = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert_eq!(outbound::mark_read(&t.db, &other.actor, &inbound.id, t0).await.unwrap_err().code(), ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn a_cut_rate_recovers_ten_percent_after_five_clean_minutes_and_is_reported() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(130429)), Err(meta_error(130429)), Err(meta_error(130429))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        // Three throttled sends, then clean sends spread over five minutes.
        let mut now = t0;
        let mut i = 0;
        while now <= t0 + 5 * 60_000 + 1_000 {
            let phone = format!("55119{:08}", i);
            customer_writes(&t.db, PNID, &phone, now - 1000).await;
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: PhoneE164::from_wa_id(&phone).unwrap(), content: text("x") }, now)
                .await
                .unwrap();
            sender.drain(now).await.unwrap();
            i += 1;
            now += if i < 4 { 100 } else { 20_000 };
        }
        let rate = sender.rate_of(&number.id).await.unwrap();
        assert!((rate - 52.8).abs() < 1e-6, "60 → 48 after the throttling, then +10 % ({}): {rate}", t.label);
        let stored = backend::whatsapp::numbers::get(&t.db, &a.actor, &number.id).await.unwrap();
        assert!((stored.send_rate - 52.8).abs() < 1e-3, "the API reports the stored rate ({})", t.label);
    }
}

#[tokio::test]
async fn a_pair_rate_limit_backs_off_only_that_recipient_by_powers_of_four() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        customer_writes(&t.db, PNID, "5511977776666", t0 - 1000).await;
        let busy =
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("to the busy one") }, t0).await.unwrap();
        let other = outbound::send(
            &t.db,
            &a.actor,
            &SendRequest { number_id: number.id.clone(), to: PhoneE164::from_wa_id("5511977776666").unwrap(), content: text("to someone else") },
            t0,
        )
        .await
        .unwrap();
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(131056)), Ok("wamid.OTHER".into()), Err(meta_error(131056))]));
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        let first = sender.drain(t0).await.unwrap();
        assert_eq!(first[0], Outcome::Retrying { code: Some(131056), at: t0 + 1_000 }, "{}", t.label);
        // The other recipient is not held back (only paced by the number's bucket), and the
        // number's rate is untouched.
        assert_eq!(sender.drain(t0 + 500).await.unwrap(), vec![Outcome::Accepted]);
        assert_eq!(message_status(&t.db, other.message_id.as_str()).await.0, "pending");
        assert_eq!(sender.rate_of(&number.id).await, Some(60.0));
        assert_eq!(sender.drain(t0 + 1_000).await.unwrap(), vec![Outcome::Retrying { code: Some(131056), at: t0 + 1_000 + 4_000 }], "then 4 s");
        assert_eq!(sender.drain(t0 + 5_000).await.unwrap(), vec![Outcome::Accepted], "{}", t.label);
        assert_eq!(graph.calls().iter().filter(|c| c["to"] == CUSTOMER).count(), 3);
        let _ = busy;
    }
}

#[tokio::test]
async fn the_first_send_of_a_new_local_day_starts_at_90_percent_of_yesterdays_rate() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        backend::testing::set_send_rate(&t.db, &number.id, 100.0).await;
        let t0 = now_ms();
        let today = backend::whatsapp::sender::local_day(t0, "UTC");
        let yesterday = backend::whatsapp::sender::local_day(t0 - 86_400_000, "UTC");
        backend::testing::set_rate_day(&t.db, &number.id, &yesterday).await;
        customer_writes(&t.db, PNID, CUSTOMER, t0 - 1000).await;
        outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: to(), content: text("morning") }, t0).await.unwrap();
        let sender = Sender::new(t.db.clone(), Arc::new(FakeGraph::default()), backend::testing::test_cipher());
        assert_eq!(sender.drain(t0).await.unwrap(), vec![Outcome::Accepted]);
        assert_eq!(sender.rate_of(&number.id).await, Some(90.0), "{}", t.label);
        let stored = backend::whatsapp::numbers::get(&t.db, &a.actor, &number.id).await.unwrap();
        assert_eq!(stored.send_rate, 90.0);
        assert_ne!(today, yesterday);
    }
}

#[tokio::test]
async fn a_batch_sends_every_message_once_and_paces_what_the_numbers_rate_does_not_allow() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        for i in 0..5 {
            let phone = format!("55119999901{i:02}");
            customer_writes(&t.db, PNID, &phone, t0 - 1000).await;
            outbound::send(
                &t.db,
                &a.actor,
                &SendRequest { number_id: number.id.clone(), to: PhoneE164::from_wa_id(&phone).unwrap(), content: text("batch") },
                t0,
            )
            .await
            .unwrap();
        }
        let graph = Arc::new(FakeGraph::default());
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher());
        // A fresh number holds one token: one goes now, four wait for theirs.
        let outcomes = sender.run_batch(t0, 32).await.unwrap();
        assert_eq!(outcomes.len(), 5, "one outcome per claimed job ({})", t.label);
        assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Accepted).count(), 1, "{}", t.label);
        let Some(Outcome::Paced { at }) = outcomes.iter().find(|o| matches!(o, Outcome::Paced { .. })).cloned() else { panic!("nothing paced: {outcomes:?}") };
        assert!(at > t0, "{}", t.label);
        assert!(sender.run_batch(t0, 32).await.unwrap().is_empty(), "paced jobs are not due yet ({})", t.label);
        // A second later the bucket holds a second's worth: the rest go in one batch.
        let later = sender.run_batch(t0 + 1_000, 32).await.unwrap();
        assert_eq!(later, vec![Outcome::Accepted; 4], "{}", t.label);
        let mut to: Vec<String> = graph.calls().iter().map(|c| c["to"].as_str().unwrap().to_owned()).collect();
        to.sort();
        to.dedup();
        assert_eq!((graph.calls().len(), to.len()), (5, 5), "each message sent exactly once ({})", t.label);
        assert_eq!(count_rows(&t.db, "jobs").await, 0, "{}", t.label);
    }
}

#[tokio::test]
async fn a_dead_token_met_by_a_whole_batch_notifies_the_admins_once() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let t0 = now_ms();
        for i in 0..3 {
            let phone = format!("55119999902{i:02}");
            customer_writes(&t.db, PNID, &phone, t0 - 1000).await;
            outbound::send(&t.db, &a.actor, &SendRequest { number_id: number.id.clone(), to: PhoneE164::from_wa_id(&phone).unwrap(), content: text("x") }, t0)
                .await
                .unwrap();
        }
        let graph = Arc::new(FakeGraph::scripted(vec![Err(meta_error(190)), Err(meta_error(190)), Err(meta_error(190))]));
        // Pacing off so all three go in one batch (a fresh bucket holds one token).
        let sender = Sender::new(t.db.clone(), graph.clone(), backend::testing::test_cipher()).without_pacing();
        let outcomes = sender.run_batch(t0 + 1_000, 32).await.unwrap();
        assert_eq!(outcomes, vec![Outcome::Failed { code: Some(190) }; 3], "{}", t.label);
        let notes = notifications::list_for(&t.db, &a.actor, 10).await.unwrap();
        assert_eq!(notes.iter().filter(|n| n.kind == "number_token_expired").count(), 1, "{}", t.label);
    }
}
