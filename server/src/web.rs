//! The HTTP side of `mce serve`: the router with every layer, background upkeep, and
//! serving with graceful shutdown.

use crate::config::Config;
use crate::csrf::{self, CsrfSettings};
use crate::{health, rest, sandbox, sandbox_templates, webhooks};
use app::state::{AppState, AuthSettings, WhatsAppSettings};
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backend::secrets::Cipher;
use backend::session_store::DbSessionStore;
use backend::Db;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Largest request body accepted by the web app and the API (uploads get their own limits).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the state shared by handlers and server functions.
/// `public_url` is where this server is reached (the sandbox simulator calls itself there).
pub fn app_state(leptos_options: LeptosOptions, db: Db, config: &Config, cipher: Cipher, public_url: &str) -> anyhow::Result<AppState> {
    let graph = backend::whatsapp::graph::GraphClient::new(&config.whatsapp_api_base, &config.whatsapp_api_version)?;
    let sandbox_graph = backend::whatsapp::graph::GraphClient::new(&format!("{public_url}/sandbox/graph"), &config.whatsapp_api_version)?;
    let ingest = backend::whatsapp::webhook_writer::WebhookWriter::spawn(db.clone(), Default::default());
    Ok(AppState {
        leptos_options,
        db,
        auth: Arc::new(AuthSettings {
            signup_enabled: config.signup_enabled,
            login_limits: config.login_limits,
            trust_proxy: config.trust_proxy,
            delivery: config.mail_delivery(public_url).map_err(|e| anyhow::anyhow!(e))?,
            session_max_age_ms: config.session_max_hours * 3600 * 1000,
        }),
        whatsapp: Arc::new(WhatsAppSettings {
            app_secret: config.whatsapp_app_secret.as_ref().map(|s| s.expose().clone()),
            verify_token: config.whatsapp_verify_token.as_ref().map(|s| s.expose().clone()),
            api_version: config.whatsapp_api_version.clone(),
            api_base: config.whatsapp_api_base.clone(),
        }),
        cipher,
        graph: Arc::new(graph),
        wakeups: Arc::new(backend::jobs::Wakeups::default()),
        events: backend::events::Hub::new(4096),
        ingest,
        sandbox: Arc::new(app::state::SandboxSettings {
            public_url: public_url.to_owned(),
            step_ms: config.sandbox_step_ms as u64,
            graph: Arc::new(sandbox_graph),
        }),
    })
}

