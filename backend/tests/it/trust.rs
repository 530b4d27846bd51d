//! Issue 11's write paths and secrets: tokens sealed to their rows, lead webhooks that
//! cannot overwrite or opt anyone in, signed lead sources, API keys with roles.

use backend::testing::{databases, seed_number, seed_org_with, test_cipher};
use backend::whatsapp::numbers;
use domain::Role;

#[tokio::test]
async fn a_token_copied_onto_another_number_does_not_decrypt_and_old_tokens_are_resealed_at_start() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Beta", "admin@beta.test", Role::Admin).await;
        let na = seed_number(&t.db, &a.actor, "1065400001").await;
        let nb = seed_number(&t.db, &b.actor, "1065400002").await;
        let cipher = test_cipher();
        assert_eq!(numbers::access_token(&t.db, &cipher, &na.id).await.unwrap(), "EAAG-test-token", "{}", t.label);

        // An attacker who can write one row copies A's token onto B's number.
        let stored: String =
            sqlx::query_scalar("SELECT access_token_enc FROM wa_numbers WHERE id = $1").bind(na.id.as_str()).fetch_one(t.db.pool()).await.unwrap();
        assert!(stored.starts_with("v2:"), "{}", t.label);
        sqlx::query("UPDATE wa_numbers SET access_token_enc = $1 WHERE id = $2").bind(&stored).bind(nb.id.as_str()).execute(t.db.pool()).await.unwrap();
        assert!(numbers::access_token(&t.db, &cipher, &nb.id).await.is_err(), "a copied ciphertext is refused ({})", t.label);

        // A token stored before tokens were bound to rows is upgraded once, then read.
        sqlx::query("UPDATE wa_numbers SET access_token_enc = $1 WHERE id = $2")
            .bind(cipher.encrypt("EAAG-old"))
            .bind(nb.id.as_str())
            .execute(t.db.pool())
            .await
            .unwrap();
        assert!(numbers::access_token(&t.db, &cipher, &nb.id).await.is_err(), "unbound values are not read as they are ({})", t.label);
        assert_eq!(numbers::reseal_tokens(&t.db, &cipher).await.unwrap(), 1, "{}", t.label);
        assert_eq!(numbers::reseal_tokens(&t.db, &cipher).await.unwrap(), 0, "{}", t.label);
        assert_eq!(numbers::access_token(&t.db, &cipher, &nb.id).await.unwrap(), "EAAG-old", "{}", t.label);
    }
}

#[tokio::test]
async fn only_managers_play_the_sandbox_customer_and_never_a_contact_reached_on_a_real_number() {
    use backend::whatsapp::sandbox::{self, CustomerAction};
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "manager@acme.test", Role::Manager).await;
        let agent = backend::testing::seed_member(&t.db, &a.org, "agent@acme.test", Role::Agent).await;
        let agent = backend::auth::actor_for(&t.db, &agent.id, &a.org).await.unwrap();
        let cipher = test_cipher();
        let made_up = domain::PhoneE164::parse("+15550001111").unwrap();
        let code = |r: backend::ServiceError| r.into_app_error().code;

        let refused = sandbox::open_phone(&t.db, &cipher, &agent, &made_up).await.map(|_| ()).map_err(code);
        assert_eq!(refused, Err(domain::ErrorCode::Forbidden), "an agent does not play customers ({})", t.label);
        let hi = CustomerAction::Text("hi".into());
        let refused = sandbox::act_as_customer(&t.db, &cipher, &agent, &made_up, "X", &hi, "http://127.0.0.1:9", "s").await.map(|_| ()).map_err(code);
        assert_eq!(refused, Err(domain::ErrorCode::Forbidden), "{}", t.label);
        assert!(sandbox::simulator(&t.db, &cipher, &agent).await.is_err(), "{}", t.label);
        assert!(sandbox::open_phone(&t.db, &cipher, &a.actor, &made_up).await.is_ok(), "a manager plays a made-up customer ({})", t.label);

        // A customer who wrote to the org's real number is not the sandbox's to play.
        let admin = backend::auth::Actor::system(&a.org, "test");
        seed_number(&t.db, &admin, "1065400009").await;
        backend::testing::customer_writes(&t.db, "1065400009", "15550002222", backend::clock::now_ms()).await;
        let real = domain::PhoneE164::parse("+15550002222").unwrap();
        let refused = sandbox::open_phone(&t.db, &cipher, &a.actor, &real).await.map(|_| ()).map_err(code);
        assert_eq!(refused, Err(domain::ErrorCode::Conflict), "{}", t.label);
        let refused = sandbox::act_as_customer(&t.db, &cipher, &a.actor, &real, "X", &hi, "http://127.0.0.1:9", "s").await.map(|_| ()).map_err(code);
        assert_eq!(refused, Err(domain::ErrorCode::Conflict), "nothing is sent as a real customer ({})", t.label);
    }
}
