//! Phone numbers in E.164 (`+` and 8 to 15 digits), the one form stored everywhere.

use crate::ParseError;
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form, such as `+5511999990000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Parses an international number: `+`, then digits; spaces, dots, dashes and
    /// parentheses are ignored. (National numbers need the org's default country and
    /// are read by the contacts service.)
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        let invalid = || ParseError::new(format!("\u{201c}{t}\u{201d} is not a phone number in international format (+ country code and number)."));
        let rest = t.strip_prefix('+').ok_or_else(invalid)?;
        let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        Self::from_digits(&digits).map_err(|_| invalid())
    }

    /// From the digits-only form WhatsApp uses for `wa_id` and `from`.
    pub fn from_wa_id(digits: &str) -> Result<Self, ParseError> {
        Self::from_digits(digits.trim())
    }

    fn from_digits(digits: &str) -> Result<Self, ParseError> {
        let ok = (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(ParseError::new(format!("\u{201c}{digits}\u{201d} is not a valid international phone number.")))
        }
    }

    /// `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits only, as WhatsApp's `to` and `wa_id` use them.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl<'de> Deserialize<'de> for PhoneE164 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_input_is_normalised() {
        assert_eq!(PhoneE164::parse(" +55 (11) 99999-0000 ").unwrap().as_str(), "+5511999990000");
        assert_eq!(PhoneE164::parse("+1.650.555.1234").unwrap().digits(), "16505551234");
    }

    #[test]
    fn wa_ids_become_e164() {
        assert_eq!(PhoneE164::from_wa_id("5511999990000").unwrap().as_str(), "+5511999990000");
        assert!(PhoneE164::from_wa_id("US.1234").is_err());
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for bad in ["", "5511999990000", "+", "+123", "+1234567890123456", "+0123456789", "+55 11 abc"] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad:?}");
        }
    }
}
