//! The sandbox customer phone (CHAN-3): play the customer of the org's sandbox number.
//! See what the business sent — text, media, templates with their buttons, lists — tap
//! buttons, type replies and send a photo. Everything travels as Meta's webhooks do.

use crate::api::sandbox::{get_sandbox_phone, get_simulator_behaviour, SandboxCustomerSend, SetSimulatorBehaviour};
use crate::components::feedback::Skeleton;
use crate::components::field::Toggle;
use crate::components::forms::{ErrorNotice, SavedNotice};
use crate::components::hydration::use_hydrated;
use crate::components::icons::{Icon, IconName};
use crate::components::phone::PhoneFrame;
use domain::dto::SandboxMessage;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

/// The default simulated customer.
const DEFAULT_CUSTOMER: &str = "+15550100001";

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |acc, k| acc.get(*k)).and_then(Value::as_str)
}

/// The phone page.
#[component]
pub fn SandboxPage() -> impl IntoView {
    let customer = RwSignal::new(DEFAULT_CUSTOMER.to_string());
    let name = RwSignal::new("Sandbox Customer".to_string());
    let draft = RwSignal::new(String::new());
    let tick = RwSignal::new(0u32);
    let send = ServerAction::<SandboxCustomerSend>::new();
    let phone = Resource::new(move || (customer.get(), send.version().get(), tick.get()), |(c, _, _)| get_sandbox_phone(c));
    let hydrated = use_hydrated();
    // The business side changes on its own (replies, campaigns): look again every 1.5 s.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t = t.wrapping_add(1)), std::time::Duration::from_millis(1500)) {
            on_cleanup(move || handle.clear());
        }
    });
    let act = move |kind: &str, text: String, context: String, reply_id: String| {
        send.dispatch(SandboxCustomerSend { customer: customer.get_untracked(), name: name.get_untracked(), kind: kind.to_string(), text, context, reply_id });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        act("text", text, String::new(), String::new());
        draft.set(String::new());
    };
    view! {
        <Title text="Sandbox" />
        <h1>"Sandbox"</h1>
        <p class="muted">"Play a customer of your sandbox number: what you send here reaches MCE exactly as a WhatsApp message would."</p>
        <div class="form form-grid sandbox-who">
            <div>
                <label for="sandbox-customer">"Customer phone"</label>
                <input id="sandbox-customer" inputmode="tel" bind:value=customer />
            </div>
            <div>
                <label for="sandbox-name">"Customer name"</label>
                <input id="sandbox-name" maxlength="100" bind:value=name />
            </div>
        </div>
        <PhoneFrame label="Simulated WhatsApp chat"
            head=Box::new(move || view! {
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        phone.await.ok().map(|p| view! {
                            <strong data-testid="sandbox-business">{p.number.verified_name.clone().unwrap_or_default()}</strong>
                            <span class="muted">{p.number.display_phone_number.clone().map(|d| format!("+{d}")).unwrap_or_default()}</span>
                        })
                    })}
                </Transition>
            }.into_any())
            footer=Box::new(move || view! {
                <form class="phone-composer" on:submit=submit aria-label="Reply as the customer">
                    <label for="sandbox-draft" class="sr-only">"Message"</label>
                    <input id="sandbox-draft" placeholder="Message" maxlength="4096" bind:value=draft />
                    <button type="submit" class="button button-primary" disabled=move || !hydrated.get()>"Send"</button>
                    <button type="button" class="button" disabled=move || !hydrated.get() on:click=move |_| {
                        act("image", draft.get_untracked(), String::new(), String::new());
                        draft.set(String::new());
                    }>"Send photo"</button>
                </form>
                <ErrorNotice result=send.value() />
            }.into_any())
        >
            <Transition fallback=|| view! { <Skeleton rows=4 /> }>
                {move || Suspend::new(async move {
                    match phone.await {
                        Ok(p) => view! {
                            <ol class="phone-chat" aria-live="polite" data-testid="sandbox-chat">
                                {p.messages.into_iter().map(|m| view! { <PhoneBubble m act=Callback::new(move |(kind, text, ctx, id): (String, String, String, String)| act(&kind, text, ctx, id)) hydrated /> }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message.clone()} " (" {e.code.as_str()} ")"</p> }.into_any(),
                    }
                })}
            </Transition>
        </PhoneFrame>
        <SimulatorSettings />
    }
}

