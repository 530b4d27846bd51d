//! Invitations, password reset and sign-up verification through the whole router, on
//! both databases; mail goes to the in-test SMTP sink.

use crate::common::*;
use axum::http::StatusCode;
use backend::testing::SmtpSink;

const PASSWORD: &str = "password-for-tests";

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("a token").to_owned()
}

#[tokio::test]
async fn an_invited_person_opens_the_link_sets_a_password_and_is_signed_in_to_the_org() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let mut admin = Client::new(&app);
        admin.login("admin@a.test", PASSWORD).await;
        let invited = admin.call("/api/settings/invite_member", &[("email", "Nora@a.test"), ("role", "agent")]).await;
        assert_eq!(invited.status, StatusCode::OK, "{}: {}", app.label, invited.body);
        let link = invited.json()["link"].as_str().unwrap().to_owned();
        assert!(link.starts_with("http://127.0.0.1:9/invitations/accept?token="), "{link}");
        let pending = admin.call("/api/settings/invitations", &[]).await.json();
        assert_eq!(pending[0]["email"], "nora@a.test");
        assert!(!pending.to_string().contains(&token_of(&link)), "the list never shows the token");

        let mut nora = Client::new(&app);
        assert_eq!(nora.get(&format!("/invitations/accept?token={}", token_of(&link))).await.status, StatusCode::OK, "the page renders");
        let preview = nora.call("/api/accounts/invitation", &[("token", &token_of(&link))]).await.json();
        assert_eq!((preview["org_name"].as_str(), preview["role"].as_str(), preview["has_account"].as_bool()), (Some("Org A"), Some("agent"), Some(false)));
        let no_token = nora.call("/api/accounts/accept_invitation", &[("token", ""), ("name", "Nora"), ("password", "noras-password")]).await;
        assert_eq!((no_token.status, no_token.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("AUTH_008")), "{}", app.label);
        let joined = nora.call("/api/accounts/accept_invitation", &[("token", &token_of(&link)), ("name", "Nora"), ("password", "noras-password")]).await;
        assert_eq!(joined.status, StatusCode::OK, "{}: {}", app.label, joined.body);
        let me = nora.call("/api/auth/session", &[]).await.json();
        assert_eq!((me["org"]["id"].as_str(), me["role"].as_str()), (Some(orgs.a.org.as_str()), Some("agent")), "{}", app.label);

        let mut again = Client::new(&app);
        let twice = again.call("/api/accounts/accept_invitation", &[("token", &token_of(&link)), ("name", "Eve"), ("password", "eves-password1")]).await;
        assert_eq!(twice.error_code().as_deref(), Some("AUTH_008"), "{}", app.label);
        assert_eq!(again.login("nora@a.test", "noras-password").await.status, StatusCode::OK, "the new member signs in");
    }
}

#[tokio::test]
async fn an_existing_account_accepts_only_while_signed_in_as_itself() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let mut admin = Client::new(&app);
        admin.login("admin@a.test", PASSWORD).await;
        // B's agent already has an account; A invites that address.
        let link =
            admin.call("/api/settings/invite_member", &[("email", "agent@b.test"), ("role", "viewer")]).await.json()["link"].as_str().unwrap().to_owned();
        let mut anon = Client::new(&app);
        let join = anon.call("/api/accounts/join_invited_org", &[("token", &token_of(&link))]).await;
        assert_eq!(join.error_code().as_deref(), Some("AUTH_002"), "signed out ({})", app.label);
        let takeover = anon.call("/api/accounts/accept_invitation", &[("token", &token_of(&link)), ("name", "Mallory"), ("password", "mallorys-pass")]).await;
        assert_eq!(takeover.error_code().as_deref(), Some("CONFLICT_001"), "{}", app.label);

        let mut wrong = Client::new(&app);
        wrong.login("admin@b.test", PASSWORD).await;
        assert_eq!(wrong.call("/api/accounts/join_invited_org", &[("token", &token_of(&link))]).await.error_code().as_deref(), Some("AUTH_003"));

        let mut agent = Client::new(&app);
        agent.login("agent@b.test", PASSWORD).await;
        let preview = agent.call("/api/accounts/invitation", &[("token", &token_of(&link))]).await.json();
        assert_eq!(preview["signed_in_as"], "agent@b.test");
        assert_eq!(agent.call("/api/accounts/join_invited_org", &[("token", &token_of(&link))]).await.status, StatusCode::OK, "{}", app.label);
        let me = agent.call("/api/auth/session", &[]).await.json();
        assert_eq!((me["org"]["id"].as_str(), me["role"].as_str()), (Some(orgs.a.org.as_str()), Some("viewer")), "{}", app.label);
    }
}

