//! The background send worker: runs due jobs in batches, sleeps until the next one is due (at most
//! a second), wakes early when something is queued, and stops between jobs on shutdown,
//! so a send in progress always finishes.

use backend::clock::now_ms;
use backend::whatsapp::sender::Sender;
use backend::{jobs, Db};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Jobs claimed per round: their Graph API calls overlap and their bookkeeping shares
/// commits. Small enough that a shutdown waits for at most one short batch.
pub const BATCH: usize = 32;

/// Starts the worker; it ends when `stop` turns true.
pub fn spawn(sender: Arc<Sender>, db: Db, wakeup: Arc<Notify>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            match sender.run_batch(now_ms(), BATCH).await {
                Ok(outcomes) if !outcomes.is_empty() => {
                    tracing::debug!(jobs = outcomes.len(), "batch done");
                    continue;
                }
                Ok(_) => {
                    let next = jobs::next_due(&db).await.ok().flatten();
                    let ms = next.map(|t| (t - now_ms()).clamp(5, 1000)).unwrap_or(1000) as u64;
                    tokio::select! {
                        _ = wakeup.notified() => {}
                        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    let _ = e.into_app_error();
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
        tracing::info!("send worker stopped");
    })
}

/// Runs CSV imports one at a time: checks for a queued import twice a second, and
/// resumes one whose runner stopped once its lease has expired. (It does not share the
/// send workers' wake-up: a notification meant for a send must not be spent here.)
pub fn spawn_imports(db: Db, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            match backend::contacts::import::run_next(&db, now_ms()).await {
                Ok(Some(id)) => {
                    tracing::info!(import_id = %id, "contact import finished");
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.into_app_error().message, "contact import runner failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => {}
            }
        }
    })
}

/// Polls Google Sheets lead sources whose time has come, checking every second.
pub fn spawn_sheets(
    db: Db,
    cipher: backend::secrets::Cipher,
    client: backend::contacts::sheets::SheetsClient,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            if let Err(e) = backend::contacts::sheets::poll_due(&db, &cipher, &client, now_ms()).await {
                tracing::warn!(error = %e.into_app_error().message, "polling sheet lead sources failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    })
}
