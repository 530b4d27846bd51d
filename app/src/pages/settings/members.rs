//! Settings → Members: who is in the org, with which role. Admins invite people (they
//! join by accepting), see and revoke pending invitations, change roles and remove
//! members; only owners touch owners.

use crate::api::settings::{list_invitations, list_members, ChangeMemberRole, InviteMember, RemoveMember, RevokeInvitation};
use crate::components::forms::{ConfirmRemove, ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::layout::SignedIn;
use domain::dto::{Invitation, InvitationCreated, Member};
use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;

/// The member list and, for admins, the invitation form and the pending invitations.
#[component]
pub fn MembersSettings() -> impl IntoView {
    let add = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
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
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
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
                <h2 id="add-member-heading">"Invite a member"</h2>
                <p class="muted">"They join once they accept the invitation (the link works once, for 7 days)."</p>
                <ActionForm action=add attr:class="form form-grid" attr:aria-label="Invite a member">
                    <div>
                        <label for="member-email">"Email"</label>
                        <input id="member-email" name="email" type="email" required maxlength="254" />
                    </div>
                    <div>
                        <label for="member-role">"Role"</label>
                        <select id="member-role" name="role">
                            {Role::ALL.into_iter().filter(|r| my_role.may_manage(*r)).map(|r| view! {
                                <option value=r.as_str() selected=r == Role::Agent>{r.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <ErrorNotice result=add.value() />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || add.pending().get()>"Invite"</button>
                </ActionForm>
                {move || add.value().get().and_then(|r| r.ok()).map(|created| view! { <InvitationLink created /> })}
            </section>
            <PendingInvitations add revoke hydrated />
        })}
    }
}

/// The link of the invitation just made, for the inviter to copy (shown once).
#[component]
fn InvitationLink(created: InvitationCreated) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = input.get() {
                el.select();
                if let Some(doc) = document().dyn_ref::<web_sys::HtmlDocument>() {
                    copied.set(doc.exec_command("copy").unwrap_or(false));
                }
            }
        }
    };
    let email = created.invitation.email.clone();
    let intro = if created.emailed {
        format!("Invitation mailed to {email}. You can also pass them this link:")
    } else {
        format!("No mail was sent: copy this link to {email} yourself. It is shown only now.")
    };
    view! {
        <div class="notice notice-ok" role="status" data-testid="invitation-link">
            <p>{intro}</p>
            <label for="invitation-link">"Invitation link"</label>
            <div class="copy-row">
                <input id="invitation-link" node_ref=input readonly value=created.link.clone().unwrap_or_default() />
                <button type="button" class="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy link" }}</button>
            </div>
        </div>
    }
}

/// Invitations not yet accepted, with a revoke button each.
#[component]
fn PendingInvitations(add: ServerAction<InviteMember>, revoke: ServerAction<RevokeInvitation>, hydrated: ReadSignal<bool>) -> impl IntoView {
    let pending = Resource::new(move || (add.version().get(), revoke.version().get()), |_| list_invitations());
    view! {
        <section class="card" aria-labelledby="pending-heading">
            <h2 id="pending-heading">"Pending invitations"</h2>
            <ErrorNotice result=revoke.value() />
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No pending invitations."</p> }.into_any(),
                        Ok(list) => view! { <InvitationTable list revoke hydrated /> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn InvitationTable(list: Vec<Invitation>, revoke: ServerAction<RevokeInvitation>, hydrated: ReadSignal<bool>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table table-cards" data-testid="invitations-table">
                <thead>
                    <tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Invited by"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|i| {
                        let id = i.id.clone();
                        let label = format!("Revoke the invitation of {}", i.email);
                        view! {
                            <tr data-invited=i.email.clone()>
                                <td class="card-title">{i.email.clone()}</td>
                                <td data-label="Role">{i.role.label()}</td>
                                <td data-label="Invited by">{i.invited_by.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="row-actions">
                                    <button type="button" class="button" aria-label=label disabled=move || !hydrated.get()
                                        on:click=move |_| { revoke.dispatch(RevokeInvitation { invitation_id: id.clone() }); }>"Revoke"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
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
            <table class="table table-cards" data-testid="members-table">
                <thead>
                    <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|m| {
                        let manageable = my_role.may_manage(m.role);
                        let uid = m.user_id.to_string();
                        let uid_change = uid.clone();
                        let role_label = format!("Role of {}", m.email);
                        let member_name = m.name.clone();
                        view! {
                            <tr data-email=m.email.clone()>
                                <td class="card-title">{m.name.clone()}</td>
                                <td data-label="Email">{m.email.clone()}</td>
                                <td data-label="Role">
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
                                        <ConfirmRemove id=format!("remove-{uid}") what=member_name.clone() hydrated on_confirm=move |_| { remove.dispatch(RemoveMember { user_id: uid.clone() }); } />
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
