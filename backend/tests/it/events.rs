//! The org event log and its hub on both databases: changes write events in their own
//! transaction, members read what they missed after an id, and the hub broadcasts each
//! event once.

use backend::events::{self, Hub};
use backend::testing::{customer_writes, databases, seed_member, seed_number, seed_org_with};
use backend::whatsapp::outbound::{self, SendRequest};
use domain::whatsapp::outbound::OutboundContent;
use domain::{PhoneE164, Role};
use std::time::Duration;

const PNID: &str = "100000000000001";
const CUSTOMER: &str = "5511999990000";

#[tokio::test]
async fn a_message_its_reply_and_a_notification_are_events_for_the_right_people_only() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let agent = seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let start = events::latest_id(&t.db).await.unwrap();
        let now = backend::clock::now_ms();
        customer_writes(&t.db, PNID, CUSTOMER, now - 1000).await;
        let q = outbound::send(
            &t.db,
            &a.actor,
            &SendRequest {
                number_id: number.id.clone(),
                to: PhoneE164::from_wa_id(CUSTOMER).unwrap(),
                content: OutboundContent::Text { body: "Hi!".into(), preview_url: false },
            },
            now,
        )
        .await
        .unwrap();
        {
            let mut conn = t.db.pool().acquire().await.unwrap();
            backend::notifications::notify_admins(&mut conn, &a.org, "number_token_expired", "Disconnected", "", None).await.unwrap();
        }
        let agent_actor = backend::auth::actor_for(&t.db, &agent.id, &a.org).await.unwrap();
        let all = events::since(&t.db, &agent_actor, start, 100).await.unwrap();
        assert!(all.iter().any(|e| e.kind == "notification" && e.payload["kind"] == "new_unassigned"), "the agent hears of the new chat ({})", t.label);
        let seen: Vec<_> = all.into_iter().filter(|e| e.kind == "message").collect();
        let kinds: Vec<(&str, Option<&str>)> = seen.iter().map(|e| (e.kind.as_str(), e.payload["direction"].as_str())).collect();
        assert_eq!(kinds, vec![("message", Some("inbound")), ("message", Some("outbound"))], "the agent sees messages, not the admins' notice ({})", t.label);
        assert_eq!(seen[1].payload["message_id"], q.message_id.as_str());
        assert_eq!(seen[1].conversation_id.as_deref(), Some(q.conversation_id.as_str()));
        let admin_sees = events::since(&t.db, &a.actor, start, 100).await.unwrap();
        assert_eq!(admin_sees.last().unwrap().payload["kind"], "number_token_expired", "{}", t.label);
        assert!(
            events::since(&t.db, &agent_actor, seen[0].id, 100).await.unwrap().iter().all(|e| e.id > seen[0].id),
            "only what came after the id ({})",
            t.label
        );
        assert!(events::since(&t.db, &b.actor, start, 100).await.unwrap().is_empty(), "nothing of org A reaches org B ({})", t.label);
    }
}

#[tokio::test]
async fn the_hub_broadcasts_each_committed_event_once_however_often_it_is_woken() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let hub = Hub::new(1024);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let task = hub.spawn(t.db.clone(), stop_rx);
        let mut rx = hub.subscribe();
        let mut got = Vec::new();
        // The hub is reading the log once a first ping comes through.
        ping(&t.db, &hub, &a.org, 0).await;
        assert!(until_ping(&mut rx, &a.org, 0, &mut got).await, "the hub broadcasts ({})", t.label);
        let now = backend::clock::now_ms();
        for i in 0..3 {
            customer_writes(&t.db, PNID, &format!("55119999900{i:02}"), now - 1000).await;
            hub.wake();
        }
        // A later ping, and more wake-ups: the hub reads in id order, so the three messages,
        // and any repeat of them, come through before it.
        ping(&t.db, &hub, &a.org, 1).await;
        hub.wake();
        assert!(until_ping(&mut rx, &a.org, 1, &mut got).await, "the second ping comes through ({})", t.label);
        let mut unique = got.clone();
        unique.dedup();
        assert_eq!((got.len(), unique.len()), (3, 3), "three messages, three events, no repeats ({}): {got:?}", t.label);
        let _ = stop_tx.send(true);
        let _ = task.await;
    }
}

/// Writes a `ping` event numbered `n` for `org` and wakes the hub.
async fn ping(db: &backend::Db, hub: &Hub, org: &domain::OrgId, n: i64) {
    let mut conn = db.pool().acquire().await.unwrap();
    events::publish_in(&mut conn, org, "ping", None, None, &serde_json::json!({ "n": n }), backend::clock::now_ms()).await.unwrap();
    drop(conn);
    hub.wake();
}

/// Receives until ping `n` comes through, keeping the ids of message events; false if it
/// has not within 10 s (the hub also reads every `POLL_MS` unwoken).
async fn until_ping(rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<events::Envelope>>, org: &domain::OrgId, n: i64, messages: &mut Vec<i64>) -> bool {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let env = rx.recv().await.expect("the hub keeps up");
            assert_eq!(env.org_id, org.as_str());
            match env.event.kind.as_str() {
                "message" => messages.push(env.event.id),
                "ping" if env.event.payload["n"] == n => return,
                _ => {}
            }
        }
    })
    .await
    .is_ok()
}
