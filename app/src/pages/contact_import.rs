//! `/contacts/import` (INGEST-1): drop or pick a CSV, check the guessed column mapping
//! against 10 preview rows, choose what duplicates do, then watch the progress bar until
//! the counts and the error file are ready.

use crate::api::contacts::{get_import, recent_imports, StartImport};
use crate::components::format::utc_date;
use crate::components::forms::ErrorNotice;
use crate::components::hydration::use_hydrated;
use domain::dto::{CustomFieldView, ImportView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The choices of a column's mapping: built-in fields, then the org's custom fields.
fn targets(fields: &[CustomFieldView]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        ("ignore", "— ignore —"),
        ("phone", "Phone"),
        ("name", "Name"),
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("email", "Email"),
        ("company", "Company"),
        ("tags", "Tags"),
        ("lead_status", "Lead status"),
        ("lifecycle_stage", "Lifecycle stage"),
        ("opt_in_status", "Opt-in"),
        ("birthday", "Birthday"),
        ("notes", "Notes"),
    ]
    .iter()
    .map(|(v, l)| (v.to_string(), l.to_string()))
    .collect();
    out.extend(fields.iter().map(|f| (format!("custom:{}", f.key), f.label.clone())));
    out
}

/// A file the person picked or dropped (nothing on the server side, which never uploads).
#[cfg(feature = "hydrate")]
type PickedFile = web_sys::File;
#[cfg(not(feature = "hydrate"))]
type PickedFile = ();

