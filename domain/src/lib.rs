//! Types shared end to end by MCE: the server, the services and the browser (WASM).
//!
//! Everything that crosses an edge (form field, server-function argument, CLI flag,
//! REST body) is parsed into one of these types once, at that edge. Constructors are the
//! only way in, so a value of these types is always valid.

pub mod contacts;
pub mod countries;
pub mod csv;
pub mod dto;
pub mod email;
pub mod error;
pub mod ids;
pub mod import;
pub mod inbox;
pub mod org;
pub mod password;
pub mod phone;
pub mod role;
pub mod scoring;
pub mod template;
pub mod time;
pub mod whatsapp;

pub use email::EmailAddress;
pub use error::{AppError, ErrorCode};
pub use ids::{ApiKeyId, ContactId, ConversationId, MessageId, NumberId, OrgId, UserId};
pub use org::{CountryCode, OrgName, PersonName, TimeZoneName};
pub use password::Password;
pub use phone::PhoneE164;
pub use role::Role;

/// A value that failed to parse, with a message fit to show the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
