//! Settings → Numbers: the org's WhatsApp numbers; admins connect one after a
//! "Test connection" with Meta, replace an expired token, or remove a number.

use crate::api::numbers::{list_numbers, AddNumber, DeleteNumber, ReplaceNumberToken, SetNumberAutoAssign, TestNumberConnection};
use crate::components::forms::{ConfirmRemove, ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::layout::SignedIn;
use domain::dto::WaNumber;
use leptos::prelude::*;
use leptos_meta::Title;

/// The number list and, for admins, the connect form.
#[component]
pub fn NumbersSettings() -> impl IntoView {
    let add = ServerAction::<AddNumber>::new();
    let test = ServerAction::<TestNumberConnection>::new();
    let delete = ServerAction::<DeleteNumber>::new();
    let replace = ServerAction::<ReplaceNumberToken>::new();
    let numbers = Resource::new(move || (add.version().get(), delete.version().get(), replace.version().get()), |_| list_numbers());
    let is_admin = SignedIn::get().is_admin();
    let hydrated = use_hydrated();
    // The form's fields, shared by "Test connection" and "Save".
    let display_name = RwSignal::new(String::new());
    let phone_number_id = RwSignal::new(String::new());
    let waba_id = RwSignal::new(String::new());
    let access_token = RwSignal::new(String::new());
    let system_prompt = RwSignal::new(String::new());
    let test_now = move |_| {
        test.dispatch(TestNumberConnection {
            display_name: display_name.get_untracked(),
            phone_number_id: phone_number_id.get_untracked(),
            waba_id: waba_id.get_untracked(),
            access_token: access_token.get_untracked(),
            system_prompt: system_prompt.get_untracked(),
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddNumber {
            display_name: display_name.get_untracked(),
            phone_number_id: phone_number_id.get_untracked(),
            waba_id: waba_id.get_untracked(),
            access_token: access_token.get_untracked(),
            system_prompt: system_prompt.get_untracked(),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            for s in [display_name, phone_number_id, waba_id, access_token, system_prompt] {
                s.set(String::new());
            }
        }
    });
    view! {
        <Title text="WhatsApp numbers" />
        <section class="card" aria-labelledby="numbers-heading">
            <h2 id="numbers-heading">"WhatsApp numbers"</h2>
            <ErrorNotice result=delete.value() />
            <ErrorNotice result=replace.value() />
            <SavedNotice result=replace.value() text="Token replaced; the number is active again." />
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match numbers.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No WhatsApp number is connected yet."</p> }.into_any(),
                        Ok(list) => view! { <NumberTable list is_admin delete replace hydrated /> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        {is_admin.then(|| view! {
            <section class="card" aria-labelledby="connect-heading">
                <h2 id="connect-heading">"Connect a number"</h2>
                <p class="muted">"Copy the ids from Meta's WhatsApp Manager. The token is stored encrypted and never shown again."</p>
                <form class="form form-grid" aria-label="Connect a number" on:submit=save>
                    <div>
                        <label for="number-name">"Display name"</label>
                        <input id="number-name" required maxlength="100" bind:value=display_name />
                    </div>
                    <div>
                        <label for="number-pnid">"Phone number id"</label>
                        <input id="number-pnid" required inputmode="numeric" maxlength="32" bind:value=phone_number_id />
                    </div>
                    <div>
                        <label for="number-waba">"WhatsApp Business Account id"</label>
                        <input id="number-waba" required inputmode="numeric" maxlength="32" bind:value=waba_id />
                    </div>
                    <div>
                        <label for="number-token">"Access token"</label>
                        <input id="number-token" type="password" required autocomplete="off" maxlength="4096" bind:value=access_token />
                    </div>
                    <div class="span-all">
                        <label for="number-prompt">"System prompt (for AI replies)"</label>
                        <textarea id="number-prompt" rows="3" maxlength="8000" bind:value=system_prompt></textarea>
                    </div>
                    <div class="span-all actions">
                        <button type="button" class="button" disabled=move || !hydrated.get() || test.pending().get() on:click=test_now>
                            {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                        </button>
                        <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || add.pending().get()>"Save number"</button>
                    </div>
                    <div class="span-all">
                        {move || test.value().get().map(|r| match r {
                            Ok(report) => view! {
                                <p class="notice notice-ok" role="status" data-testid="connection-ok">
                                    "Connected: " {report.verified_name.unwrap_or_default()} " · " {report.display_phone_number.unwrap_or_default()}
                                    " · quality " {report.quality_rating.unwrap_or_else(|| "unknown".into())}
                                </p>
                            }.into_any(),
                            Err(e) => view! { <p class="notice notice-error" role="alert">{e.message.clone()} " (" {e.code.as_str()} ")"</p> }.into_any(),
                        })}
                        <ErrorNotice result=add.value() />
                        <SavedNotice result=add.value() text="Number connected." />
                    </div>
                </form>
            </section>
        })}
    }
}

#[component]
fn NumberTable(
    list: Vec<WaNumber>,
    is_admin: bool,
    delete: ServerAction<DeleteNumber>,
    replace: ServerAction<ReplaceNumberToken>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table table-cards" data-testid="numbers-table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Number"</th><th scope="col">"Status"</th><th scope="col">"New chats"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|n| {
                        let id = n.id.to_string();
                        let number_name = n.display_name.clone();
                        let id_replace = id.clone();
                        let token = RwSignal::new(String::new());
                        let status = if n.active { "Active".to_string() } else { format!("Disconnected: {}", n.inactive_reason.clone().unwrap_or_default()) };
                        view! {
                            <tr data-pnid=n.phone_number_id.clone()>
                                <td class="card-title">{n.display_name.clone()} {n.is_sandbox.then(|| view! { " " <span class="badge">"Sandbox"</span> })}</td>
                                <td data-label="Number">{n.display_phone_number.clone().map(|d| format!("+{}", d.trim_start_matches('+'))).unwrap_or_else(|| n.phone_number_id.clone())} " " <span class="muted">{n.verified_name.clone().unwrap_or_default()}</span></td>
                                <td data-label="Status">{status} {n.quality_rating.clone().map(|q| view! { " · " {q} })}</td>
                                <td data-label="New chats"><AutoAssign number_id=id.clone() mode=n.auto_assign.clone() is_admin hydrated /></td>
                                <td class="row-actions">
                                    {(is_admin && !n.active).then(|| view! {
                                        <label class="sr-only" for=format!("token-{id_replace}")>"New access token"</label>
                                        <input id=format!("token-{id_replace}") type="password" placeholder="New access token" bind:value=token />
                                        <button type="button" class="button" disabled=move || !hydrated.get() on:click={
                                            let id = id_replace.clone();
                                            move |_| { replace.dispatch(ReplaceNumberToken { number_id: id.clone(), access_token: token.get_untracked() }); }
                                        }>"Replace token"</button>
                                    })}
                                    {(is_admin && !n.is_sandbox).then(|| view! {
                                        <ConfirmRemove id=format!("remove-{id}") what=number_name.clone() hydrated on_confirm=move |_| { delete.dispatch(DeleteNumber { number_id: id.clone() }); } />
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The number's auto-assignment of new conversations (admins change it).
#[component]
fn AutoAssign(number_id: String, mode: String, is_admin: bool, hydrated: ReadSignal<bool>) -> impl IntoView {
    let set = ServerAction::<SetNumberAutoAssign>::new();
    let select_id = format!("auto-assign-{number_id}");
    view! {
        <label class="sr-only" for=select_id.clone()>"Assign new chats"</label>
        <select id=select_id data-testid="auto-assign" disabled=move || !hydrated.get() || !is_admin
            on:change=move |ev| { set.dispatch(SetNumberAutoAssign { number_id: number_id.clone(), mode: event_target_value(&ev) }); }>
            {[("off", "Leave unassigned"), ("round_robin", "Round-robin (online agents)"), ("least_busy", "Least busy (online agents)")].into_iter().map(|(v, label)| view! {
                <option value=v selected=mode == v>{label}</option>
            }).collect_view()}
        </select>
        <ErrorNotice result=set.value() />
        <SavedNotice result=set.value() text="Saved." />
    }
}
