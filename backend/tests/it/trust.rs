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

#[tokio::test]
async fn an_api_key_acts_with_its_role_until_it_expires_or_is_revoked() {
    use backend::api_keys::{self, NewKey};
    use backend::clock::now_ms;
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let viewer = NewKey { name: "Dashboard".into(), role: Role::Viewer, expires_at: Some(now_ms() + 86_400_000) };
        let key = api_keys::issue(&t.db, &a.actor, &viewer).await.unwrap();
        let caller = api_keys::authenticate(&t.db, &key.secret).await.unwrap().expect("a live key");
        assert_eq!(caller.role, Role::Viewer, "{}", t.label);
        let as_key = backend::auth::Actor::api_key_with(&a.org, caller.key_id.as_str(), caller.role);
        let refused = backend::contacts::edit::create(&t.db, &as_key, "api", &serde_json::json!({"phone": "+5511900000001"}), now_ms()).await;
        assert_eq!(refused.map(|_| ()).map_err(|e| e.into_app_error().code), Err(domain::ErrorCode::Forbidden), "a viewer key cannot write ({})", t.label);

        // Past its expiry a key is refused like an unknown one.
        sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2").bind(now_ms() - 1).bind(key.id.as_str()).execute(t.db.pool()).await.unwrap();
        assert!(api_keys::authenticate(&t.db, &key.secret).await.unwrap().is_none(), "{}", t.label);
        let listed = api_keys::list(&t.db, &a.actor, 0).await.unwrap();
        assert!(listed.data[0].expired && listed.data[0].created_by.as_deref() == Some("admin"), "{:?}", listed.data[0]);

        // Roles a key cannot have, expiries in the past, keys minted by keys or agents.
        for bad in [
            NewKey { name: "x".into(), role: Role::Owner, expires_at: None },
            NewKey { name: "x".into(), role: Role::Agent, expires_at: Some(now_ms() - 1) },
            NewKey { name: " ".into(), role: Role::Agent, expires_at: None },
        ] {
            assert!(api_keys::issue(&t.db, &a.actor, &bad).await.is_err(), "{:?} ({})", bad, t.label);
        }
        let plain = NewKey { name: "ok".into(), role: Role::Agent, expires_at: None };
        assert!(api_keys::issue(&t.db, &backend::auth::Actor::api_key(&a.org, "k"), &plain).await.is_err(), "a key cannot mint keys");
        let agent = backend::testing::seed_member(&t.db, &a.org, "agent@acme.test", Role::Agent).await;
        let agent = backend::auth::actor_for(&t.db, &agent.id, &a.org).await.unwrap();
        assert!(api_keys::issue(&t.db, &agent, &plain).await.is_err() && api_keys::list(&t.db, &agent, 0).await.is_err(), "{}", t.label);

        // Revoked by its prefix, as the operator's command line does it.
        let admin_key = api_keys::issue(&t.db, &a.actor, &plain).await.unwrap();
        let (org, id) = api_keys::find_for_operator(&t.db, &admin_key.secret[..12]).await.unwrap();
        assert_eq!((org.as_str(), id.as_str()), (a.org.as_str(), admin_key.id.as_str()), "{}", t.label);
        api_keys::revoke_in_org(&t.db, &org, &id).await.unwrap();
        assert!(api_keys::authenticate(&t.db, &admin_key.secret).await.unwrap().is_none(), "{}", t.label);
        assert!(api_keys::revoke_in_org(&t.db, &org, &id).await.is_err(), "twice is NOT_FOUND ({})", t.label);
    }
}

#[tokio::test]
async fn the_key_list_pages_past_its_first_page_and_shows_only_the_orgs_keys() {
    use backend::api_keys::{self, PAGE_SIZE};
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Beta", "admin@beta.test", Role::Admin).await;
        for i in 0..PAGE_SIZE + 3 {
            api_keys::create(&t.db, &a.org, &format!("key {i}")).await.unwrap();
        }
        api_keys::create(&t.db, &b.org, "B's key").await.unwrap();
        let first = api_keys::list(&t.db, &a.actor, 0).await.unwrap();
        let second = api_keys::list(&t.db, &a.actor, 1).await.unwrap();
        assert_eq!((first.total, first.data.len(), second.data.len()), (PAGE_SIZE + 3, PAGE_SIZE as usize, 3), "{}", t.label);
        assert!(first.data.iter().chain(&second.data).all(|k| k.name.starts_with("key ")), "{}", t.label);
        assert!(second.data.iter().all(|k| !first.data.iter().any(|f| f.id == k.id)), "no key on two pages ({})", t.label);
        assert_eq!(api_keys::list(&t.db, &a.actor, i64::MAX).await.unwrap().data.len(), 0, "a page far past the end is empty, not an error");
    }
}
