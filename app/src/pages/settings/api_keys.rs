//! Settings → API keys (admins): the org's keys for `/api/v1` — name, prefix, role,
//! created, last used, expiry — a page at a time, each revocable, and a form that
//! creates one and shows it once.

use crate::api::keys::{api_keys, CreateApiKey, RevokeApiKey};
use crate::components::format::{date_time_of, now_ms, relative};
use crate::components::forms::ErrorNotice;
use crate::components::hydration::use_hydrated;
use domain::dto::ApiKeyView;
use leptos::prelude::*;
use leptos_meta::Title;

/// What a key's state reads as in the list.
fn state_of(k: &ApiKeyView) -> &'static str {
    if k.revoked_at.is_some() {
        "Revoked"
    } else if k.expired {
        "Expired"
    } else {
        "Active"
    }
}

/// The key list and the new-key form.
#[component]
pub fn ApiKeysSettings() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let page = RwSignal::new(0_i64);
    let keys = Resource::new(move || (page.get(), create.version().get(), revoke.version().get()), |(p, _, _)| api_keys(p));
    let hydrated = use_hydrated();
    view! {
        <Title text="API keys" />
        <section class="card" aria-labelledby="keys-heading">
            <h2 id="keys-heading">"API keys"</h2>
            <p class="muted">"Keys let other systems use the REST API (" <code>"/api/v1"</code> ") as this organisation, with the key's role. A key is shown once, when it is created."</p>
            <ErrorNotice result=revoke.value() />
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(p) if p.total == 0 => view! { <p class="muted" data-testid="keys-empty">"No API keys yet."</p> }.into_any(),
                        Ok(p) => {
                            let (total, shown) = (p.total, p.data.len() as i64);
                            let first = p.page * p.page_size + 1;
                            view! {
                                <div class="table-wrap"><table class="table table-cards" data-testid="api-keys">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Role"</th><th scope="col">"Created"</th>
                                        <th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"State"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {p.data.into_iter().map(|k| {
                                            let id = k.id.clone();
                                            let live = k.revoked_at.is_none() && !k.expired;
                                            let label = format!("Revoke {}", k.name);
                                            view! {
                                                <tr data-key=k.id.clone()>
                                                    <td class="card-title">{k.name.clone()}{k.created_by.clone().map(|by| view! { <span class="muted">{format!(" · by {by}")}</span> })}</td>
                                                    <td data-label="Key"><code>{format!("{}…", k.prefix)}</code></td>
                                                    <td data-label="Role">{k.role.label()}</td>
                                                    <td data-label="Created"><time title=date_time_of(k.created_at)>{relative(k.created_at, now_ms())}</time></td>
                                                    <td data-label="Last used">{k.last_used_at.map(|t| relative(t, now_ms())).unwrap_or_else(|| "never".into())}</td>
                                                    <td data-label="Expires">{k.expires_at.map(date_time_of).unwrap_or_else(|| "never".into())}</td>
                                                    <td data-label="State" data-testid="key-state">{state_of(&k)}</td>
                                                    <td class="row-actions">{live.then(|| view! {
                                                        <button type="button" class="button button-danger" aria-label=label disabled=move || !hydrated.get()
                                                            on:click=move |_| { revoke.dispatch(RevokeApiKey { key_id: id.clone() }); }>"Revoke"</button>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                                <nav class="pager" aria-label="API key pages">
                                    <span class="muted">{format!("{first}–{} of {total}", first + shown - 1)}</span>
                                    <button type="button" class="button" disabled={move || !hydrated.get() || page.get() == 0}
                                        on:click={move |_| page.update(|p| *p = (*p - 1).max(0))}>"Previous"</button>
                                    <button type="button" class="button" disabled={move || !hydrated.get() || first + shown > total}
                                        on:click={move |_| page.update(|p| *p += 1)}>"Next"</button>
                                </nav>
                            }.into_any()
                        }
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="new-key-heading">
            <h2 id="new-key-heading">"Create a key"</h2>
            <ActionForm action=create attr:class="form form-grid" attr:aria-label="Create an API key">
                <div>
                    <label for="key-name">"Name"</label>
                    <input id="key-name" name="name" required maxlength="100" placeholder="CRM sync" />
                </div>
                <div>
                    <label for="key-role">"Role"</label>
                    <select id="key-role" name="role">
                        <option value="admin" selected>"Admin"</option>
                        <option value="agent">"Agent"</option>
                        <option value="viewer">"Viewer"</option>
                    </select>
                </div>
                <div>
                    <label for="key-expiry">"Expires"</label>
                    <select id="key-expiry" name="expires_in_days">
                        <option value="0" selected>"Never"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="90">"In 90 days"</option>
                        <option value="365">"In a year"</option>
                    </select>
                </div>
                <ErrorNotice result=create.value() />
                {move || create.value().get().and_then(|r| r.ok()).map(|k| view! {
                    <div class="notice" role="status">
                        <p>{format!("Key \u{201c}{}\u{201d} created. Copy it now: it is not shown again.", k.name)}</p>
                        <code class="hook-url" data-testid="new-api-key">{k.secret}</code>
                    </div>
                })}
                <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || create.pending().get()>"Create key"</button>
            </ActionForm>
        </section>
    }
}