/// The simulator's misbehaviour switches, to rehearse what Meta really does.
#[component]
fn SimulatorSettings() -> impl IntoView {
    let save = ServerAction::<SetSimulatorBehaviour>::new();
    let current = Resource::new(move || save.version().get(), |_| get_simulator_behaviour());
    let hydrated = use_hydrated();
    let fail_code = RwSignal::new(String::new());
    let duplicate = RwSignal::new(false);
    let reorder = RwSignal::new(false);
    let drop_delivered = RwSignal::new(false);
    let drop_all = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(b)) = current.get() {
            fail_code.set(b.fail_code.map(|c| c.to_string()).unwrap_or_default());
            duplicate.set(b.duplicate_webhooks);
            reorder.set(b.reorder_webhooks);
            drop_delivered.set(b.drop_delivered);
            drop_all.set(b.drop_all_statuses);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SetSimulatorBehaviour {
            fail_code: fail_code.get_untracked(),
            duplicate_webhooks: duplicate.get_untracked(),
            reorder_webhooks: reorder.get_untracked(),
            drop_delivered: drop_delivered.get_untracked(),
            drop_all_statuses: drop_all.get_untracked(),
        });
    };
    view! {
        <section class="card sandbox-settings" aria-labelledby="simulator-heading">
            <h2 id="simulator-heading">"Simulator behaviour"</h2>
            <form class="form" on:submit=submit aria-label="Simulator behaviour">
                <label for="sim-fail">"Answer every send with"</label>
                <select id="sim-fail" prop:value=move || fail_code.get() on:change=move |ev| fail_code.set(event_target_value(&ev))>
                    <option value="">"Success (no error)"</option>
                    <option value="130429">"130429 — throughput limit hit"</option>
                    <option value="131047">"131047 — 24-hour window closed"</option>
                    <option value="131026">"131026 — message undeliverable"</option>
                    <option value="190">"190 — access token expired"</option>
                </select>
                <Toggle id="sim-duplicate" label="Send every status webhook twice" checked=duplicate />
                <Toggle id="sim-reorder" label="Send statuses in reverse order" checked=reorder />
                <Toggle id="sim-drop-delivered" label="Skip the delivered status" checked=drop_delivered />
                <Toggle id="sim-drop-all" label="Lose every status webhook" checked=drop_all hint="Messages then stay at sent: MCE must cope, as with a real outage." />
                <ErrorNotice result=save.value() />
                <SavedNotice result=save.value() text="Simulator updated." />
                <button type="submit" class="button" disabled=move || !hydrated.get() || save.pending().get()>"Apply"</button>
            </form>
        </section>
    }
}

