//! The server's integration tests, one module per area, linked into one test binary
//! (a binary per file would link the whole app once each). `common` is the harness.

mod cli;
mod common;

mod accounts;
mod contact_filters;
mod headers;
mod inbox;
mod lead_hooks;
mod live;
mod media;
mod panics;
mod rest_contacts;
mod rest_whatsapp;
mod sandbox;
mod sandbox_templates;
mod security;
mod sheets;
mod static_files;
mod system;
mod web;
mod webhooks;
