//! The backend's integration tests, one module per area, linked into one test binary
//! (a binary per file would link the whole backend once each).

mod accounts;
mod contacts;
mod events;
mod import;
mod inbound;
mod inbox;
mod invitations;
mod jobs;
mod media;
mod onboarding;
mod reports;
mod roles;
mod schema;
mod security;
mod send_pipeline;
mod templates;
mod trust;
mod webhook_writer;
mod whatsapp_ingest;
