//! `download_media`: fetches one inbound file from Meta and stores it
//! (`whatsapp::media::download`), retried with the Graph API's backoff.

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::error::Result;
use crate::whatsapp::media::{self, DownloadMedia, DownloadOutcome};
use crate::whatsapp::pacing::Outcome;
use async_trait::async_trait;

#[async_trait]
impl Job for DownloadMedia {
    const KIND: &'static str = "download_media";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let got = media::download(&ctx.db, ctx.graph.as_ref(), ctx.sandbox_graph.as_ref(), &ctx.cipher, &self.media_id, attempt.number, attempt.now).await?;
        Ok(match got {
            DownloadOutcome::Stored => Done::with(Step::Done, Outcome::Accepted),
            DownloadOutcome::Retrying { at, reason } => Done::with(Step::Retry { at, error: reason }, Outcome::Retrying { code: None, at }),
            // The reason is on the file; the message itself is never lost.
            DownloadOutcome::Failed { .. } => Done::with(Step::Done, Outcome::Failed { code: None }),
        })
    }
}
