//! Configuration from environment variables (documented in the README). Parsed once
//! at start-up into typed values; secrets are wrapped so they never reach a log.

use backend::auth::LoginLimits;
use std::fmt;
use std::path::PathBuf;

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret.
    pub fn new(v: T) -> Self {
        Self(v)
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable lines (development).
    Pretty,
}

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`; default `sqlite://<data dir>/mce.db`.
    pub database_url: Secret<String>,
    /// `MCE_DATA_DIR`: where the SQLite file and other local data live; default `data`.
    pub data_dir: PathBuf,
    /// `MCE_ADDR`: the listen address, overriding Leptos's `site-addr`.
    pub addr: Option<std::net::SocketAddr>,
    /// `MCE_SIGNUP_ENABLED`: whether the sign-up page creates orgs; default true.
    pub signup_enabled: bool,
    /// `MCE_SESSION_IDLE_MINUTES`: a session ends after this long without a request; default 480.
    pub session_idle_minutes: i64,
    /// `MCE_SESSION_MAX_HOURS`: a session ends this long after sign-in, however active; default 72.
    pub session_max_hours: i64,
    /// `MCE_SECURE_COOKIES`: mark cookies `Secure` (serve over HTTPS); default false.
    pub secure_cookies: bool,
    /// `MCE_TRUST_PROXY`: take the client address from `X-Forwarded-For`; default false.
    pub trust_proxy: bool,
    /// `MCE_LOGIN_MAX_FAILURES`: failed sign-ins per email per 15 minutes; default 5.
    pub login_limits: LoginLimits,
    /// `MCE_LOG_FORMAT`: `json` or `pretty`; default `pretty`.
    pub log_format: LogFormat,
    /// `MCE_DEMO`: create the demo org and login at start-up; default false.
    pub demo: bool,
    /// `MCE_ENCRYPTION_KEY`: 64 hex digits (or base64 of 32 bytes) that encrypt stored
    /// credentials. Unset: a key is generated once into the data directory (development).
    pub encryption_key: Option<Secret<String>>,
    /// `WHATSAPP_APP_SECRET`: verifies webhook signatures.
    pub whatsapp_app_secret: Option<Secret<String>>,
    /// `WHATSAPP_VERIFY_TOKEN`: answers Meta's webhook verification handshake.
    pub whatsapp_verify_token: Option<Secret<String>>,
    /// `WHATSAPP_API_VERSION`: Graph API version; default `v23.0`.
    pub whatsapp_api_version: String,
    /// `WHATSAPP_API_BASE`: Graph API base URL; default `https://graph.facebook.com`.
    pub whatsapp_api_base: String,
    /// `MCE_SHEETS_API_BASE`: Google Sheets API base URL for sheet lead sources; default
    /// `https://sheets.googleapis.com`.
    pub sheets_api_base: String,
    /// `MCE_ALLOW_PRIVATE_FETCH`: let URLs that tenants choose (a sheet's published-CSV
    /// address) use `http` and reach private, loopback and link-local addresses; for tests
    /// and local development only; default false (public `https` addresses only).
    pub allow_private_fetch: bool,
    /// `MCE_WEBHOOK_RETENTION_DAYS`: how long raw webhook bodies are kept; default 90.
    pub webhook_retention_days: i64,
    /// `MCE_PUBLIC_URL`: the server's own base URL (the sandbox simulator posts its
    /// webhooks there); default `http://<listen address>`.
    pub public_url: Option<String>,
    /// `MCE_SANDBOX_STEP_MS`: the simulator's status pace: sent after one step, delivered
    /// after two, read after five; default 400.
    pub sandbox_step_ms: i64,
    /// `MCE_SEND_WORKERS`: concurrent send workers in this process; default 4. They share
    /// each number's rate, so more workers only help when the Graph API is slow.
    pub send_workers: i64,
    /// `MCE_SMTP_URL`: `smtp://user:pass@host:port` (add `?tls=required` for STARTTLS, or
    /// use `smtps://`): invitations, password resets and sign-up verification are mailed
    /// through it, and sign-up then needs a verified address. Unset: nothing is mailed.
    pub smtp_url: Option<Secret<String>>,
    /// `MCE_MAIL_FROM`: the sender of those mails; default `MCE <mce@localhost>`.
    pub mail_from: String,
}

fn flag(v: Option<String>, name: &str, default: bool) -> Result<bool, String> {
    match v.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(s) if s.is_empty() => Ok(default),
        Some(s) if ["1", "true", "yes", "on"].contains(&s.as_str()) => Ok(true),
        Some(s) if ["0", "false", "no", "off"].contains(&s.as_str()) => Ok(false),
        Some(s) => Err(format!("{name} must be true or false, not {s:?}")),
    }
}

