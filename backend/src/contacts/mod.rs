//! Contacts (CRM-1…6) and the ways leads arrive (INGEST-1…5). A contact is one per E.164
//! phone per org whichever way it arrived: WhatsApp, the app, the REST API, a CSV file,
//! a form webhook or a Google Sheet. Every way in goes through [`store::apply_leads`],
//! so deduplication, the timeline, scoring and the "contact created" event are the same
//! for all of them. What the files share — the writer [`model::Who`], the batch size,
//! the settings type, the contact-belongs-to-the-org check — is in [`model`], which
//! imports none of them, so they stand in layers.

pub mod activity;
pub mod consent;
pub mod edit;
pub mod export;
pub mod fields;
pub mod filters;
pub mod import;
pub mod model;
pub mod notes;
pub mod scoring;
pub mod search;
pub mod sender;
pub mod settings;
pub mod sheets;
pub mod sheets_api;
pub mod sources;
pub mod store;
pub mod tags;
pub mod views;

pub(crate) use sender::upsert_whatsapp_sender;
pub use sender::WhatsAppSender;
