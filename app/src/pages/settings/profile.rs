//! Settings → Organisation: name, IANA time zone and default country, then the signed-in
//! person's own security ([`super::security`]).

use crate::api::settings::{get_org_profile, UpdateOrgProfile};
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::layout::SignedIn;
use domain::countries::COUNTRIES;
use domain::TimeZoneName;
use leptos::prelude::*;
use leptos_meta::Title;

/// The org profile form. Everyone can read it; only admins can save.
#[component]
pub fn ProfileSettings() -> impl IntoView {
    let update = ServerAction::<UpdateOrgProfile>::new();
    let profile = Resource::new(move || update.version().get(), |_| get_org_profile());
    let hydrated = use_hydrated();
    let is_admin = SignedIn::get().is_admin();
    view! {
        <Title text="Organisation settings" />
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Organisation"</h2>
            <Suspense fallback=|| view! { <crate::components::feedback::Skeleton /> }>
                {move || Suspend::new(async move {
                    let p = match profile.await {
                        Ok(p) => p,
                        Err(e) => return view! { <p role="alert">{e.message.clone()}</p> }.into_any(),
                    };
                    let tz = p.time_zone.clone();
                    let country = p.default_country.clone();
                    view! {
                        <ActionForm action=update attr:class="form" attr:aria-label="Organisation profile">
                            <fieldset disabled=!is_admin>
                                <label for="org-name">"Name"</label>
                                <input id="org-name" name="name" value=p.name.clone() required maxlength="100" />
                                <label for="org-tz">"Time zone"</label>
                                <select id="org-tz" name="time_zone">
                                    {TimeZoneName::all().map(|z| view! { <option value=z selected=z == tz>{z}</option> }).collect_view()}
                                </select>
                                <label for="org-country">"Default country for phone numbers"</label>
                                <select id="org-country" name="default_country">
                                    {COUNTRIES.iter().map(|(code, calling, name)| view! {
                                        <option value=*code selected=*code == country>{format!("{name} (+{calling})")}</option>
                                    }).collect_view()}
                                </select>
                            </fieldset>
                            <ErrorNotice result=update.value() />
                            <SavedNotice result=update.value() text="Saved." />
                            {is_admin.then(|| view! {
                                <button type="submit" class="button button-primary" disabled=move || !hydrated.get() || update.pending().get()>"Save"</button>
                            })}
                            {(!is_admin).then(|| view! { <p class="muted">"Only admins can change these settings."</p> })}
                        </ActionForm>
                    }.into_any()
                })}
            </Suspense>
        </section>
        <super::security::SecuritySettings />
    }
}
