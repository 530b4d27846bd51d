//! Who is asking: people, password hashing, sign-in with rate limiting, and the
//! [`Actor`] that every service takes to decide what the caller may see and change.

use crate::clock::{new_id, now_ms};
use crate::db::rows::Flag;
use crate::error::{is_unique_violation, Result, ServiceError};
use crate::Db;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use domain::{AppError, EmailAddress, ErrorCode, OrgId, Password, PersonName, Role, UserId};
use std::sync::OnceLock;

/// Who acts for an org: a signed-in member, an API key, or MCE itself on behalf of an
/// automation (a flow, an import, the inbound pipeline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person, member of the org (or a super admin looking in).
    Member(UserId),
    /// An API key of the org (`/api/v1`).
    ApiKey(String),
    /// MCE's own work, naming the automation that acts.
    System(&'static str),
}

impl Principal {
    /// How audit entries and timelines name it.
    pub fn describe(&self) -> String {
        match self {
            Principal::Member(u) => format!("user:{}", u.as_str()),
            Principal::ApiKey(k) => format!("api_key:{k}"),
            Principal::System(a) => format!("system:{a}"),
        }
    }
}

/// Who is calling a service: a principal acting in one org with a role there. Every
/// service that reads or changes org data takes one, scopes to `org_id`, and checks
/// `role` itself. Members come from [`actor_for`] (which checks the membership); API
/// keys and automations from [`Actor::api_key`] and [`Actor::system`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub org_id: OrgId,
    pub role: Role,
    pub principal: Principal,
    pub is_super_admin: bool,
}

impl Actor {
    /// An org's API key with admin powers (see [`Actor::api_key_with`]).
    pub fn api_key(org: &OrgId, key_id: &str) -> Self {
        Self::api_key_with(org, key_id, Role::Admin)
    }

    /// An org's API key acting with its role (admin, agent or viewer).
    pub fn api_key_with(org: &OrgId, key_id: &str, role: Role) -> Self {
        Self { org_id: org.clone(), role, principal: Principal::ApiKey(key_id.to_owned()), is_super_admin: false }
    }

    /// MCE acting for `automation` in an org (it may do what an admin may).
    pub fn system(org: &OrgId, automation: &'static str) -> Self {
        Self { org_id: org.clone(), role: Role::Admin, principal: Principal::System(automation), is_super_admin: false }
    }

    /// The member acting, if a person is.
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.principal {
            Principal::Member(u) => Some(u),
            _ => None,
        }
    }

    /// The member acting; `AUTH_003` for API keys and automations (things only a person
    /// does: their own notifications, their inbox tab).
    pub fn member_id(&self) -> Result<&UserId> {
        self.user_id().ok_or_else(|| AppError::new(ErrorCode::Forbidden, "Only a signed-in member can do this.").into())
    }

    /// Fails with `AUTH_003` unless the actor's role is at least `min`.
    pub fn require(&self, min: Role) -> Result<()> {
        if self.role.at_least(min) {
            Ok(())
        } else {
            Err(AppError::forbidden().into())
        }
    }
}

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub is_super_admin: bool,
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes), salted.
pub fn hash_password(password: &Password) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks a password against a stored PHC hash string.
pub fn verify_password(password: &Password, hash: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.expose().as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that a
/// wrong email takes as long as a wrong password (no account enumeration by timing).
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let p = Password::for_login(&new_id());
        hash_password(&p).unwrap_or_default()
    })
}

/// Creates a person. Fails with `CONFLICT_001` when the email is taken.
pub async fn create_user(db: &Db, email: &EmailAddress, name: &PersonName, password: &Password, is_super_admin: bool) -> Result<User> {
    let mut conn = db.pool().acquire().await?;
    create_user_in(&mut conn, email, name, password, is_super_admin).await
}

pub(crate) async fn create_user_in(
    conn: &mut sqlx::AnyConnection,
    email: &EmailAddress,
    name: &PersonName,
    password: &Password,
    is_super_admin: bool,
) -> Result<User> {
    let hash = hash_password(password)?;
    let id = new_id();
    sqlx::query("INSERT INTO users (id, email, name, password_hash, is_super_admin, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(hash)
        .bind(is_super_admin as i64)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "users_email_key", "users.email") {
                ServiceError::app(ErrorCode::Conflict, format!("An account with {email} already exists."))
            } else {
                e.into()
            }
        })?;
    Ok(User { id: UserId::from_string(id), email: email.as_str().to_owned(), name: name.as_str().to_owned(), is_super_admin })
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    email: String,
    name: String,
    is_super_admin: Flag,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User { id: r.id, email: r.email, name: r.name, is_super_admin: r.is_super_admin.0 }
    }
}

