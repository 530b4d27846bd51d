//! Every job kind MCE has, with how the runner runs each, and the periodic system jobs
//! queued at start-up. The one place that names all the kinds.

use super::registry::{KindConfig, Registry};
use crate::error::Result;
use crate::Db;

/// Every kind MCE has, with the send job run by `send_workers` loops.
pub fn standard(send_workers: usize) -> Registry {
    whatsapp(send_workers)
        .register::<crate::conversations::inbound::HandleInbound>(KindConfig { batch: 16, ..Default::default() })
        // Two loops, and runs that yield every BUDGET_MS: one org's 100,000-row import
        // never holds back another org's.
        .register::<crate::contacts::import::RunImport>(KindConfig { concurrency: 2, lease_ms: super::run_import::LEASE_MS, ..Default::default() })
        .register::<super::poll_sheet::PollSheets>(KindConfig::default())
        .register::<crate::contacts::sheets::PollSource>(KindConfig { concurrency: super::poll_sheet::CONCURRENCY, ..Default::default() })
        .register::<super::prune::Prune>(KindConfig::default())
}

/// The WhatsApp kinds only: sends, read receipts and media downloads.
pub fn whatsapp(send_workers: usize) -> Registry {
    Registry::new()
        .register::<crate::whatsapp::outbound::SendMessage>(KindConfig {
            concurrency: send_workers.max(1),
            batch: super::send_message::BATCH,
            lease_ms: super::send_message::LEASE_MS,
            // The send job keeps its own retry policy; errors here are database ones.
            max_attempts: 20,
        })
        .register::<crate::whatsapp::outbound::MarkRead>(KindConfig { batch: 8, ..Default::default() })
        // Downloads (up to 100 MB each) have loops of their own so they never hold up sends.
        .register::<crate::whatsapp::media::DownloadMedia>(KindConfig { concurrency: 2, lease_ms: 10 * 60_000, ..Default::default() })
}

/// Queues the periodic system jobs (upkeep, sheet polling) unless they are queued
/// already. Called at start-up, before the runner starts.
pub async fn ensure_periodic(db: &Db, now: i64) -> Result<()> {
    super::prune::ensure(db, now).await?;
    super::poll_sheet::ensure(db, now).await
}
