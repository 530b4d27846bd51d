//! `mce`: the MCE server and its command line.

use clap::Parser;
use leptos::prelude::*;
use server::cli::{self, AdminCommand, ApiKeyCommand, Cli, Command};
use server::config::{Config, LogFormat};
use server::web;

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

fn leptos_options() -> LeptosOptions {
    // Leptos.toml in the working directory, overridden by LEPTOS_* variables; without the
    // file, the variables and the values cargo-leptos compiled in.
    let conf = if std::path::Path::new("Leptos.toml").exists() { get_configuration(Some("Leptos.toml")) } else { get_configuration(None) };
    match conf {
        Ok(c) => c.leptos_options,
        Err(e) => {
            tracing::warn!(error = %e, "no Leptos configuration; using defaults");
            LeptosOptions::builder().output_name("mce").build()
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    match run(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, mut config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            tracing::info!(database = config.database_kind(), version = env!("CARGO_PKG_VERSION"), "starting MCE");
            let db = cli::open_db(&config).await?;
            let cipher = cli::load_cipher(&config)?;
            // Tokens stored before they were bound to their rows (AES-GCM associated data).
            let resealed = backend::whatsapp::numbers::reseal_tokens(&db, &cipher).await.map_err(cli::svc)?;
            if resealed > 0 {
                tracing::info!(resealed, "access tokens sealed to their numbers");
            }
            config.whatsapp_app_secret = Some(server::config::Secret::new(cli::load_app_secret(&config)?));
            if demo || config.demo {
                cli::ensure_demo(&db, &cipher).await?;
                println!("Demo login: {} / {}", cli::DEMO_EMAIL, cli::DEMO_PASSWORD);
            }
            let options = leptos_options();
            let addr = config.addr.unwrap_or(options.site_addr);
            let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
            let state = web::app_state(options, db, &config, cipher, &public_url)?;
            web::serve(web::router(state.clone(), &config), &state, addr, &config).await
        }
        Command::Migrate => {
            cli::open_db(&config).await?;
            println!("migrations applied ({})", config.database_kind());
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { email, password, org, name, super_admin } } => {
            let db = cli::open_db(&config).await?;
            let password = cli::password_or_stdin(password)?;
            let r = cli::admin_create(&db, &email, &password, &org, name.as_deref(), super_admin).await?;
            println!("member_id={}", r.user_id);
            println!("org_id={}", r.org_id);
            if !r.user_created {
                eprintln!("note: {email} already had an account; its password was not changed");
            }
            Ok(())
        }
        Command::Admin { command: AdminCommand::Invite { org, email, role } } => {
            let db = cli::open_db(&config).await?;
            let created = cli::admin_invite(&db, &config, &org, &email, &role).await?;
            println!("invitation_id={}", created.invitation.id);
            println!("link={}", created.link.unwrap_or_default());
            if created.emailed {
                eprintln!("The invitation was also mailed to {email}.");
            }
            eprintln!("The link works once, for 7 days; pass it to {email} only.");
            Ok(())
        }
        Command::Admin { command: AdminCommand::ResetPassword { email } } => {
            let db = cli::open_db(&config).await?;
            let link = cli::admin_reset_password(&db, &config, &email).await?;
            println!("link={link}");
            eprintln!("The link works once, for 1 hour; pass it to the account's holder only.");
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::Revoke { key } } => {
            let db = cli::open_db(&config).await?;
            let id = cli::api_key_revoke(&db, &key).await?;
            println!("revoked api_key_id={id}");
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::Create { org, name, role, expires_in_days } } => {
            let db = cli::open_db(&config).await?;
            let key = cli::api_key_create(&db, &org, &name, &role, expires_in_days).await?;
            println!("api_key_id={}", key.id);
            println!("api_key={}", key.secret);
            eprintln!("Store this key now: it is shown only once.");
            Ok(())
        }
    }
}
