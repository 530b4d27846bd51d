//! The WhatsApp Cloud channel: business numbers, webhook signature checks, and applying
//! webhook payloads (inbound messages, statuses, account events) to the database.

pub mod graph;
pub mod ingest;
pub mod media;
pub mod numbers;
pub mod outbound;
pub mod pacing;
pub mod sandbox;
pub mod sandbox_templates;
pub mod sender;
pub mod signature;
pub mod status_batch;
pub mod webhook_writer;
