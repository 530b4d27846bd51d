//! Issue 11, items 4-6, on both databases: TOTP with a controlled clock, recovery codes,
//! who must enrol, password change, hashed sessions with an absolute lifetime, ending a
//! person's sessions, and the atomic rate limit.

use backend::auth::{self, LoginLimits};
use backend::session_store::{self, hash_id, DbSessionStore};
use backend::testing::{databases, enrol_totp, seed_member, seed_org_with, test_cipher};
use backend::{rate_limit, two_factor};
use domain::{ErrorCode, Password, Role};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

/// A fixed instant on a step boundary: 2023-11-14T22:13:00Z.
const T0: i64 = 1_699_999_980_000;
const STEP: i64 = 30_000;

/// The code an authenticator app shows at `at_ms`, computed here from the secret with
/// the totp-rs crate (independently of the service's replay and drift rules).
fn code(secret: &str, at_ms: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).generate((at_ms / 1000) as u64)
}

fn wrong(right: &str) -> String {
    if right == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_within_one_step_of_drift() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let e = two_factor::begin_enrolment(&t.db, &cipher, &a.user).await.unwrap();
        assert!(e.qr_svg.starts_with("<svg") && e.otpauth_url.starts_with("otpauth://totp/"), "{}", t.label);
        let bad = two_factor::confirm_enrolment(&t.db, &cipher, &a.user.id, &wrong(&code(&e.secret, T0)), T0).await;
        assert_eq!(bad.unwrap_err().code(), ErrorCode::Validation, "a wrong code does not confirm ({})", t.label);
        assert!(!two_factor::is_enrolled(&t.db, &a.user.id).await.unwrap());
        let codes = two_factor::confirm_enrolment(&t.db, &cipher, &a.user.id, &code(&e.secret, T0), T0).await.unwrap();
        assert_eq!(codes.len(), 10, "{}", t.label);
        assert!(two_factor::is_enrolled(&t.db, &a.user.id).await.unwrap());

        let verify = |c: String, at: i64| {
            let (db, cipher, user) = (t.db.clone(), cipher.clone(), a.user.id.clone());
            async move { two_factor::verify(&db, &cipher, &user, &c, at).await.unwrap() }
        };
        assert!(!verify(code(&e.secret, T0), T0).await, "the confirming code is not accepted again ({})", t.label);
        assert!(verify(code(&e.secret, T0 + STEP), T0 + STEP).await, "the next step's code is accepted");
        assert!(!verify(code(&e.secret, T0 + STEP), T0 + STEP + 1000).await, "and only once (no replay within its step)");
        assert!(!verify(wrong(&code(&e.secret, T0 + 2 * STEP)), T0 + 2 * STEP).await, "a wrong code is refused");
        assert!(verify(code(&e.secret, T0 + 2 * STEP), T0 + 3 * STEP).await, "a code one step old is accepted (drift)");
        assert!(verify(code(&e.secret, T0 + 5 * STEP), T0 + 4 * STEP).await, "a code one step ahead is accepted (drift)");
        assert!(!verify(code(&e.secret, T0 + 4 * STEP), T0 + 4 * STEP).await, "a code older than the newest accepted one is refused");
        assert!(!verify(code(&e.secret, T0 + 8 * STEP), T0 + 10 * STEP).await, "a code two steps old has expired ({})", t.label);
        assert!(verify(code(&e.secret, T0 + 10 * STEP), T0 + 10 * STEP).await);
    }
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let (_, codes) = enrol_totp(&t.db, &cipher, &a.user, T0).await;
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), 10, "{}", t.label);
        assert!(two_factor::verify(&t.db, &cipher, &a.user.id, &codes[0], T0).await.unwrap(), "{}", t.label);
        assert!(!two_factor::verify(&t.db, &cipher, &a.user.id, &codes[0], T0).await.unwrap(), "a used code is refused ({})", t.label);
        assert!(two_factor::verify(&t.db, &cipher, &a.user.id, &codes[1].to_uppercase().replace('-', " "), T0).await.unwrap(), "typed loosely");
        assert!(!two_factor::verify(&t.db, &cipher, &a.user.id, "nothing-like-it", T0).await.unwrap());
        assert_eq!(two_factor::recovery_codes_left(&t.db, &a.user.id).await.unwrap(), 8, "{}", t.label);
        let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(t.db.pool()).await.unwrap();
        assert!(stored.iter().all(|h| !codes.iter().any(|c| h.contains(&c[..5]))), "only hashes are stored ({})", t.label);
    }
}

#[tokio::test]
async fn the_totp_secret_is_stored_encrypted() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let (secret, _) = enrol_totp(&t.db, &cipher, &a.user, T0).await;
        let stored: String = sqlx::query_scalar("SELECT secret_ciphertext FROM user_totp").fetch_one(t.db.pool()).await.unwrap();
        assert!(!stored.contains(&secret) && stored.starts_with("v1:"), "{}: {stored}", t.label);
        assert_eq!(cipher.decrypt(&stored).unwrap(), secret);
    }
}

