//! TOTP two-factor sign-in (RFC 6238: SHA-1, 6 digits, 30-second steps, ±1 step of
//! drift), its single-use recovery codes, and who must have it.
//!
//! The secret is stored encrypted with the server's [`Cipher`]; recovery codes as SHA-256
//! hashes. A code is accepted once: `user_totp.last_step` remembers the newest step that
//! was accepted, and only a later step passes (a compare-and-set, so two requests racing
//! with one code cannot both pass). Every function takes `now_ms`, so tests drive a
//! controlled clock.

use crate::audit;
use crate::auth::{self, Actor, LoginLimits, User};
use crate::clock::now_ms;
use crate::error::{Result, ServiceError};
use crate::secrets::{constant_time_eq, Cipher};
use crate::Db;
use domain::{AppError, ErrorCode, OrgId, Password, Role, UserId};
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// The issuer name authenticator apps show.
const ISSUER: &str = "MCE";

/// What the enrolment page shows: the secret as text (to type into an app), the
/// `otpauth://` URL and the same URL as an SVG QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The secret in base32, as authenticator apps take it.
    pub secret: String,
    /// The `otpauth://totp/…` URL.
    pub otpauth_url: String,
    /// The URL as a QR code, an SVG document.
    pub qr_svg: String,
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP> {
    // Issuer and label may not hold ':'; an email never does in its local part's usual
    // form, but a stray one must not fail the enrolment.
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS, secret, Some(ISSUER.to_owned()), account.replace(':', "_"))
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("building a TOTP: {e}")))
}

fn decode_secret(base32_secret: &str) -> Result<Vec<u8>> {
    totp_rs::Secret::Encoded(base32_secret.to_owned()).to_bytes().map_err(|_| ServiceError::Unexpected(anyhow::anyhow!("a stored TOTP secret is not base32")))
}

/// The 6-digit code of `base32_secret` at `unix_secs` (what an authenticator app shows).
pub fn code_at(base32_secret: &str, unix_secs: u64) -> Result<String> {
    Ok(totp(decode_secret(base32_secret)?, "x")?.generate(unix_secs))
}

fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000) / STEP_SECS as i64
}

/// A recovery code as stored: SHA-256 of its normalised form (lower case, no spaces or
/// dashes), so "ABCDE-FGHIJ" and "abcdefghij" are the same code.
fn hash_recovery(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    hex::encode(Sha256::digest(norm.as_bytes()))
}

fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let raw: String = (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

#[derive(sqlx::FromRow)]
struct TotpRow {
    secret_ciphertext: String,
    confirmed_at: Option<i64>,
}

async fn load(db: &Db, user: &UserId) -> Result<Option<TotpRow>> {
    Ok(sqlx::query_as::<_, TotpRow>("SELECT secret_ciphertext, confirmed_at FROM user_totp WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_optional(db.pool())
        .await?)
}

fn secret_of(cipher: &Cipher, row: &TotpRow) -> Result<String> {
    cipher.decrypt(&row.secret_ciphertext).map_err(|e| ServiceError::Unexpected(anyhow::Error::new(e)))
}

/// Whether `user` has confirmed a TOTP enrolment (and so must give a code at sign-in).
pub async fn is_enrolled(db: &Db, user: &UserId) -> Result<bool> {
    let at: Option<Option<i64>> =
        sqlx::query_scalar("SELECT confirmed_at FROM user_totp WHERE user_id = $1").bind(user.as_str()).fetch_optional(db.pool()).await?;
    Ok(matches!(at, Some(Some(_))))
}

/// How many unused recovery codes `user` has left.
pub async fn recovery_codes_left(db: &Db, user: &UserId) -> Result<i64> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL").bind(user.as_str()).fetch_one(db.pool()).await?;
    Ok(n)
}

/// Starts (or starts again) an enrolment: a new random 160-bit secret, stored encrypted
/// and unconfirmed. `CONFLICT_001` when two-factor sign-in is already on (disable it first).
pub async fn begin_enrolment(db: &Db, cipher: &Cipher, user: &User) -> Result<Enrolment> {
    if is_enrolled(db, &user.id).await? {
        return Err(ServiceError::app(ErrorCode::Conflict, "Two-factor sign-in is already on. Turn it off first to set up another app."));
    }
    let mut raw = vec![0u8; 20];
    rand::thread_rng().fill(&mut raw[..]);
    let t = totp(raw, &user.email)?;
    let secret = t.get_secret_base32();
    let otpauth_url = t.get_url();
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("drawing the QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    // Only the <svg> element: the page puts it inline, where an XML prolog has no place.
    let qr_svg = qr_svg.find("<svg").map(|i| qr_svg[i..].to_owned()).unwrap_or(qr_svg);
    sqlx::query(
        "INSERT INTO user_totp (user_id, secret_ciphertext, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = excluded.secret_ciphertext, confirmed_at = NULL, last_step = 0, created_at = excluded.created_at",
    )
    .bind(user.id.as_str())
    .bind(cipher.encrypt(&secret))
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(Enrolment { secret, otpauth_url, qr_svg })
}

/// Checks a 6-digit code against the person's secret at `now_ms` (±1 step), accepting
/// each step at most once. `confirmed` says which enrolment state the secret must be in.
async fn accept_totp(db: &Db, cipher: &Cipher, user: &UserId, code: &str, now_ms: i64, confirmed: bool) -> Result<bool> {
    let Some(row) = load(db, user).await? else { return Ok(false) };
    if row.confirmed_at.is_some() != confirmed {
        return Ok(false);
    }
    let t = totp(decode_secret(&secret_of(cipher, &row)?)?, "x")?;
    let now_step = step_of(now_ms);
    // Oldest first, so that with two matches the earlier step is used up first.
    for step in [now_step - 1, now_step, now_step + 1] {
        if step < 0 || !constant_time_eq(t.generate(step as u64 * STEP_SECS).as_bytes(), code.as_bytes()) {
            continue;
        }
        let r =
            sqlx::query("UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1").bind(step).bind(user.as_str()).execute(db.pool()).await?;
        return Ok(r.rows_affected() == 1);
    }
    Ok(false)
}

/// Confirms an enrolment with a code from the app: two-factor sign-in is on from now, and
/// the 10 recovery codes are returned, once (only their hashes are kept). A wrong code is
/// `VALIDATION_001`.
pub async fn confirm_enrolment(db: &Db, cipher: &Cipher, user: &UserId, code: &str, now_ms: i64) -> Result<Vec<String>> {
    let code = code.trim();
    if !accept_totp(db, cipher, user, code, now_ms, false).await? {
        return Err(AppError::validation("That code is not right. Check the time on your phone and type the code the app shows now.").into());
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE user_totp SET confirmed_at = $1 WHERE user_id = $2").bind(now_ms).bind(user.as_str()).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.as_str()).execute(&mut *tx).await?;
    for c in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)")
            .bind(user.as_str())
            .bind(hash_recovery(c))
            .execute(&mut *tx)
            .await?;
    }
    audit::record(&mut tx, None, Some(user), "two_factor.enabled", serde_json::json!({})).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "two-factor sign-in enabled");
    Ok(codes)
}

/// Checks a second factor of an enrolled person: a 6-digit TOTP code (once per step,
/// ±1 step) or an unused recovery code (used up by this call).
pub async fn verify(db: &Db, cipher: &Cipher, user: &UserId, code: &str, now_ms: i64) -> Result<bool> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        return accept_totp(db, cipher, user, code, now_ms, true).await;
    }
    if code.is_empty() || code.len() > 32 || !is_enrolled(db, user).await? {
        return Ok(false);
    }
    let r = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(now_ms)
        .bind(user.as_str())
        .bind(hash_recovery(code))
        .execute(db.pool())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The second step of signing in, after [`auth::authenticate`] accepted the password of
