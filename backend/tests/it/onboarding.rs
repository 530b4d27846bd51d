//! The getting-started checklist ticks itself from what the org has.

use backend::testing::{databases, seed_member, seed_number, seed_org_with, seed_outbound_message};
use domain::Role;

async fn done(t: &backend::testing::TestDb, actor: &backend::auth::Actor) -> Vec<(String, bool)> {
    backend::onboarding::checklist(&t.db, actor).await.unwrap().into_iter().map(|s| (s.key, s.done)).collect()
}

fn steps(number: bool, contacts: bool, teammate: bool, chat: bool) -> Vec<(String, bool)> {
    [("number", number), ("contacts", contacts), ("teammate", teammate), ("chat", chat)].into_iter().map(|(k, d)| (k.to_string(), d)).collect()
}

#[tokio::test]
async fn each_step_is_ticked_by_the_orgs_real_state_and_only_its_own_org_counts() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert_eq!(done(&t, &a.actor).await, steps(false, false, false, false), "{}", t.label);

        let number = seed_number(&t.db, &a.actor, "100000000000001").await;
        let sent = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990001", Some("wamid.1")).await;
        assert_eq!(done(&t, &a.actor).await, steps(true, true, false, false), "a number and a contact ({})", t.label);

        sqlx::query("UPDATE messages SET author_id = $1 WHERE id = $2").bind(a.user.id.as_str()).bind(&sent).execute(t.db.pool()).await.unwrap();
        seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        assert_eq!(done(&t, &a.actor).await, steps(true, true, true, true), "{}", t.label);
        assert_eq!(done(&t, &b.actor).await, steps(false, false, false, false), "another org's work does not count ({})", t.label);

        sqlx::query("UPDATE contacts SET deleted_at = 1 WHERE org_id = $1").bind(a.org.as_str()).execute(t.db.pool()).await.unwrap();
        assert!(!done(&t, &a.actor).await[1].1, "contacts in the trash do not count ({})", t.label);
    }
}
