//! Accounts and access on both databases: sign-in, roles, members, org isolation,
//! API keys and the session store.

use backend::auth::{self, LoginLimits};
use backend::invitations;
use backend::mail::Delivery;
use backend::members;
use backend::orgs::{self, ProfileUpdate};
use backend::session_store::DbSessionStore;
use backend::testing::{databases, seed_member, seed_org_with};
use backend::{api_keys, audit};
use domain::{CountryCode, EmailAddress, ErrorCode, OrgName, Password, PersonName, Role, TimeZoneName, UserId};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

fn limits() -> LoginLimits {
    LoginLimits::default()
}

#[tokio::test]
async fn an_admin_signs_in_with_the_right_password_only() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let ok = auth::authenticate(&t.db, " Admin@Acme.test ", &Password::for_login(&a.password), "1.1.1.1", limits()).await;
        assert_eq!(ok.unwrap().id, a.user.id, "{}", t.label);

        let wrong = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login("not the password"), "1.1.1.1", limits()).await;
        assert_eq!(wrong.unwrap_err().code(), ErrorCode::InvalidCredentials, "{}", t.label);

        let unknown = auth::authenticate(&t.db, "nobody@acme.test", &Password::for_login("whatever-pass"), "1.1.1.1", limits()).await;
        assert_eq!(unknown.unwrap_err().code(), ErrorCode::InvalidCredentials, "unknown emails look like wrong passwords ({})", t.label);
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_email_even_with_the_right_password() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        for _ in 0..5 {
            let e = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login("guess-guess"), "2.2.2.2", limits()).await;
            assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidCredentials);
        }
        let locked = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login(&a.password), "3.3.3.3", limits()).await;
        assert_eq!(locked.unwrap_err().code(), ErrorCode::TooManyAttempts, "{}", t.label);

        // Another person on the same network is not locked out by the email limit.
        let b = seed_member(&t.db, &a.org, "agent@acme.test", Role::Agent).await;
        let other = auth::authenticate(&t.db, "agent@acme.test", &Password::for_login("password-for-tests"), "2.2.2.2", limits()).await;
        assert_eq!(other.unwrap().id, b.id, "{}", t.label);
    }
}

#[tokio::test]
async fn one_client_address_is_limited_across_emails() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let tight = LoginLimits { per_email: 100, per_ip: 3, ..LoginLimits::default() };
        for i in 0..3 {
            let _ = auth::authenticate(&t.db, &format!("x{i}@acme.test"), &Password::for_login("nope-nope"), "9.9.9.9", tight).await;
        }
        let e = auth::authenticate(&t.db, "admin@acme.test", &Password::for_login(&a.password), "9.9.9.9", tight).await;
        assert_eq!(e.unwrap_err().code(), ErrorCode::TooManyAttempts, "{}", t.label);
    }
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict() {
    for t in databases().await {
        seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let again = auth::create_user(
            &t.db,
            &EmailAddress::parse("ADMIN@acme.test").unwrap(),
            &PersonName::parse("Other").unwrap(),
            &Password::parse_new("another-password").unwrap(),
            false,
        )
        .await;
        assert_eq!(again.unwrap_err().code(), ErrorCode::Conflict, "{}", t.label);
    }
}

#[tokio::test]
async fn an_admin_updates_the_org_profile_and_it_is_audited() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let update = ProfileUpdate {
            name: OrgName::parse("Acme India").unwrap(),
            time_zone: TimeZoneName::parse("Asia/Kolkata").unwrap(),
            default_country: CountryCode::parse("IN").unwrap(),
        };
        let p = orgs::update_profile(&t.db, &a.actor, &update).await.unwrap();
        assert_eq!((p.name.as_str(), p.time_zone.as_str(), p.default_country.as_str()), ("Acme India", "Asia/Kolkata", "IN"), "{}", t.label);
        let again = orgs::profile(&t.db, &a.actor).await.unwrap();
        assert_eq!(again.time_zone, "Asia/Kolkata");
        let log = audit::list(&t.db, &a.org, 10).await.unwrap();
        assert_eq!(log[0].action, "org.profile_updated", "{}", t.label);
        assert_eq!(log[0].actor_user_id.as_deref(), Some(a.user.id.as_str()));
    }
}

