//! The product's icons: inline SVG from Lucide (ISC licence, lucide-static 1.62.0), so
//! they look the same on every platform and need no emoji font (issue 13). Decorative
//! by default (`aria-hidden`); give `label` when the icon is the only content of a
//! control, or name the control itself.

use leptos::prelude::*;

/// Which icon. Add one by copying the inner elements of its file from lucide-static.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconName {
    /// Lucide `house`.
    Home,
    /// Lucide `inbox`.
    Inbox,
    /// Lucide `users`.
    Contacts,
    /// Lucide `smartphone`.
    Phone,
    /// Lucide `settings`.
    Settings,
    /// Lucide `bell`.
    Bell,
    /// Lucide `sun-moon`.
    Theme,
    /// Lucide `arrow-left`.
    Back,
    /// Lucide `paperclip`.
    Attach,
    /// Lucide `clock`.
    Pending,
    /// Lucide `check`.
    Sent,
    /// Lucide `check-check`.
    Delivered,
    /// Lucide `circle-alert`.
    Alert,
    /// Lucide `send`.
    Send,
    /// Lucide `sticky-note`.
    Note,
    /// Lucide `file-text`.
    Template,
    /// Lucide `message-square-text`.
    Canned,
    /// Lucide `plus`.
    Plus,
    /// Lucide `trash-2`.
    Trash,
    /// Lucide `x`.
    Close,
    /// Lucide `search`.
    Search,
    /// Lucide `chevron-up`.
    ChevronUp,
    /// Lucide `chevron-down`.
    ChevronDown,
    /// Lucide `chevrons-up-down`.
    ChevronsUpDown,
    /// Lucide `chevron-left`.
    ChevronLeft,
    /// Lucide `chevron-right`.
    ChevronRight,
    /// Lucide `funnel`.
    Filter,
    /// Lucide `tag`.
    Tag,
    /// Lucide `user-plus`.
    UserPlus,
    /// Lucide `chart-column`.
    Reports,
}

