//! One contact (CRM-3): an editable card (fields, opt-in with evidence, tags, custom
//! fields), notes, the conversations, and the timeline of everything that happened.

use crate::api::contacts::{get_contact, AddContactNote, ContactDetail, UpdateContact};
use crate::components::format::{date_time_of, utc_date};
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::picker::TagPicker;
use crate::pages::contacts::TagChips;
use domain::dto::ContactActivityView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::{json, Map, Value};

/// One timeline line in words.
fn describe(a: &ContactActivityView) -> String {
    let d = &a.detail;
    let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    match a.kind.as_str() {
        "created" => {
            let tags: Vec<&str> = d["tags"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            format!(
                "Created from {} (via {}){}",
                s("source"),
                s("via"),
                if tags.is_empty() { String::new() } else { format!(" with tags {}", tags.join(", ")) }
            )
        }
        "updated" => {
            let fields: Vec<String> = d["changes"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| format!("{k}: {} → {}", show(&v["from"]), show(&v["to"]))).collect())
                .unwrap_or_default();
            format!("Changed {}", fields.join("; "))
        }
        "tag_added" => format!("Tag {} added", s("tag")),
        "tag_removed" => format!("Tag {} removed", s("tag")),
        "opt_in" => format!("Opt-in {} → {} via {}{}", s("from"), s("to"), s("via"), d["evidence"].as_str().map(|e| format!(" ({e})")).unwrap_or_default()),
        "note" => format!("Note: {}", s("text")),
        "deleted" => "Moved to the trash".into(),
        "restored" => "Restored from the trash".into(),
        "message" => format!("{} {}: {}", if s("direction") == "inbound" { "Wrote" } else { "Sent" }, s("type"), s("text")),
        other => other.to_owned(),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/contacts/:id`.
#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateContact>::new();
    let note = ServerAction::<AddContactNote>::new();
    let detail = Resource::new(move || (id(), update.version().get(), note.version().get()), |(id, _, _)| get_contact(id));
    view! {
        <Title text="Contact" />
        <p><A href="/contacts">"← Contacts"</A></p>
        <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ContactBody d update note /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="notice notice-error">{e.message.clone()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ContactBody(d: ContactDetail, update: ServerAction<UpdateContact>, note: ServerAction<AddContactNote>) -> impl IntoView {
    let hydrated = use_hydrated();
    let c = d.contact.clone();
    let id = c.id.to_string();
    let sig = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let (name, email, company, birthday) = (sig(c.name.clone()), sig(c.email.clone()), sig(c.company.clone()), sig(c.birthday.clone()));
    let (status, stage, opt_in) = (RwSignal::new(c.lead_status.clone()), RwSignal::new(c.lifecycle_stage.clone()), RwSignal::new(c.opt_in_status.clone()));
    let evidence = RwSignal::new(String::new());
    let tags = RwSignal::new(c.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>());
    let known_tags = Resource::new(|| (), |_| crate::api::contacts::contact_tags());
    let known = Signal::derive(move || known_tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| t.name).collect::<Vec<_>>());
    /// A custom field's facts and the signal its input edits.
    type FieldInput = (String, String, String, Vec<String>, RwSignal<String>);
    let custom: Vec<FieldInput> = d
        .fields
        .iter()
        .map(|f| {
            (
                f.key.clone(),
                f.label.clone(),
                f.kind.clone(),
                f.choices.clone(),
                RwSignal::new(c.custom_fields.get(&f.key).map(show).filter(|s| s != "—").unwrap_or_default()),
            )
        })
        .collect();
    let custom_sigs: Vec<(String, RwSignal<String>)> = custom.iter().map(|(k, _, _, _, s)| (k.clone(), *s)).collect();
    let sid = id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut fields = Map::new();
        for (k, s) in &custom_sigs {
            fields.insert(k.clone(), Value::from(s.get_untracked()));
        }
        let tag_list: Vec<String> = tags.get_untracked();
        let mut changes = json!({
            "name": name.get_untracked(), "email": email.get_untracked(), "company": company.get_untracked(), "birthday": birthday.get_untracked(),
            "lead_status": status.get_untracked(), "lifecycle_stage": stage.get_untracked(), "opt_in_status": opt_in.get_untracked(),
            "tags": tag_list, "custom_fields": fields,
        });
        if !evidence.get_untracked().trim().is_empty() {
            changes["opt_in_evidence"] = Value::from(evidence.get_untracked());
        }
        update.dispatch(UpdateContact { contact_id: sid.clone(), changes: changes.to_string() });
    };
    let note_text = RwSignal::new(String::new());
    let nid = id.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = note.value().get() {
            note_text.set(String::new());
        }
    });
    let disabled = move || !hydrated.get() || !d.can_edit;
    let title = c.display_name();
    view! {
        <Title text=title.clone() />
        <div class="contact-page">
            <section class="card" aria-labelledby="contact-heading">
                <h1 id="contact-heading" data-testid="contact-name">{title.clone()}</h1>
                <p class="muted">{format!("{} · from {} · score {} · added {}", c.phone.clone().unwrap_or_else(|| "no phone".into()), c.source, c.score, utc_date(c.created_at))}</p>
                <TagChips tags=c.tags.clone() />
                <form class="form" aria-label="Contact details" on:submit=save>
                    <label for="c-name">"Name"</label>
                    <input id="c-name" maxlength="200" bind:value=name disabled=disabled />
                    <label for="c-email">"Email"</label>
                    <input id="c-email" type="email" maxlength="254" bind:value=email disabled=disabled />
                    <label for="c-company">"Company"</label>
                    <input id="c-company" maxlength="200" bind:value=company disabled=disabled />
                    <label for="c-status">"Lead status"</label>
                    <select id="c-status" disabled=disabled on:change=move |ev| status.set(event_target_value(&ev))>
                        {["new", "engaged", "qualified", "converted", "lost"].into_iter().map(|s| view! { <option value=s selected=move || status.get() == s>{s}</option> }).collect_view()}
                    </select>
                    <label for="c-stage">"Lifecycle stage"</label>
                    <select id="c-stage" disabled=disabled on:change=move |ev| stage.set(event_target_value(&ev))>
                        {["lead", "prospect", "customer", "churned"].into_iter().map(|s| view! { <option value=s selected=move || stage.get() == s>{s}</option> }).collect_view()}
                    </select>
                    <label for="c-birthday">"Birthday"</label>
                    <input id="c-birthday" type="date" bind:value=birthday disabled=disabled />
                    <label for="c-opt-in">"Opt-in"</label>
                    <select id="c-opt-in" disabled=disabled on:change=move |ev| opt_in.set(event_target_value(&ev))>
                        {[("unknown", "Unknown"), ("opted_in", "Opted in"), ("opted_out", "Opted out")].into_iter().map(|(v, l)| view! { <option value=v selected=move || opt_in.get() == v>{l}</option> }).collect_view()}
                    </select>
                    <label for="c-evidence">"How consent was given or withdrawn"</label>
                    <input id="c-evidence" maxlength="500" placeholder="Signed the form at the fair" bind:value=evidence disabled=disabled />
                    <TagPicker id="c-tags" label="Tags" tags known disabled=Signal::derive(disabled) />
                    {custom.into_iter().map(|(key, label, kind, choices, s)| {
                        let input_id = format!("cf-{key}");
                        let control = if kind == "choice" {
                            view! {
                                <select id=input_id.clone() disabled=disabled on:change=move |ev| s.set(event_target_value(&ev))>
                                    <option value="">"—"</option>
                                    {choices.into_iter().map(|ch| { let c2 = ch.clone(); view! { <option value=ch.clone() selected=move || s.get() == c2>{ch.clone()}</option> } }).collect_view()}
                                </select>
                            }.into_any()
                        } else {
                            let t = match kind.as_str() { "number" => "number", "date" => "date", _ => "text" };
                            view! { <input id=input_id.clone() type=t step="any" bind:value=s disabled=disabled /> }.into_any()
                        };
                        view! { <label for=input_id>{label}</label> {control} }
                    }).collect_view()}
                    <ErrorNotice result=update.value() />
                    <SavedNotice result=update.value() text="Contact saved." />
                    {d.can_edit.then(|| view! { <button type="submit" class="button button-primary" disabled=move || !hydrated.get()>"Save"</button> })}
                </form>
            </section>

            <section class="card" aria-labelledby="notes-heading">
                <h2 id="notes-heading">"Notes"</h2>
                {d.can_edit.then(|| view! {
                    <form class="form" aria-label="Add a note" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        note.dispatch(AddContactNote { contact_id: nid.clone(), text: note_text.get_untracked() });
                    }>
                        <label for="note-text">"Note"</label>
                        <textarea id="note-text" rows="2" maxlength="5000" prop:value=move || note_text.get() on:input=move |ev| note_text.set(event_target_value(&ev))></textarea>
                        <ErrorNotice result=note.value() />
                        <button type="submit" class="button" disabled=move || !hydrated.get()>"Add note"</button>
                    </form>
                })}
                <ul class="notes" data-testid="notes">
                    {d.notes.into_iter().map(|n| view! { <li><p>{n.body}</p><p class="muted">{format!("{} · {}", n.author_name.unwrap_or_else(|| "Lead source".into()), utc_date(n.at))}</p></li> }).collect_view()}
                </ul>
                <h2>"Conversations"</h2>
                <ul>
                    {if d.conversations.is_empty() { view! { <li class="muted">"None yet"</li> }.into_any() } else {
                        d.conversations.into_iter().map(|v| view! { <li><A href=format!("/inbox/{}", v.id)>{format!("{} conversation", v.status)}</A></li> }).collect_view().into_any()
                    }}
                </ul>
            </section>

            <section class="card" aria-labelledby="timeline-heading">
                <h2 id="timeline-heading">"Timeline"</h2>
                <ol class="timeline" data-testid="timeline">
                    {d.timeline.into_iter().map(|a| {
                        let who = a.actor_name.clone().map(|n| format!(" — {n}")).unwrap_or_default();
                        view! { <li data-kind=a.kind.clone()><time class="muted">{date_time_of(a.at)}</time>" "{describe(&a)}{who}</li> }
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, detail: Value) -> ContactActivityView {
        ContactActivityView { id: "1".into(), kind: kind.into(), detail, actor_name: None, at: 0 }
    }

    #[test]
    fn timeline_lines_read_as_sentences() {
        assert_eq!(describe(&line("created", json!({"source": "csv", "via": "import"}))), "Created from csv (via import)");
        assert_eq!(describe(&line("updated", json!({"changes": {"name": {"from": "Bea", "to": "Beatriz"}}}))), "Changed name: Bea → Beatriz");
        assert_eq!(
            describe(&line("opt_in", json!({"from": "unknown", "to": "opted_out", "via": "whatsapp", "evidence": "STOP"}))),
            "Opt-in unknown → opted_out via whatsapp (STOP)"
        );
    }
}
