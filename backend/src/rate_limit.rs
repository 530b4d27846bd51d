//! Rate limits for requests anyone can make (sign-up, password-reset requests), per
//! client address, and the client address itself behind a proxy.
//!
//! A limit is a counter per `(bucket, subject, window)` in `rate_limits`, taken with one
//! `INSERT … ON CONFLICT DO UPDATE SET count = count + 1 … RETURNING count`: the database
//! serialises the increments of one row, so a parallel burst cannot read the same count
//! twice and slip past the limit (which a read-then-write would allow).

use crate::clock::now_ms;
use crate::error::{Result, ServiceError};
use crate::Db;
use domain::ErrorCode;
use std::net::IpAddr;

/// A fixed-window limit: at most `max` takes per `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Takes allowed in one window.
    pub max: i64,
    /// The window's length in milliseconds.
    pub window_ms: i64,
}

/// Sign-ups per client address: 10 an hour.
pub const SIGNUP: Limit = Limit { max: 10, window_ms: 3600 * 1000 };
/// Password-reset requests per client address: 5 an hour.
pub const PASSWORD_RESET: Limit = Limit { max: 5, window_ms: 3600 * 1000 };

/// Takes one from `bucket`'s counter for `subject` at `now_ms`; `AUTH_004` once the
/// window's `limit.max` takes are used up. Refused takes count too, so hammering does not
/// help.
pub async fn take_at(db: &Db, bucket: &str, subject: &str, limit: Limit, now_ms: i64) -> Result<()> {
    let window_start = now_ms - now_ms.rem_euclid(limit.window_ms.max(1));
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, subject, window_start, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (bucket, subject, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
    )
    .bind(bucket)
    .bind(subject)
    .bind(window_start)
    .fetch_one(db.pool())
    .await?;
    if count > limit.max {
        tracing::warn!(bucket, "request refused: rate limit reached");
        return Err(ServiceError::app(ErrorCode::TooManyAttempts, "Too many requests from your address. Wait an hour and try again."));
    }
    Ok(())
}

/// [`take_at`] now.
pub async fn take(db: &Db, bucket: &str, subject: &str, limit: Limit) -> Result<()> {
    take_at(db, bucket, subject, limit, now_ms()).await
}

/// Takes a sign-up for the client address `ip` ([`SIGNUP`]).
pub async fn signup(db: &Db, ip: &str) -> Result<()> {
    take(db, "signup", ip, SIGNUP).await
}

/// Takes a password-reset request for the client address `ip` ([`PASSWORD_RESET`]); the
/// reset-request endpoint calls it before anything else.
pub async fn password_reset_request(db: &Db, ip: &str) -> Result<()> {
    take(db, "password_reset", ip, PASSWORD_RESET).await
}

/// Forgets windows that ended more than a day ago (a retention job).
pub async fn prune(db: &Db) -> Result<u64> {
    let r = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(now_ms() - 24 * 3600 * 1000).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// Whether `ip` is one of our own proxies: loopback, private (10/8, 172.16/12,
/// 192.168/16), CGNAT (100.64/10), link-local, or unique-local / link-local IPv6.
/// Behind `MCE_TRUST_PROXY` those hops of `X-Forwarded-For` are skipped.
pub fn is_trusted_proxy(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_trusted_proxy(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The client's address: the socket peer; behind `trust_proxy` (and only when the peer
/// itself is a trusted proxy) the right-most `X-Forwarded-For` hop that is not a trusted
/// proxy. Hops to the left of it were written by the client and may be forged; a header
/// that cannot be read leaves the last readable trusted hop (or the peer).
pub fn client_address(peer: Option<IpAddr>, forwarded_for: &[&str], trust_proxy: bool) -> String {
    let Some(peer) = peer else { return "unknown".into() };
    if !trust_proxy || !is_trusted_proxy(peer) {
        return peer.to_string();
    }
    let mut client = peer;
    // Several headers are one list, in order.
    let hops: Vec<&str> = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty()).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted_proxy(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trust_the_peer_is_the_client() {
        assert_eq!(client_address(ip("10.0.0.2"), &["203.0.113.9"], false), "10.0.0.2");
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        // The client forged "1.2.3.4"; the proxy appended the address it saw.
        assert_eq!(client_address(ip("127.0.0.1"), &["1.2.3.4, 203.0.113.9, 10.0.0.5"], true), "203.0.113.9");
        assert_eq!(client_address(ip("10.0.0.1"), &["1.2.3.4", "198.51.100.7"], true), "198.51.100.7");
    }

    #[test]
    fn a_public_peer_is_not_believed_about_others() {
        assert_eq!(client_address(ip("198.51.100.1"), &["203.0.113.9"], true), "198.51.100.1");
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk() {
        assert_eq!(client_address(ip("127.0.0.1"), &["203.0.113.9, garbage"], true), "127.0.0.1");
        assert_eq!(client_address(ip("127.0.0.1"), &[], true), "127.0.0.1");
        assert_eq!(client_address(ip("::1"), &["10.1.1.1, 192.168.0.3"], true), "10.1.1.1");
    }

    #[test]
    fn trusted_proxies_are_loopback_and_private_ranges() {
        for t in ["127.0.0.1", "10.2.3.4", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"] {
            assert!(is_trusted_proxy(t.parse().unwrap()), "{t} is trusted");
        }
        for u in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"] {
            assert!(!is_trusted_proxy(u.parse().unwrap()), "{u} is not trusted");
        }
    }
}
