//! Settings → Members: who is in the org, with which role. Admins add members, change
//! roles and remove members; only owners touch owners.

use crate::api::settings::{list_members, AddMember, ChangeMemberRole, RemoveMember};
use crate::components::forms::{ConfirmRemove, ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::layout::SignedIn;
use domain::dto::Member;
use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;

/// The member list and, for admins, the add-member form.
#[component]
pub fn MembersSettings() -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let members = Resource::new(move || (add.version().get(), change.version().get(), remove.version().get()), |_| list_members());
    let current = SignedIn::get();
    let my_role = current.role().unwrap_or(Role::Viewer);
    let hydrated = use_hydrated();
    view! {
        <Title text="Members" />
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <ErrorNotice result=change.value() />
            <ErrorNotice result=remove.value() />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match members.await {
                        Ok(list) => view! { <MemberTable list my_role change remove hydrated /> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        {my_role.is_admin().then(|| view! {
            <section class="card" aria-labelledby="add-member-heading">
                <h2 id="add-member-heading">"Add a member"</h2>
                <ActionForm action=add attr:class="form form-grid" attr:aria-label="Add a member">
                    <div>
                        <label for="member-email">"Email"</label>
                        <input id="member-email" name="email" type="email" required maxlength="254" />
                    </div>
                    <div>
                        <label for="member-name">"Name"</label>
                        <input id="member-name" name="name" maxlength="100" />
                    </div>
                    <div>
                        <label for="member-role">"Role"</label>
                        <select id="member-role" name="role">
                            {Role::ALL.into_iter().filter(|r| my_role.may_manage(*r)).map(|r| view! {
                                <option value=r.as_str() selected=r == Role::Agent>{r.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <label for="member-password">"First password (for a new account)"</label>
                        <input id="member-password" name="password" type="password" autocomplete="new-password" maxlength="128" />
                    </div>
                    <ErrorNotice result=add.value() />
                    <SavedNotice result=add.value() text="Member added." />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || add.pending().get()>"Add member"</button>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
fn MemberTable(
    list: Vec<Member>,
    my_role: Role,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="members-table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|m| {
                        let manageable = my_role.may_manage(m.role);
                        let uid = m.user_id.to_string();
                        let uid_change = uid.clone();
                        let role_label = format!("Role of {}", m.email);
                        view! {
                            <tr data-email=m.email.clone()>
                                <td>{m.name.clone()}</td>
                                <td>{m.email.clone()}</td>
                                <td>
                                    {if manageable {
                                        view! {
                                            <select aria-label=role_label disabled=move || !hydrated.get() on:change=move |ev| {
                                                change.dispatch(ChangeMemberRole { user_id: uid_change.clone(), role: event_target_value(&ev) });
                                            }>
                                                {Role::ALL.into_iter().filter(|r| my_role.may_manage(*r)).map(|r| view! {
                                                    <option value=r.as_str() selected=r == m.role>{r.label()}</option>
                                                }).collect_view()}
                                            </select>
                                        }.into_any()
                                    } else {
                                        view! { <span class="role">{m.role.label()}</span> }.into_any()
                                    }}
                                </td>
                                <td class="row-actions">
                                    {manageable.then(|| view! {
                                        <ConfirmRemove hydrated on_confirm=move |_| { remove.dispatch(RemoveMember { user_id: uid.clone() }); } />
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <SavedNotice result=change.value() text="Role changed." />
    }
}
