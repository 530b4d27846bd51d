//! Outbound HTTP shared by every client MCE has: the TLS set-up of the Graph API and
//! Google Sheets clients, and [`SafeClient`], the one client for URLs that a tenant or an
//! inbound payload chooses.

pub mod safe_fetch;

pub use safe_fetch::{FetchError, FetchPolicy, Fetched, SafeClient};

/// Installs the process-wide TLS provider (ring) that HTTPS clients need; idempotent.
pub fn ensure_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
