//! Invitations, e-mail verification and password reset (issue 11, items 1-4) on both
//! databases, with mail caught by the in-test SMTP sink.

use backend::accounts;
use backend::auth::{self, LoginLimits};
use backend::clock::now_ms;
use backend::invitations;
use backend::mail::Delivery;
use backend::members;
use backend::testing::{count_rows, databases, seed_member, seed_org_with, SmtpSink};
use domain::{EmailAddress, ErrorCode, OrgName, Password, PersonName, Role};

const BASE: &str = "http://mce.test";

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("a token in the link").to_owned()
}

fn name(s: &str) -> PersonName {
    PersonName::parse(s).unwrap()
}

fn pass(s: &str) -> Password {
    Password::parse_new(s).unwrap()
}

async fn sign_in(db: &backend::Db, email: &str, password: &str) -> Result<auth::User, ErrorCode> {
    auth::authenticate(db, email, &Password::for_login(password), "9.9.9.9", LoginLimits::default()).await.map_err(|e| e.code())
}

#[tokio::test]
async fn an_invitation_is_accepted_with_its_token_only_and_only_once() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let created = invitations::create(&t.db, &Delivery::without_mail(BASE), &a.actor, &email("nina@acme.test"), Role::Agent).await.unwrap();
        let link = created.link.clone().unwrap();
        assert!(link.starts_with("http://mce.test/invitations/accept?token="), "{link}");
        assert!(!created.emailed, "no SMTP, no mail");
        assert_eq!(members::list(&t.db, &a.actor).await.unwrap().len(), 1, "an invitation adds nobody by itself ({})", t.label);
        assert_eq!(invitations::list_pending(&t.db, &a.actor).await.unwrap().iter().map(|i| i.email.as_str()).collect::<Vec<_>>(), ["nina@acme.test"]);

        for wrong in ["", "not-the-token", &format!("{}x", token_of(&link))] {
            let e = invitations::accept_new(&t.db, wrong, &name("Nina"), &pass("ninas-password")).await.unwrap_err();
            assert_eq!(e.code(), ErrorCode::LinkInvalid, "{} {wrong:?}", t.label);
        }
        assert_eq!(count_rows(&t.db, "users").await, 1, "a wrong token creates no account ({})", t.label);

        let (nina, org) = invitations::accept_new(&t.db, &token_of(&link), &name("Nina"), &pass("ninas-password")).await.unwrap();
        assert_eq!(org, a.org);
        assert_eq!(auth::actor_for(&t.db, &nina.id, &a.org).await.unwrap().role, Role::Agent, "{}", t.label);
        assert_eq!(sign_in(&t.db, "nina@acme.test", "ninas-password").await.unwrap().id, nina.id, "an accepted invitation counts as verified");

        let twice = invitations::accept_new(&t.db, &token_of(&link), &name("Nina Again"), &pass("another-password")).await.unwrap_err();
        assert_eq!((twice.code(), twice.into_app_error().message.contains("already accepted")), (ErrorCode::LinkInvalid, true), "{}", t.label);
        assert!(invitations::list_pending(&t.db, &a.actor).await.unwrap().is_empty(), "an accepted invitation is no longer pending");
    }
}

#[tokio::test]
async fn an_expired_or_revoked_invitation_cannot_be_accepted() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let d = Delivery::without_mail(BASE);
        let late = invitations::create(&t.db, &d, &a.actor, &email("late@acme.test"), Role::Viewer).await.unwrap();
        assert_eq!(late.invitation.expires_at - late.invitation.created_at, 7 * 24 * 3600 * 1000, "a week to accept");
        sqlx::query("UPDATE invitations SET expires_at = $1 WHERE id = $2").bind(now_ms() - 1).bind(&late.invitation.id).execute(t.db.pool()).await.unwrap();
        let e = invitations::accept_new(&t.db, &token_of(late.link.as_deref().unwrap()), &name("Late"), &pass("late-password")).await.unwrap_err();
        assert_eq!((e.code(), e.into_app_error().message.contains("expired")), (ErrorCode::LinkInvalid, true), "{}", t.label);
        assert_eq!(invitations::preview(&t.db, &token_of(late.link.as_deref().unwrap()), None).await.unwrap_err().code(), ErrorCode::LinkInvalid);

        let withdrawn = invitations::create(&t.db, &d, &a.actor, &email("gone@acme.test"), Role::Viewer).await.unwrap();
        let other = seed_org_with(&t.db, "Other", "admin@other.test", Role::Admin).await;
        assert_eq!(
            invitations::revoke(&t.db, &other.actor, &withdrawn.invitation.id).await.unwrap_err().code(),
            ErrorCode::NotFound,
            "another org cannot revoke it"
        );
        invitations::revoke(&t.db, &a.actor, &withdrawn.invitation.id).await.unwrap();
        let e = invitations::accept_new(&t.db, &token_of(withdrawn.link.as_deref().unwrap()), &name("Gone"), &pass("gone-password")).await.unwrap_err();
        assert_eq!((e.code(), e.into_app_error().message.contains("withdrawn")), (ErrorCode::LinkInvalid, true), "{}", t.label);
        assert!(invitations::list_pending(&t.db, &a.actor).await.unwrap().is_empty(), "{}", t.label);

        let again = invitations::create(&t.db, &d, &a.actor, &email("twice@acme.test"), Role::Viewer).await.unwrap();
        let newer = invitations::create(&t.db, &d, &a.actor, &email("twice@acme.test"), Role::Agent).await.unwrap();
        let e = invitations::accept_new(&t.db, &token_of(again.link.as_deref().unwrap()), &name("Twice"), &pass("twice-password")).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::LinkInvalid, "a newer invitation of the address replaces the older ({})", t.label);
        let (u, _) = invitations::accept_new(&t.db, &token_of(newer.link.as_deref().unwrap()), &name("Twice"), &pass("twice-password")).await.unwrap();
        assert_eq!(auth::actor_for(&t.db, &u.id, &a.org).await.unwrap().role, Role::Agent);
        assert_eq!(count_rows(&t.db, "memberships").await, 3, "only the accepted one joined ({})", t.label);
    }
}