impl IconName {
    /// The SVG elements inside the 24 × 24 view box.
    fn body(self) -> &'static str {
        match self {
            IconName::Home => {
                r#"<path d="M15 21v-8a1 1 0 0 0-1-1h-4a1 1 0 0 0-1 1v8"/> <path d="M3 10a2 2 0 0 1 .709-1.528l7-6a2 2 0 0 1 2.582 0l7 6A2 2 0 0 1 21 10v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>"#
            }
            IconName::Inbox => {
                r#"<polyline points="22 12 16 12 14 15 10 15 8 12 2 12"/> <path d="M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z"/>"#
            }
            IconName::Contacts => {
                r#"<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/> <path d="M16 3.128a4 4 0 0 1 0 7.744"/> <path d="M22 21v-2a4 4 0 0 0-3-3.87"/> <circle cx="9" cy="7" r="4"/>"#
            }
            IconName::Phone => r#"<rect width="14" height="20" x="5" y="2" rx="2" ry="2"/> <path d="M12 18h.01"/>"#,
            IconName::Settings => {
                r#"<path d="M9.671 4.136a2.34 2.34 0 0 1 4.659 0 2.34 2.34 0 0 0 3.319 1.915 2.34 2.34 0 0 1 2.33 4.033 2.34 2.34 0 0 0 0 3.831 2.34 2.34 0 0 1-2.33 4.033 2.34 2.34 0 0 0-3.319 1.915 2.34 2.34 0 0 1-4.659 0 2.34 2.34 0 0 0-3.32-1.915 2.34 2.34 0 0 1-2.33-4.033 2.34 2.34 0 0 0 0-3.831A2.34 2.34 0 0 1 6.35 6.051a2.34 2.34 0 0 0 3.319-1.915"/> <circle cx="12" cy="12" r="3"/>"#
            }
            IconName::Bell => {
                r#"<path d="M10.268 21a2 2 0 0 0 3.464 0"/> <path d="M3.262 15.326A1 1 0 0 0 4 17h16a1 1 0 0 0 .74-1.673C19.41 13.956 18 12.499 18 8A6 6 0 0 0 6 8c0 4.499-1.411 5.956-2.738 7.326"/>"#
            }
            IconName::Theme => {
                r#"<path d="M12 2v2"/> <path d="M14.837 16.385a6 6 0 1 1-7.223-7.222c.624-.147.97.66.715 1.248a4 4 0 0 0 5.26 5.259c.589-.255 1.396.09 1.248.715"/> <path d="M16 12a4 4 0 0 0-4-4"/> <path d="m19 5-1.256 1.256"/> <path d="M20 12h2"/>"#
            }
            IconName::Back => r#"<path d="m12 19-7-7 7-7"/> <path d="M19 12H5"/>"#,
            IconName::Attach => {
                r#"<path d="m16 6-8.414 8.586a2 2 0 0 0 2.829 2.829l8.414-8.586a4 4 0 1 0-5.657-5.657l-8.379 8.551a6 6 0 1 0 8.485 8.485l8.379-8.551"/>"#
            }
            IconName::Pending => r#"<circle cx="12" cy="12" r="10"/> <path d="M12 6v6l4 2"/>"#,
            IconName::Sent => r#"<path d="M20 6 9 17l-5-5"/>"#,
            IconName::Delivered => r#"<path d="M18 6 7 17l-5-5"/> <path d="m22 10-7.5 7.5L13 16"/>"#,
            IconName::Alert => r#"<circle cx="12" cy="12" r="10"/> <line x1="12" x2="12" y1="8" y2="12"/> <line x1="12" x2="12.01" y1="16" y2="16"/>"#,
            IconName::Send => {
                r#"<path d="M14.536 21.686a.5.5 0 0 0 .937-.024l6.5-19a.496.496 0 0 0-.635-.635l-19 6.5a.5.5 0 0 0-.024.937l7.93 3.18a2 2 0 0 1 1.112 1.11z"/> <path d="m21.854 2.147-10.94 10.939"/>"#
            }
            IconName::Note => {
                r#"<path d="M21 9a2.4 2.4 0 0 0-.706-1.706l-3.588-3.588A2.4 2.4 0 0 0 15 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2z"/> <path d="M15 3v5a1 1 0 0 0 1 1h5"/>"#
            }
            IconName::Template => {
                r#"<path d="M6 22a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h8a2.4 2.4 0 0 1 1.704.706l3.588 3.588A2.4 2.4 0 0 1 20 8v12a2 2 0 0 1-2 2z"/> <path d="M14 2v5a1 1 0 0 0 1 1h5"/> <path d="M10 9H8"/> <path d="M16 13H8"/> <path d="M16 17H8"/>"#
            }
            IconName::Canned => {
                r#"<path d="M22 17a2 2 0 0 1-2 2H6.828a2 2 0 0 0-1.414.586l-2.202 2.202A.71.71 0 0 1 2 21.286V5a2 2 0 0 1 2-2h16a2 2 0 0 1 2 2z"/> <path d="M7 11h10"/> <path d="M7 15h6"/> <path d="M7 7h8"/>"#
            }
            IconName::Plus => r#"<path d="M5 12h14"/> <path d="M12 5v14"/>"#,
            IconName::Trash => {
                r#"<path d="M10 11v6"/> <path d="M14 11v6"/> <path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6"/> <path d="M3 6h18"/> <path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>"#
            }
            IconName::Close => r#"<path d="M18 6 6 18"/> <path d="m6 6 12 12"/>"#,
            IconName::Search => r#"<path d="m21 21-4.34-4.34"/> <circle cx="11" cy="11" r="8"/>"#,
            IconName::ChevronUp => r#"<path d="m18 15-6-6-6 6"/>"#,
            IconName::ChevronDown => r#"<path d="m6 9 6 6 6-6"/>"#,
            IconName::ChevronsUpDown => r#"<path d="m7 15 5 5 5-5"/> <path d="m7 9 5-5 5 5"/>"#,
            IconName::ChevronLeft => r#"<path d="m15 18-6-6 6-6"/>"#,
            IconName::ChevronRight => r#"<path d="m9 18 6-6-6-6"/>"#,
            IconName::Filter => {
                r#"<path d="M10 20a1 1 0 0 0 .553.895l2 1A1 1 0 0 0 14 21v-7a2 2 0 0 1 .517-1.341L21.74 4.67A1 1 0 0 0 21 3H3a1 1 0 0 0-.742 1.67l7.225 7.989A2 2 0 0 1 10 14z"/>"#
            }
            IconName::Tag => {
                r#"<path d="M12.586 2.586A2 2 0 0 0 11.172 2H4a2 2 0 0 0-2 2v7.172a2 2 0 0 0 .586 1.414l8.704 8.704a2.426 2.426 0 0 0 3.42 0l6.58-6.58a2.426 2.426 0 0 0 0-3.42z"/> <circle cx="7.5" cy="7.5" r=".5" fill="currentColor"/>"#
            }
            IconName::Reports => r#"<path d="M3 3v16a2 2 0 0 0 2 2h16"/> <path d="M18 17V9"/> <path d="M13 17V5"/> <path d="M8 17v-3"/>"#,
            IconName::UserPlus => {
                r#"<path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/> <circle cx="9" cy="7" r="4"/> <line x1="19" x2="19" y1="8" y2="14"/> <line x1="22" x2="16" y1="11" y2="11"/>"#
            }
        }
    }
}

/// An icon in the current text colour, 1.25em square unless the CSS says otherwise.
#[component]
pub fn Icon(name: IconName, #[prop(optional)] label: Option<&'static str>) -> impl IntoView {
    view! {
        <svg
            class="icon"
            xmlns="http://www.w3.org/2000/svg"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            focusable="false"
            aria-hidden=if label.is_some() { None } else { Some("true") }
            role=label.map(|_| "img")
            aria-label=label
            inner_html=name.body()
        ></svg>
    }
}
