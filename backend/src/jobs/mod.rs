//! Durable background work (ARCHITECTURE.md "Background jobs"; shaped like crates.io's worker).
//!
//! A job is a type with a kind name and a serialisable payload ([`Job`]); its `run` says
//! what happens next ([`Step`]): done, run again later, retry after a failure, or give
//! up (dead, kept for an admin). Jobs are enqueued in the transaction of the change that
//! needs them ([`enqueue_in`]), so a committed change always has its job.
//!
//! - [`queue`]: the SQL — enqueue, the fair claim with a lease, settling steps, stats.
//! - [`registry`]: which kinds exist and how each runs (concurrency, batch, lease).
//! - [`runner`]: the one loop per kind that claims, runs (panics caught) and settles.
//! - one file per kind: [`send_message`], [`mark_read`], [`download_media`],
//!   [`handle_inbound`], [`run_import`], [`poll_sheet`], [`prune`]; [`kinds`] lists them.
//!
//! Layers, bottom up, so no service and no kind is ever imported by the machinery:
//! [`job`] (the trait, the steps, the context) and [`queue`]; then [`registry`] and
//! [`runner`], which run any kind; then the kinds, each `impl Job` for a payload the
//! service that queues it owns (the service imports only `job` and `queue`); then
//! [`kinds`]. A new job kind is a payload type in its service, a file here with its
//! `Job` impl, and a line in [`kinds::standard`].

pub mod admin;
pub mod download_media;
pub mod handle_inbound;
pub mod job;
pub mod kinds;
pub mod mark_read;
pub mod poll_sheet;
pub mod prune;
pub mod queue;
pub mod registry;
pub mod run_import;
pub mod runner;
pub mod send_message;

pub use job::{Attempt, Clock, Done, Job, JobContext, Step, Wakeups};
pub use queue::{enqueue_in, ensure_system, Claimed, KindStats};
pub use registry::{KindConfig, Registry};
pub use runner::{Ran, Runner};