/// A person with their password hash, for signing in.
#[derive(sqlx::FromRow)]
struct SignInRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
    email_verified: Flag,
}

/// Finds a person by id.
pub async fn find_user(db: &Db, id: &UserId) -> Result<Option<User>> {
    let row =
        sqlx::query_as::<_, UserRow>("SELECT id, email, name, is_super_admin FROM users WHERE id = $1").bind(id.as_str()).fetch_optional(db.reader()).await?;
    Ok(row.map(User::from))
}

/// Finds a person by email.
pub async fn find_user_by_email(db: &Db, email: &EmailAddress) -> Result<Option<User>> {
    let row = sqlx::query_as::<_, UserRow>("SELECT id, email, name, is_super_admin FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(User::from))
}

/// Sets or clears the super-admin flag.
pub async fn set_super_admin(db: &Db, id: &UserId, on: bool) -> Result<()> {
    sqlx::query("UPDATE users SET is_super_admin = $1 WHERE id = $2").bind(on as i64).bind(id.as_str()).execute(db.pool()).await?;
    Ok(())
}

/// How many failed sign-ins are tolerated, and over which window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failed attempts per email address within the window before refusing.
    pub per_email: i64,
    /// Failed attempts per client address within the window before refusing.
    pub per_ip: i64,
    /// The sliding window, in milliseconds.
    pub window_ms: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_email: 5, per_ip: 50, window_ms: 15 * 60 * 1000 }
    }
}

/// Signs a person in: checks the rate limits, then the password. Every attempt is
/// recorded. Errors are `AUTH_004` (too many attempts), `AUTH_001` (wrong email or
/// password — the same message for both, so accounts cannot be discovered) and
/// `AUTH_007` (right password, e-mail address not verified yet).
pub async fn authenticate(db: &Db, email_input: &str, password: &Password, client_ip: &str, limits: LoginLimits) -> Result<User> {
    let email_key = email_input.trim().to_lowercase();
    check_limits(db, &email_key, client_ip, limits).await?;

    let row = match EmailAddress::parse(&email_key) {
        Ok(email) => {
            sqlx::query_as::<_, SignInRow>("SELECT id, email, name, is_super_admin, password_hash, email_verified FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(db.pool())
                .await?
        }
        Err(_) => None,
    };
    let ok = match &row {
        Some(r) => verify_password(password, &r.password_hash),
        None => {
            verify_password(password, dummy_hash());
            false
        }
    };
    record_attempt(db, &email_key, client_ip, ok).await?;
    match (ok, row) {
        // Only the right password learns that the address is unverified.
        (true, Some(r)) if !r.email_verified.0 => {
            Err(ServiceError::app(ErrorCode::EmailNotVerified, "Confirm your e-mail address first: open the link in the mail we sent when you signed up."))
        }
        (true, Some(r)) => Ok(r.user.into()),
        _ => Err(ServiceError::app(ErrorCode::InvalidCredentials, "Wrong email or password.")),
    }
}

/// `AUTH_004` when the email (lower-cased) or the client address has had too many failed
/// attempts within the window: passwords, second factors and password changes all count.
pub async fn check_limits(db: &Db, email_key: &str, client_ip: &str, limits: LoginLimits) -> Result<()> {
    let since = now_ms() - limits.window_ms;
    let failures = |column: &'static str, value: String| {
        let sql = format!("SELECT COUNT(*) AS n FROM login_attempts WHERE {column} = $1 AND succeeded = 0 AND at > $2");
        async move {
            let n: i64 = sqlx::query_scalar(&sql).bind(value).bind(since).fetch_one(db.pool()).await?;
            Ok::<i64, ServiceError>(n)
        }
    };
    if failures("email", email_key.to_owned()).await? >= limits.per_email || failures("ip", client_ip.to_owned()).await? >= limits.per_ip {
        tracing::warn!("sign-in refused: too many failed attempts");
        return Err(ServiceError::app(ErrorCode::TooManyAttempts, "Too many failed sign-in attempts. Wait 15 minutes and try again."));
    }
    Ok(())
}