/// an enrolled person: checks the sign-in rate limits first, then the code; every attempt
/// is recorded, so wrong codes count toward `AUTH_004` like wrong passwords. A wrong code
/// is `AUTH_001`.
pub async fn sign_in_second_step(db: &Db, cipher: &Cipher, user: &User, code: &str, client_ip: &str, limits: LoginLimits, now_ms: i64) -> Result<()> {
    let email_key = user.email.to_lowercase();
    auth::check_limits(db, &email_key, client_ip, limits).await?;
    let ok = verify(db, cipher, &user.id, code, now_ms).await?;
    auth::record_attempt(db, &email_key, client_ip, ok).await?;
    if !ok {
        return Err(ServiceError::app(ErrorCode::InvalidCredentials, "That code is not right, or it was used already."));
    }
    Ok(())
}

/// Turns two-factor sign-in off. `proof` is the person's password or a current code (TOTP
/// or recovery); anything else is `AUTH_001`, counted toward the sign-in limits (`AUTH_004`)
/// so a stolen session cannot guess its way to turning it off.
pub async fn disable(db: &Db, cipher: &Cipher, user: &User, proof: &str, client_ip: &str, limits: LoginLimits, now_ms: i64) -> Result<()> {
    let email_key = user.email.to_lowercase();
    auth::check_limits(db, &email_key, client_ip, limits).await?;
    let ok = auth::password_matches(db, &user.id, &Password::for_login(proof)).await? || verify(db, cipher, &user.id, proof, now_ms).await?;
    auth::record_attempt(db, &email_key, client_ip, ok).await?;
    if !ok {
        return Err(ServiceError::app(ErrorCode::InvalidCredentials, "That password or code is not right."));
    }
    let mut tx = db.pool().begin().await?;
    sqlx::query("DELETE FROM user_totp WHERE user_id = $1").bind(user.id.as_str()).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.id.as_str()).execute(&mut *tx).await?;
    audit::record(&mut tx, None, Some(&user.id), "two_factor.disabled", serde_json::json!({})).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "two-factor sign-in disabled");
    Ok(())
}

/// Whether the org asks its admins and owners to use two-factor sign-in.
pub async fn required_for_admins(db: &Db, org: &OrgId) -> Result<bool> {
    let on: Option<i64> = sqlx::query_scalar("SELECT require_admin_2fa FROM orgs WHERE id = $1").bind(org.as_str()).fetch_optional(db.pool()).await?;
    Ok(on.unwrap_or(0) != 0)
}

/// The org setting "require 2FA for admins" as the actor's org has it. Any member.
pub async fn org_requirement(db: &Db, actor: &Actor) -> Result<bool> {
    required_for_admins(db, &actor.org_id).await
}

/// Sets "require 2FA for admins" for the actor's org. Admins only.
pub async fn set_org_requirement(db: &Db, actor: &Actor, on: bool) -> Result<()> {
    actor.require(Role::Admin)?;
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE orgs SET require_admin_2fa = $1 WHERE id = $2").bind(on as i64).bind(actor.org_id.as_str()).execute(&mut *tx).await?;
    audit::record_as(&mut tx, actor, "org.require_admin_2fa", serde_json::json!({ "on": on })).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses (`AUTH_009`) a person who must enrol before doing anything else: a super admin
/// without two-factor sign-in, or an admin or owner of an org that requires it.
/// `role` is the person's role in `org` (the org they are working in), when they have one.
pub async fn gate(db: &Db, user: &User, org: Option<&OrgId>, role: Option<Role>) -> Result<()> {
    let must = if user.is_super_admin {
        true
    } else {
        match (org, role) {
            (Some(org), Some(role)) if role.at_least(Role::Admin) => required_for_admins(db, org).await?,
            _ => false,
        }
    };
    if must && !is_enrolled(db, &user.id).await? {
        return Err(ServiceError::app(ErrorCode::TwoFactorEnrolmentRequired, "Set up two-factor sign-in before anything else."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_match_however_they_are_typed() {
        assert_eq!(hash_recovery("abcde-fghjk"), hash_recovery(" ABCDE FGHJK "));
        assert_ne!(hash_recovery("abcde-fghjk"), hash_recovery("abcde-fghjm"));
    }

    #[test]
    fn the_rfc_6238_test_vector_holds() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082
        // (8 digits); its last six are what a 6-digit app shows.
        let totp_rs::Secret::Encoded(secret) = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() else { unreachable!() };
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1111111109).unwrap(), "081804");
    }
}
