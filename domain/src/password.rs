//! A password as typed by a person. Hashing lives in the backend; this type only
//! enforces the length policy and keeps the text out of `Debug` output and logs.

use crate::ParseError;

/// A new password that meets the policy: 10 to 128 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Shortest accepted password, in characters.
    pub const MIN_CHARS: usize = 10;
    /// Longest accepted password (argon2 is given at most this much work per attempt).
    pub const MAX_CHARS: usize = 128;

    /// Checks a password chosen by a person.
    pub fn parse_new(input: &str) -> Result<Self, ParseError> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ParseError::new(format!("Password must be at least {} characters.", Self::MIN_CHARS)));
        }
        if n > Self::MAX_CHARS {
            return Err(ParseError::new(format!("Password must be at most {} characters.", Self::MAX_CHARS)));
        }
        Ok(Self(input.to_owned()))
    }

    /// Wraps a password typed at login, which is only compared, never stored. Over-long
    /// input is cut so that a huge body cannot make hashing expensive.
    pub fn for_login(input: &str) -> Self {
        Self(input.chars().take(Self::MAX_CHARS).collect())
    }

    /// The secret text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(Password::parse_new("short").is_err());
        assert!(Password::parse_new(&"x".repeat(129)).is_err());
        assert!(Password::parse_new("correct horse battery").is_ok());
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let p = Password::parse_new("super-secret-123").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn login_input_is_capped() {
        assert_eq!(Password::for_login(&"y".repeat(10_000)).expose().len(), 128);
    }
}
