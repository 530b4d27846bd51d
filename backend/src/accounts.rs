//! An account's own e-mail links: sign-up verification (when SMTP is on, a new account
//! signs in only after opening the link in its verification mail) and password reset by
//! a single-use, 1-hour link. Tokens are 32 random bytes; only their SHA-256 is stored
//! (like API keys: long random secrets need no slow hash).
//!
//! Reset requests answer the same whether or not the address has an account, and the
//! mail leaves on its own task, so the answer's timing does not tell either.

use crate::auth::{self, User};
use crate::clock::now_ms;
use crate::error::{Result, ServiceError};
use crate::mail::{self, Delivery};
use crate::Db;
use base64::Engine;
use domain::{AppError, EmailAddress, ErrorCode, OrgId, OrgName, Password, PersonName, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a password-reset link works.
pub const RESET_TTL_MS: i64 = 3600 * 1000;
/// How long a verification link works, and how long an unverified account is kept.
pub const VERIFY_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

const RESET: &str = "reset";
const VERIFY: &str = "verify";

/// A new random token and its stored digest.
pub(crate) fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let digest = token_digest(&token);
    (token, digest)
}

/// The stored form of a token.
pub(crate) fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// `AUTH_008` with the reason a link does not work.
pub(crate) fn link_invalid(message: &str) -> ServiceError {
    ServiceError::app(ErrorCode::LinkInvalid, message)
}

async fn insert_token(conn: &mut sqlx::AnyConnection, user: &UserId, purpose: &str, ttl_ms: i64, now: i64) -> Result<String> {
    let (token, digest) = new_token();
    sqlx::query("INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(digest)
        .bind(user.as_str())
        .bind(purpose)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *conn)
        .await?;
    Ok(token)
}

/// Uses up a token of `purpose`: its user, or `AUTH_008` (unknown, used or expired).
/// The conditional update makes two concurrent uses end with one winner.
async fn consume(conn: &mut sqlx::AnyConnection, token: &str, purpose: &str, now: i64) -> Result<UserId> {
    let digest = token_digest(token);
    let row: Option<(UserId, i64, Option<i64>)> =
        sqlx::query_as("SELECT user_id, expires_at, used_at FROM account_tokens WHERE token_hash = $1 AND purpose = $2")
            .bind(&digest)
            .bind(purpose)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((user, expires_at, used_at)) = row else { return Err(link_invalid("This link is not valid. Ask for a new one.")) };
    if used_at.is_some() {
        return Err(link_invalid("This link was already used. Ask for a new one if you still need it."));
    }
    if expires_at <= now {
        return Err(link_invalid("This link has expired. Ask for a new one."));
    }
    let claimed =
        sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL").bind(now).bind(&digest).execute(&mut *conn).await?;
    if claimed.rows_affected() != 1 {
        return Err(link_invalid("This link was already used. Ask for a new one if you still need it."));
    }
    Ok(user)
}

/// What a sign-up made.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub user: User,
    pub org: OrgId,
    /// True when a verification mail went out: the account cannot sign in until its
    /// link is opened. False without SMTP (the account may sign in at once).
    pub verification_sent: bool,
}

/// Creates an org and its owner from the sign-up page. With SMTP on, the owner is
/// unverified until the link in the mail sent here is opened (and removed by `prune`
/// after 7 days if it never is); without SMTP the account is ready at once.
pub async fn sign_up(db: &Db, delivery: &Delivery, org_name: &OrgName, name: &PersonName, email: &EmailAddress, password: &Password) -> Result<SignedUp> {
    let (user, org) = crate::orgs::create_with_owner(db, org_name, name, email, password).await?;
    if !delivery.mails() {
        return Ok(SignedUp { user, org, verification_sent: false });
    }
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE users SET email_verified = 0 WHERE id = $1").bind(user.id.as_str()).execute(&mut *tx).await?;
    let token = insert_token(&mut tx, &user.id, VERIFY, VERIFY_TTL_MS, now).await?;
    tx.commit().await?;
    let sent = delivery.send(email, &mail::verification(&delivery.link(&format!("/verify-email?token={token}")))).await;
    if !sent {
        tracing::warn!(user_id = %user.id, "the verification mail of a new account could not be sent");
    }
    Ok(SignedUp { user, org, verification_sent: true })
}

/// Opens a verification link: the account may sign in from now on. `AUTH_008` for an
/// unknown, used or expired link.
pub async fn verify_email(db: &Db, token: &str) -> Result<UserId> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let user = consume(&mut tx, token, VERIFY, now).await?;
    sqlx::query("UPDATE users SET email_verified = 1 WHERE id = $1").bind(user.as_str()).execute(&mut *tx).await?;
    crate::audit::record(&mut tx, None, Some(&user), "account.email_verified", serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(user)
}

