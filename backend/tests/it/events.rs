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
        let q = outbound::enqueue(
            &t.db,
            &a.org,
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
        let all = events::since(&t.db, &a.org, &agent.id, start, 100).await.unwrap();
        assert!(all.iter().any(|e| e.kind == "notification" && e.payload["kind"] == "new_unassigned"), "the agent hears of the new chat ({})", t.label);
        let seen: Vec<_> = all.into_iter().filter(|e| e.kind == "message").collect();
        let kinds: Vec<(&str, Option<&str>)> = seen.iter().map(|e| (e.kind.as_str(), e.payload["direction"].as_str())).collect();
        assert_eq!(kinds, vec![("message", Some("inbound")), ("message", Some("outbound"))], "the agent sees messages, not the admins' notice ({})", t.label);
        assert_eq!(seen[1].payload["message_id"], q.message_id.as_str());
        assert_eq!(seen[1].conversation_id.as_deref(), Some(q.conversation_id.as_str()));
        let admin_sees = events::since(&t.db, &a.org, &a.user.id, start, 100).await.unwrap();
        assert_eq!(admin_sees.last().unwrap().payload["kind"], "number_token_expired", "{}", t.label);
        assert!(
            events::since(&t.db, &a.org, &agent.id, seen[0].id, 100).await.unwrap().iter().all(|e| e.id > seen[0].id),
            "only what came after the id ({})",
            t.label
        );
        assert!(events::since(&t.db, &b.org, &b.user.id, start, 100).await.unwrap().is_empty(), "nothing of org A reaches org B ({})", t.label);
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
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = backend::clock::now_ms();
        for i in 0..3 {
            customer_writes(&t.db, PNID, &format!("55119999900{i:02}"), now - 1000).await;
            hub.wake();
        }
        let mut got = Vec::new();
        while let Ok(Ok(env)) = tokio::time::timeout(Duration::from_millis(1200), rx.recv()).await {
            assert_eq!(env.org_id, a.org.as_str());
            if env.event.kind == "message" {
                got.push(env.event.id);
            }
        }
        let mut unique = got.clone();
        unique.dedup();
        assert_eq!((got.len(), unique.len()), (3, 3), "three messages, three events, no repeats ({}): {got:?}", t.label);
        let _ = stop_tx.send(true);
        let _ = task.await;
    }
}