/// Uploads a file; the new import or the server's reason.
async fn upload(file_input: Option<PickedFile>) -> Result<ImportView, String> {
    #[cfg(feature = "hydrate")]
    {
        let file = file_input.ok_or("Choose a CSV file.")?;
        let body = crate::components::upload::post_file("/contacts/import", file, &[]).await.map_err(|e| e.message)?;
        serde_json::from_str(&body).map_err(|_| "The server's answer could not be read.".to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = file_input;
        Err("Uploads need the page to be loaded.".into())
    }
}

#[component]
pub fn ContactImportPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let current = RwSignal::new(None::<ImportView>);
    let mapping = RwSignal::new(Vec::<String>::new());
    let policy = RwSignal::new("skip".to_string());
    let upload_error = RwSignal::new(None::<String>);
    let uploading = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let start = ServerAction::<StartImport>::new();
    let recent = Resource::new(move || start.version().get(), |_| recent_imports());

    let take_file = move |file: Option<PickedFile>| {
        uploading.set(true);
        upload_error.set(None);
        leptos::task::spawn_local(async move {
            match upload(file).await {
                Ok(view) => {
                    mapping.set(view.mapping.clone());
                    current.set(Some(view));
                }
                Err(e) => upload_error.set(Some(e)),
            }
            uploading.set(false);
        });
    };
    // The started import replaces the preview; the poll below keeps it fresh.
    Effect::new(move |_| {
        if let Some(Ok(view)) = start.value().get() {
            current.set(Some(view));
        }
    });
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                let Some(view) = current.get_untracked() else { return };
                if matches!(view.status.as_str(), "queued" | "running") {
                    leptos::task::spawn_local(async move {
                        if let Ok(fresh) = get_import(view.id.clone()).await {
                            current.set(Some(fresh));
                        }
                    });
                }
            },
            std::time::Duration::from_millis(500),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            let file = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0));
            if let Some(i) = input {
                i.set_value("");
            }
            take_file(file);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, take_file);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        take_file(ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)));
    };

    view! {
        <Title text="Import contacts" />
        <p><A href="/contacts">"← Contacts"</A></p>
        <h1>"Import contacts"</h1>
        <section class="card" aria-labelledby="upload-heading">
            <h2 id="upload-heading">"1. Choose a CSV file"</h2>
            <div class="drop-zone" class:dragging=move || dragging.get() data-testid="drop-zone"
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <p>"Drop a CSV here (up to 50 MB and 100,000 rows), or"</p>
                <label for="import-file" class="button">{move || if uploading.get() { "Uploading…" } else { "Choose a file" }}</label>
                <input id="import-file" class="file-input" type="file" accept=".csv,text/csv,text/plain" data-testid="import-file" disabled=move || !hydrated.get() on:change=on_pick />
                <p class="muted">"Comma, semicolon or tab separated; Excel exports and accents are fine. The first row names the columns."</p>
            </div>
            {move || upload_error.get().map(|e| view! { <p role="alert" class="notice notice-error">{e}</p> })}
        </section>

        {move || current.get().map(|view| {
            if view.status == "uploaded" {
                view! { <MappingStep view mapping policy start /> }.into_any()
            } else {
                view! { <ProgressStep view /> }.into_any()
            }
        })}

        <section class="card" aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recent imports"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let (imports, _) = recent.await.unwrap_or_default();
                    view! {
                        <ul class="imports">
                            {imports.into_iter().map(|i| view! {
                                <li>{format!("{} · {} · {} rows · {} created, {} updated, {} skipped, {} failed · {}", i.filename, i.status, i.total_rows, i.created, i.updated, i.skipped, i.failed, utc_date(i.created_at))}
                                    {(i.failed > 0).then(|| view! { " " <a href=format!("/contacts/imports/{}/errors.csv", i.id) download>"Errors"</a> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Step 2: the mapping with the preview, and the duplicate policy.
#[component]
fn MappingStep(view: ImportView, mapping: RwSignal<Vec<String>>, policy: RwSignal<String>, start: ServerAction<StartImport>) -> impl IntoView {
    let hydrated = use_hydrated();
    let fields = Resource::new(|| (), |_| recent_imports());
    let id = view.id.clone();
    let headers = view.headers.clone();
    view! {
        <section class="card" aria-labelledby="mapping-heading">
            <h2 id="mapping-heading">"2. Match the columns"</h2>
            <p class="muted" data-testid="import-summary">{format!("{} — {} rows", view.filename, view.total_rows)}</p>
            <Suspense fallback=|| ()>
                {move || {
                    let headers = headers.clone();
                    let preview = view.preview.clone();
                    Suspend::new(async move {
                        let (_, custom) = fields.await.unwrap_or_default();
                        let choices = targets(&custom);
                        view! {
                            <div class="table-wrap">
                                <table class="table" data-testid="import-preview">
                                    <thead>
                                        <tr>{headers.iter().enumerate().map(|(i, h)| {
                                            let choices = choices.clone();
                                            let label = format!("Column {} ({h})", i + 1);
                                            view! {
                                                <th scope="col">
                                                    <span>{h.clone()}</span>
                                                    <select aria-label=label on:change=move |ev| { let v = event_target_value(&ev); mapping.update(|m| if let Some(x) = m.get_mut(i) { *x = v }) }>
                                                        {choices.into_iter().map(|(v, l)| { let v2 = v.clone(); view! { <option value=v.clone() selected=move || mapping.get().get(i) == Some(&v2)>{l}</option> } }).collect_view()}
                                                    </select>
                                                </th>
                                            }
                                        }).collect_view()}</tr>
                                    </thead>
                                    <tbody>
                                        {preview.into_iter().map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                    })
                }}
            </Suspense>
            <fieldset class="policy">
                <legend>"When a phone is already a contact"</legend>
                {[("skip", "Skip the row (keep the contact as it is)"), ("update", "Update the contact with the row's values"), ("create", "Only create new contacts (list duplicates as errors)")].into_iter().map(|(v, l)| view! {
                    <label class="check"><input type="radio" name="policy" value=v prop:checked=move || policy.get() == v on:change=move |_| policy.set(v.to_string()) />{l}</label>
                }).collect_view()}
            </fieldset>
            <ErrorNotice result=start.value() />
            <button type="button" class="button button-primary" disabled=move || !hydrated.get() on:click=move |_| {
                start.dispatch(StartImport { import_id: id.clone(), mapping: mapping.get_untracked().join("|"), policy: policy.get_untracked() });
            }>"Start import"</button>
        </section>
    }
}

/// Step 3: the progress bar, then the counts and the error file.
#[component]
fn ProgressStep(view: ImportView) -> impl IntoView {
    let pct = if view.total_rows > 0 { view.processed_rows * 100 / view.total_rows } else { 0 };
    let finished = matches!(view.status.as_str(), "done" | "failed");
    view! {
        <section class="card" aria-labelledby="progress-heading" data-testid="import-progress" data-status=view.status.clone()>
            <h2 id="progress-heading">{if finished { "3. Done" } else { "3. Importing…" }}</h2>
            <crate::components::feedback::ProgressBar label="Import progress" value=view.processed_rows max=view.total_rows figures=false />
            <p data-testid="import-counts">{format!("{} of {} rows ({pct}%) · {} created · {} updated · {} skipped · {} failed", view.processed_rows, view.total_rows, view.created, view.updated, view.skipped, view.failed)}</p>
            {view.message.clone().map(|m| view! { <p role="alert" class="notice notice-error">{m}</p> })}
            {(finished && view.failed > 0).then(|| view! { <a class="button" href=format!("/contacts/imports/{}/errors.csv", view.id) download data-testid="error-file">"Download the rows that failed"</a> })}
            {finished.then(|| view! { <A href="/contacts" attr:class="button">"See the contacts"</A> })}
        </section>
    }
}
