//! The app's pages, one module per page or page group.

pub mod accounts;
pub mod contact;
pub mod contact_import;
pub mod contacts;
pub mod home;
pub mod inbox;
pub mod inbox_shortcuts;
pub mod login;
pub mod not_found;
pub mod reports;
pub mod sandbox;
pub mod settings;
pub mod signup;
pub mod two_factor_setup;
