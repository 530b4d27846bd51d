//! The `mce` server: configuration, the HTTP router (Leptos pages and server functions,
//! the REST API, health checks), CSRF protection, and the CLI sub-commands.

// Release builds keep Leptos's full view types (no `erase_components`): the shell's type
// is deep.
#![recursion_limit = "256"]

pub mod api_error;
pub mod attachments;
pub mod cli;
pub mod config;
pub mod contact_files;
pub mod csrf;
pub mod headers;
pub mod health;
pub mod lead_hooks;
pub mod live;
pub mod rest;
pub mod sandbox;
pub mod sandbox_templates;
pub mod signed_in;
pub mod upload;
pub mod web;
pub mod webhooks;
pub mod worker;
