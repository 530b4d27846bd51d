//! Values that describe an org: its name, time zone and default country.

use crate::countries::COUNTRIES;
use crate::ParseError;
use serde::{Deserialize, Serialize};

/// Trims, rejects empty and over-long text and control characters: the rules shared by
/// every short display text (org and person names).
fn display_text(input: &str, what: &str, max_chars: usize) -> Result<String, ParseError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseError::new(format!("{what} is required.")));
    }
    if s.chars().count() > max_chars {
        return Err(ParseError::new(format!("{what} must be at most {max_chars} characters.")));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(format!("{what} must not contain control characters.")));
    }
    Ok(s.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX_CHARS: usize = $max;
            /// Parses user input (trimmed; 1 to `MAX_CHARS` characters, no control characters).
            pub fn parse(input: &str) -> Result<Self, ParseError> {
                display_text(input, $what, $max).map(Self)
            }
            /// The name as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_type!(
    /// The display name of an org.
    OrgName, "Organisation name", 100
);
text_type!(
    /// A person's display name.
    PersonName, "Name", 100
);

/// An IANA time zone name known to the bundled tz database, such as `Asia/Kolkata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Parses a zone name; the canonical spelling of the tz database is kept.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let tz: chrono_tz::Tz = s.parse().map_err(|_| ParseError::new(format!("\u{201c}{s}\u{201d} is not an IANA time zone (for example Europe/Paris).")))?;
        Ok(Self(tz.name().to_owned()))
    }
    /// The zone used when an org has not chosen one.
    pub fn utc() -> Self {
        Self("UTC".into())
    }
    /// The zone's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Every zone name of the tz database, for pickers.
    pub fn all() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An ISO 3166-1 alpha-2 region with a telephone calling code (`IN`, `US`, `GB`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct CountryCode(&'static str, u16);

impl CountryCode {
    /// Parses a two-letter code, case-insensitively.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let code = input.trim().to_uppercase();
        COUNTRIES
            .binary_search_by(|(c, _, _)| (*c).cmp(code.as_str()))
            .map(|i| Self(COUNTRIES[i].0, COUNTRIES[i].1))
            .map_err(|_| ParseError::new(format!("\u{201c}{}\u{201d} is not a country code (for example IN or US).", input.trim())))
    }
    /// The two-letter code.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
    /// The international calling code, such as 91 for India.
    pub fn calling_code(&self) -> u16 {
        self.1
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.0.to_owned()
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_names_are_trimmed() {
        assert_eq!(OrgName::parse("  Acme Ltd ").unwrap().as_str(), "Acme Ltd");
    }

    #[test]
    fn empty_long_or_control_org_names_are_rejected() {
        assert!(OrgName::parse("   ").is_err());
        assert!(OrgName::parse(&"x".repeat(101)).is_err());
        assert!(OrgName::parse("a\u{0}b").is_err());
        assert!(OrgName::parse(&"é".repeat(100)).is_ok(), "the limit counts characters, not bytes");
    }

    #[test]
    fn time_zones_must_be_in_the_tz_database() {
        assert_eq!(TimeZoneName::parse("Asia/Kolkata").unwrap().as_str(), "Asia/Kolkata");
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
        assert!(TimeZoneName::all().any(|z| z == "Europe/Paris"));
    }

    #[test]
    fn country_codes_carry_their_calling_code() {
        let india = CountryCode::parse("in").unwrap();
        assert_eq!(india.as_str(), "IN");
        assert_eq!(india.calling_code(), 91);
        assert_eq!(CountryCode::parse("US").unwrap().calling_code(), 1);
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("IND").is_err());
    }

    #[test]
    fn country_table_is_sorted_for_binary_search() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
