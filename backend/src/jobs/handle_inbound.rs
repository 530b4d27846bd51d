//! `handle_inbound`: runs the consumers of an inbound message
//! (`conversations::inbound::handle`), queued by ingest in the webhook's transaction.

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::conversations::inbound::{self, HandleInbound};
use crate::error::Result;
use async_trait::async_trait;

#[async_trait]
impl Job for HandleInbound {
    const KIND: &'static str = "handle_inbound";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        inbound::handle(&ctx.db, &self.0, attempt.now).await?;
        // A consumer may have queued a reply (consent keywords) or changed the chat.
        ctx.wakeups.wake::<crate::whatsapp::outbound::SendMessage>();
        ctx.events.wake();
        Ok(Done::step(Step::Done))
    }

    /// One after another, in the order they arrived: two messages of one chat must not
    /// both route it.
    async fn run_batch(jobs: Vec<(Self, Attempt)>, ctx: &JobContext) -> Vec<Result<Done>> {
        let mut out = Vec::with_capacity(jobs.len());
        for (job, attempt) in jobs {
            out.push(job.run(ctx, &attempt).await);
        }
        out
    }
}