#[tokio::test]
async fn wrong_second_factors_count_toward_the_sign_in_limit() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let (secret, _) = enrol_totp(&t.db, &cipher, &a.user, T0).await;
        let limits = LoginLimits::default();
        let right = code(&secret, T0 + STEP);
        for _ in 0..5 {
            let e = two_factor::sign_in_second_step(&t.db, &cipher, &a.user, &wrong(&right), "9.9.9.9", limits, T0 + STEP).await;
            assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidCredentials, "{}", t.label);
        }
        let locked = two_factor::sign_in_second_step(&t.db, &cipher, &a.user, &right, "9.9.9.9", limits, T0 + STEP).await;
        assert_eq!(locked.unwrap_err().code(), ErrorCode::TooManyAttempts, "{}", t.label);
        let by_password = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login(&a.password), "8.8.8.8", limits).await;
        assert_eq!(by_password.unwrap_err().code(), ErrorCode::TooManyAttempts, "the same limit as passwords ({})", t.label);
    }
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password_or_a_code() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let (secret, _) = enrol_totp(&t.db, &cipher, &a.user, T0).await;
        let e = two_factor::disable(&t.db, &cipher, &a.user, "not-my-password", "1.1.1.1", LoginLimits::default(), T0).await;
        assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidCredentials, "{}", t.label);
        assert!(two_factor::is_enrolled(&t.db, &a.user.id).await.unwrap());
        two_factor::disable(&t.db, &cipher, &a.user, &code(&secret, T0 + STEP), "1.1.1.1", LoginLimits::default(), T0 + STEP).await.unwrap();
        assert!(!two_factor::is_enrolled(&t.db, &a.user.id).await.unwrap(), "a code turns it off ({})", t.label);
        enrol_totp(&t.db, &cipher, &a.user, T0).await;
        two_factor::disable(&t.db, &cipher, &a.user, &a.password, "1.1.1.1", LoginLimits::default(), T0).await.unwrap();
        assert!(!two_factor::is_enrolled(&t.db, &a.user.id).await.unwrap(), "the password turns it off ({})", t.label);
        assert_eq!(two_factor::recovery_codes_left(&t.db, &a.user.id).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn super_admins_and_admins_of_a_requiring_org_must_enrol_first() {
    for t in databases().await {
        let cipher = test_cipher();
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let agent = seed_member(&t.db, &a.org, "agent@acme.test", Role::Agent).await;
        let agent_actor = auth::actor_for(&t.db, &agent.id, &a.org).await.unwrap();
        let gate = |user: backend::auth::User, role: Role| {
            let (db, org) = (t.db.clone(), a.org.clone());
            async move { two_factor::gate(&db, &user, Some(&org), Some(role)).await.map_err(|e| e.code()) }
        };
        assert_eq!(gate(a.user.clone(), Role::Admin).await, Ok(()), "nothing required by default ({})", t.label);

        let e = two_factor::set_org_requirement(&t.db, &agent_actor, true).await;
        assert_eq!(e.unwrap_err().code(), ErrorCode::Forbidden, "agents cannot set it ({})", t.label);
        two_factor::set_org_requirement(&t.db, &a.actor, true).await.unwrap();
        assert!(two_factor::org_requirement(&t.db, &agent_actor).await.unwrap());
        assert_eq!(gate(a.user.clone(), Role::Admin).await, Err(ErrorCode::TwoFactorEnrolmentRequired), "{}", t.label);
        assert_eq!(gate(agent.clone(), Role::Agent).await, Ok(()), "agents are not held back ({})", t.label);
        enrol_totp(&t.db, &cipher, &a.user, T0).await;
        assert_eq!(gate(a.user.clone(), Role::Admin).await, Ok(()), "an enrolled admin goes on ({})", t.label);

        let root = seed_member(&t.db, &a.org, "root@acme.test", Role::Viewer).await;
        auth::set_super_admin(&t.db, &root.id, true).await.unwrap();
        let root = auth::find_user(&t.db, &root.id).await.unwrap().unwrap();
        assert_eq!(two_factor::gate(&t.db, &root, None, None).await.unwrap_err().code(), ErrorCode::TwoFactorEnrolmentRequired, "{}", t.label);
        enrol_totp(&t.db, &cipher, &root, T0).await;
        assert!(two_factor::gate(&t.db, &root, None, None).await.is_ok(), "{}", t.label);
    }
}

#[tokio::test]
async fn a_password_change_needs_the_current_password() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let limits = LoginLimits::default();
        let new = Password::parse_new("a-brand-new-password").unwrap();
        let e = auth::change_password(&t.db, &a.user, &Password::for_login("not-the-current-one"), &new, "1.1.1.1", limits).await;
        assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidCredentials, "{}", t.label);
        assert!(auth::authenticate(&t.db, "admin@acme.test", &Password::for_login(&a.password), "1.1.1.1", limits).await.is_ok(), "unchanged");
        auth::change_password(&t.db, &a.user, &Password::for_login(&a.password), &new, "1.1.1.1", limits).await.unwrap();
        assert!(auth::authenticate(&t.db, "admin@acme.test", &new, "1.1.1.1", limits).await.is_ok(), "{}", t.label);
        let old = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login(&a.password), "1.1.1.1", limits).await;
        assert_eq!(old.unwrap_err().code(), ErrorCode::InvalidCredentials, "the old password is gone ({})", t.label);
    }
}

