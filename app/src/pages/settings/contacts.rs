//! Settings → Contacts: lead sources (webhook URLs, Google Sheets), custom fields, tags,
//! lead scoring rules, opt-out keywords and the countries contacts may come from.

use super::rule_rows::{MapRows, MappingEditor, RuleRows, ScoreRulesEditor};
use crate::api::crm::{
    get_crm_settings, CreateField, CreateSource, CrmSettingsPage, DeleteField, DeleteSource, DeleteTag, PollSource, SaveCrmSettings, SaveTag,
};
use crate::components::button::{Button, Variant};
use crate::components::field::{field_error, TextField};
use crate::components::format::date_time_of;
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use leptos::prelude::*;
use leptos_meta::Title;

/// The page.
#[component]
pub fn ContactSettings() -> impl IntoView {
    let save = ServerAction::<SaveCrmSettings>::new();
    let field_create = ServerAction::<CreateField>::new();
    let field_delete = ServerAction::<DeleteField>::new();
    let tag_save = ServerAction::<SaveTag>::new();
    let tag_delete = ServerAction::<DeleteTag>::new();
    let source_create = ServerAction::<CreateSource>::new();
    let source_delete = ServerAction::<DeleteSource>::new();
    let source_poll = ServerAction::<PollSource>::new();
    let data = Resource::new(
        move || {
            (
                save.version().get(),
                field_create.version().get(),
                field_delete.version().get(),
                tag_save.version().get(),
                tag_delete.version().get(),
                source_create.version().get(),
                source_delete.version().get(),
                source_poll.version().get(),
            )
        },
        |_| get_crm_settings(),
    );
    let actions = Actions { save, field_create, field_delete, tag_save, tag_delete, source_create, source_delete, source_poll };
    view! {
        <Title text="Contact settings" />
        <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <SettingsBody d actions /> }.into_any(),
                    Err(e) => view! { <p role="alert" class="notice notice-error">{e.message.clone()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveCrmSettings>,
    field_create: ServerAction<CreateField>,
    field_delete: ServerAction<DeleteField>,
    tag_save: ServerAction<SaveTag>,
    tag_delete: ServerAction<DeleteTag>,
    source_create: ServerAction<CreateSource>,
    source_delete: ServerAction<DeleteSource>,
    source_poll: ServerAction<PollSource>,
}

#[component]
fn SettingsBody(d: CrmSettingsPage, actions: Actions) -> impl IntoView {
    let hydrated = use_hydrated();
    let a = actions;
    let off = move || !hydrated.get();
    // Lead source form.
    let s_mapping = MapRows::new();
    let (s_kind, s_name, s_sheet, s_range, s_csv, s_key, s_minutes) = (
        RwSignal::new("webhook".to_string()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("A:Z".to_string()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("5".to_string()),
    );
    let s_signed = RwSignal::new(false);
    // Field form.
    let (f_key, f_label, f_kind, f_choices) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new("text".to_string()), RwSignal::new(String::new()));
    // Tag form.
    let (t_name, t_colour) = (RwSignal::new(String::new()), RwSignal::new("#2563eb".to_string()));
    // Settings form.
    let rules = RuleRows::new(&d.settings.score_rules);
    let rule_error = Signal::derive(move || field_error(a.save.value().get(), "rules"));
    let bad_rule = Signal::derive(move || {
        a.save.value().get().and_then(|r| r.err()).and_then(|e| e.details).and_then(|d| d.get("row").and_then(|r| r.as_u64())).map(|r| r as usize)
    });
    let mapping_error = Signal::derive(move || field_error(a.source_create.value().get(), "mapping"));
    // A new source starts the mapping afresh.
    Effect::new(move |_| {
        if let Some(Ok(_)) = a.source_create.value().get() {
            s_mapping.clear();
        }
    });
    let mut suggestions: Vec<String> = d.tags.iter().map(|t| t.name.clone()).chain(d.sources.iter().map(|s| s.name.clone())).collect();
    suggestions.sort();
    suggestions.dedup();
    let custom_fields: Vec<(String, String)> = d.fields.iter().map(|f| (f.key.clone(), f.label.clone())).collect();
    let keywords = RwSignal::new(d.settings.opt_out_keywords.join(", "));
    let codes = RwSignal::new(d.settings.allowed_calling_codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "));
    let origin = move || {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    };
    view! {
        <section class="card" aria-labelledby="sources-heading">
            <h2 id="sources-heading">"Lead sources"</h2>
            <p class="muted">"Forms and ad platforms post leads to a source's secret address (JSON or form fields). Sheets are read on their schedule; each row becomes a lead once."</p>
            <ErrorNotice result=a.source_delete.value() />
            <ul class="sources" data-testid="sources">
                {d.sources.into_iter().map(|s| {
                    let (id, id2) = (s.id.clone(), s.id.clone());
                    let url_path = format!("/api/hooks/{}", s.source_key);
                    let is_sheet = s.kind == "sheet";
                    view! {
                        <li data-kind=s.kind.clone()>
                            <strong>{s.name.clone()}</strong>
                            {if is_sheet {
                                view! { <span>{format!(" · sheet {} · every {} min", s.spreadsheet_id.clone().or(s.csv_url.clone()).unwrap_or_default(), s.poll_minutes)}</span> }.into_any()
                            } else if s.source_key.is_empty() {
                                // Only admins see a source's secret address.
                                view! { <span class="muted">" · webhook"</span> }.into_any()
                            } else {
                                view! { <code class="hook-url" data-testid="hook-url">{move || format!("{}{}", origin(), url_path)}</code> }.into_any()
                            }}
                            {s.require_signature.then(|| view! { <span class="tag" data-testid="signed">"signed posts only"</span> })}
                            {(!s.mapping.is_empty()).then(|| view! {
                                <p class="muted" data-testid="source-mapping">{{
                                    let mut pairs: Vec<String> = s.mapping.iter().map(|(f, t)| format!("{f} \u{2192} {}", t.as_str().unwrap_or_default())).collect();
                                    pairs.sort();
                                    format!("Maps {}", pairs.join(", "))
                                }}</p>
                            })}
                            <p class="muted">{format!("{} leads · last success: {}", s.leads_count, s.last_success_at.map(date_time_of).unwrap_or_else(|| "never".into()))}</p>
                            {s.last_error.clone().map(|e| view! { <p class="notice notice-error">{format!("Last error: {e}")}</p> })}
                            {(is_sheet && d.can_manage).then(|| view! { <button type="button" class="button" disabled=off on:click=move |_| { a.source_poll.dispatch(PollSource { source_id: id.clone() }); }>"Poll now"</button> })}
                            {d.can_admin.then(|| view! { <button type="button" class="button button-danger" disabled=off on:click=move |_| { a.source_delete.dispatch(DeleteSource { source_id: id2.clone() }); }>"Delete"</button> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {d.can_admin.then(|| view! {
                <form class="form" aria-label="New lead source" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    a.source_create.dispatch(CreateSource { kind: s_kind.get_untracked(), name: s_name.get_untracked(), mapping: s_mapping.to_text(), spreadsheet_id: s_sheet.get_untracked(), range: s_range.get_untracked(), csv_url: s_csv.get_untracked(), api_key: s_key.get_untracked(), poll_minutes: s_minutes.get_untracked().parse().unwrap_or(5), require_signature: s_signed.get_untracked() });
                }>
                    <h3>"Add a lead source"</h3>
                    <label for="source-kind">"Kind"</label>
                    <select id="source-kind" on:change=move |ev| s_kind.set(event_target_value(&ev))>
                        <option value="webhook">"Webhook (forms, ads)"</option>
                        <option value="sheet">"Google Sheet"</option>
                    </select>
                    <label for="source-name">"Name (recorded as the contacts' source)"</label>
                    <input id="source-name" required maxlength="80" bind:value=s_name />
                    <Show when=move || s_kind.get() == "sheet">
                        <label for="source-sheet">"Spreadsheet id"</label>
                        <input id="source-sheet" maxlength="200" bind:value=s_sheet />
                        <label for="source-range">"Range"</label>
                        <input id="source-range" maxlength="100" bind:value=s_range />
                        <label for="source-key">"Google API key (stored encrypted)"</label>
                        <input id="source-key" type="password" autocomplete="off" maxlength="200" bind:value=s_key />
                        <label for="source-csv">"…or the sheet's published CSV address"</label>
                        <input id="source-csv" type="url" maxlength="2000" bind:value=s_csv />
                        <label for="source-minutes">"Check every (minutes)"</label>
                        <input id="source-minutes" type="number" min="1" max="1440" bind:value=s_minutes />
                    </Show>
                    <Show when=move || s_kind.get() == "webhook">
                        <label class="check" for="source-signed">
                            <input id="source-signed" type="checkbox" bind:checked=s_signed />
                            " Require a signature (X-MCE-Signature: sha256= HMAC of the body)"
                        </label>
                    </Show>
                    <MappingEditor rows=s_mapping custom=custom_fields error=mapping_error />
                    <ErrorNotice result=a.source_create.value() />
                    {move || a.source_create.value().get().and_then(|r| r.ok()).and_then(|s| s.signing_secret).map(|secret| view! {
                        <p class="notice" role="status">"Signing secret of the new source (shown only now; copy it): " <code data-testid="signing-secret">{secret}</code></p>
                    })}
                    <Button variant=Variant::Primary submit=true busy=a.source_create.pending()>"Add source"</Button>
                </form>
            })}
        </section>

        <section class="card" aria-labelledby="fields-heading">
            <h2 id="fields-heading">"Custom fields"</h2>
            <ErrorNotice result=a.field_delete.value() />
            <ul data-testid="fields">
                {d.fields.into_iter().map(|f| {
                    let id = f.id.clone();
                    view! { <li>{format!("{} ({}) · {}{}", f.label, f.key, f.kind, if f.choices.is_empty() { String::new() } else { format!(": {}", f.choices.join(", ")) })}
                        {d.can_manage.then(|| view! { " " <button type="button" class="link-button" disabled=off on:click=move |_| { a.field_delete.dispatch(DeleteField { field_id: id.clone() }); }>"Delete"</button> })}
                    </li> }
                }).collect_view()}
            </ul>
            {d.can_manage.then(|| view! {
                <form class="form-inline" aria-label="New custom field" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    a.field_create.dispatch(CreateField { key: f_key.get_untracked(), label: f_label.get_untracked(), kind: f_kind.get_untracked(), choices: f_choices.get_untracked() });
                }>
                    <label for="field-label">"Label"</label>
                    <input id="field-label" required maxlength="80" bind:value=f_label />
                    <label for="field-key">"Key"</label>
                    <input id="field-key" required maxlength="40" placeholder="plan_name" bind:value=f_key />
                    <label for="field-kind">"Kind"</label>
                    <select id="field-kind" on:change=move |ev| f_kind.set(event_target_value(&ev))>
                        {["text", "number", "date", "choice"].into_iter().map(|k| view! { <option value=k>{k}</option> }).collect_view()}
                    </select>
                    <label for="field-choices">"Choices (comma-separated)"</label>
                    <input id="field-choices" maxlength="1000" bind:value=f_choices />
                    <button type="submit" class="button" disabled=off>"Add field"</button>
                </form>
                <ErrorNotice result=a.field_create.value() />
            })}
        </section>

        <section class="card" aria-labelledby="tags-heading">
            <h2 id="tags-heading">"Tags"</h2>
            <p class="muted">"At most 50. Tags are also created when you type a new one on a contact or in an import."</p>
            <ErrorNotice result=a.tag_delete.value() />
            <ul class="tag-list">
                {d.tags.into_iter().map(|t| {
                    let (id, id2, name) = (t.id.clone(), t.id.clone(), t.name.clone());
                    view! {
                        <li>
                            <span class="tag" style=format!("--tag: {}", t.colour)>{t.name.clone()}</span>
                            {format!(" {} contacts ", t.contacts)}
                            {d.can_manage.then(|| view! {
                                <label class="sr-only" for=format!("colour-{id}")>{format!("Colour of {name}")}</label>
                                <input type="color" id=format!("colour-{id}") value=t.colour.clone() disabled=off on:change=move |ev| { a.tag_save.dispatch(SaveTag { tag_id: id.clone(), name: name.clone(), colour: event_target_value(&ev) }); } />
                                <button type="button" class="link-button" disabled=off on:click=move |_| { a.tag_delete.dispatch(DeleteTag { tag_id: id2.clone() }); }>"Delete"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {d.can_manage.then(|| view! {
                <form class="form-inline" aria-label="New tag" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    a.tag_save.dispatch(SaveTag { tag_id: String::new(), name: t_name.get_untracked(), colour: t_colour.get_untracked() });
                }>
                    <label for="tag-name">"Tag"</label>
                    <input id="tag-name" required maxlength="40" bind:value=t_name />
                    <label for="tag-colour">"Colour"</label>
                    <input id="tag-colour" type="color" bind:value=t_colour />
                    <button type="submit" class="button" disabled=off>"Add tag"</button>
                </form>
                <ErrorNotice result=a.tag_save.value() />
            })}
        </section>

        <section class="card" aria-labelledby="crm-heading">
            <h2 id="crm-heading">"Scoring, consent and countries"</h2>
            <form class="form" aria-label="Contact rules" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                a.save.dispatch(SaveCrmSettings { rules: rules.to_json(), keywords: keywords.get_untracked(), calling_codes: codes.get_untracked() });
            }>
                <ScoreRulesEditor rows=rules suggestions error=rule_error bad_row=bad_rule disabled=Signal::derive(move || !d.can_admin) />
                <TextField id="opt-out-keywords" label="Opt-out keywords" value=keywords maxlength=1000 disabled=Signal::derive(move || !d.can_admin)
                    hint="Comma-separated. A customer who writes exactly one of these is opted out and told so."
                    error=Signal::derive(move || field_error(a.save.value().get(), "keywords")) />
                <TextField id="calling-codes" label="Allowed country calling codes" value=codes maxlength=500 placeholder="55, 351" disabled=Signal::derive(move || !d.can_admin)
                    hint="Comma-separated; empty allows every country."
                    error=Signal::derive(move || field_error(a.save.value().get(), "calling_codes")) />
                <ErrorNotice result=a.save.value() />
                <SavedNotice result=a.save.value() text="Saved; every contact's score was recomputed." />
                {d.can_admin.then(|| view! { <Button variant=Variant::Primary submit=true busy=a.save.pending()>"Save"</Button> })}
            </form>
        </section>
    }
}
