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
