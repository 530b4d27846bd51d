//! Message templates (TPL): ours are kept per WhatsApp business account (the WABA of a
//! number; the numbers of one WABA share its templates) and mirror Meta's.
//!
//! - [`model`] the row, the view and the history lines;
//! - [`review`] Meta's template webhooks: status, category, quality, components;
//! - [`quarantine`] the org's *campaign categories* policy and the quarantine it drives.
//!
//! Still to come (issue 14, next steps): drafts and submission at Meta, sync, sending by
//! template id, per-template figures.

pub mod model;
pub mod quarantine;
pub mod review;

pub use model::{get, list, ListQuery};

use crate::whatsapp::graph::WhatsAppApi;

/// The Graph API clients a template call may need: Meta's for real numbers, the
/// simulator's for sandbox numbers.
#[derive(Clone, Copy)]
pub struct Apis<'a> {
    pub graph: &'a dyn WhatsAppApi,
    pub sandbox: &'a dyn WhatsAppApi,
}

impl<'a> Apis<'a> {
    /// Both kinds of number through one client (tests).
    pub fn one(api: &'a dyn WhatsAppApi) -> Self {
        Self { graph: api, sandbox: api }
    }

    /// The client for a number.
    pub fn for_number(&self, is_sandbox: bool) -> &'a dyn WhatsAppApi {
        if is_sandbox {
            self.sandbox
        } else {
            self.graph
        }
    }
}
