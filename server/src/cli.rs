//! The `mce` command line: `serve` (default), `migrate`, `admin create`, `admin invite`,
//! `admin reset-password`, `api-key create`.

use crate::config::Config;
use backend::{api_keys, auth, members, orgs, Db};
use clap::{Parser, Subcommand};
use domain::{CountryCode, EmailAddress, OrgId, OrgName, Password, PersonName, Role, TimeZoneName};

/// MCE: WhatsApp-first lead engagement CRM.
#[derive(Debug, Parser)]
#[command(name = "mce", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server, API, webhooks and workers (applies migrations first).
    Serve {
        /// Create the demo org and login if missing, and print the login.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage people who administer orgs.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin (or make an existing person one) in an org, creating the org if
    /// no org has that name. Prints the member's and the org's ids.
    Create {
        #[arg(long)]
        email: String,
        /// The password; without it, the first line of standard input is read (so it
        /// stays out of the shell's history and the process list).
        #[arg(long)]
        password: Option<String>,
        /// The org's name.
        #[arg(long)]
        org: String,
        /// The person's display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Also make the person a super admin, who can act in every org.
        #[arg(long)]
        super_admin: bool,
    },
    /// Invite an e-mail address to an org with a role and print the invitation link
    /// (also mailed when MCE_SMTP_URL is set). The link is built on MCE_PUBLIC_URL.
    Invite {
        /// The org's id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin, manager, agent or viewer.
        #[arg(long)]
        role: String,
    },
    /// Print a single-use, 1-hour password-reset link for an account (built on
    /// MCE_PUBLIC_URL).
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for an org and print it once (only its hash is stored).
    Create {
        /// The org's id.
        #[arg(long)]
        org: String,
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// What the key may do: admin (default), agent or viewer.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Days until the key stops working (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Revoke a key: requests with it get 401 from then on.
    Revoke {
        /// The key's id (`api_key_id=` at creation), its 12-character prefix as Settings
        /// shows it, or the key itself.
        key: String,
    },
}

/// The password of `admin create`: the option, or the first line of standard input.
pub fn password_or_stdin(given: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("Password (it will be shown as you type; pipe it in to avoid that): ");
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password: give --password or write it on standard input");
    }
    Ok(password)
}

/// What `admin create` did.
#[derive(Debug)]
pub struct AdminCreated {
    pub user_id: domain::UserId,
    pub org_id: OrgId,
    pub org_created: bool,
    pub user_created: bool,
}

/// `mce admin create`: the org is found by name or created (its creator becomes owner);
/// the person is created, or an existing account is added (its password is not changed).
pub async fn admin_create(db: &Db, email: &str, password: &str, org: &str, name: Option<&str>, super_admin: bool) -> anyhow::Result<AdminCreated> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let password = Password::parse_new(password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
    let org_name = OrgName::parse(org).map_err(|e| anyhow::anyhow!("--org: {e}"))?;
    let person = PersonName::parse(name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("Admin"))).map_err(|e| anyhow::anyhow!("--name: {e}"))?;

    let (org_id, org_created) = match orgs::find_by_name(db, &org_name).await.map_err(svc)? {
        Some(id) => (id, false),
        None => (orgs::create(db, &org_name, &TimeZoneName::utc(), CountryCode::parse("US")?).await.map_err(svc)?, true),
    };
    let (user, user_created) = match auth::find_user_by_email(db, &email).await.map_err(svc)? {
        Some(u) => (u, false),
        None => (auth::create_user(db, &email, &person, &password, super_admin).await.map_err(svc)?, true),
    };
    if super_admin && !user.is_super_admin {
        auth::set_super_admin(db, &user.id, true).await.map_err(svc)?;
    }
    let role = if org_created { Role::Owner } else { Role::Admin };
    members::add_unchecked(db, &org_id, &user.id, role).await.map_err(svc)?;
    Ok(AdminCreated { user_id: user.id, org_id, org_created, user_created })
}

/// The base URL that printed links start with: `MCE_PUBLIC_URL`, or the listen address.
pub fn public_url(config: &Config) -> String {
    config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.addr.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:3000".into())))
}

/// `mce admin invite`: invites `email` to the org as `role` (the operator acts with
/// owner powers) and returns the link.
pub async fn admin_invite(db: &Db, config: &Config, org: &str, email: &str, role: &str) -> anyhow::Result<domain::dto::InvitationCreated> {
    let org = OrgId::from_string(org.trim());
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role must be owner, admin, manager, agent or viewer"))?;
    if !orgs::exists(db, &org).await.map_err(svc)? {
        anyhow::bail!("--org: no organisation has the id {org}");
    }
    let delivery = config.mail_delivery(&public_url(config)).map_err(|e| anyhow::anyhow!(e))?;
    let operator = auth::Actor { org_id: org, role: Role::Owner, principal: auth::Principal::System("cli"), is_super_admin: false };
    backend::invitations::create(db, &delivery, &operator, &email, role).await.map_err(svc)
}

