//! The signed-in app shell: sidebar on wide screens, bottom navigation on phones, the
//! org switcher, theme toggle, sign-out and the version footer.

use crate::api::auth::{current_session, Logout, SwitchOrg};
use crate::components::hydration::{reload_to, use_hydrated};
use crate::components::icons::{Icon, IconName};
use domain::dto::SessionInfo;
use domain::{ErrorCode, Role};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The signed-in person, provided to every page inside the shell.
#[derive(Clone, Copy)]
pub struct SignedIn(pub RwSignal<Option<SessionInfo>>);

impl SignedIn {
    /// The current session from context (inside the shell).
    pub fn get() -> Self {
        expect_context::<SignedIn>()
    }
    /// The signed-in person's role in the current org.
    pub fn role(&self) -> Option<Role> {
        self.0.with(|s| s.as_ref().map(|s| s.role))
    }
    /// The current org's IANA time zone (`UTC` before the session loads).
    pub fn time_zone(&self) -> String {
        self.0.with(|s| s.as_ref().map(|s| s.org.time_zone.clone()).filter(|z| !z.is_empty()).unwrap_or_else(|| "UTC".into()))
    }
    /// Whether the signed-in person administers the current org.
    pub fn is_admin(&self) -> bool {
        self.role().map(Role::is_admin).unwrap_or(false)
    }
}

/// Loads the session and shows the shell around the page, or sends a signed-out
/// visitor to the sign-in page.
#[component]
pub fn AppShell() -> impl IntoView {
    let session = Resource::new(|| (), |_| current_session());
    let current = SignedIn(RwSignal::new(None));
    provide_context(current);
    view! {
        <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(info) => {
                        current.0.set(Some(info.clone()));
                        view! { <ShellLayout info /> }.into_any()
                    }
                    Err(e) if e.code == ErrorCode::NotAuthenticated => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) if e.code == ErrorCode::TwoFactorEnrolmentRequired => view! { <Redirect path="/setup-2fa" /> }.into_any(),
                    Err(e) => view! {
                        <main class="auth-page">
                            <div class="card">
                                <h1>"Cannot open MCE"</h1>
                                <p role="alert">{e.message.clone()} " (" {e.code.as_str()} ")"</p>
                                <SignOutButton />
                            </div>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One navigation entry. Only pages that work are listed.
struct NavItem {
    href: &'static str,
    label: &'static str,
    icon: IconName,
    /// The lowest role the page is for.
    min_role: Role,
}

const NAV: &[NavItem] = &[
    NavItem { href: "/", label: "Home", icon: IconName::Home, min_role: Role::Viewer },
    NavItem { href: "/inbox", label: "Inbox", icon: IconName::Inbox, min_role: Role::Viewer },
    NavItem { href: "/contacts", label: "Contacts", icon: IconName::Contacts, min_role: Role::Viewer },
    NavItem { href: "/reports", label: "Reports", icon: IconName::Reports, min_role: Role::Viewer },
    NavItem { href: "/sandbox", label: "Sandbox", icon: IconName::Phone, min_role: Role::Manager },
    NavItem { href: "/settings/profile", label: "Settings", icon: IconName::Settings, min_role: Role::Viewer },
];

#[component]
fn ShellLayout(info: SessionInfo) -> impl IntoView {
    crate::components::live::provide_live();
    crate::components::feedback::Toasts::provide();
    let initials: String = info.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase();
    view! {
        <div class="app">
            <aside class="sidebar" aria-label="Main">
                <div class="brand">
                    <span class="logo" aria-hidden="true">"M"</span>
                    <span>"MCE"</span>
                </div>
                <nav class="side-nav" aria-label="Main navigation">
                    {NAV.iter().filter(|item| info.role.at_least(item.min_role)).map(|item| view! {
                        <A href=item.href attr:class="nav-link">
                            <span class="nav-icon" aria-hidden="true"><Icon name=item.icon /></span>
                            <span>{item.label}</span>
                        </A>
                    }).collect_view()}
                </nav>
            </aside>
            <div class="main-col">
                <header class="topbar">
                    <OrgSwitcher info=info.clone() />
                    <div class="topbar-actions">
                        {view! { <crate::components::live::ConnectionNotice /> <NotificationBell /> }.into_any()}
                        <ThemeToggle />
                        <span class="avatar" title=info.email.clone() aria-label=format!("Signed in as {}", info.name)>{initials}</span>
                        <SignOutButton />
                    </div>
                </header>
                <main class="content" id="content">
                    <Outlet />
                </main>
                <footer class="footer">"MCE " <span data-testid="version">{concat!("v", env!("CARGO_PKG_VERSION"))}</span></footer>
            </div>
            <crate::components::feedback::ToastRegion />
            <nav class="bottom-nav" aria-label="Main navigation (mobile)">
                {NAV.iter().filter(|item| info.role.at_least(item.min_role)).map(|item| view! {
                    <A href=item.href attr:class="bottom-link">
                        <span class="nav-icon" aria-hidden="true"><Icon name=item.icon /></span>
                        <span>{item.label}</span>
                    </A>
                }).collect_view()}
            </nav>
        </div>
    }
}

/// Lists the orgs the person can work in; choosing one reloads the app in it.
#[component]
fn OrgSwitcher(info: SessionInfo) -> impl IntoView {
    let switch = ServerAction::<SwitchOrg>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            reload_to("/");
        }
    });
    let current = info.org.id.clone();
    if info.orgs.len() <= 1 {
        return view! { <span class="org-name" data-testid="org-name">{info.org.name.clone()}</span> }.into_any();
    }
    view! {
        <label class="org-switcher">
            <span class="sr-only">"Organisation"</span>
            <select
                data-testid="org-switcher"
                on:change=move |ev| {
                    switch.dispatch(SwitchOrg { org_id: event_target_value(&ev) });
                }
            >
                {info.orgs.iter().map(|o| view! {
                    <option value=o.id.to_string() selected=o.id == current>{o.name.clone()}</option>
                }).collect_view()}
            </select>
        </label>
    }
    .into_any()
}