#[tokio::test]
async fn a_pre_registered_account_gains_nothing_until_its_holder_accepts_signed_in() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        // Someone signs up first with the address the admin is about to invite.
        let d = Delivery::without_mail(BASE);
        let squatter =
            accounts::sign_up(&t.db, &d, &OrgName::parse("Squat").unwrap(), &name("Vic"), &email("vic@acme.test"), &pass("squatters-password")).await.unwrap();
        let invited = invitations::create(&t.db, &d, &a.actor, &email("vic@acme.test"), Role::Manager).await.unwrap();
        let token = token_of(invited.link.as_deref().unwrap());

        assert_eq!(auth::actor_for(&t.db, &squatter.user.id, &a.org).await.unwrap_err().code(), ErrorCode::Forbidden, "{}", t.label);
        assert!(members::list(&t.db, &a.actor).await.unwrap().iter().all(|m| m.email != "vic@acme.test"), "{}", t.label);
        let preview = invitations::preview(&t.db, &token, None).await.unwrap();
        assert_eq!((preview.org_name.as_str(), preview.role, preview.has_account), ("Acme", Role::Manager, true));

        let e = invitations::accept_new(&t.db, &token, &name("Not Vic"), &pass("takeover-password")).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Conflict, "an existing address signs in to accept ({})", t.label);
        let stranger = seed_member(&t.db, &squatter.org, "stranger@squat.test", Role::Agent).await;
        assert_eq!(invitations::accept_as(&t.db, &stranger, &token).await.unwrap_err().code(), ErrorCode::Forbidden, "another account cannot take it");
        assert_eq!(auth::actor_for(&t.db, &squatter.user.id, &a.org).await.unwrap_err().code(), ErrorCode::Forbidden, "still nothing ({})", t.label);

        // The holder of the account, signed in as it, accepts.
        assert_eq!(invitations::accept_as(&t.db, &squatter.user, &token).await.unwrap(), a.org);
        assert_eq!(auth::actor_for(&t.db, &squatter.user.id, &a.org).await.unwrap().role, Role::Manager, "{}", t.label);
        assert_eq!(invitations::accept_as(&t.db, &squatter.user, &token).await.unwrap_err().code(), ErrorCode::LinkInvalid);
    }
}

#[tokio::test]
async fn only_admins_invite_and_only_owners_invite_owners() {
    for t in databases().await {
        let o = seed_org_with(&t.db, "Acme", "owner@acme.test", Role::Owner).await;
        let d = Delivery::without_mail(BASE);
        for role in [Role::Manager, Role::Agent, Role::Viewer] {
            let u = seed_member(&t.db, &o.org, &format!("{}@acme.test", role.as_str()), role).await;
            let actor = auth::actor_for(&t.db, &u.id, &o.org).await.unwrap();
            assert_eq!(invitations::create(&t.db, &d, &actor, &email("x@acme.test"), Role::Viewer).await.unwrap_err().code(), ErrorCode::Forbidden);
            assert_eq!(invitations::list_pending(&t.db, &actor).await.unwrap_err().code(), ErrorCode::Forbidden, "{} {}", t.label, role.as_str());
        }
        let admin = seed_member(&t.db, &o.org, "admin@acme.test", Role::Admin).await;
        let admin = auth::actor_for(&t.db, &admin.id, &o.org).await.unwrap();
        assert_eq!(invitations::create(&t.db, &d, &admin, &email("boss@acme.test"), Role::Owner).await.unwrap_err().code(), ErrorCode::Forbidden);
        let owner_invite = invitations::create(&t.db, &d, &o.actor, &email("boss@acme.test"), Role::Owner).await.unwrap();
        assert_eq!(invitations::revoke(&t.db, &admin, &owner_invite.invitation.id).await.unwrap_err().code(), ErrorCode::Forbidden, "{}", t.label);
        assert_eq!(invitations::create(&t.db, &d, &o.actor, &email("agent@acme.test"), Role::Viewer).await.unwrap_err().code(), ErrorCode::Conflict);
    }
}

