//! Telling people how things stand: badges in the status colours the inbox uses, empty
//! states with the next step, skeletons while loading, progress bars, and toasts for the
//! result of an action (an error toast carries the stable error code and stays until
//! dismissed; a success toast goes by itself).

use crate::components::icons::{Icon, IconName};
use domain::AppError;
use leptos::prelude::*;

/// The colour of a badge. The same four the inbox uses for a chat's 24-hour window
/// (green, yellow, red, grey), plus blue for neutral information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Neutral,
    Info,
    Success,
    Warning,
    Danger,
}

impl Tone {
    /// The CSS class of the tone.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "badge-neutral",
            Tone::Info => "badge-info",
            Tone::Success => "badge-success",
            Tone::Warning => "badge-warning",
            Tone::Danger => "badge-danger",
        }
    }

    /// The tone of a status word used anywhere in the product (a lead's status, a
    /// conversation's, a message's, an import's, a campaign's), so one status looks the
    /// same on every page.
    pub fn of_status(status: &str) -> Tone {
        match status {
            "new" | "open" | "queued" | "running" | "scheduled" | "sending" | "engaged" => Tone::Info,
            "qualified" | "pending" | "snoozed" | "paused" | "unknown" => Tone::Warning,
            "converted" | "resolved" | "done" | "delivered" | "read" | "opted_in" | "approved" | "completed" | "active" => Tone::Success,
            "failed" | "rejected" | "opted_out" | "error" | "cancelled" => Tone::Danger,
            _ => Tone::Neutral,
        }
    }
}

/// A small coloured label.
#[component]
pub fn Badge(#[prop(into)] text: String, #[prop(optional)] tone: Tone) -> impl IntoView {
    view! { <span class=format!("status-badge {}", tone.class())>{text}</span> }
}

/// A status word as a badge in its shared colour (`opted_out` reads "opted out").
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let tone = Tone::of_status(&status);
    view! { <Badge text=status.replace('_', " ") tone /> }
}

/// What a list shows when it has nothing: what would be here and how to get it there.
#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(optional, into)] text: Option<String>,
    #[prop(optional)] icon: Option<IconName>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="empty-state">
            {icon.map(|name| view! { <span class="empty-icon" aria-hidden="true"><Icon name /></span> })}
            <p class="empty-title">{title}</p>
            {text.map(|t| view! { <p class="muted">{t}</p> })}
            {children.map(|c| view! { <div class="empty-action">{c()}</div> })}
        </div>
    }
}

/// Grey placeholder lines while something loads, announced once as "Loading…".
#[component]
pub fn Skeleton(#[prop(default = 3)] rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton" role="status" data-testid="skeleton">
            <span class="sr-only">"Loading…"</span>
            {(0..rows).map(|_| view! { <span class="skeleton-line" aria-hidden="true"></span> }).collect_view()}
        </div>
    }
}

/// A progress bar (`label`: what progresses) with "n of m" beside it, unless the page
/// says the figures itself (`figures=false`).
#[component]
pub fn ProgressBar(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<i64>,
    #[prop(into)] max: Signal<i64>,
    #[prop(default = true)] figures: bool,
) -> impl IntoView {
    view! {
        <div class="progress-field">
            <progress aria-label=label.clone() value=move || value.get().to_string() max=move || max.get().max(1).to_string()></progress>
            {figures.then(|| view! {
                <span class="muted">{move || format!("{} of {}", crate::components::format::thousands(value.get()), crate::components::format::thousands(max.get()))}</span>
            })}
        </div>
    }
}

/// One toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    id: u64,
    text: String,
    /// The error's stable code; `None` for a success.
    code: Option<String>,
}

/// The toasts on screen, provided once by the app shell.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

/// How long a success toast stays.
const SUCCESS_TOAST_MS: u64 = 5000;

impl Toasts {
    /// Provides the toasts to everything below; render [`ToastRegion`] once there.
    pub fn provide() -> Self {
        let t = Toasts { list: RwSignal::new(Vec::new()), next: StoredValue::new(0) };
        provide_context(t);
        t
    }

    /// The toasts from context.
    pub fn get() -> Self {
        expect_context::<Toasts>()
    }

    fn push(self, text: String, code: Option<String>) -> u64 {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast { id, text, code });
            // Old toasts make way: at most five at a time.
            let over = l.len().saturating_sub(5);
            l.drain(..over);
        });
        id
    }

    /// Says that something worked; the toast goes after a few seconds.
    pub fn success(self, text: impl Into<String>) {
        let id = self.push(text.into(), None);
        set_timeout(move || self.dismiss(id), std::time::Duration::from_millis(SUCCESS_TOAST_MS));
    }

    /// Shows an error with its code until dismissed.
    pub fn error(self, e: &AppError) {
        self.push(e.message.clone(), Some(e.code.as_str().to_owned()));
    }

    /// Removes a toast.
    pub fn dismiss(self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }

    /// Toasts every result of an action: `ok` on success, the error with its code.
    pub fn follow<T: Clone + Send + Sync + 'static>(self, result: Signal<Option<Result<T, AppError>>>, ok: &'static str) {
        Effect::new(move |_| match result.get() {
            Some(Ok(_)) => self.success(ok),
            Some(Err(e)) => self.error(&e),
            None => {}
        });
    }
}

/// Where toasts appear (bottom right; above the bottom navigation on a phone).
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = Toasts::get();
    view! {
        <div class="toasts" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div class="toast" class:toast-error=t.code.is_some() role=if t.code.is_some() { "alert" } else { "status" } data-code=t.code.clone()>
                    <Icon name=if t.code.is_some() { IconName::Alert } else { IconName::Sent } />
                    <span class="toast-text">{t.text.clone()}{t.code.clone().map(|c| view! { " " <span class="code">"(" {c} ")"</span> })}</span>
                    <button type="button" class="icon-button" aria-label="Dismiss" on:click=move |_| toasts.dismiss(t.id)>
                        <Icon name=IconName::Close />
                    </button>
                </div>
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_has_one_colour_everywhere() {
        assert_eq!(Tone::of_status("converted"), Tone::Success);
        assert_eq!(Tone::of_status("failed"), Tone::Danger);
        assert_eq!(Tone::of_status("pending"), Tone::Warning);
        assert_eq!(Tone::of_status("open"), Tone::Info);
        assert_eq!(Tone::of_status("something new"), Tone::Neutral);
    }
}