#[tokio::test]
async fn a_password_is_reset_through_the_mailed_link_and_unknown_addresses_get_the_same_answer() {
    let sink = SmtpSink::start().await;
    for app in apps_with(&[("MCE_SMTP_URL", &sink.url()), ("MCE_MAIL_FROM", "MCE <mce@mce.test>")]).await {
        let email = format!("reset-{}@a.test", app.label);
        let org = backend::testing::seed_org_with(&app.db, "Org R", &email, domain::Role::Admin).await;
        let mut earlier = Client::new(&app);
        assert_eq!(earlier.login(&email, &org.password).await.status, StatusCode::OK, "a session from before the reset");
        let mut c = Client::new(&app);
        let known = c.call("/api/accounts/request_password_reset", &[("email", &email)]).await;
        let unknown = c.call("/api/accounts/request_password_reset", &[("email", "nobody@a.test")]).await;
        assert_eq!((known.status, known.body.as_str()), (unknown.status, unknown.body.as_str()), "the same answer ({})", app.label);
        assert_eq!(known.status, StatusCode::OK);

        let mail = sink.last_to(&email).await.expect("the reset mail arrived");
        let link = mail.link("/reset-password").expect("a link");
        assert!(link.starts_with("http://127.0.0.1:9/reset-password?token="), "{link}");
        assert_eq!(c.get(&format!("/reset-password?token={}", token_of(&link))).await.status, StatusCode::OK, "the page renders");
        let done = c.call("/api/accounts/reset_password", &[("token", &token_of(&link)), ("password", "a-brand-new-password")]).await;
        assert_eq!(done.status, StatusCode::OK, "{}: {}", app.label, done.body);
        crate::security::assert_signed_out(&mut earlier, &format!("the reset ended the earlier session ({})", app.label)).await;
        let reused = c.call("/api/accounts/reset_password", &[("token", &token_of(&link)), ("password", "another-new-password")]).await;
        assert_eq!(reused.error_code().as_deref(), Some("AUTH_008"), "{}", app.label);
        assert_eq!(c.login(&email, "a-brand-new-password").await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(Client::new(&app).login(&email, &org.password).await.error_code().as_deref(), Some("AUTH_001"));
    }
}

#[tokio::test]
async fn with_smtp_a_sign_up_signs_in_only_after_its_address_is_verified() {
    let sink = SmtpSink::start().await;
    for app in apps_with(&[("MCE_SMTP_URL", &sink.url())]).await {
        let email = format!("new-{}@signup.test", app.label);
        let mut c = Client::new(&app);
        let made = c.call("/api/auth/signup", &[("org_name", "New Co"), ("name", "Newt"), ("email", &email), ("password", "newts-password")]).await;
        assert_eq!((made.status, made.body.as_str()), (StatusCode::OK, "false"), "not signed in yet ({})", app.label);
        assert_eq!(c.call("/api/auth/session", &[]).await.error_code().as_deref(), Some("AUTH_002"));
        let refused = c.login(&email, "newts-password").await;
        assert_eq!((refused.status, refused.error_code().as_deref()), (StatusCode::FORBIDDEN, Some("AUTH_007")), "{}", app.label);

        let link = sink.last_to(&email).await.expect("the verification mail").link("/verify-email").expect("a link");
        assert_eq!(c.call("/api/accounts/verify_email", &[("token", &token_of(&link))]).await.status, StatusCode::OK);
        assert_eq!(c.login(&email, "newts-password").await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(c.call("/api/accounts/verify_email", &[("token", &token_of(&link))]).await.error_code().as_deref(), Some("AUTH_008"));
    }
}

#[tokio::test]
async fn without_smtp_a_sign_up_is_signed_in_at_once() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let made = c.call("/api/auth/signup", &[("org_name", "Plain Co"), ("name", "Pat"), ("email", "pat@plain.test"), ("password", "pats-password")]).await;
        assert_eq!((made.status, made.body.as_str()), (StatusCode::OK, "true"), "{}", app.label);
        assert_eq!(c.call("/api/auth/session", &[]).await.json()["email"], "pat@plain.test");
    }
}

