//! Stable error codes (a public contract: REST answers, server functions and the README use them) and the error value every edge returns.
//!
//! Codes are a contract with the UI, scripts and API users: never renumber one. Add new
//! codes at the end of their family.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `AUTH_001` wrong email or password.
    InvalidCredentials,
    /// `AUTH_002` not signed in, session expired, or API key missing or unknown.
    NotAuthenticated,
    /// `AUTH_003` signed in, but the role (or org membership) does not allow this.
    Forbidden,
    /// `AUTH_004` too many failed sign-in attempts; try again later.
    TooManyAttempts,
    /// `AUTH_005` the request's CSRF token is missing or does not match the session.
    CsrfRejected,
    /// `VALIDATION_001` input that does not parse; the message says which field and why.
    Validation,
    /// `NOT_FOUND_001` nothing with that id in this org.
    NotFound,
    /// `CONFLICT_001` the change clashes with what is stored (a duplicate, the last owner).
    Conflict,
    /// `PAYLOAD_001` the request body is larger than allowed.
    PayloadTooLarge,
    /// `INTERNAL_001` something failed on our side; details are in the server log only.
    Internal,
    /// `WA_001` the WhatsApp API refused; `details` carries Meta's error code and text.
    WhatsAppApi,
    /// `WA_005` the 24-hour window is closed: only a template may be sent.
    WindowClosed,
    /// `WA_006` the number is not connected (token expired or revoked): replace the token.
    NumberInactive,
    /// `CONTACT_001` no contact with that id in this org.
    ContactNotFound,
    /// `CONTACT_002` another contact of the org already has this phone number.
    ContactDuplicate,
    /// `CONTACT_003` the phone number cannot be read as E.164 (or its country is not allowed).
    ContactInvalidPhone,
    /// `CONTACT_005` an import cannot start: `details` says what is wrong with the file.
    ImportInvalid,
    /// `AUTH_007` the account's e-mail address is not verified yet: open the link in the
    /// verification mail.
    EmailNotVerified,
    /// `AUTH_008` an invitation, reset or verification link is unknown, used, expired or
    /// revoked; the message says which.
    LinkInvalid,
    /// `AUTH_006` the password was right; the second factor (a TOTP or recovery code) is needed.
    SecondFactorRequired,
    /// `AUTH_009` two-factor sign-in must be set up before anything else (super admins,
    /// and admins of an org that requires it).
    TwoFactorEnrolmentRequired,
    /// `TEMPLATE_001` no template with that id (or name and language) in this org.
    TemplateNotFound,
    /// `TEMPLATE_002` the template breaks one of Meta's rules; the message says which
    /// (`details.field` names the field).
    TemplateInvalid,
    /// `TEMPLATE_003` the template cannot be sent: not approved, or quarantined.
    TemplateNotSendable,
    /// `TEMPLATE_004` Meta refused the template call; its code is in `details`.
    TemplateRefused,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::InvalidCredentials,
        ErrorCode::NotAuthenticated,
        ErrorCode::Forbidden,
        ErrorCode::TooManyAttempts,
        ErrorCode::CsrfRejected,
        ErrorCode::Validation,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Internal,
        ErrorCode::WhatsAppApi,
        ErrorCode::WindowClosed,
        ErrorCode::NumberInactive,
        ErrorCode::ContactNotFound,
        ErrorCode::ContactDuplicate,
        ErrorCode::ContactInvalidPhone,
        ErrorCode::ImportInvalid,
        ErrorCode::EmailNotVerified,
        ErrorCode::LinkInvalid,
        ErrorCode::SecondFactorRequired,
        ErrorCode::TwoFactorEnrolmentRequired,
        ErrorCode::TemplateNotFound,
        ErrorCode::TemplateInvalid,
        ErrorCode::TemplateNotSendable,
        ErrorCode::TemplateRefused,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCredentials => "AUTH_001",
            ErrorCode::NotAuthenticated => "AUTH_002",
            ErrorCode::Forbidden => "AUTH_003",
            ErrorCode::TooManyAttempts => "AUTH_004",
            ErrorCode::CsrfRejected => "AUTH_005",
            ErrorCode::Validation => "VALIDATION_001",
            ErrorCode::NotFound => "NOT_FOUND_001",
            ErrorCode::Conflict => "CONFLICT_001",
            ErrorCode::PayloadTooLarge => "PAYLOAD_001",
            ErrorCode::Internal => "INTERNAL_001",
            ErrorCode::WhatsAppApi => "WA_001",
            ErrorCode::WindowClosed => "WA_005",
            ErrorCode::NumberInactive => "WA_006",
            ErrorCode::ContactNotFound => "CONTACT_001",
            ErrorCode::ContactDuplicate => "CONTACT_002",
            ErrorCode::ContactInvalidPhone => "CONTACT_003",
            ErrorCode::ImportInvalid => "CONTACT_005",
            ErrorCode::EmailNotVerified => "AUTH_007",
            ErrorCode::LinkInvalid => "AUTH_008",
            ErrorCode::SecondFactorRequired => "AUTH_006",
            ErrorCode::TwoFactorEnrolmentRequired => "AUTH_009",
            ErrorCode::TemplateNotFound => "TEMPLATE_001",
            ErrorCode::TemplateInvalid => "TEMPLATE_002",
            ErrorCode::TemplateNotSendable => "TEMPLATE_003",
            ErrorCode::TemplateRefused => "TEMPLATE_004",
        }
    }

    /// Parses a wire code.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The HTTP status that goes with the code at the REST edge.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidCredentials | ErrorCode::NotAuthenticated | ErrorCode::SecondFactorRequired => 401,
            ErrorCode::Forbidden | ErrorCode::CsrfRejected | ErrorCode::EmailNotVerified | ErrorCode::TwoFactorEnrolmentRequired => 403,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::Validation
            | ErrorCode::WhatsAppApi
            | ErrorCode::WindowClosed
            | ErrorCode::NumberInactive
            | ErrorCode::ContactInvalidPhone
            | ErrorCode::ImportInvalid
            | ErrorCode::LinkInvalid
            | ErrorCode::TemplateInvalid
            | ErrorCode::TemplateNotSendable
            | ErrorCode::TemplateRefused => 422,
            ErrorCode::NotFound | ErrorCode::ContactNotFound | ErrorCode::TemplateNotFound => 404,
            ErrorCode::Conflict | ErrorCode::ContactDuplicate => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Internal => 500,
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // An unknown code from a newer server still reaches the UI as an error.
        Ok(ErrorCode::parse(&s).unwrap_or(ErrorCode::Internal))
    }
}