fn number(v: Option<String>, name: &str, default: i64, min: i64, max: i64) -> Result<i64, String> {
    match v {
        None => Ok(default),
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{name} must be a whole number from {min} to {max}, not {s:?}")),
        },
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let data_dir = PathBuf::from(get("MCE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = match get("DATABASE_URL").filter(|s| !s.trim().is_empty()) {
            Some(url) => url,
            None => format!("sqlite://{}/mce.db", data_dir.display()),
        };
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err("DATABASE_URL must start with sqlite: or postgres://".into());
        }
        let addr = match get("MCE_ADDR") {
            Some(a) => Some(a.parse().map_err(|_| format!("MCE_ADDR must be host:port, not {a:?}"))?),
            None => None,
        };
        let log_format = match get("MCE_LOG_FORMAT").as_deref() {
            None | Some("pretty") | Some("") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("MCE_LOG_FORMAT must be json or pretty, not {other:?}")),
        };
        Ok(Config {
            database_url: Secret::new(database_url),
            data_dir,
            addr,
            signup_enabled: flag(get("MCE_SIGNUP_ENABLED"), "MCE_SIGNUP_ENABLED", true)?,
            session_idle_minutes: number(get("MCE_SESSION_IDLE_MINUTES"), "MCE_SESSION_IDLE_MINUTES", 480, 1, 60 * 24 * 30)?,
            session_max_hours: number(get("MCE_SESSION_MAX_HOURS"), "MCE_SESSION_MAX_HOURS", 72, 1, 24 * 365)?,
            secure_cookies: flag(get("MCE_SECURE_COOKIES"), "MCE_SECURE_COOKIES", false)?,
            trust_proxy: flag(get("MCE_TRUST_PROXY"), "MCE_TRUST_PROXY", false)?,
            login_limits: LoginLimits { per_email: number(get("MCE_LOGIN_MAX_FAILURES"), "MCE_LOGIN_MAX_FAILURES", 5, 1, 1000)?, ..LoginLimits::default() },
            log_format,
            demo: flag(get("MCE_DEMO"), "MCE_DEMO", false)?,
            encryption_key: get("MCE_ENCRYPTION_KEY").filter(|s| !s.trim().is_empty()).map(Secret::new),
            whatsapp_app_secret: get("WHATSAPP_APP_SECRET").filter(|s| !s.is_empty()).map(Secret::new),
            whatsapp_verify_token: get("WHATSAPP_VERIFY_TOKEN").filter(|s| !s.is_empty()).map(Secret::new),
            whatsapp_api_version: match get("WHATSAPP_API_VERSION").filter(|s| !s.trim().is_empty()) {
                Some(v) if v.trim().starts_with('v') => v.trim().to_owned(),
                Some(v) => return Err(format!("WHATSAPP_API_VERSION must look like v23.0, not {v:?}")),
                None => "v23.0".into(),
            },
            sheets_api_base: get("MCE_SHEETS_API_BASE")
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| backend::contacts::sheets_api::DEFAULT_API_BASE.to_owned()),
            allow_private_fetch: flag(get("MCE_ALLOW_PRIVATE_FETCH"), "MCE_ALLOW_PRIVATE_FETCH", false)?,
            whatsapp_api_base: match get("WHATSAPP_API_BASE").filter(|s| !s.trim().is_empty()) {
                Some(b) if b.starts_with("http://") || b.starts_with("https://") => b.trim().trim_end_matches('/').to_owned(),
                Some(b) => return Err(format!("WHATSAPP_API_BASE must be an http(s) URL, not {b:?}")),
                None => "https://graph.facebook.com".into(),
            },
            webhook_retention_days: number(get("MCE_WEBHOOK_RETENTION_DAYS"), "MCE_WEBHOOK_RETENTION_DAYS", 90, 1, 3650)?,
            public_url: match get("MCE_PUBLIC_URL").filter(|s| !s.trim().is_empty()) {
                Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.trim().trim_end_matches('/').to_owned()),
                Some(u) => return Err(format!("MCE_PUBLIC_URL must be an http(s) URL, not {u:?}")),
                None => None,
            },
            sandbox_step_ms: number(get("MCE_SANDBOX_STEP_MS"), "MCE_SANDBOX_STEP_MS", 400, 1, 60_000)?,
            send_workers: number(get("MCE_SEND_WORKERS"), "MCE_SEND_WORKERS", 4, 1, 64)?,
            smtp_url: match get("MCE_SMTP_URL").filter(|s| !s.trim().is_empty()) {
                Some(u) if u.trim().starts_with("smtp://") || u.trim().starts_with("smtps://") => Some(Secret::new(u.trim().to_owned())),
                Some(_) => return Err("MCE_SMTP_URL must start with smtp:// or smtps://".into()),
                None => None,
            },
            mail_from: get("MCE_MAIL_FROM").filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "MCE <mce@localhost>".into()),
        })
    }

    /// How account mails go out, with links on `public_url`: through `MCE_SMTP_URL` as
    /// `MCE_MAIL_FROM`, or not at all.
    pub fn mail_delivery(&self, public_url: &str) -> Result<backend::mail::Delivery, String> {
        let mut delivery = backend::mail::Delivery::without_mail(public_url);
        if let Some(url) = &self.smtp_url {
            delivery.mailer = Some(backend::mail::Mailer::new(url.expose(), &self.mail_from)?);
        }
        Ok(delivery)
    }

    /// The database engine in use, for logs (never the URL: it may hold a password).
    pub fn database_kind(&self) -> &'static str {
        if self.database_url.expose().starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn smtp_is_off_by_default_and_its_url_is_checked() {
        let c = cfg(&[]).unwrap();
        assert!(c.smtp_url.is_none() && !c.mail_delivery("http://mce.test").unwrap().mails());
        let on = cfg(&[("MCE_SMTP_URL", "smtp://u:p@127.0.0.1:2525"), ("MCE_MAIL_FROM", "MCE <mce@example.com>")]).unwrap();
        assert!(on.mail_delivery("http://mce.test").unwrap().mails());
        assert!(!format!("{on:?}").contains("u:p@"), "the SMTP password never reaches a log");
        assert!(cfg(&[("MCE_SMTP_URL", "http://mail.test")]).is_err());
        let bad_from = cfg(&[("MCE_SMTP_URL", "smtp://127.0.0.1:2525"), ("MCE_MAIL_FROM", "nobody")]).unwrap();
        assert!(bad_from.mail_delivery("http://mce.test").is_err());
    }

    #[test]
    fn defaults_give_sqlite_in_the_data_directory() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url.expose(), "sqlite://data/mce.db");
        assert!(c.signup_enabled);
        assert_eq!(c.session_idle_minutes, 480);
        assert_eq!(c.session_max_hours, 72);
        assert_eq!(c.database_kind(), "sqlite");
    }

    #[test]
    fn a_postgres_url_selects_postgres() {
        let c = cfg(&[("DATABASE_URL", "postgres://u:pw@db/mce")]).unwrap();
        assert_eq!(c.database_kind(), "postgres");
    }

    #[test]
    fn the_database_url_never_appears_in_debug_output() {
        let c = cfg(&[("DATABASE_URL", "postgres://u:hunter2@db/mce")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        assert!(cfg(&[("MCE_SIGNUP_ENABLED", "maybe")]).unwrap_err().contains("MCE_SIGNUP_ENABLED"));
        assert!(cfg(&[("MCE_SESSION_IDLE_MINUTES", "0")]).unwrap_err().contains("MCE_SESSION_IDLE_MINUTES"));
        assert!(cfg(&[("MCE_SESSION_MAX_HOURS", "0")]).unwrap_err().contains("MCE_SESSION_MAX_HOURS"));
        assert_eq!(cfg(&[("MCE_SESSION_MAX_HOURS", "12")]).unwrap().session_max_hours, 12);
        assert!(cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err().contains("DATABASE_URL"));
        assert!(cfg(&[("MCE_ADDR", "nowhere")]).unwrap_err().contains("MCE_ADDR"));
    }

    #[test]
    fn whatsapp_settings_have_defaults_and_hide_secrets() {
        let c = cfg(&[("WHATSAPP_APP_SECRET", "s3cr3t-app"), ("WHATSAPP_API_BASE", "http://127.0.0.1:9/")]).unwrap();
        assert_eq!(c.whatsapp_api_version, "v23.0");
        assert_eq!(c.whatsapp_api_base, "http://127.0.0.1:9");
        assert_eq!(c.webhook_retention_days, 90);
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(cfg(&[("WHATSAPP_API_BASE", "ftp://x")]).is_err());
        assert!(cfg(&[("WHATSAPP_API_VERSION", "23")]).is_err());
    }

    #[test]
    fn private_fetches_are_refused_unless_the_operator_allows_them() {
        assert!(!cfg(&[]).unwrap().allow_private_fetch);
        assert!(cfg(&[("MCE_ALLOW_PRIVATE_FETCH", "true")]).unwrap().allow_private_fetch);
        assert!(cfg(&[("MCE_ALLOW_PRIVATE_FETCH", "sometimes")]).unwrap_err().contains("MCE_ALLOW_PRIVATE_FETCH"));
    }

    #[test]
    fn sign_up_can_be_switched_off() {
        assert!(!cfg(&[("MCE_SIGNUP_ENABLED", "false")]).unwrap().signup_enabled);
    }
}