/// One message on the phone, rendered the way WhatsApp shows it.
#[component]
fn PhoneBubble(m: SandboxMessage, act: Callback<(String, String, String, String)>, hydrated: ReadSignal<bool>) -> impl IntoView {
    let b = m.body.clone();
    let wamid = m.wa_message_id.clone();
    if m.direction == "from_customer" {
        if let Some(id) = s(&b, &["image", "id"]).filter(|id| !id.is_empty()) {
            let caption = s(&b, &["image", "caption"]).unwrap_or_default().to_string();
            return view! {
                <li class="bubble bubble-out" data-direction="from_customer">
                    <img class="phone-media" src=format!("/sandbox/phone/media/{id}") alt=if caption.is_empty() { "Photo".to_string() } else { caption.clone() } width="160" />
                    {(!caption.is_empty()).then(|| view! { <p>{caption.clone()}</p> })}
                </li>
            }.into_any();
        }
        let text = match b.get("type").and_then(Value::as_str).unwrap_or_default() {
            "text" => s(&b, &["text", "body"]).unwrap_or_default().to_string(),
            "image" => format!("📷 Photo {}", s(&b, &["image", "caption"]).unwrap_or_default()).trim().to_string(),
            "interactive" => {
                s(&b, &["interactive", "button_reply", "title"]).or(s(&b, &["interactive", "list_reply", "title"])).unwrap_or_default().to_string()
            }
            "button" => s(&b, &["button", "text"]).unwrap_or_default().to_string(),
            other => other.to_string(),
        };
        return view! { <li class="bubble bubble-out" data-direction="from_customer">{text}</li> }.into_any();
    }
    let kind = b.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    let tap = move |kind: &'static str, text: String, id: String| {
        let ctx = wamid.clone();
        move |_| act.run((kind.to_string(), text.clone(), ctx.clone(), id.clone()))
    };
    let body = match kind.as_str() {
        "text" => view! { <p>{s(&b, &["text", "body"]).unwrap_or_default().to_string()}</p> }.into_any(),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let o = &b[kind.as_str()];
            let caption = o.get("caption").or(o.get("filename")).and_then(Value::as_str).unwrap_or_default().to_string();
            // Uploaded files are in the simulator's store; links are shown as links.
            let src = o.get("id").and_then(Value::as_str).map(|id| format!("/sandbox/phone/media/{id}"));
            let link = o.get("link").and_then(Value::as_str).map(str::to_owned);
            let preview = match (kind.as_str(), src.clone()) {
                ("image" | "sticker", Some(src)) => view! { <img class="phone-media" src=src alt=if caption.is_empty() { kind.clone() } else { caption.clone() } width="160" /> }.into_any(),
                ("video", Some(src)) => view! { <video class="phone-media" src=src controls=true width="200"></video> }.into_any(),
                ("audio", Some(src)) => view! { <audio src=src controls=true></audio> }.into_any(),
                (_, src) => {
                    let href = src.or(link).unwrap_or_default();
                    view! { <a href=href target="_blank" rel="noopener noreferrer"><Icon name=IconName::Attach />{kind.clone()}</a> }.into_any()
                }
            };
            view! { {preview} {(!caption.is_empty()).then(|| view! { <p>{caption.clone()}</p> })} }.into_any()
        }
        "template" => {
            let t = &b["template"];
            let params: Vec<String> = t["components"].as_array().into_iter().flatten()
                .filter(|c| c["type"] == "body" || c["type"] == "header")
                .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
                .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let buttons: Vec<String> = t["components"].as_array().into_iter().flatten()
                .filter(|c| c["type"] == "button" && c["sub_type"] == "quick_reply")
                .filter_map(|c| c["parameters"][0]["payload"].as_str().map(str::to_owned))
                .collect();
            view! {
                <p class="template-name">{format!("Template “{}” ({})", s(t, &["name"]).unwrap_or_default(), s(t, &["language", "code"]).unwrap_or_default())}</p>
                {(!params.is_empty()).then(|| view! { <p>{params.join(" · ")}</p> })}
                <div class="chips">
                    {buttons.into_iter().map(|p| view! {
                        <button type="button" class="chip" disabled=move || !hydrated.get() on:click=tap("template_button", p.clone(), p.clone())>{p.clone()}</button>
                    }).collect_view()}
                </div>
            }.into_any()
        }
        "interactive" => {
            let i = &b["interactive"];
            let text = s(i, &["body", "text"]).unwrap_or_default().to_string();
            match s(i, &["type"]).unwrap_or_default() {
                "button" => {
                    let buttons: Vec<(String, String)> = i["action"]["buttons"].as_array().into_iter().flatten()
                        .map(|x| (s(x, &["reply", "id"]).unwrap_or_default().to_string(), s(x, &["reply", "title"]).unwrap_or_default().to_string()))
                        .collect();
                    view! {
                        <p>{text}</p>
                        <div class="chips">
                            {buttons.into_iter().map(|(id, title)| view! {
                                <button type="button" class="chip" disabled=move || !hydrated.get() on:click=tap("button_reply", title.clone(), id.clone())>{title.clone()}</button>
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
                "list" => {
                    let rows: Vec<(String, String, String)> = i["action"]["sections"].as_array().into_iter().flatten()
                        .flat_map(|sec| sec["rows"].as_array().cloned().unwrap_or_default())
                        .map(|r| (s(&r, &["id"]).unwrap_or_default().to_string(), s(&r, &["title"]).unwrap_or_default().to_string(), s(&r, &["description"]).unwrap_or_default().to_string()))
                        .collect();
                    view! {
                        <p>{text}</p>
                        <p class="muted">{s(i, &["action", "button"]).unwrap_or_default().to_string()}</p>
                        <ul class="list-rows">
                            {rows.into_iter().map(|(id, title, desc)| view! {
                                <li><button type="button" class="chip" disabled=move || !hydrated.get() on:click=tap("list_reply", title.clone(), id.clone())>{title.clone()}</button> " " <span class="muted">{desc}</span></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
                "cta_url" => {
                    let label = s(i, &["action", "parameters", "display_text"]).unwrap_or_default().to_string();
                    let url = s(i, &["action", "parameters", "url"]).unwrap_or_default().to_string();
                    view! { <p>{text}</p> <a class="chip" href=url target="_blank" rel="noopener noreferrer">{label}</a> }.into_any()
                }
                other => view! { <p>{format!("[{other}] {text}")}</p> }.into_any(),
            }
        }
        "location" => view! { <p>{format!("📍 {} {}", s(&b, &["location", "name"]).unwrap_or_default(), s(&b, &["location", "address"]).unwrap_or_default()).trim().to_string()}</p> }.into_any(),
        "contacts" => view! { <p>{format!("👤 {}", b["contacts"][0]["name"]["formatted_name"].as_str().unwrap_or_default())}</p> }.into_any(),
        "reaction" => view! { <p>{format!("Reacted {}", s(&b, &["reaction", "emoji"]).unwrap_or_default())}</p> }.into_any(),
        other => view! { <p>{format!("[{other}]")}</p> }.into_any(),
    };
    view! { <li class="bubble bubble-in" data-direction="to_customer" data-type=kind.clone()>{body}</li> }.into_any()
}
