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

    /// Reads a number as people type it and spreadsheets store it: international (`+44…`,
    /// `0044…`), or national, read with the org's `default_country` (ISO alpha-2): the
    /// trunk prefix is dropped (`0` in most countries, `1` in North America; Italy keeps
    /// its `0`) and the country's calling code put in front. A number that already starts
    /// with the default country's calling code and is long enough is taken as
    /// international without the `+`. Spreadsheet artefacts (`tel:`, a trailing `.0`) are
    /// ignored.
    pub fn parse_with_country(input: &str, default_country: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        let t = t.strip_prefix("tel:").unwrap_or(t).trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        if t.starts_with('+') {
            return Self::parse(t);
        }
        let invalid = || ParseError::new(format!("\u{201c}{}\u{201d} is not a phone number.", input.trim()));
        if t.chars().any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))) || t.is_empty() {
            return Err(invalid());
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        if let Some(rest) = digits.strip_prefix("00") {
            return Self::from_digits(rest).map_err(|_| invalid());
        }
        let country = default_country.trim().to_ascii_uppercase();
        let Some(&(_, code, _)) = crate::countries::COUNTRIES.iter().find(|(c, _, _)| *c == country) else {
            return Err(ParseError::new(format!("\u{201c}{}\u{201d} has no country code, and no default country is set to read it with.", input.trim())));
        };
        let code_s = code.to_string();
        let national = if code == 1 {
            // North America: 10 digits, or 11 starting with the trunk prefix 1.
            match digits.len() {
                10 => digits.clone(),
                11 if digits.starts_with('1') => digits[1..].to_owned(),
                _ => return Err(invalid()),
            }
        } else if digits.starts_with(&code_s) && !digits.starts_with('0') && digits.len() >= code_s.len() + 8 {
            // Already international, written without the plus.
            return Self::from_digits(&digits).map_err(|_| invalid());
        } else if country == "IT" || country == "SM" || country == "VA" {
            digits.clone()
        } else {
            digits.trim_start_matches('0').to_owned()
        };
        if national.len() < 4 {
            return Err(invalid());
        }
        Self::from_digits(&format!("{code}{national}")).map_err(|_| invalid())
    }

    /// The country calling code (longest match against the known codes), such as 55 for
    /// `+5511…` or 1 for `+1650…`.
    pub fn calling_code(&self) -> Option<u16> {
        let d = self.digits();
        (1..=3).rev().filter_map(|n| d.get(..n)?.parse::<u16>().ok()).find(|c| crate::countries::COUNTRIES.iter().any(|(_, code, _)| code == c))
    }

    /// Whether the number's calling code is among `allowed` (an empty list allows all).
    pub fn allowed_by(&self, allowed: &[u16]) -> bool {
        allowed.is_empty() || self.calling_code().is_some_and(|c| allowed.contains(&c))
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

    #[test]
    fn national_numbers_are_read_with_the_default_country() {
        let cases = [
            ("(650) 555-1234", "US", "+16505551234"),
            ("1 650 555 1234", "US", "+16505551234"),
            ("11 99999-0000", "BR", "+5511999990000"),
            ("011 99999-0000", "BR", "+5511999990000"),
            ("5511999990000", "BR", "+5511999990000"),
            ("5511999990000.0", "BR", "+5511999990000"),
            ("07911 123456", "GB", "+447911123456"),
            ("0151 12345678", "DE", "+4915112345678"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("02 1234 5678", "IT", "+390212345678"),
            ("098765 43210", "IN", "+919876543210"),
            ("0412 345 678", "AU", "+61412345678"),
            ("0803 123 4567", "NG", "+2348031234567"),
            ("050 123 4567", "AE", "+971501234567"),
            ("612 34 56 78", "ES", "+34612345678"),
            ("55 1234 5678", "MX", "+525512345678"),
            ("0812-3456-7890", "ID", "+6281234567890"),
            ("082 123 4567", "ZA", "+27821234567"),
            ("0044 7911 123456", "BR", "+447911123456"),
            ("+44 7911 123456", "US", "+447911123456"),
            ("tel:+5511999990000", "US", "+5511999990000"),
        ];
        for (input, country, want) in cases {
            assert_eq!(PhoneE164::parse_with_country(input, country).map(|p| p.as_str().to_owned()), Ok(want.to_owned()), "{input} in {country}");
        }
    }

    #[test]
    fn unreadable_national_numbers_are_refused_with_the_input_quoted() {
        for (input, country) in [("555-1234", "US"), ("abc", "BR"), ("", "BR"), ("12", "DE"), ("123456789012", "US")] {
            let e = PhoneE164::parse_with_country(input, country).unwrap_err();
            assert!(e.0.contains(input.trim()), "{e}");
        }
        assert!(PhoneE164::parse_with_country("11 99999 0000", "XX").is_err());
    }

    #[test]
    fn the_calling_code_is_the_longest_known_prefix() {
        assert_eq!(PhoneE164::parse("+5511999990000").unwrap().calling_code(), Some(55));
        assert_eq!(PhoneE164::parse("+16505551234").unwrap().calling_code(), Some(1));
        assert_eq!(PhoneE164::parse("+971501234567").unwrap().calling_code(), Some(971));
        let uk = PhoneE164::parse("+447911123456").unwrap();
        assert!(uk.allowed_by(&[]) && uk.allowed_by(&[44, 55]) && !uk.allowed_by(&[55]));
    }
}