#[tokio::test]
async fn the_cli_prints_working_invitation_and_reset_links_on_the_public_url() {
    let cfg = config(&[("MCE_PUBLIC_URL", "https://crm.example.com/")]);
    for t in backend::testing::databases().await {
        let made = server::cli::admin_create(&t.db, "owner@cli.test", "owners-password", "CLI Org", None, false).await.unwrap();
        let org = made.org_id.as_str();
        let invited = server::cli::admin_invite(&t.db, &cfg, org, "next@cli.test", "owner").await.unwrap();
        let link = invited.link.unwrap();
        assert!(link.starts_with("https://crm.example.com/invitations/accept?token="), "{link}");
        let (user, joined) = backend::invitations::accept_new(
            &t.db,
            &token_of(&link),
            &domain::PersonName::parse("Next Owner").unwrap(),
            &domain::Password::parse_new("next-owners-password").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!((joined.as_str(), backend::auth::actor_for(&t.db, &user.id, &made.org_id).await.unwrap().role), (org, domain::Role::Owner), "{}", t.label);
        assert!(server::cli::admin_invite(&t.db, &cfg, "no-such-org", "x@cli.test", "agent").await.is_err(), "an unknown org is refused");
        assert!(server::cli::admin_invite(&t.db, &cfg, org, "x@cli.test", "root").await.is_err(), "an unknown role is refused");

        let reset = server::cli::admin_reset_password(&t.db, &cfg, "owner@cli.test").await.unwrap();
        assert!(reset.starts_with("https://crm.example.com/reset-password?token="), "{reset}");
        backend::accounts::reset_password(&t.db, &token_of(&reset), &domain::Password::parse_new("owners-new-password").unwrap()).await.unwrap();
        let signed_in = backend::auth::authenticate(
            &t.db,
            "owner@cli.test",
            &domain::Password::for_login("owners-new-password"),
            "1.2.3.4",
            backend::auth::LoginLimits::default(),
        )
        .await;
        assert_eq!(signed_in.unwrap().id, made.user_id, "{}", t.label);
        assert!(server::cli::admin_reset_password(&t.db, &cfg, "nobody@cli.test").await.is_err());
    }
}

#[tokio::test]
async fn password_reset_requests_are_rate_limited_per_client_address() {
    let sink = SmtpSink::start().await;
    for app in apps_with(&[("MCE_SMTP_URL", &sink.url())]).await {
        let email = format!("burst-{}@a.test", app.label);
        backend::testing::seed_org_with(&app.db, "Org Burst", &email, domain::Role::Admin).await;
        let mut c = Client::new(&app);
        for _ in 0..backend::rate_limit::PASSWORD_RESET.max {
            assert_eq!(c.call("/api/accounts/request_password_reset", &[("email", "nobody@a.test")]).await.status, StatusCode::OK);
        }
        let r = c.call("/api/accounts/request_password_reset", &[("email", &email)]).await;
        assert_eq!((r.status, r.error_code().as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("AUTH_004")), "{}: {}", app.label, r.body);
        let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_tokens").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(tokens, 0, "no link was made past the limit ({})", app.label);
    }
}
