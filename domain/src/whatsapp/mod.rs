//! WhatsApp Cloud API wire types and the pure rules around them (Meta's Cloud API reference): the
//! webhook envelope and its inbound messages and statuses, and the monotone status merge.

pub mod media;
pub mod outbound;
pub mod rate;
pub mod status;
pub mod webhook;

pub use status::MessageStatus;