/// Records one attempt (a password, a second factor, a password change) for the limits.
pub async fn record_attempt(db: &Db, email_key: &str, client_ip: &str, succeeded: bool) -> Result<()> {
    sqlx::query("INSERT INTO login_attempts (email, ip, succeeded, at) VALUES ($1, $2, $3, $4)")
        .bind(email_key)
        .bind(client_ip)
        .bind(succeeded as i64)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whether `password` is the person's current password (`false` for an unknown person).
pub async fn password_matches(db: &Db, user: &UserId, password: &Password) -> Result<bool> {
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(user.as_str()).fetch_optional(db.pool()).await?;
    Ok(hash.is_some_and(|h| verify_password(password, &h)))
}

/// Changes a person's password after checking the current one (`AUTH_001` when it is
/// wrong; wrong tries count toward the sign-in limits, `AUTH_004`). The caller ends the
/// person's other sessions ([`crate::session_store::end_other_sessions`]).
pub async fn change_password(db: &Db, user: &User, current: &Password, new: &Password, client_ip: &str, limits: LoginLimits) -> Result<()> {
    let email_key = user.email.to_lowercase();
    check_limits(db, &email_key, client_ip, limits).await?;
    let ok = password_matches(db, &user.id, current).await?;
    record_attempt(db, &email_key, client_ip, ok).await?;
    if !ok {
        return Err(ServiceError::app(ErrorCode::InvalidCredentials, "The current password is not right."));
    }
    let hash = hash_password(new)?;
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user.id.as_str()).execute(&mut *tx).await?;
    crate::audit::record(&mut tx, None, Some(&user.id), "user.password_changed", serde_json::json!({})).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "password changed");
    Ok(())
}

/// Forgets sign-in attempts older than `max_age_ms` (a retention job).
pub async fn prune_login_attempts(db: &Db, max_age_ms: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(now_ms() - max_age_ms).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// The role a person has in an org: their membership's, or owner powers for a super
/// admin. `None` means the person may not act in that org at all.
pub async fn role_in(db: &Db, user: &User, org: &OrgId) -> Result<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org.as_str())
        .bind(user.id.as_str())
        .fetch_optional(db.reader())
        .await?;
    let member_role = role.and_then(|r| Role::parse(&r));
    if member_role.is_some() {
        return Ok(member_role);
    }
    // (The org's existence is read here rather than through `orgs`, which builds on
    // this module: the two must not import each other.)
    if user.is_super_admin && sqlx::query("SELECT id FROM orgs WHERE id = $1").bind(org.as_str()).fetch_optional(db.reader()).await?.is_some() {
        return Ok(Some(Role::Owner));
    }
    Ok(None)
}

/// Builds the [`Actor`] for a person in an org, or fails with `AUTH_003` when they are
/// not a member (and `AUTH_002` when the person no longer exists).
pub async fn actor_for(db: &Db, user_id: &UserId, org: &OrgId) -> Result<Actor> {
    let user = find_user(db, user_id).await?.ok_or_else(|| ServiceError::App(AppError::not_authenticated()))?;
    let role = role_in(db, &user, org).await?.ok_or_else(|| ServiceError::App(AppError::forbidden()))?;
    Ok(Actor { org_id: org.clone(), role, principal: Principal::Member(user.id), is_super_admin: user.is_super_admin })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let p = Password::parse_new("correct horse battery").unwrap();
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"), "argon2id is used: {h}");
        assert!(verify_password(&p, &h));
        assert!(!verify_password(&Password::for_login("wrong horse battery"), &h));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let p = Password::parse_new("correct horse battery").unwrap();
        assert_ne!(hash_password(&p).unwrap(), hash_password(&p).unwrap());
    }

    #[test]
    fn a_garbled_hash_never_verifies() {
        assert!(!verify_password(&Password::for_login("anything"), "not-a-hash"));
    }

    #[test]
    fn actors_below_the_required_role_are_forbidden() {
        let actor = Actor { principal: Principal::Member(UserId::from_string("u")), org_id: OrgId::from_string("o"), role: Role::Agent, is_super_admin: false };
        assert!(actor.require(Role::Agent).is_ok());
        assert_eq!(actor.require(Role::Admin).unwrap_err().code(), ErrorCode::Forbidden);
    }

    #[test]
    fn only_a_member_has_a_member_id() {
        let key = Actor::api_key(&OrgId::from_string("o"), "k1");
        assert_eq!((key.role, key.user_id(), key.principal.describe()), (Role::Admin, None, "api_key:k1".to_owned()));
        assert_eq!(key.member_id().unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(Actor::system(&OrgId::from_string("o"), "import").principal.describe(), "system:import");
    }
}
