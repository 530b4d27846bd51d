//! Date and time inputs in the org's time zone, whatever the browser's is: a campaign
//! scheduled for 09:00 goes out at 09:00 where the business is. The value is an instant
//! (epoch milliseconds); the box shows and takes the org's wall-clock time, converted
//! with the browser's own time-zone data (`Intl`), so no zone database ships in the WASM.

use crate::components::layout::SignedIn;
use domain::time::{instant_of_wall, wall_of, wall_text};
use leptos::prelude::*;

/// The zone's offset from UTC (milliseconds) at an instant. UTC in the server render and
/// for a zone the browser does not know.
pub fn zone_offset(time_zone: &str, at: i64) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        browser_offset(time_zone, at).unwrap_or(0)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (time_zone, at);
        0
    }
}

#[cfg(feature = "hydrate")]
fn browser_offset(time_zone: &str, at: i64) -> Option<i64> {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let options = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).ok();
    set("timeZone", time_zone)?;
    set("hourCycle", "h23")?;
    for k in ["year", "month", "day", "hour", "minute", "second"] {
        set(k, "numeric")?;
    }
    // Constructed through `Reflect`, so a zone the browser does not know is an error
    // here rather than an uncaught exception.
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let ctor: js_sys::Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")).ok()?.dyn_into().ok()?;
    let format: js_sys::Intl::DateTimeFormat = Reflect::construct(&ctor, &Array::of2(&JsValue::from_str("en-US"), &options)).ok()?.unchecked_into();
    let parts = format.format_to_parts(&js_sys::Date::new(&JsValue::from_f64(at as f64)));
    let mut f = std::collections::HashMap::new();
    for p in parts.iter() {
        let kind = Reflect::get(&p, &JsValue::from_str("type")).ok()?.as_string()?;
        let value = Reflect::get(&p, &JsValue::from_str("value")).ok()?.as_string()?;
        if let Ok(n) = value.parse::<i64>() {
            f.insert(kind, n);
        }
    }
    let g = |k: &str| f.get(k).copied();
    let days = domain::time::days_from_civil(g("year")?, g("month")?, g("day")?);
    let wall = days * 86_400_000 + ((g("hour")? % 24) * 3600 + g("minute")? * 60 + g("second")?) * 1000;
    // The instant's own seconds drop out: offsets are whole minutes.
    Some((wall - at.div_euclid(1000) * 1000).div_euclid(60_000) * 60_000)
}

/// `YYYY-MM-DDTHH:MM` of an instant on the zone's clocks.
pub fn local_text(time_zone: &str, at: i64) -> String {
    wall_text(at + zone_offset(time_zone, at))
}

/// The instant of a `YYYY-MM-DDTHH:MM` reading on the zone's clocks.
pub fn instant_of_local(time_zone: &str, local: &str) -> Option<i64> {
    let wall = wall_of(local)?;
    Some(instant_of_wall(wall, |t| zone_offset(time_zone, t)))
}

/// A date-and-time box in the org's time zone, its zone said under it. `value` is the
/// chosen instant; `None` while the box is empty or unreadable.
#[component]
pub fn DateTimeInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<Option<i64>>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let signed_in = SignedIn::get();
    let zone = Signal::derive(move || signed_in.time_zone());
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="datetime-local"
                required=required
                disabled=move || disabled.get()
                aria-describedby=hint_id.clone()
                prop:value=move || value.get().map(|at| local_text(&zone.get(), at)).unwrap_or_default()
                on:change=move |ev| value.set(instant_of_local(&zone.get_untracked(), &event_target_value(&ev)))
            />
            <p class="field-hint" id=hint_id>{move || format!("Time in {} (the organisation\u{2019}s time zone)", zone.get())}</p>
        </div>
    }
}