#[tokio::test]
async fn members_below_admin_cannot_change_the_profile_or_members() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        for role in [Role::Manager, Role::Agent, Role::Viewer] {
            let user = seed_member(&t.db, &a.org, &format!("{}@acme.test", role.as_str()), role).await;
            let actor = auth::actor_for(&t.db, &user.id, &a.org).await.unwrap();
            let update =
                ProfileUpdate { name: OrgName::parse("Hijacked").unwrap(), time_zone: TimeZoneName::utc(), default_country: CountryCode::parse("US").unwrap() };
            assert_eq!(orgs::update_profile(&t.db, &actor, &update).await.unwrap_err().code(), ErrorCode::Forbidden);
            let email = EmailAddress::parse(&format!("new-{}@acme.test", role.as_str())).unwrap();
            let invited = invitations::create(&t.db, &Delivery::without_mail("http://mce.test"), &actor, &email, Role::Viewer).await;
            assert_eq!(invited.unwrap_err().code(), ErrorCode::Forbidden, "{} {}", t.label, role.as_str());
            assert_eq!(members::change_role(&t.db, &actor, &a.user.id, Role::Viewer).await.unwrap_err().code(), ErrorCode::Forbidden);
            assert_eq!(members::remove(&t.db, &actor, &a.user.id).await.unwrap_err().code(), ErrorCode::Forbidden);
        }
        let still = members::list(&t.db, &a.actor).await.unwrap();
        assert!(still.iter().any(|m| m.user_id == a.user.id && m.role == Role::Admin), "{}", t.label);
        assert_eq!(orgs::profile(&t.db, &a.actor).await.unwrap().name, "Acme");
    }
}

#[tokio::test]
async fn an_admin_adds_re_roles_and_removes_a_member() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Acme", "admin@acme.test", Role::Admin).await;
        let delivery = Delivery::without_mail("http://mce.test");
        let sarah = EmailAddress::parse("sarah@acme.test").unwrap();
        let invited = invitations::create(&t.db, &delivery, &a.actor, &sarah, Role::Agent).await.unwrap();
        let token = invited.link.as_deref().unwrap().split("token=").nth(1).unwrap().to_owned();
        let (user, _) =
            invitations::accept_new(&t.db, &token, &PersonName::parse("Sarah").unwrap(), &Password::parse_new("sarahs-first-pass").unwrap()).await.unwrap();
        let m = members::list(&t.db, &a.actor).await.unwrap().into_iter().find(|m| m.user_id == user.id).expect("Sarah joined");
        assert_eq!(m.role, Role::Agent, "{}", t.label);
        assert_eq!(invitations::create(&t.db, &delivery, &a.actor, &sarah, Role::Agent).await.unwrap_err().code(), ErrorCode::Conflict, "{}", t.label);
        let signed_in = auth::authenticate(&t.db, "sarah@acme.test", &Password::for_login("sarahs-first-pass"), "4.4.4.4", limits()).await;
        assert_eq!(signed_in.unwrap().id, m.user_id);

        members::change_role(&t.db, &a.actor, &m.user_id, Role::Manager).await.unwrap();
        let listed = members::list(&t.db, &a.actor).await.unwrap();
        assert_eq!(listed.iter().find(|x| x.user_id == m.user_id).unwrap().role, Role::Manager, "{}", t.label);

        members::remove(&t.db, &a.actor, &m.user_id).await.unwrap();
        assert!(members::list(&t.db, &a.actor).await.unwrap().iter().all(|x| x.user_id != m.user_id));
        assert_eq!(auth::actor_for(&t.db, &m.user_id, &a.org).await.unwrap_err().code(), ErrorCode::Forbidden);
    }
}

#[tokio::test]
async fn admins_cannot_touch_owners_and_the_last_owner_stays() {
    for t in databases().await {
        let o = seed_org_with(&t.db, "Acme", "owner@acme.test", Role::Owner).await;
        let admin = seed_member(&t.db, &o.org, "admin@acme.test", Role::Admin).await;
        let admin_actor = auth::actor_for(&t.db, &admin.id, &o.org).await.unwrap();
        assert_eq!(members::remove(&t.db, &admin_actor, &o.user.id).await.unwrap_err().code(), ErrorCode::Forbidden, "{}", t.label);
        assert_eq!(members::change_role(&t.db, &admin_actor, &admin.id, Role::Owner).await.unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(members::change_role(&t.db, &o.actor, &o.user.id, Role::Admin).await.unwrap_err().code(), ErrorCode::Conflict);
        assert_eq!(members::remove(&t.db, &o.actor, &o.user.id).await.unwrap_err().code(), ErrorCode::Conflict);
    }
}

#[tokio::test]
async fn an_admin_of_one_org_cannot_reach_another_orgs_members() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let b_agent = seed_member(&t.db, &b.org, "agent@b.test", Role::Agent).await;

        assert_eq!(members::change_role(&t.db, &a.actor, &b_agent.id, Role::Admin).await.unwrap_err().code(), ErrorCode::NotFound, "{}", t.label);
        assert_eq!(members::remove(&t.db, &a.actor, &b_agent.id).await.unwrap_err().code(), ErrorCode::NotFound);
        assert!(members::list(&t.db, &a.actor).await.unwrap().iter().all(|m| m.email.ends_with("@a.test")));
        assert_eq!(auth::actor_for(&t.db, &a.user.id, &b.org).await.unwrap_err().code(), ErrorCode::Forbidden);

        let b_members = members::list(&t.db, &b.actor).await.unwrap();
        assert_eq!(b_members.iter().find(|m| m.user_id == b_agent.id).unwrap().role, Role::Agent, "B unchanged ({})", t.label);
    }
}

