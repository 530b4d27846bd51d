//! `mark_read`: tells WhatsApp an inbound message was read (the customer's blue ticks).
//! Retried on retryable errors like a send; dropped otherwise (a missing blue tick is
//! not worth an alarm).

use super::job::{Attempt, Done, Job, JobContext, Step};
use crate::db::rows::Flag;
use crate::error::Result;
use crate::whatsapp::graph::GraphError;
use crate::whatsapp::outbound::MarkRead;
use crate::whatsapp::pacing::Outcome;
use async_trait::async_trait;
use domain::NumberId;

#[async_trait]
impl Job for MarkRead {
    const KIND: &'static str = "mark_read";

    async fn run(self, ctx: &JobContext, attempt: &Attempt) -> Result<Done> {
        let number = NumberId::from_string(self.number_id.clone());
        let row: Option<(String, Flag, Flag)> = sqlx::query_as("SELECT phone_number_id, active, is_sandbox FROM wa_numbers WHERE id = $1")
            .bind(number.as_str())
            .fetch_optional(ctx.db.pool())
            .await?;
        let Some((phone_number_id, _, is_sandbox)) = row.filter(|(_, active, _)| active.0) else {
            return Ok(Done::with(Step::Done, Outcome::Skipped));
        };
        let token = crate::whatsapp::numbers::access_token(&ctx.db, &ctx.cipher, &number).await?;
        let body = serde_json::json!({ "messaging_product": "whatsapp", "status": "read", "message_id": self.wa_message_id });
        match ctx.graph_for(is_sandbox.0).send_message(&token, &phone_number_id, &body).await {
            Ok(_) => Ok(Done::with(Step::Done, Outcome::Accepted)),
            Err(e) => {
                let code = e.code();
                match GraphError::retry_delay(attempt.number.max(1)).filter(|_| e.is_retryable()) {
                    Some(delay) => {
                        Ok(Done::with(Step::Retry { at: attempt.now + delay, error: e.to_string() }, Outcome::Retrying { code, at: attempt.now + delay }))
                    }
                    None => Ok(Done::with(Step::Dead { error: e.to_string() }, Outcome::Failed { code })),
                }
            }
        }
    }
}
