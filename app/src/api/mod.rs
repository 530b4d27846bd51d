//! Server functions by domain. Each one is a public URL (`/api/<domain>/<name>`): it
//! finds the signed-in member (the `Actor`), parses its arguments, calls one backend
//! service, and maps the error. The service checks the role, whoever calls it.
//!
//! Every state-changing request carries the session's CSRF token in the
//! `x-csrf-token` header; [`client::CsrfClient`] adds it to every server-function call.

pub mod accounts;
pub mod auth;
pub mod client;
pub mod contacts;
pub mod crm;
pub mod inbox;
pub mod keys;
pub mod numbers;
pub mod reports;
pub mod sandbox;
pub mod security;
pub mod settings;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod system;

/// The cookie that hands the session's CSRF token to the page's script.
pub const CSRF_COOKIE: &str = "mce_csrf";
/// The header in which requests send the CSRF token back.
pub const CSRF_HEADER: &str = "x-csrf-token";
