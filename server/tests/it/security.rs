//! Issue 11, items 4-6, through the whole router on both databases: the two-step sign-in
//! (`AUTH_006`), who must enrol first (`AUTH_009`), password change and "sign out
//! everywhere else", hashed session ids, anonymous pages that store nothing, and the
//! sign-up rate limit.

use crate::common::*;
use axum::http::{header, StatusCode};
use backend::testing::{enrol_totp, seed_member, table_row_counts, test_cipher};
use domain::Role;

const PASSWORD: &str = "password-for-tests";
const STEP_MS: i64 = 30_000;

fn code_at(secret: &str, at_ms: i64) -> String {
    backend::two_factor::code_at(secret, (at_ms / 1000) as u64).unwrap()
}

/// Enrols `user` one step in the past, so that the current step's code is still unused.
async fn enrol(app: &TestApp, user: &backend::auth::User) -> (String, Vec<String>) {
    enrol_totp(&app.db, &test_cipher(), user, backend::clock::now_ms() - STEP_MS).await
}

/// The client's session has ended: its next call is refused and its next page is the login.
pub(crate) async fn assert_signed_out(c: &mut Client, label: &str) {
    let r = c.call("/api/settings/members", &[]).await;
    // The ended session's CSRF token died with it (AUTH_005) or the call finds nobody (AUTH_002).
    assert!(matches!(r.error_code().as_deref(), Some("AUTH_005") | Some("AUTH_002")), "{label}: {}", r.body);
    let page = c.get("/settings/profile").await;
    assert_eq!(page.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()), Some("/login"), "{label}");
}

#[tokio::test]
async fn anonymous_pages_write_nothing_and_only_sign_in_creates_a_session() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let before = table_row_counts(&app.db).await;
        let mut c = Client::new(&app);
        let pages = ["/login", "/signup", "/forgot-password", "/reset-password?token=x", "/invitations/accept?token=x", "/verify-email?token=x", "/login"];
        for path in pages {
            // A made-up token's page says so (422); every page renders.
            let status = c.get(path).await.status;
            assert!(status == StatusCode::OK || (path.contains("token=") && status == StatusCode::UNPROCESSABLE_ENTITY), "{} {path}: {status}", app.label);
        }
        assert_eq!(table_row_counts(&app.db).await, before, "an anonymous GET writes no row to any table ({})", app.label);
        assert!(!c.cookies.contains_key("mce_session"), "no session cookie before sign-in ({})", app.label);
        assert!(c.csrf().is_some_and(|t| t.starts_with("a.")), "the page still hands out a (signed) CSRF token");

        assert_eq!(c.login("admin@a.test", PASSWORD).await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(backend::testing::count_rows(&app.db, "sessions").await, 1, "signing in stores the one session ({})", app.label);
        assert_eq!(c.call("/api/settings/members", &[]).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_anonymous_token_must_be_signed_and_match_the_cookie() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.get("/login").await;
        let token = c.csrf().unwrap();
        let unsigned = "a.0123456789abcdef.00";
        let mut forged = c.clone();
        forged.cookies.insert("mce_csrf".into(), unsigned.into());
        let r = forged.post("/api/auth/login", &[("email", "admin@a.test"), ("password", PASSWORD)], Some(unsigned)).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_005"), "an unsigned token is refused ({})", app.label);
        let mut no_cookie = c.clone();
        no_cookie.cookies.remove("mce_csrf");
        let r = no_cookie.post("/api/auth/login", &[("email", "admin@a.test"), ("password", PASSWORD)], Some(&token)).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_005"), "the header alone is not enough ({})", app.label);
        assert_eq!(c.login("admin@a.test", PASSWORD).await.status, StatusCode::OK, "{}", app.label);
    }
}

#[tokio::test]
async fn session_rows_never_hold_the_cookies_id() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let id = c.cookies.get("mce_session").cloned().expect("a session cookie");
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id_hash, data FROM sessions").fetch_all(app.db.pool()).await.unwrap();
        assert_eq!(rows.len(), 1, "{}", app.label);
        assert!(!rows[0].0.contains(&id) && !rows[0].1.contains(&id), "{}", app.label);
        let parsed: tower_sessions::session::Id = id.parse().unwrap();
        assert_eq!(rows[0].0, backend::session_store::hash_id(&parsed), "the row is filed under the id's hash ({})", app.label);
    }
}

