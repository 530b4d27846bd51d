//! The background send worker: runs due jobs, sleeps until the next one is due (at most
//! a second), wakes early when something is queued, and stops between jobs on shutdown,
//! so a send in progress always finishes.

use backend::clock::now_ms;
use backend::whatsapp::sender::Sender;
use backend::{jobs, Db};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Starts the worker; it ends when `stop` turns true.
pub fn spawn(sender: Arc<Sender>, db: Db, wakeup: Arc<Notify>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            match sender.run_due(now_ms()).await {
                Ok(Some(outcome)) => {
                    tracing::debug!(?outcome, "job done");
                    continue;
                }
                Ok(None) => {
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
