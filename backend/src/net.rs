//! Outbound HTTP shared by every client MCE has (the Graph API, Google Sheets, and the
//! SSRF-safe client for tenant-chosen URLs that the trust issue adds here).

/// Installs the process-wide TLS provider (ring) that HTTPS clients need; idempotent.
pub fn ensure_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