/// The app's page routes, generated once per process. Generating them runs the app with
/// a process-wide "suppress resource loads" flag (leptos_server's `SuppressResourceLoad`);
/// a page render whose resource first polls while another router is being built would
/// wait forever (leptos issue #4773). Building every router from one list avoids that
/// (it bit the test suite, which builds a router per test in parallel).
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Compression for the static files (the app's WASM is about 2 MB, 0.6 MB as brotli).
/// Level 5: brotli 11 would save another 15 % but takes seconds per request on a small
/// machine. Only the static files: pages stream as they render and `/events` must reach
/// the browser event by event, so neither goes through an encoder that buffers.
fn static_compression() -> CompressionLayer {
    CompressionLayer::new().quality(CompressionLevel::Precise(5))
}

/// Answers a panic in any handler or layer as `500 INTERNAL_001` in the REST API's error
/// shape (`{"code": "INTERNAL_001", "message": …}`) instead of dropping the connection.
/// The log line has the panic's message only: no method, path, headers or body, which may
/// carry personal data.
pub fn catch_panics() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(answer_panic as fn(Box<dyn Any + Send + 'static>) -> Response)
}

fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("(not a string)");
    tracing::error!(panic = %message, "a request panicked; answered 500 INTERNAL_001");
    rest::ApiError(domain::AppError::internal()).into_response()
}

/// What a request's log line names: the route's pattern (`/api/hooks/{source_key}`) when
/// one matched, never the secret parts of the path; static files and unknown paths by
/// their path, cut before anything that looks like a token.
pub fn logged_route<B>(req: &axum::http::Request<B>) -> String {
    if let Some(m) = req.extensions().get::<axum::extract::MatchedPath>() {
        return m.as_str().to_owned();
    }
    let path = req.uri().path();
    // Unmatched paths under these prefixes are the secret-carrying routes' siblings.
    for secret in ["/api/hooks/", "/invite", "/reset-password", "/verify"] {
        if path.starts_with(secret) {
            return format!("{secret}…");
        }
    }
    path.chars().take(120).collect()
}

/// The whole router: pages, server functions, REST API, probes and static files.
pub fn router(state: AppState, config: &Config) -> Router {
    let routes = route_list();
    let store = DbSessionStore::new(state.db.clone()).with_max_age_ms(state.auth.session_max_age_ms);
    let sessions = SessionManagerLayer::new(store)
        .with_name("mce_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(config.session_idle_minutes)));
    let csrf_settings = CsrfSettings { secure_cookies: config.secure_cookies, cipher: state.cipher.clone() };
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/events", get(crate::live::events))
        .route("/media/{id}", get(rest::media::for_member))
        .route(
            "/api/hooks/{source_key}",
            axum::routing::post(crate::lead_hooks::receive).layer(DefaultBodyLimit::max(backend::contacts::sources::MAX_HOOK_BYTES + 1)),
        )
        .route("/contacts/import", axum::routing::post(crate::contact_files::upload).layer(DefaultBodyLimit::max(crate::contact_files::MAX_UPLOAD_BODY)))
        .route("/contacts/imports/{id}/errors.csv", get(crate::contact_files::errors))
        .route("/contacts/export.csv", get(crate::contact_files::export_csv))
        .route(
            "/inbox/{conversation_id}/attachments",
            axum::routing::post(crate::attachments::send).layer(DefaultBodyLimit::max(domain::whatsapp::media::MAX_UPLOAD_BODY_BYTES)),
        )
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", rest::router())
        .route("/sandbox/graph/{version}/{id}", get(sandbox::get_object).delete(sandbox::delete_object).post(sandbox_templates::edit))
        .route(
            "/sandbox/graph/{version}/{waba}/message_templates",
            get(sandbox_templates::list).post(sandbox_templates::create).delete(sandbox_templates::delete),
        )
        .route("/sandbox/graph/{version}/{pnid}/messages", axum::routing::post(sandbox::messages))
        .route(
            "/sandbox/graph/{version}/{pnid}/media",
            axum::routing::post(sandbox::upload_media).layer(DefaultBodyLimit::max(domain::whatsapp::media::MAX_UPLOAD_BODY_BYTES)),
        )
        .route("/sandbox/media/{id}", get(sandbox::download_media))
        .route("/sandbox/phone/media/{id}", get(sandbox::phone_media))
        .route("/webhooks/whatsapp", get(webhooks::verify).post(webhooks::receive).layer(DefaultBodyLimit::max(webhooks::MAX_WEBHOOK_BYTES)))
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell).layer(static_compression()))
        .layer(axum::middleware::from_fn_with_state(csrf_settings, csrf::guard))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(crate::headers::HeaderSettings { https: config.secure_cookies }, crate::headers::add))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Method and route only: query strings and bodies may carry personal data, and
            // some paths carry secrets (a lead source's key, an invitation's token).
            tracing::info_span!("http", method = %req.method(), route = %logged_route(req), org_id = tracing::field::Empty)
        }))
        // Outermost, so a panic in any layer inside is caught too.
        .layer(catch_panics())
        .with_state(state)
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting, lets in-flight requests finish,
/// and closes the database.
pub async fn serve(router: Router, state: &AppState, addr: SocketAddr, config: &Config) -> anyhow::Result<()> {
    let db = state.db.clone();
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, "listening");
    println!("MCE is running at http://{addr}");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let hub = state.events.spawn(db.clone(), stop_rx.clone());
    let runner = crate::worker::spawn(state, config, stop_rx.clone()).await?;
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown({
            // Event streams never end by themselves: close them, or the shutdown would
            // wait for every open browser tab.
            let hub = state.events.clone();
            async move {
                shutdown_signal().await;
                hub.close();
            }
        })
        .await?;
    // Let the jobs that are running finish (an import stops between batches), then stop.
    let _ = stop_tx.send(true);
    if tokio::time::timeout(Duration::from_secs(30), runner).await.is_err() {
        tracing::warn!("the job runner did not stop within 30 s");
    }
    let _ = hub.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
