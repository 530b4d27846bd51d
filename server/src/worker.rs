//! Starts the one job runner (`backend::jobs`) with every kind MCE has: sends, read
//! receipts, media downloads, CSV imports, sheet polling and the periodic upkeep.

use crate::config::Config;
use app::state::AppState;
use backend::clock::now_ms;
use backend::jobs::{self, JobContext, Runner};
use backend::net::{FetchPolicy, SafeClient};
use std::sync::Arc;
use tokio::sync::watch;

/// Queues the periodic jobs and starts the runner; it ends when `stop` turns true and
/// every loop has finished the batch it was in.
pub async fn spawn(state: &AppState, config: &Config, stop: watch::Receiver<bool>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    jobs::kinds::ensure_periodic(&state.db, now_ms()).await.map_err(|e| anyhow::anyhow!(e.into_app_error().message))?;
    let mut ctx = JobContext::new(state.db.clone(), state.graph.clone(), state.cipher.clone()).with_sandbox(state.sandbox.graph.clone());
    ctx.events = state.events.clone();
    ctx.sheets = backend::contacts::sheets_api::SheetsClient::new(&config.sheets_api_base, safe_client(config)?)?;
    ctx.webhook_retention_ms = config.webhook_retention_days * 24 * 3600 * 1000;
    ctx.session_max_age_ms = config.session_max_hours * 3600 * 1000;
    ctx.stop = stop;
    ctx.wakeups = state.wakeups.clone();
    let runner = Runner::new(ctx, jobs::kinds::standard(config.send_workers.max(1) as usize));
    Ok(Arc::new(runner).spawn())
}

/// The client for URLs that tenants choose, under the operator's `MCE_ALLOW_PRIVATE_FETCH`.
fn safe_client(config: &Config) -> anyhow::Result<SafeClient> {
    if config.allow_private_fetch {
        tracing::warn!("MCE_ALLOW_PRIVATE_FETCH is on: URLs that tenants choose may reach private addresses (tests and development only)");
    }
    SafeClient::new(FetchPolicy::new(config.allow_private_fetch))
}