/// `mce admin reset-password`: a reset link for the account of `email`.
pub async fn admin_reset_password(db: &Db, config: &Config, email: &str) -> anyhow::Result<String> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let delivery = backend::mail::Delivery::without_mail(&public_url(config));
    backend::accounts::reset_link_for(db, &delivery, &email).await.map_err(svc)
}

/// `mce api-key create`.
pub async fn api_key_create(db: &Db, org: &str, name: &str, role: &str, expires_in_days: Option<u32>) -> anyhow::Result<api_keys::CreatedKey> {
    let role = domain::Role::parse(role.trim()).ok_or_else(|| anyhow::anyhow!("--role: admin, agent or viewer"))?;
    let expires_at = expires_in_days.map(|d| backend::clock::now_ms() + i64::from(d) * 86_400_000);
    let new = api_keys::NewKey { name: name.to_owned(), role, expires_at };
    api_keys::create_with(db, &OrgId::from_string(org.trim()), &new, None).await.map_err(svc)
}

/// `mce api-key revoke KEY`: by id, prefix or the key itself. Returns the key's id.
pub async fn api_key_revoke(db: &Db, key: &str) -> anyhow::Result<domain::ApiKeyId> {
    let (org, id) = api_keys::find_for_operator(db, key).await.map_err(svc)?;
    api_keys::revoke_in_org(db, &org, &id).await.map_err(svc)?;
    Ok(id)
}

/// The demo login created by `serve --demo` (or `MCE_DEMO=true`).
pub const DEMO_EMAIL: &str = "demo@mce.local";
/// The demo password.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The demo org's name.
pub const DEMO_ORG: &str = "Demo Org";

/// Creates the demo org, its sandbox number and the demo login when missing.
pub async fn ensure_demo(db: &Db, cipher: &backend::secrets::Cipher) -> anyhow::Result<()> {
    let created = admin_create(db, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ORG, Some("Demo Admin"), false).await?;
    if created.org_created {
        let update = orgs::ProfileUpdate {
            name: OrgName::parse(DEMO_ORG)?,
            time_zone: TimeZoneName::parse("Asia/Kolkata")?,
            default_country: CountryCode::parse("IN")?,
        };
        let actor = auth::actor_for(db, &created.user_id, &created.org_id).await.map_err(svc)?;
        orgs::update_profile(db, &actor, &update).await.map_err(svc)?;
    }
    backend::whatsapp::sandbox::ensure_number(db, cipher, &backend::auth::Actor::system(&created.org_id, "setup")).await.map_err(svc)?;
    Ok(())
}

/// A service error as the CLI prints it (its message only).
pub fn svc(e: backend::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.into_app_error().message)
}

/// Opens and migrates the configured database.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    if config.database_kind() == "sqlite" {
        if let Some(path) = config.database_url.expose().strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p)) {
            if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    let db = Db::connect(config.database_url.expose()).await?;
    db.migrate().await?;
    Ok(db)
}

/// The cipher for credentials: from `MCE_ENCRYPTION_KEY`, or (development) from
/// `<data dir>/encryption.key`, generated on first use with a warning. Losing that file
/// makes stored tokens unreadable; production sets the variable.
pub fn load_cipher(config: &Config) -> anyhow::Result<backend::secrets::Cipher> {
    use backend::secrets::Cipher;
    if let Some(key) = &config.encryption_key {
        return Cipher::from_key_text(key.expose()).map_err(|e| anyhow::anyhow!(e));
    }
    let path = config.data_dir.join("encryption.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Cipher::from_key_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let key = Cipher::generate_key_text();
    write_private(&path, &key)?;
    tracing::warn!(path = %path.display(), "MCE_ENCRYPTION_KEY is not set: generated a key file for development; set the variable in production");
    Cipher::from_key_text(&key).map_err(|e| anyhow::anyhow!(e))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

/// The webhook app secret: `WHATSAPP_APP_SECRET`, or (development) one generated once into
/// `<data dir>/whatsapp_app_secret` with a warning, so the sandbox number's signed
/// webhooks work out of the box. Real Meta webhooks need the real secret set.
pub fn load_app_secret(config: &Config) -> anyhow::Result<String> {
    if let Some(s) = &config.whatsapp_app_secret {
        return Ok(s.expose().clone());
    }
    let path = config.data_dir.join("whatsapp_app_secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(text.trim().to_owned());
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let secret = backend::secrets::Cipher::generate_key_text();
    write_private(&path, &secret)?;
    tracing::warn!(path = %path.display(), "WHATSAPP_APP_SECRET is not set: generated one for the sandbox; set Meta's app secret to receive real webhooks");
    Ok(secret)
}
