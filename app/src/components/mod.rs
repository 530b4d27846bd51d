//! Building blocks shared by pages: the app shell, form helpers, hydration state.

pub mod format;
pub mod forms;
pub mod hydration;
pub mod icons;
pub mod layout;
pub mod live;
pub mod upload;
