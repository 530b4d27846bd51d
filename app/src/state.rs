//! The server-side state given to every server function (through Leptos context) and
//! every axum handler (through `State`). Built once by the `server` crate.

use axum::extract::FromRef;
use backend::auth::LoginLimits;
use backend::secrets::Cipher;
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
    /// Account mails (`MCE_SMTP_URL`, `MCE_MAIL_FROM`) and the base of their links
    /// (`MCE_PUBLIC_URL`).
    pub delivery: backend::mail::Delivery,
    /// The absolute lifetime of a session (`MCE_SESSION_MAX_HOURS`), which `/events`
    /// re-checks too.
    pub session_max_age_ms: i64,
}

/// WhatsApp Cloud API settings (WHATSAPP_* variables). `Debug` hides the secrets.
#[derive(Clone)]
pub struct WhatsAppSettings {
    /// Signs webhook bodies (`X-Hub-Signature-256`); webhooks are refused while unset.
    pub app_secret: Option<String>,
    /// Answers Meta's GET verification handshake; refused while unset.
    pub verify_token: Option<String>,
    /// Graph API version, such as `v23.0`.
    pub api_version: String,
    /// Graph API base URL (`https://graph.facebook.com`, or a double in tests).
    pub api_base: String,
}

impl std::fmt::Debug for WhatsAppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppSettings")
            .field("app_secret", &self.app_secret.as_ref().map(|_| "***"))
            .field("verify_token", &self.verify_token.as_ref().map(|_| "***"))
            .field("api_version", &self.api_version)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub auth: Arc<AuthSettings>,
    pub whatsapp: Arc<WhatsAppSettings>,
    /// Encrypts credentials at rest (`MCE_ENCRYPTION_KEY`).
    pub cipher: Cipher,
    /// The Graph API (Meta, the sandbox simulator, or a test double).
    pub graph: Arc<dyn backend::whatsapp::graph::WhatsAppApi>,
    /// Wakes the job runner's loops of a kind when a handler queued its work (they
    /// also look by themselves, at least every second).
    pub wakeups: Arc<backend::jobs::Wakeups>,
    /// The sandbox simulator's settings and its Graph client.
    pub sandbox: Arc<SandboxSettings>,
    /// Fans the org event log out to open browsers (SSE); woken after a change commits.
    pub events: Arc<backend::events::Hub>,
    /// The one writer of webhook bodies (group commit, bounded queue).
    pub ingest: backend::whatsapp::webhook_writer::WebhookWriter,
}

/// The built-in sandbox channel.
pub struct SandboxSettings {
    /// This server's own base URL: the simulator's Graph API lives under
    /// `/sandbox/graph` there, and it posts webhooks to `/webhooks/whatsapp` there.
    pub public_url: String,
    /// The simulator's status pace in milliseconds (see `MCE_SANDBOX_STEP_MS`).
    pub step_ms: u64,
    /// The same Graph client as for Meta, pointed at the simulator.
    pub graph: Arc<dyn backend::whatsapp::graph::WhatsAppApi>,
}
