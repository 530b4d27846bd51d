//! MCE's web app: Leptos pages and components by domain, and the server functions they
//! call (`api/`). Pages hold no business rules; server functions authorize the caller
//! and call one backend service each.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod pages;
pub mod root;
#[cfg(feature = "ssr")]
pub mod state;

pub use root::{shell, App};

/// The product version shown in the footer.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