#[tokio::test]
async fn people_see_their_own_orgs_and_super_admins_see_all() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        members::add_unchecked(&t.db, &b.org, &a.user.id, Role::Agent).await.unwrap();
        let mine = orgs::list_for_user(&t.db, &a.user).await.unwrap();
        assert_eq!(
            mine.iter().map(|o| (o.name.as_str(), o.role)).collect::<Vec<_>>(),
            vec![("Org A", Some(Role::Admin)), ("Org B", Some(Role::Agent))],
            "{}",
            t.label
        );
        let only_b = orgs::list_for_user(&t.db, &b.user).await.unwrap();
        assert_eq!(only_b.len(), 1);

        let root = backend::testing::seed_org_with(&t.db, "Root Org", "root@mce.test", Role::Owner).await;
        auth::set_super_admin(&t.db, &root.user.id, true).await.unwrap();
        let root_user = auth::find_user(&t.db, &root.user.id).await.unwrap().unwrap();
        assert_eq!(orgs::list_for_user(&t.db, &root_user).await.unwrap().len(), 3, "{}", t.label);
        let in_a = auth::actor_for(&t.db, &root_user.id, &a.org).await.unwrap();
        assert_eq!(in_a.role, Role::Owner, "super admins act as owners anywhere");
    }
}

#[tokio::test]
async fn api_keys_authenticate_their_org_until_revoked() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let key = api_keys::create(&t.db, &a.org, "Zapier").await.unwrap();
        assert!(key.secret.starts_with("mce_") && key.secret.len() > 40);
        let caller = api_keys::authenticate(&t.db, &key.secret).await.unwrap().unwrap();
        assert_eq!(caller.org_id, a.org, "{}", t.label);
        assert!(api_keys::authenticate(&t.db, "mce_wrong").await.unwrap().is_none());
        assert!(api_keys::authenticate(&t.db, "").await.unwrap().is_none());
        api_keys::revoke(&t.db, &a.actor, &key.id).await.unwrap();
        assert!(api_keys::authenticate(&t.db, &key.secret).await.unwrap().is_none(), "{}", t.label);
        assert!(api_keys::create(&t.db, &domain::OrgId::from_string("missing"), "x").await.is_err());
    }
}

#[tokio::test]
async fn the_session_store_saves_loads_and_forgets_sessions() {
    for t in databases().await {
        let store = DbSessionStore::new(t.db.clone());
        let mut data = std::collections::HashMap::new();
        data.insert("note".to_string(), serde_json::json!("u1"));
        let mut rec = Record { id: Id::default(), data, expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) };
        store.create(&mut rec).await.unwrap();
        let loaded = store.load(&rec.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["note"], "u1", "{}", t.label);

        rec.data.insert("org_id".into(), serde_json::json!("o1"));
        store.save(&rec).await.unwrap();
        assert_eq!(store.load(&rec.id).await.unwrap().unwrap().data["org_id"], "o1");

        store.delete(&rec.id).await.unwrap();
        assert!(store.load(&rec.id).await.unwrap().is_none(), "{}", t.label);

        let mut old = Record { id: Id::default(), data: Default::default(), expiry_date: time::OffsetDateTime::now_utc() - time::Duration::minutes(1) };
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none(), "expired sessions do not load ({})", t.label);
        assert_eq!(store.delete_expired().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_removed_user_id_is_not_an_actor_anywhere() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let ghost = UserId::from_string("00000000-0000-0000-0000-000000000000");
        assert_eq!(auth::actor_for(&t.db, &ghost, &a.org).await.unwrap_err().code(), ErrorCode::NotAuthenticated, "{}", t.label);
    }
}