/// Flips between the light and dark theme and remembers the choice in this browser.
#[component]
fn ThemeToggle() -> impl IntoView {
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let root = document().document_element().expect("html element");
            let dark = match root.get_attribute("data-theme").as_deref() {
                Some("dark") => true,
                Some(_) => false,
                None => window().match_media("(prefers-color-scheme: dark)").ok().flatten().map(|m| m.matches()).unwrap_or(false),
            };
            let next = if dark { "light" } else { "dark" };
            let _ = root.set_attribute("data-theme", next);
            if let Ok(Some(store)) = window().local_storage() {
                let _ = store.set_item("mce-theme", next);
            }
        }
    };
    view! {
        <button type="button" class="icon-button" on:click=toggle title="Switch light/dark theme" aria-label="Switch light/dark theme">
            <Icon name=IconName::Theme />
        </button>
    }
}

/// Signs out and returns to the sign-in page.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let logout_action = ServerAction::<Logout>::new();
    let hydrated = use_hydrated();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout_action.value().get() {
            reload_to("/login");
        }
    });
    view! {
        <button
            type="button"
            class="button button-quiet"
            disabled=move || !hydrated.get() || logout_action.pending().get()
            on:click=move |_| {
                logout_action.dispatch(Logout {});
            }
        >
            "Sign out"
        </button>
    }
}

/// The bell (NOTIFY): the unread count, live; the latest notifications; mark one (by
/// opening it) or all read.
#[component]
fn NotificationBell() -> impl IntoView {
    use crate::api::inbox::{my_notifications, ReadNotifications};
    let live = crate::components::live::Live::get();
    let read = ServerAction::<ReadNotifications>::new();
    // Loaded by an effect, so only in the browser: the server render shows no count and
    // the hydrating page matches it (a resource here would hold the shell's Suspense).
    /// The newest notifications and the unread count.
    type Loaded = Result<(Vec<domain::dto::Notification>, i64), domain::AppError>;
    let list: RwSignal<Option<Loaded>> = RwSignal::new(None);
    Effect::new(move |_| {
        live.notifications.track();
        read.version().track();
        leptos::task::spawn_local(async move { list.set(Some(my_notifications().await)) });
    });
    let open = RwSignal::new(false);
    let hydrated = use_hydrated();
    let unread = move || list.get().and_then(|r| r.ok()).map(|(_, n)| n).unwrap_or(0);
    view! {
        <div class="bell">
            <button type="button" class="button bell-button" data-testid="bell" disabled=move || !hydrated.get()
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                <Icon name=IconName::Bell />
                <span class="sr-only">"Notifications"</span>
                <Show when=move || { unread() > 0 }>
                    <span class="badge" data-testid="bell-count">{unread}<span class="sr-only">" unread"</span></span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="bell-panel" role="dialog" aria-label="Notifications">
                    <div class="bell-head">
                        <strong>"Notifications"</strong>
                        <button type="button" class="link-button" on:click=move |_| { read.dispatch(ReadNotifications { notification_id: String::new() }); }>"Mark all read"</button>
                    </div>
                    <ul class="bell-list">
                        {move || list.get().and_then(|r| r.ok()).map(|(items, _)| {
                            if items.is_empty() {
                                return view! { <li class="muted">"Nothing yet."</li> }.into_any();
                            }
                            items.into_iter().map(|n| {
                                let id = n.id.clone();
                                let link = n.link.clone().unwrap_or_else(|| "/".into());
                                view! {
                                    <li class:unread=!n.read>
                                        <a href=link on:click=move |_| { read.dispatch(ReadNotifications { notification_id: id.clone() }); open.set(false); }>
                                            <strong>{n.title.clone()}</strong>
                                            <span class="muted">{n.body.clone()}</span>
                                        </a>
                                    </li>
                                }
                            }).collect_view().into_any()
                        })}
                    </ul>
                </div>
            </Show>
        </div>
    }
}