/// Whether the account's address is verified.
pub async fn is_verified(db: &Db, user: &UserId) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT email_verified FROM users WHERE id = $1").bind(user.as_str()).fetch_optional(db.pool()).await?;
    Ok(v == Some(1))
}

async fn issue_reset(db: &Db, user: &UserId, now: i64) -> Result<String> {
    let mut tx = db.pool().begin().await?;
    // One live link per account: an older, unused one stops working.
    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL").bind(user.as_str()).bind(RESET).execute(&mut *tx).await?;
    let token = insert_token(&mut tx, user, RESET, RESET_TTL_MS, now).await?;
    tx.commit().await?;
    Ok(token)
}

fn reset_link(delivery: &Delivery, token: &str) -> String {
    delivery.link(&format!("/reset-password?token={token}"))
}

/// "Forgot password?": mails a reset link when `email_input` belongs to an account.
/// Always `Ok(())`, for unknown and malformed addresses too, so the answer never says
/// whether an address has an account; the mail is sent on its own task so the answer
/// takes as long either way. Without SMTP nothing is sent (an admin prints a link with
/// `mce admin reset-password`).
///
/// The caller limits how often one client address may ask (rate limiting lives in the
/// entry point, see the README).
pub async fn request_reset(db: &Db, delivery: &Delivery, email_input: &str) -> Result<()> {
    let Ok(email) = EmailAddress::parse(email_input) else { return Ok(()) };
    let user = auth::find_user_by_email(db, &email).await?;
    let Some(user) = user else {
        // Same work as a known address, minus the insert: a digest and no mail.
        let _ = new_token();
        return Ok(());
    };
    if !delivery.mails() {
        tracing::info!("a password reset was asked for, but no SMTP is configured: an admin can print a link with mce admin reset-password");
        return Ok(());
    }
    let token = issue_reset(db, &user.id, now_ms()).await?;
    let delivery = delivery.clone();
    tokio::spawn(async move {
        delivery.send(&email, &mail::password_reset(&reset_link(&delivery, &token))).await;
    });
    Ok(())
}

/// A reset link for the account of `email`, for `mce admin reset-password` (the
/// operator is trusted; `NOT_FOUND_001` when there is no such account).
pub async fn reset_link_for(db: &Db, delivery: &Delivery, email: &EmailAddress) -> Result<String> {
    let user = auth::find_user_by_email(db, email).await?.ok_or_else(|| AppError::not_found("Account"))?;
    let token = issue_reset(db, &user.id, now_ms()).await?;
    Ok(reset_link(delivery, &token))
}

/// Sets a new password with a reset link's token; the link is used up. The address
/// counts as verified afterwards (the link came through it), and every session of the
/// account ends. Returns the account. `AUTH_008` for an unknown, used or expired link.
pub async fn reset_password(db: &Db, token: &str, password: &Password) -> Result<UserId> {
    let hash = auth::hash_password(password)?;
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    let user = consume(&mut tx, token, RESET, now).await?;
    sqlx::query("UPDATE users SET password_hash = $1, email_verified = 1 WHERE id = $2").bind(hash).bind(user.as_str()).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL").bind(user.as_str()).bind(RESET).execute(&mut *tx).await?;
    // Whoever knew the old password (or holds a stolen session) is signed out with it.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.as_str()).execute(&mut *tx).await?;
    crate::audit::record(&mut tx, None, Some(&user), "account.password_reset", serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(user)
}

/// Upkeep (the `prune` job): removes accounts still unverified `VERIFY_TTL_MS` after
/// sign-up, with the orgs that they alone were members of, and tokens past their expiry.
/// Returns how many accounts went.
pub async fn prune(db: &Db, now: i64) -> Result<u64> {
    let cutoff = now - VERIFY_TTL_MS;
    let mut tx = db.pool().begin().await?;
    // Orgs whose every member is such an account (the org their sign-up made).
    sqlx::query(
        "DELETE FROM orgs WHERE id IN (SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id \
           WHERE u.email_verified = 0 AND u.created_at < $1) \
         AND NOT EXISTS (SELECT 1 FROM memberships m2 JOIN users u2 ON u2.id = m2.user_id \
           WHERE m2.org_id = orgs.id AND (u2.email_verified = 1 OR u2.created_at >= $1))",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    let gone = sqlx::query("DELETE FROM users WHERE email_verified = 0 AND created_at < $1").bind(cutoff).execute(&mut *tx).await?.rows_affected();
    sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1").bind(now - VERIFY_TTL_MS).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(gone)
}
