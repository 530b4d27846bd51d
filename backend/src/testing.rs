//! Test support: a fresh, migrated database per test on every backend under test.
//!
//! SQLite always runs (a file in a new temporary directory). PostgreSQL runs when
//! `MCE_TEST_POSTGRES_URL` points at a server (the README's test command starts a
//! throwaway cluster and sets it); each call creates a new database there. Set
//! `MCE_REQUIRE_POSTGRES=1` to make a missing PostgreSQL a failure instead of a skip.

use crate::auth::{self, Actor, User};
use crate::{members, orgs, Db};
use domain::{CountryCode, EmailAddress, OrgId, OrgName, Password, PersonName, Role, TimeZoneName};
use sqlx::Executor;

/// A fresh migrated database, with a label (`sqlite` or `postgres`) for assertion messages.
pub struct TestDb {
    pub label: &'static str,
    pub db: Db,
    /// The URL the database was opened with (to start a server on it).
    pub url: String,
}

/// A fresh database on each backend under test.
pub async fn databases() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    match std::env::var("MCE_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => out.push(postgres(&admin_url).await),
        _ => {
            if std::env::var("MCE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("MCE_REQUIRE_POSTGRES=1 but MCE_TEST_POSTGRES_URL is not set");
            }
            eprintln!("note: MCE_TEST_POSTGRES_URL unset; this test ran on SQLite only");
        }
    }
    out
}

/// A fresh SQLite database in a new temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("mce-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/mce.db", dir.display());
    let db = Db::connect(&url).await.expect("sqlite connects");
    db.migrate().await.expect("sqlite migrates");
    TestDb { label: "sqlite", db, url }
}

/// A fresh PostgreSQL database on the server at `admin_url`.
pub async fn postgres(admin_url: &str) -> TestDb {
    let name = format!("mce_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(admin_url).await.expect("postgres admin connects");
    admin.pool().execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    admin.close().await;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    let url = format!("{base}/{name}");
    let db = Db::connect(&url).await.expect("postgres connects");
    db.migrate().await.expect("postgres migrates");
    TestDb { label: "postgres", db, url }
}

/// An org with one member of the given role, created through the services.
pub struct Seeded {
    pub org: OrgId,
    pub user: User,
    pub actor: Actor,
    pub password: String,
}

/// Creates an org named `org_name` and a member `email` with `role` (password
/// `password-for-tests`).
pub async fn seed_org_with(db: &Db, org_name: &str, email: &str, role: Role) -> Seeded {
    let org = orgs::create(db, &OrgName::parse(org_name).unwrap(), &TimeZoneName::utc(), CountryCode::parse("US").unwrap())
        .await
        .expect("org created");
    let user = seed_member(db, &org, email, role).await;
    let actor = auth::actor_for(db, &user.id, &org).await.expect("actor");
    Seeded { org, user, actor, password: "password-for-tests".into() }
}

/// Adds a new person `email` with `role` to `org`.
pub async fn seed_member(db: &Db, org: &OrgId, email: &str, role: Role) -> User {
    let user = auth::create_user(
        db,
        &EmailAddress::parse(email).unwrap(),
        &PersonName::parse(email.split('@').next().unwrap()).unwrap(),
        &Password::parse_new("password-for-tests").unwrap(),
        false,
    )
    .await
    .expect("user created");
    members::add_unchecked(db, org, &user.id, role).await.expect("membership");
    user
}