#[tokio::test]
async fn a_right_password_with_2fa_on_answers_auth_006_and_grants_nothing_before_the_code() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let (secret, recovery) = enrol(&app, &orgs.a.user).await;
        let mut c = Client::new(&app);
        let first = c.login("admin@a.test", PASSWORD).await;
        assert_eq!(first.status, StatusCode::UNAUTHORIZED, "{}: {}", app.label, first.body);
        assert_eq!(first.error_code().as_deref(), Some("AUTH_006"), "{}", app.label);
        for path in ["/api/auth/session", "/api/settings/members", "/api/security/end_other_sessions", "/api/security/status"] {
            let r = c.call(path, &[]).await;
            assert_eq!(r.error_code().as_deref(), Some("AUTH_002"), "the half-signed-in state grants nothing: {path} ({})", app.label);
        }
        let page = c.get("/settings/profile").await;
        assert_eq!(page.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()), Some("/login"), "{}", app.label);
        let wrong = if code_at(&secret, backend::clock::now_ms()) == "000000" { "111111" } else { "000000" };
        let r = c.call("/api/auth/login_code", &[("code", wrong)]).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_001"), "{}: {}", app.label, r.body);
        let r = c.call("/api/auth/login_code", &[("code", &code_at(&secret, backend::clock::now_ms()))]).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.label, r.body);
        assert_eq!(c.call("/api/auth/session", &[]).await.json()["email"], "admin@a.test", "{}", app.label);

        // The same code again, from another browser: refused (no replay); a recovery code works.
        let mut other = Client::new(&app);
        assert_eq!(other.login("admin@a.test", PASSWORD).await.error_code().as_deref(), Some("AUTH_006"));
        let now = backend::clock::now_ms();
        let used: i64 = sqlx::query_scalar("SELECT last_step FROM user_totp").fetch_one(app.db.pool()).await.unwrap();
        let replay = backend::two_factor::code_at(&secret, (used * 30) as u64).unwrap();
        assert_eq!(other.call("/api/auth/login_code", &[("code", &replay)]).await.error_code().as_deref(), Some("AUTH_001"), "{} at {now}", app.label);
        assert_eq!(other.call("/api/auth/login_code", &[("code", &recovery[0])]).await.status, StatusCode::OK, "{}", app.label);
        let mut third = Client::new(&app);
        third.login("admin@a.test", PASSWORD).await;
        assert_eq!(third.call("/api/auth/login_code", &[("code", &recovery[0])]).await.error_code().as_deref(), Some("AUTH_001"), "single use");
    }
}

#[tokio::test]
async fn the_code_step_needs_a_password_step_first() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let (secret, _) = enrol(&app, &orgs.a.user).await;
        let mut c = Client::new(&app);
        let r = c.call("/api/auth/login_code", &[("code", &code_at(&secret, backend::clock::now_ms()))]).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_002"), "{}: {}", app.label, r.body);
    }
}

