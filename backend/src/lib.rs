//! MCE's services, by domain. Every entry point (server function, REST route, webhook,
//! worker, CLI) is a thin adapter over these functions; no SQL lives anywhere else.
//!
//! Services take an [`auth::Actor`] — who is asking, in which org, with which role — and
//! scope every query to that org, so an id from another org simply matches nothing.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod contacts;
pub mod conversations;
pub mod db;
pub mod error;
pub mod events;
pub mod inbox;
pub mod invitations;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod net;
pub mod notifications;
pub mod onboarding;
pub mod orgs;
pub mod rate_limit;
pub mod reports;
pub mod secrets;
pub mod session_store;
pub mod templates;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod two_factor;
pub mod whatsapp;

pub use db::{Db, DbKind};
pub use error::ServiceError;