#[tokio::test]
async fn the_sink_receives_an_invitation_as_a_multipart_mail_with_both_parts_and_the_link() {
    let sink = SmtpSink::start().await;
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let to = format!("mia-{}@acme.test", t.label);
        let created = invitations::create(&t.db, &sink.delivery(BASE), &a.actor, &email(&to), Role::Agent).await.unwrap();
        assert!(created.emailed, "{}", t.label);
        let mail = sink.last_to(&to).await.expect("the invitation arrived");
        assert_eq!(mail.from, "mce@mce.test");
        let body = mail.decoded();
        assert!(body.contains("multipart/alternative"), "{body}");
        assert!(body.contains("Content-Type: text/plain") && body.contains("Content-Type: text/html"), "{body}");
        assert!(body.contains("You are invited to Acme on MCE"), "{body}");
        assert_eq!(mail.link("/invitations/accept"), created.link, "the mail carries the link ({})", t.label);
    }
}

#[tokio::test]
async fn a_reset_link_from_the_mail_works_once() {
    let sink = SmtpSink::start().await;
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", &format!("rosa-{}@acme.test", t.label), Role::Admin).await;
        let to = a.user.email.clone();
        accounts::request_reset(&t.db, &sink.delivery(BASE), &to.to_uppercase()).await.unwrap();
        let mail = sink.last_to(&to).await.expect("the reset mail arrived");
        let body = mail.decoded();
        assert!(body.contains("Content-Type: text/plain") && body.contains("Content-Type: text/html") && body.contains("Reset your MCE password"));
        let link = mail.link("/reset-password").expect("a reset link");
        assert!(link.starts_with("http://mce.test/reset-password?token="), "{link}");

        let user = accounts::reset_password(&t.db, &token_of(&link), &pass("rosas-new-password")).await.unwrap();
        assert_eq!(user, a.user.id);
        assert_eq!(sign_in(&t.db, &to, "rosas-new-password").await.unwrap().id, a.user.id, "{}", t.label);
        assert_eq!(sign_in(&t.db, &to, &a.password).await.unwrap_err(), ErrorCode::InvalidCredentials, "the old password is gone");
        let again = accounts::reset_password(&t.db, &token_of(&link), &pass("someone-elses-pass")).await.unwrap_err();
        assert_eq!((again.code(), again.into_app_error().message.contains("already used")), (ErrorCode::LinkInvalid, true), "{}", t.label);
        assert_eq!(sign_in(&t.db, &to, "rosas-new-password").await.unwrap().id, a.user.id, "a used link changes nothing");
    }
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour_and_a_newer_one_replaces_it() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let d = Delivery::without_mail(BASE);
        let first = accounts::reset_link_for(&t.db, &d, &email("admin@acme.test")).await.unwrap();
        let (created, expires): (i64, i64) = sqlx::query_as("SELECT created_at, expires_at FROM account_tokens").fetch_one(t.db.pool()).await.unwrap();
        assert_eq!(expires - created, 3600 * 1000, "an hour ({})", t.label);
        let second = accounts::reset_link_for(&t.db, &d, &email("admin@acme.test")).await.unwrap();
        let e = accounts::reset_password(&t.db, &token_of(&first), &pass("first-new-password")).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::LinkInvalid, "the newer link replaces the older ({})", t.label);

        sqlx::query("UPDATE account_tokens SET created_at = created_at - 3600001, expires_at = expires_at - 3600001").execute(t.db.pool()).await.unwrap();
        let e = accounts::reset_password(&t.db, &token_of(&second), &pass("second-new-password")).await.unwrap_err();
        assert_eq!((e.code(), e.into_app_error().message.contains("expired")), (ErrorCode::LinkInvalid, true), "{}", t.label);
        assert_eq!(sign_in(&t.db, "admin@acme.test", &a.password).await.unwrap().id, a.user.id, "the password is unchanged");
        let unknown = accounts::reset_link_for(&t.db, &d, &email("nobody@acme.test")).await.unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::NotFound, "the operator's command says so");
    }
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_address_answers_the_same_and_stores_nothing() {
    let sink = SmtpSink::start().await;
    for t in databases().await {
        seed_org_with(&t.db, "Acme", &format!("known-{}@acme.test", t.label), Role::Admin).await;
        let d = sink.delivery(BASE);
        for unknown in ["nobody@acme.test", "not an address", ""] {
            assert!(accounts::request_reset(&t.db, &d, unknown).await.is_ok(), "{unknown:?}");
        }
        assert_eq!(count_rows(&t.db, "account_tokens").await, 0, "{}", t.label);
        let known = format!("known-{}@acme.test", t.label);
        accounts::request_reset(&t.db, &d, &known).await.unwrap();
        assert!(sink.last_to(&known).await.is_some());
        assert!(sink.mails().iter().all(|m| m.to.iter().all(|to| to.starts_with("known-"))), "no mail to unknown addresses");
    }
}

