//! The server-side state given to every server function (through Leptos context) and
//! every axum handler (through `State`). Built once by the `server` crate.

use axum::extract::FromRef;
use backend::auth::LoginLimits;
use backend::Db;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Settings of sign-in and sign-up that server functions need.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Whether anyone may create an org from the sign-up page.
    pub signup_enabled: bool,
    /// Failed sign-in limits.
    pub login_limits: LoginLimits,
    /// Whether to believe `X-Forwarded-For` for the client address (behind a proxy).
    pub trust_proxy: bool,
}

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub auth: Arc<AuthSettings>,
}
