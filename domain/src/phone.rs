//! Phone numbers in E.164 (`+` and 8 to 15 digits), the one form stored everywhere, and
//! the reading of numbers as people and spreadsheets write them (national numbers are
//! read with the org's default country).

use crate::countries::COUNTRIES;
use crate::org::CountryCode;
use crate::ParseError;
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form, such as `+5511999990000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PhoneE164(String);

/// Whether `c` is written between digits for readability (and so ignored).
fn is_separator(c: char) -> bool {
    // Spreadsheets and copy-paste bring non-breaking and other Unicode spaces too.
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}')
}

/// The national trunk prefix dialled before a national number, where the country has one.
///
/// Most of the world uses `0`; North America uses `1` (handled on its own, as the
/// calling code is also 1); Russia, Kazakhstan and Belarus still write `8`; Hungary `06`.
/// Italy, San Marino and the Vatican keep their leading `0` as part of the number, and the
/// countries listed last have no trunk prefix at all, so a leading digit is never dropped.
fn trunk_prefix(country: &str) -> Option<&'static str> {
    match country {
        "RU" | "KZ" | "BY" => Some("8"),
        "HU" => Some("06"),
        // No trunk prefix: the leading 0 of an Italian number is part of it.
        "IT" | "SM" | "VA" => None,
        // Closed numbering plans without a trunk prefix.
        "ES" | "PT" | "GR" | "DK" | "NO" | "IS" | "LU" | "MT" | "CY" | "EE" | "LV" | "MC" | "AD" | "QA" | "BH" | "KW" | "OM" | "SG" | "HK" | "MO" | "MX" => {
            None
        }
        _ => Some("0"),
    }
}

/// Shortest and longest national significant number (digits after the calling code) for
/// the markets we see most. Used to tell a national number from an international one
/// written without `+`, and to refuse numbers that are clearly too short or too long.
/// Countries not listed are only held to E.164's overall 8–15 digits.
fn national_lengths(country: &str) -> Option<(usize, usize)> {
    Some(match country {
        "US" | "CA" | "IN" | "MX" | "PK" | "BD" | "CO" | "TR" | "RU" | "KZ" => (10, 10),
        "BR" => (10, 11),
        "AR" => (10, 11),
        "GB" => (7, 10),
        "DE" => (5, 11),
        "IT" => (6, 11),
        "FR" | "AU" | "ZA" | "ES" | "PT" | "NL" | "CH" | "PL" | "CL" | "KE" | "SA" => (9, 9),
        "BE" => (8, 9),
        "NG" => (8, 10),
        "ID" => (8, 12),
        "AE" => (8, 9),
        "PH" | "EG" | "VN" | "MY" => (9, 10),
        "CN" => (9, 11),
        _ => return None,
    })
}

impl PhoneE164 {
    /// Parses an international number: `+`, then digits; spaces, dots, dashes, slashes and
    /// parentheses are ignored, and so is a `(0)` after the country code (`+44 (0)20 …`).
    /// National numbers need a default country: see [`PhoneE164::parse_with_country`].
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        let invalid = || ParseError::new(format!("\u{201c}{t}\u{201d} is not a phone number in international format (+ country code and number)."));
        let rest = t.strip_prefix('+').ok_or_else(invalid)?;
        // "+44 (0)20 7946 0958": the bracketed trunk prefix is not dialled from abroad.
        let rest = rest.replacen("(0)", "", 1);
        if !rest.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
            return Err(invalid());
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        Self::from_digits(&digits).map_err(|_| invalid())
    }

    /// Reads a number as people type it and spreadsheets store it, with the org's
    /// `default_country` (ISO alpha-2, any case; `""` when the org has none, in which case
    /// only international numbers are read).
    ///
    /// In order:
    /// 1. `tel:` is dropped, and a trailing `.0` a spreadsheet added to a number stored as
    ///    a float (`5511999990000.0`). Separators (spaces, `.` `-` `(` `)` `/`) are ignored.
    /// 2. International numbers: `+…`, `00…`, and `011…` when the default country is in
    ///    North America (its international prefix).
    /// 3. North America (calling code 1): 10 digits, or 11 starting with the trunk `1`.
    /// 4. Elsewhere the country's trunk prefix is dropped (see `trunk_prefix`: `0` in most
    ///    countries, `8` in Russia, none in Italy or Spain), and the calling code put in
    ///    front.
    /// 5. A number that starts with the default country's calling code, has no trunk
    ///    prefix, and is too long to be a national number of that country (while what
    ///    follows the code has a national number's length) is taken as international
    ///    written without `+`: `5511999990000` with BR is `+5511999990000`, but
    ///    `55 99999 0000` (Rio Grande do Sul, 11 digits) stays national. For countries
    ///    without length data the rule is "at least 8 digits after the code".
    ///
    /// This is a heuristic, not libphonenumber: it does not check number ranges.
    pub fn parse_with_country(input: &str, default_country: &str) -> Result<Self, ParseError> {
        let original = input.trim();
        let quoted = |why: &str| ParseError::new(format!("\u{201c}{original}\u{201d} {why}"));
        let mut t = original;
        if t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tel:")) {
            t = t[4..].trim();
        }
        // A spreadsheet cell formatted as a number comes out as "5511999990000.0".
        if let Some(whole) = t.strip_suffix(".0").filter(|w| !w.is_empty() && w.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit())) {
            t = whole;
        }
        if t.is_empty() {
            return Err(ParseError::new("The phone number is empty."));
        }
        if t.starts_with('+') {
            return Self::parse(t).map_err(|_| quoted("is not a phone number in international format (+ country code and number)."));
        }
        if !t.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
            return Err(quoted("has characters that are not part of a phone number."));
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(quoted("has no digits."));
        }
        let international = |rest: &str| Self::from_digits(rest).map_err(|_| quoted("is not a valid international phone number."));
        if let Some(rest) = digits.strip_prefix("00") {
            return international(rest);
        }
        let country = default_country.trim().to_ascii_uppercase();
        if country.is_empty() {
            return Err(quoted("has no country code (start it with +), and the org has no default country to read it with."));
        }
        let Some(&(_, code, name)) = COUNTRIES.iter().find(|(c, _, _)| *c == country) else {
            return Err(ParseError::new(format!(
                "\u{201c}{}\u{201d} is not a known country, so \u{201c}{original}\u{201d} cannot be read as a national number.",
                default_country.trim()
            )));
        };
        let code_s = code.to_string();
        let lengths = national_lengths(&country);
        let national = if code == 1 {
            if let Some(rest) = digits.strip_prefix("011") {
                return international(rest);
            }
            match digits.len() {
                10 => digits.as_str(),
                11 if digits.starts_with('1') => &digits[1..],
                _ => return Err(quoted(&format!("is not a {name} number (10 digits, or 11 starting with 1)."))),
            }
        } else if let Some(rest) = trunk_prefix(&country).and_then(|p| digits.strip_prefix(p)) {
            rest
        } else if digits.starts_with(&code_s) && Self::looks_international(&digits, code_s.len(), lengths) {
            return international(&digits);
        } else {
            digits.as_str()
        };
        if let Some((min, max)) = lengths {
            if national.len() < min {
                return Err(quoted(&format!("is too short for a {name} number.")));
            }
            if national.len() > max {
                return Err(quoted(&format!("is too long for a {name} number.")));
            }
        } else if national.len() < 4 {
            return Err(quoted("is too short to be a phone number."));
        }
        Self::from_digits(&format!("{code}{national}")).map_err(|_| quoted(&format!("is not a valid {name} phone number.")))
    }

    /// [`PhoneE164::parse_with_country`] with a parsed country (`None`: international only).
    pub fn parse_with_country_code(input: &str, default_country: Option<&CountryCode>) -> Result<Self, ParseError> {
        Self::parse_with_country(input, default_country.map_or("", |c| c.as_str()))
    }

    /// Rule 5 of [`PhoneE164::parse_with_country`]: digits that start with the calling
    /// code and are too long for a national number.
    fn looks_international(digits: &str, code_len: usize, lengths: Option<(usize, usize)>) -> bool {
        let rest = digits.len() - code_len;
        match lengths {
            Some((min, max)) => digits.len() > max && (min..=max).contains(&rest),
            None => rest >= 8,
        }
    }

    /// The country calling code (longest match against the known codes), such as 55 for
    /// `+5511…` or 1 for `+1650…`. `None` for a code no country uses.
    pub fn calling_code(&self) -> Option<u16> {
        let d = self.digits();
        (1..=3).rev().filter_map(|n| d.get(..n)?.parse::<u16>().ok()).find(|c| COUNTRIES.iter().any(|(_, code, _)| code == c))
    }

    /// Whether the number's calling code is among `allowed_calling_codes`, the org's
    /// allowed countries (an empty list allows all).
    pub fn allowed_by(&self, allowed_calling_codes: &[u16]) -> bool {
        allowed_calling_codes.is_empty() || self.calling_code().is_some_and(|c| allowed_calling_codes.contains(&c))
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

    fn read(input: &str, country: &str) -> Result<String, String> {
        PhoneE164::parse_with_country(input, country).map(|p| p.as_str().to_owned()).map_err(|e| e.0)
    }

    #[test]
    fn international_input_is_normalised() {
        assert_eq!(PhoneE164::parse(" +55 (11) 99999-0000 ").unwrap().as_str(), "+5511999990000");
        assert_eq!(PhoneE164::parse("+1.650.555.1234").unwrap().digits(), "16505551234");
        assert_eq!(PhoneE164::parse("+49 151/12345678").unwrap().as_str(), "+4915112345678");
        assert_eq!(PhoneE164::parse("+55\u{a0}11\u{a0}99999\u{a0}0000").unwrap().as_str(), "+5511999990000");
    }

    #[test]
    fn a_bracketed_trunk_zero_after_the_country_code_is_dropped() {
        assert_eq!(PhoneE164::parse("+44 (0)20 7946 0958").unwrap().as_str(), "+442079460958");
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
            ("1-650-555-1234", "us", "+16505551234"),
            ("11 99999-0000", "BR", "+5511999990000"),
            ("011 99999-0000", "BR", "+5511999990000"),
            ("(21) 3333-4444", "BR", "+552133334444"),
            ("07911 123456", "GB", "+447911123456"),
            ("020 7946 0958", "GB", "+442079460958"),
            ("0151 12345678", "DE", "+4915112345678"),
            ("030 1234567", "DE", "+49301234567"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("02 1234 5678", "IT", "+390212345678"),
            ("333 123 4567", "IT", "+393331234567"),
            ("098765 43210", "IN", "+919876543210"),
            ("98765 43210", "IN", "+919876543210"),
            ("0412 345 678", "AU", "+61412345678"),
            ("0803 123 4567", "NG", "+2348031234567"),
            ("050 123 4567", "AE", "+971501234567"),
            ("612 34 56 78", "ES", "+34612345678"),
            ("55 1234 5678", "MX", "+525512345678"),
            ("0812-3456-7890", "ID", "+6281234567890"),
            ("082 123 4567", "ZA", "+27821234567"),
            ("8 (912) 345-67-89", "RU", "+79123456789"),
            ("06 30 123 4567", "HU", "+36301234567"),
        ];
        for (input, country, want) in cases {
            assert_eq!(read(input, country), Ok(want.to_owned()), "{input} in {country}");
        }
    }

    #[test]
    fn international_prefixes_override_the_default_country() {
        assert_eq!(read("0044 7911 123456", "BR"), Ok("+447911123456".into()));
        assert_eq!(read("011 44 7911 123456", "US"), Ok("+447911123456".into()));
        assert_eq!(read("+44 7911 123456", "US"), Ok("+447911123456".into()));
        assert_eq!(read("+91 98765 43210", ""), Ok("+919876543210".into()));
    }

    #[test]
    fn tel_links_and_spreadsheet_floats_are_unwrapped() {
        assert_eq!(read("tel:+5511999990000", "US"), Ok("+5511999990000".into()));
        assert_eq!(read("TEL: 07911 123456", "GB"), Ok("+447911123456".into()));
        assert_eq!(read("5511999990000.0", "BR"), Ok("+5511999990000".into()));
        assert_eq!(read("6505551234.0", "US"), Ok("+16505551234".into()));
    }

    #[test]
    fn the_country_code_without_a_plus_is_read_only_when_too_long_for_a_national_number() {
        assert_eq!(read("5511999990000", "BR"), Ok("+5511999990000".into()));
        assert_eq!(read("555199990000", "BR"), Ok("+555199990000".into()), "a landline written internationally");
        assert_eq!(read("55 99999 0000", "BR"), Ok("+5555999990000".into()), "area code 55 is national");
        assert_eq!(read("919876543210", "IN"), Ok("+919876543210".into()));
        assert_eq!(read("9198765432", "IN"), Ok("+919198765432".into()), "an Indian mobile that starts with 91");
        assert_eq!(read("447911123456", "GB"), Ok("+447911123456".into()));
        assert_eq!(read("4915112345678", "DE"), Ok("+4915112345678".into()));
        assert_eq!(read("393331234567", "IT"), Ok("+393331234567".into()));
        assert_eq!(read("34612345678", "ES"), Ok("+34612345678".into()));
        assert_eq!(read("525512345678", "MX"), Ok("+525512345678".into()));
    }

    #[test]
    fn unreadable_numbers_are_refused_with_the_input_quoted_and_the_reason() {
        let cases = [
            ("555-1234", "US", "10 digits"),
            ("123456789012", "US", "10 digits"),
            ("abc", "BR", "characters"),
            ("11 9999x0000", "BR", "characters"),
            ("12", "DE", "too short"),
            ("1234", "BR", "too short for a Brazil number"),
            ("0612 345 678 999", "FR", "too long for a France number"),
            ("11 99999 0000", "", "no default country"),
            ("--", "BR", "no digits"),
        ];
        for (input, country, why) in cases {
            let e = read(input, country).unwrap_err();
            assert!(e.contains(input.trim()) && e.contains(why), "{input} in {country}: {e}");
        }
        assert_eq!(read("  ", "BR").unwrap_err(), "The phone number is empty.");
        assert!(read("11 99999 0000", "XX").unwrap_err().contains("\u{201c}XX\u{201d} is not a known country"));
    }

    #[test]
    fn a_parsed_country_code_can_be_given_instead_of_its_letters() {
        let br = CountryCode::parse("br").unwrap();
        assert_eq!(PhoneE164::parse_with_country_code("11 99999-0000", Some(&br)).unwrap().as_str(), "+5511999990000");
        assert!(PhoneE164::parse_with_country_code("11 99999-0000", None).is_err());
    }

    #[test]
    fn the_calling_code_is_the_longest_known_prefix() {
        let code = |s: &str| PhoneE164::parse(s).unwrap().calling_code();
        assert_eq!(code("+5511999990000"), Some(55));
        assert_eq!(code("+16505551234"), Some(1));
        assert_eq!(code("+971501234567"), Some(971));
        assert_eq!(code("+2348031234567"), Some(234));
        assert_eq!(code("+79123456789"), Some(7));
        assert_eq!(code("+447911123456"), Some(44));
    }

    #[test]
    fn allowed_calling_codes_filter_numbers_and_an_empty_list_allows_all() {
        let uk = PhoneE164::parse("+447911123456").unwrap();
        assert!(uk.allowed_by(&[]));
        assert!(uk.allowed_by(&[44, 55]));
        assert!(!uk.allowed_by(&[55]));
    }
}