/// An error as every edge reports it: `{"code": "AUTH_001", "message": "…"}`, plus
/// `details` where the code says so (Meta's error for `WA_001`). The message is written
/// for people and never carries internals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({})", code.as_str())]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    /// An error with a code and a human message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: None }
    }

    /// The same error with machine-readable details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
    /// `VALIDATION_001` with the field's message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }
    /// `AUTH_002`.
    pub fn not_authenticated() -> Self {
        Self::new(ErrorCode::NotAuthenticated, "Please sign in again: your session has expired or you are not signed in.")
    }
    /// `AUTH_003`.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "Your role does not allow this action.")
    }
    /// `NOT_FOUND_001`.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found."))
    }
    /// `INTERNAL_001`, with a message that reveals nothing.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on our side. Please try again.")
    }
}

impl From<crate::ParseError> for AppError {
    fn from(e: crate::ParseError) -> Self {
        AppError::validation(e.0)
    }
}

#[cfg(feature = "server_fn")]
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(e: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match e {
            E::Args(m) | E::MissingArg(m) | E::Deserialization(m) => AppError::validation(format!("The request was not understood: {m}")),
            E::Request(_) | E::Response(_) => AppError::new(ErrorCode::Internal, "Could not reach the server. Check your connection and try again."),
            _ => AppError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn errors_serialize_with_the_wire_code() {
        let e = AppError::new(ErrorCode::InvalidCredentials, "Wrong email or password.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "AUTH_001");
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn auth_codes_map_to_auth_statuses() {
        assert_eq!(ErrorCode::InvalidCredentials.http_status(), 401);
        assert_eq!(ErrorCode::Forbidden.http_status(), 403);
        assert_eq!(ErrorCode::TooManyAttempts.http_status(), 429);
    }
}
