//! Encryption at rest for credentials (WhatsApp access tokens, a lead source's signing
//! secret): AES-256-GCM with a key from `MCE_ENCRYPTION_KEY`. Stored form: `v1:` +
//! base64(nonce ‖ ciphertext ‖ tag), or `v2:` for a secret sealed to its row
//! ([`Cipher::seal`]): the row's identity (org and row id) is the associated data, so a
//! ciphertext copied into another row, or another org, does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::fmt;

/// Encrypts and decrypts secrets with the server's key. `Debug` never shows the key.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    /// A key derived from the same secret for MACs (signed cookies), never the AES key.
    mac_key: [u8; 32],
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(***)")
    }
}

/// A stored secret that cannot be decrypted (wrong key, or damaged).
#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted: is MCE_ENCRYPTION_KEY the key it was stored with?")]
pub struct DecryptError;

impl Cipher {
    /// A cipher from 32 key bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"mce/derived-mac-key/v1");
        Self { aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)), mac_key: mac.finalize().into_bytes().into() }
    }

    /// HMAC-SHA256 of `message` under a key derived from the server's key for `purpose`
    /// (such as the anonymous CSRF cookie), so a MAC for one purpose proves nothing for
    /// another.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Parses a key written as 64 hex digits or base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|e| e.to_string())?
        } else {
            B64.decode(t).map_err(|_| "MCE_ENCRYPTION_KEY must be 64 hex digits or base64 of 32 bytes".to_string())?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| "MCE_ENCRYPTION_KEY must be 32 bytes (64 hex digits)".to_string())?;
        Ok(Self::new(&key))
    }

    /// A new random key as 64 hex digits.
    pub fn generate_key_text() -> String {
        hex::encode(Aes256Gcm::generate_key(OsRng))
    }

    /// Encrypts `plain` with a fresh random nonce.
    pub fn encrypt(&self, plain: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self.aead.encrypt(&nonce, plain.as_bytes()).expect("AES-GCM encryption does not fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v1:{}", B64.encode(out))
    }

    /// Decrypts a value made by [`Cipher::encrypt`].
    pub fn decrypt(&self, stored: &str) -> Result<String, DecryptError> {
        self.open_with(stored.strip_prefix("v1:").ok_or(DecryptError)?, b"")
    }

    /// Encrypts a secret bound to the row that holds it: `row` names it (for example
    /// `["wa_numbers", org_id, number_id]`) and is authenticated, not stored.
    pub fn seal(&self, plain: &str, row: &[&str]) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = associated_data(row);
        let ct = self
            .aead
            .encrypt(&nonce, aes_gcm::aead::Payload { msg: plain.as_bytes(), aad: &aad })
            .expect("AES-GCM encryption does not fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v2:{}", B64.encode(out))
    }

    /// Decrypts a value made by [`Cipher::seal`] for the same `row`. A `v1:` value (stored
    /// before secrets were bound to rows) is refused: [`Cipher::reseal`] upgrades them.
    pub fn open(&self, stored: &str, row: &[&str]) -> Result<String, DecryptError> {
        self.open_with(stored.strip_prefix("v2:").ok_or(DecryptError)?, &associated_data(row))
    }

    /// The `v2:` form of a stored secret: `None` when it already is one, the sealed value
    /// for a readable `v1:` one. Run once at start-up over stored tokens.
    pub fn reseal(&self, stored: &str, row: &[&str]) -> Result<Option<String>, DecryptError> {
        if stored.starts_with("v2:") {
            return Ok(None);
        }
        Ok(Some(self.seal(&self.decrypt(stored)?, row)))
    }

    fn open_with(&self, b64: &str, aad: &[u8]) -> Result<String, DecryptError> {
        let raw = B64.decode(b64).map_err(|_| DecryptError)?;
        if raw.len() < 12 + 16 {
            return Err(DecryptError);
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self.aead.decrypt(Nonce::from_slice(nonce), aes_gcm::aead::Payload { msg: ct, aad }).map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

/// The row's parts, each length-prefixed so `["ab", "c"]` and `["a", "bc"]` differ.
fn associated_data(row: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in row {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Compares two secrets (tokens, CSRF values) in time that does not depend on where they
/// differ, so they cannot be guessed byte by byte from response times.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokex"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn secrets_round_trip_and_never_appear_in_the_stored_form() {
        let c = Cipher::from_key_text(&Cipher::generate_key_text()).unwrap();
        let stored = c.encrypt("EAAG-secret-token");
        assert!(stored.starts_with("v1:") && !stored.contains("secret"));
        assert_ne!(stored, c.encrypt("EAAG-secret-token"), "a fresh nonce each time");
        assert_eq!(c.decrypt(&stored).unwrap(), "EAAG-secret-token");
    }

    #[test]
    fn another_key_or_a_damaged_value_cannot_decrypt() {
        let a = Cipher::new(&[1u8; 32]);
        let b = Cipher::new(&[2u8; 32]);
        let stored = a.encrypt("token");
        assert!(b.decrypt(&stored).is_err());
        let mut damaged = stored.clone();
        damaged.pop();
        damaged.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(a.decrypt(&damaged).is_err());
        assert!(a.decrypt("plain").is_err());
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_own_row() {
        let c = Cipher::new(&[3u8; 32]);
        let stored = c.seal("EAAG-token", &["wa_numbers", "org-a", "number-1"]);
        assert!(stored.starts_with("v2:") && !stored.contains("EAAG"));
        assert_eq!(c.open(&stored, &["wa_numbers", "org-a", "number-1"]).unwrap(), "EAAG-token");
        assert!(c.open(&stored, &["wa_numbers", "org-b", "number-1"]).is_err(), "copied into another org");
        assert!(c.open(&stored, &["wa_numbers", "org-a", "number-2"]).is_err(), "copied onto another number");
        assert!(c.open(&stored, &["wa_numbers", "org-an", "umber-1"]).is_err(), "parts are not just concatenated");
        assert!(c.decrypt(&stored).is_err(), "a bound secret never opens unbound");
    }

    #[test]
    fn an_unbound_secret_is_refused_until_it_is_resealed_to_its_row() {
        let c = Cipher::new(&[4u8; 32]);
        let old = c.encrypt("EAAG-token");
        let row = ["wa_numbers", "org-a", "number-1"];
        assert!(c.open(&old, &row).is_err());
        let sealed = c.reseal(&old, &row).unwrap().expect("a v1 value is upgraded");
        assert_eq!(c.open(&sealed, &row).unwrap(), "EAAG-token");
        assert!(c.reseal(&sealed, &row).unwrap().is_none(), "already bound");
        assert!(Cipher::new(&[5u8; 32]).reseal(&old, &row).is_err(), "another key cannot upgrade it");
    }

    #[test]
    fn keys_are_read_from_hex_or_base64_and_bad_keys_are_refused() {
        assert!(Cipher::from_key_text(&"ab".repeat(32)).is_ok());
        assert!(Cipher::from_key_text(&B64.encode([7u8; 32])).is_ok());
        assert!(Cipher::from_key_text("short").is_err());
        assert!(!format!("{:?}", Cipher::new(&[9u8; 32])).contains('9'));
    }
}