#[tokio::test]
async fn with_smtp_a_new_sign_up_signs_in_only_after_verifying_its_address() {
    let sink = SmtpSink::start().await;
    for t in databases().await {
        let to = format!("una-{}@una.test", t.label);
        let d = sink.delivery(BASE);
        let made = accounts::sign_up(&t.db, &d, &OrgName::parse("Una Co").unwrap(), &name("Una"), &email(&to), &pass("unas-password")).await.unwrap();
        assert!(made.verification_sent);
        assert_eq!(sign_in(&t.db, &to, "unas-password").await.unwrap_err(), ErrorCode::EmailNotVerified, "{}", t.label);
        assert_eq!(sign_in(&t.db, &to, "wrong-password").await.unwrap_err(), ErrorCode::InvalidCredentials, "a wrong password learns nothing");

        let mail = sink.last_to(&to).await.expect("the verification mail arrived");
        assert!(mail.decoded().contains("Content-Type: text/html"));
        let link = mail.link("/verify-email").expect("a verification link");
        assert_eq!(accounts::verify_email(&t.db, "forged").await.unwrap_err().code(), ErrorCode::LinkInvalid);
        assert_eq!(accounts::verify_email(&t.db, &token_of(&link)).await.unwrap(), made.user.id);
        assert_eq!(sign_in(&t.db, &to, "unas-password").await.unwrap().id, made.user.id, "{}", t.label);
        assert_eq!(accounts::verify_email(&t.db, &token_of(&link)).await.unwrap_err().code(), ErrorCode::LinkInvalid, "single use");

        let plain = accounts::sign_up(
            &t.db,
            &Delivery::without_mail(BASE),
            &OrgName::parse("Plain").unwrap(),
            &name("Pia"),
            &email("pia@pia.test"),
            &pass("pias-password"),
        )
        .await
        .unwrap();
        assert!(!plain.verification_sent);
        assert_eq!(sign_in(&t.db, "pia@pia.test", "pias-password").await.unwrap().id, plain.user.id, "without SMTP sign-up works as before");
    }
}

#[tokio::test]
async fn unverified_accounts_are_pruned_after_seven_days_with_their_own_org() {
    let sink = SmtpSink::start().await;
    for t in databases().await {
        let d = sink.delivery(BASE);
        let stale =
            accounts::sign_up(&t.db, &d, &OrgName::parse("Stale").unwrap(), &name("Sam"), &email("sam@stale.test"), &pass("sams-password")).await.unwrap();
        let kim = format!("kim-{}@kept.test", t.label);
        let kept = accounts::sign_up(&t.db, &d, &OrgName::parse("Kept").unwrap(), &name("Kim"), &email(&kim), &pass("kims-password")).await.unwrap();
        let link = sink.last_to(&kim).await.unwrap().link("/verify-email").unwrap();
        accounts::verify_email(&t.db, &token_of(&link)).await.unwrap();
        let now = now_ms();
        assert_eq!(accounts::prune(&t.db, now).await.unwrap(), 0, "a fresh sign-up stays ({})", t.label);
        assert_eq!(accounts::prune(&t.db, now + 7 * 24 * 3600 * 1000 + 60_000).await.unwrap(), 1, "{}", t.label);
        assert!(auth::find_user(&t.db, &stale.user.id).await.unwrap().is_none());
        assert!(!backend::orgs::exists(&t.db, &stale.org).await.unwrap(), "its org went with it ({})", t.label);
        assert!(auth::find_user(&t.db, &kept.user.id).await.unwrap().is_some(), "a verified account stays");
        assert!(backend::orgs::exists(&t.db, &kept.org).await.unwrap());
    }
}
