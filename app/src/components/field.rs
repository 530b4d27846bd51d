//! Form fields with their label, an optional hint and a field error, wired together for
//! assistive tech (`aria-describedby`, `aria-invalid`), plus selects and toggles.
//!
//! A field error comes from the server: a validation error whose `details.field` names
//! the field (see [`field_error`]), so the client never guesses what the server checks.

use domain::AppError;
use leptos::prelude::*;

/// The message of `result`'s error if it is about `field` (its `details.field`).
pub fn field_error<T>(result: Option<Result<T, AppError>>, field: &str) -> Option<String> {
    let e = result?.err()?;
    let named = e.details.as_ref().and_then(|d| d.get("field")).and_then(|f| f.as_str()).is_some_and(|f| f == field);
    named.then_some(e.message)
}

/// The ids an input points `aria-describedby` at: its hint and its error, when shown.
fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (error, "error")].into_iter().filter(|(on, _)| *on).map(|(_, k)| format!("{id}-{k}")).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The hint and error lines under an input.
#[component]
fn FieldNotes(id: String, hint: Option<String>, error: Signal<Option<String>>) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        {hint.map(|h| view! { <p class="field-hint" id=format!("{id}-hint")>{h}</p> })}
        {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone() role="alert">{e}</p> })}
    }
}

/// A labelled text input (`input_type` text, email, url, number, password, search…).
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let id2 = id.clone();
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <input
                id=id.clone()
                type=input_type
                required=required
                maxlength=maxlength
                placeholder=placeholder
                disabled=move || disabled.get()
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || described_by(&id2, has_hint, error.with(Option::is_some))
                bind:value=value
            />
            <FieldNotes id hint error />
        </div>
    }
}

/// A labelled select over `(value, label)` options.
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let id2 = id.clone();
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            <select
                id=id.clone()
                disabled=move || disabled.get()
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || described_by(&id2, has_hint, error.with(Option::is_some))
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {move || options.get().into_iter().map(|(v, l)| {
                    let chosen = v.clone();
                    view! { <option value=v selected=move || value.with(|x| *x == chosen)>{l}</option> }
                }).collect_view()}
            </select>
            <FieldNotes id hint error />
        </div>
    }
}

/// An on/off switch (a checkbox with the switch role), its label beside it.
#[component]
pub fn Toggle(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    checked: RwSignal<bool>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    view! {
        <div class="field field-toggle">
            <label class="toggle" for=id.clone()>
                <input id=id.clone() type="checkbox" role="switch" aria-describedby=hint_id.clone() disabled=move || disabled.get() bind:checked=checked />
                <span class="toggle-track" aria-hidden="true"></span>
                <span>{label}</span>
            </label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.unwrap_or_default()>{h}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ErrorCode;

    #[test]
    fn a_field_error_is_the_message_of_an_error_naming_that_field() {
        let e = AppError::validation("Rule 2 gives too many points.").with_details(serde_json::json!({"field": "rules"}));
        assert_eq!(field_error::<()>(Some(Err(e.clone())), "rules").as_deref(), Some("Rule 2 gives too many points."));
        assert_eq!(field_error::<()>(Some(Err(e)), "keywords"), None, "another field's error is not this one's");
        assert_eq!(field_error::<()>(Some(Err(AppError::new(ErrorCode::Internal, "boom"))), "rules"), None);
        assert_eq!(field_error::<()>(Some(Ok(())), "rules"), None);
    }

    #[test]
    fn an_input_is_described_by_its_hint_and_error_when_they_show() {
        assert_eq!(described_by("x", true, true).as_deref(), Some("x-hint x-error"));
        assert_eq!(described_by("x", false, true).as_deref(), Some("x-error"));
        assert_eq!(described_by("x", false, false), None);
    }
}
