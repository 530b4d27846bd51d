//! The UI kit shared by every page (documented in ARCHITECTURE.md): buttons, fields,
//! pickers, date-time inputs, tables, tabs, feedback (badges, empty states, skeletons,
//! toasts, progress), overlays (modal, drawer, confirm), the phone frame, icons, plus
//! the app shell, hydration helpers and live updates.

pub mod button;
pub mod chart;
pub mod datetime;
pub mod feedback;
pub mod field;
pub mod format;
pub mod forms;
pub mod hydration;
pub mod icons;
pub mod layout;
pub mod live;
pub mod overlay;
pub mod phone;
pub mod picker;
pub mod table;
pub mod tabs;
pub mod upload;