#[tokio::test]
async fn a_super_admin_must_enrol_before_anything_else() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        backend::auth::set_super_admin(&app.db, &orgs.a.user.id, true).await.unwrap();
        let mut c = Client::new(&app);
        assert_eq!(c.login("admin@a.test", PASSWORD).await.status, StatusCode::OK, "{}", app.label);
        for path in ["/api/auth/session", "/api/settings/members", "/api/settings/org_profile", "/api/security/end_other_sessions"] {
            let r = c.call(path, &[]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{} {path}: {}", app.label, r.body);
            assert_eq!(r.error_code().as_deref(), Some("AUTH_009"), "{path}");
        }
        let page = c.get("/settings/profile").await;
        assert_eq!(page.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()), Some("/setup-2fa"), "{}", app.label);
        assert_eq!(c.get("/setup-2fa").await.status, StatusCode::OK);
        assert_eq!(c.call("/api/security/status", &[]).await.json()["must_enrol"], true);

        // Enrolling is allowed, and then everything else is.
        let setup = c.call("/api/security/two_factor_begin", &[]).await;
        assert_eq!(setup.status, StatusCode::OK, "{}: {}", app.label, setup.body);
        let secret = setup.json()["secret"].as_str().unwrap().to_owned();
        let codes = c.call("/api/security/two_factor_confirm", &[("code", &code_at(&secret, backend::clock::now_ms()))]).await;
        assert_eq!(codes.json().as_array().unwrap().len(), 10, "{}", app.label);
        assert_eq!(c.call("/api/settings/members", &[]).await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(c.get("/settings/profile").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_org_that_requires_2fa_for_admins_holds_back_its_unenrolled_admins_only() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        seed_member(&app.db, &orgs.a.org, "agent@a.test", Role::Agent).await;
        let mut admin = Client::new(&app);
        admin.login("admin@a.test", PASSWORD).await;
        let mut agent = Client::new(&app);
        agent.login("agent@a.test", PASSWORD).await;
        let r = agent.call("/api/security/require_admin_2fa", &[("on", "true")]).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_003"), "only admins set it ({})", app.label);
        assert_eq!(admin.call("/api/security/require_admin_2fa", &[("on", "maybe")]).await.error_code().as_deref(), Some("VALIDATION_001"));
        assert_eq!(admin.call("/api/security/require_admin_2fa", &[("on", "true")]).await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(admin.call("/api/settings/members", &[]).await.error_code().as_deref(), Some("AUTH_009"), "{}", app.label);
        assert_eq!(agent.call("/api/settings/members", &[]).await.status, StatusCode::OK, "agents go on ({})", app.label);
        let mut b = Client::new(&app);
        b.login("admin@b.test", PASSWORD).await;
        assert_eq!(b.call("/api/settings/members", &[]).await.status, StatusCode::OK, "another org's admins are not affected ({})", app.label);
        enrol(&app, &orgs.a.user).await;
        assert_eq!(admin.call("/api/settings/members", &[]).await.status, StatusCode::OK, "{}", app.label);
    }
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_ends_the_other_sessions_only() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut here = Client::new(&app);
        here.login("admin@a.test", PASSWORD).await;
        let mut elsewhere = Client::new(&app);
        elsewhere.login("admin@a.test", PASSWORD).await;
        let mut someone = Client::new(&app);
        someone.login("admin@b.test", PASSWORD).await;

        let wrong = here.call("/api/security/change_password", &[("current_password", "not-the-password"), ("new_password", "a-new-long-password")]).await;
        assert_eq!(wrong.error_code().as_deref(), Some("AUTH_001"), "{}: {}", app.label, wrong.body);
        assert_eq!(elsewhere.call("/api/settings/members", &[]).await.status, StatusCode::OK, "a refused change ends nothing");

        let before = here.cookies.get("mce_session").cloned();
        let ok = here.call("/api/security/change_password", &[("current_password", PASSWORD), ("new_password", "a-new-long-password")]).await;
        assert_eq!(ok.status, StatusCode::OK, "{}: {}", app.label, ok.body);
        assert_ne!(here.cookies.get("mce_session").cloned(), before, "this session stays under a new id ({})", app.label);
        assert_eq!(here.call("/api/settings/members", &[]).await.status, StatusCode::OK, "this session stays ({})", app.label);
        assert_signed_out(&mut elsewhere, app.label).await;
        assert_eq!(someone.call("/api/settings/members", &[]).await.status, StatusCode::OK, "other people are not signed out");
        let mut again = Client::new(&app);
        assert_eq!(again.login("admin@a.test", "a-new-long-password").await.status, StatusCode::OK, "{}", app.label);
    }
}

#[tokio::test]
async fn signing_out_everywhere_else_keeps_this_session() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut here = Client::new(&app);
        here.login("admin@a.test", PASSWORD).await;
        let mut phone = Client::new(&app);
        phone.login("admin@a.test", PASSWORD).await;
        assert_eq!(here.call("/api/security/status", &[]).await.json()["sessions"], 2, "{}", app.label);
        let r = here.call("/api/security/end_other_sessions", &[]).await;
        assert_eq!(r.json(), 1, "{}: {}", app.label, r.body);
        assert_signed_out(&mut phone, app.label).await;
        assert_eq!(here.call("/api/settings/members", &[]).await.status, StatusCode::OK, "{}", app.label);
    }
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_client_address() {
    for app in apps().await {
        let mut c = Client::new(&app);
        // The in-process client has no socket address: its address is "unknown".
        for _ in 0..backend::rate_limit::SIGNUP.max {
            backend::rate_limit::signup(&app.db, "unknown").await.unwrap();
        }
        let fields = [("org_name", "Burst Co"), ("name", "Bea"), ("email", "bea@burst.test"), ("password", "beas-long-password")];
        let r = c.call("/api/auth/signup", &fields).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}: {}", app.label, r.body);
        assert_eq!(r.error_code().as_deref(), Some("AUTH_004"), "{}", app.label);
        assert_eq!(backend::testing::count_rows(&app.db, "users").await, 0, "nothing was created ({})", app.label);
    }
}
