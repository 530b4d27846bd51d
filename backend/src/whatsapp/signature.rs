//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the app secret (Meta's Graph API webhooks guide, "Validating payloads").

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header value Meta would send for `body`: `sha256=<64 lowercase hex>`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is a valid signature of the raw `body`, compared in constant time.
/// A missing, malformed or wrong header is `false`.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.map(str::trim).and_then(|h| h.strip_prefix("sha256=")) else { return false };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let sig = sign(b"app-secret", body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify(b"app-secret", body, Some(&sig)));
        assert!(!verify(b"other-secret", body, Some(&sig)));
        assert!(!verify(b"app-secret", b"{}", Some(&sig)));
    }

    #[test]
    fn missing_or_malformed_headers_fail() {
        let body = b"{}";
        for h in [None, Some(""), Some("sha256="), Some("sha1=abcd"), Some("sha256=zz"), Some("abc")] {
            assert!(!verify(b"s", body, h), "{h:?}");
        }
    }
}
