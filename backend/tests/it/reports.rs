//! Reports count an org's own messages on its own days.

use backend::testing::{databases, seed_number, seed_org_with, seed_outbound_message};
use domain::Role;

#[tokio::test]
async fn messages_per_day_counts_received_and_sent_for_the_org_only() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Viewer).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let number = seed_number(&t.db, &b.actor, "100000000000002").await;
        let sent = seed_outbound_message(&t.db, &b.org, &number.id, "+5511999990002", Some("wamid.r1")).await;
        seed_outbound_message(&t.db, &b.org, &number.id, "+5511999990003", Some("wamid.r2")).await;
        // One of them becomes a customer's message, and a note is not a message.
        sqlx::query("UPDATE messages SET direction = 'inbound' WHERE id = $1").bind(&sent).execute(t.db.pool()).await.unwrap();
        let now = backend::clock::now_ms();
        let days = backend::reports::messages_per_day(&t.db, &b.actor, 7, now).await.unwrap();
        assert_eq!(days.len(), 7, "{}", t.label);
        let today = days.last().unwrap();
        assert_eq!((today.received, today.sent), (1, 1), "today's messages ({})", t.label);
        assert!(days[..6].iter().all(|d| d.received == 0 && d.sent == 0), "{}", t.label);
        let theirs = backend::reports::messages_per_day(&t.db, &a.actor, 7, now).await.unwrap();
        assert!(theirs.iter().all(|d| d.received == 0 && d.sent == 0), "another org's messages do not count ({})", t.label);
        assert_eq!(backend::reports::messages_per_day(&t.db, &b.actor, 10_000, now).await.unwrap().len(), backend::reports::MAX_DAYS as usize);
    }
}