fn record(user: Option<&str>) -> Record {
    let mut data = std::collections::HashMap::new();
    if let Some(u) = user {
        data.insert(session_store::USER_ID_KEY.to_string(), serde_json::json!(u));
    }
    Record { id: Id::default(), data, expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) }
}

#[tokio::test]
async fn session_rows_hold_a_hash_of_the_id_and_their_person() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let store = DbSessionStore::new(t.db.clone());
        let mut rec = record(Some(a.user.id.as_str()));
        store.create(&mut rec).await.unwrap();
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as("SELECT id_hash, user_id, data FROM sessions").fetch_all(t.db.pool()).await.unwrap();
        assert_eq!(rows.len(), 1, "{}", t.label);
        let raw = rec.id.to_string();
        assert!(!rows[0].0.contains(&raw) && !rows[0].2.contains(&raw), "no raw id is stored ({})", t.label);
        assert_eq!(rows[0].0, hash_id(&rec.id));
        assert_eq!(rows[0].1.as_deref(), Some(a.user.id.as_str()), "the row knows its person ({})", t.label);
        assert!(store.load(&rec.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_active() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let store = DbSessionStore::new(t.db.clone()).with_max_age_ms(72 * 3600 * 1000);
        let mut rec = record(Some(a.user.id.as_str()));
        store.create(&mut rec).await.unwrap();
        // Signed in 73 hours ago; active all along (its idle expiry keeps moving).
        sqlx::query("UPDATE sessions SET created_at = created_at - $1").bind(73 * 3600 * 1000_i64).execute(t.db.pool()).await.unwrap();
        rec.data.insert("seen".into(), serde_json::json!(1));
        store.save(&rec).await.unwrap();
        assert!(store.load(&rec.id).await.unwrap().is_none(), "past the absolute lifetime ({})", t.label);
        assert_eq!(store.delete_expired().await.unwrap(), 1, "{}", t.label);
        let mut fresh = record(Some(a.user.id.as_str()));
        store.create(&mut fresh).await.unwrap();
        assert!(store.load(&fresh.id).await.unwrap().is_some(), "{}", t.label);
    }
}

#[tokio::test]
async fn a_persons_sessions_end_together_or_all_but_one() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let other = seed_member(&t.db, &a.org, "other@acme.test", Role::Agent).await;
        let store = DbSessionStore::new(t.db.clone());
        let mut mine: Vec<Record> = (0..3).map(|_| record(Some(a.user.id.as_str()))).collect();
        for r in &mut mine {
            store.create(r).await.unwrap();
        }
        let mut theirs = record(Some(other.id.as_str()));
        store.create(&mut theirs).await.unwrap();
        assert_eq!(session_store::count_sessions(&t.db, &a.user.id).await.unwrap(), 3);
        let ended = session_store::end_other_sessions(&t.db, &a.user.id, &hash_id(&mine[0].id)).await.unwrap();
        assert_eq!(ended, 2, "{}", t.label);
        assert!(store.load(&mine[0].id).await.unwrap().is_some(), "the kept one lives ({})", t.label);
        assert!(store.load(&mine[1].id).await.unwrap().is_none() && store.load(&mine[2].id).await.unwrap().is_none());
        assert!(store.load(&theirs.id).await.unwrap().is_some(), "another person's session is untouched ({})", t.label);
        assert_eq!(session_store::end_all_sessions(&t.db, &a.user.id).await.unwrap(), 1);
        assert!(store.load(&mine[0].id).await.unwrap().is_none(), "{}", t.label);
        assert!(store.load(&theirs.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn a_parallel_burst_cannot_slip_past_the_rate_limit() {
    for t in databases().await {
        let limit = rate_limit::Limit { max: 10, window_ms: 3_600_000 };
        let takes = (0..60).map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move { rate_limit::take_at(&db, "signup", "203.0.113.9", limit, T0).await.map_err(|e| e.code()) })
        });
        let results = futures_util::future::join_all(takes).await;
        let passed = results.iter().filter(|r| matches!(r, Ok(Ok(())))).count();
        let refused = results.iter().filter(|r| matches!(r, Ok(Err(ErrorCode::TooManyAttempts)))).count();
        assert_eq!((passed, refused), (10, 50), "exactly the limit passes ({})", t.label);
        assert!(rate_limit::take_at(&t.db, "signup", "198.51.100.1", limit, T0).await.is_ok(), "another address has its own count");
        assert!(rate_limit::take_at(&t.db, "password_reset", "203.0.113.9", limit, T0).await.is_ok(), "another bucket too");
        assert!(rate_limit::take_at(&t.db, "signup", "203.0.113.9", limit, T0 + 3_600_000).await.is_ok(), "the next window starts afresh ({})", t.label);
    }
}
