//! The row editors of Settings → Contacts: lead scoring rules (a trigger, what it
//! matches, points) and a lead source's field mapping (a posted field, the contact field
//! it fills). Rows are added and removed in place; the server checks them as before and
//! names the rule or mapping at fault.

use crate::components::button::{Button, IconButton};
use crate::components::icons::{Icon, IconName};
use domain::scoring::{ScoreRule, ScoreTrigger};
use leptos::prelude::*;

/// The triggers a rule can have, with what the form calls them.
const TRIGGERS: [(&str, &str); 4] =
    [("source", "Came from the source"), ("tag_added", "Has the tag"), ("replied", "Has replied on WhatsApp"), ("clicked", "Clicked a link (per click)")];

/// Whether a trigger needs a value (the source's or tag's name).
fn needs_value(trigger: &str) -> bool {
    matches!(trigger, "source" | "tag_added")
}

/// One scoring rule being edited.
#[derive(Clone, Copy)]
pub struct RuleRow {
    key: u64,
    trigger: RwSignal<String>,
    value: RwSignal<String>,
    points: RwSignal<String>,
}

/// The rules being edited, in order.
#[derive(Clone, Copy)]
pub struct RuleRows {
    rows: RwSignal<Vec<RuleRow>>,
    next: StoredValue<u64>,
}

impl RuleRows {
    /// Rows for the saved rules.
    pub fn new(saved: &[ScoreRule]) -> Self {
        let r = RuleRows { rows: RwSignal::new(Vec::new()), next: StoredValue::new(0) };
        for rule in saved {
            let (trigger, value) = match &rule.trigger {
                ScoreTrigger::Source(v) => ("source", v.clone()),
                ScoreTrigger::TagAdded(v) => ("tag_added", v.clone()),
                ScoreTrigger::Replied => ("replied", String::new()),
                ScoreTrigger::Clicked => ("clicked", String::new()),
            };
            r.add(trigger, value, rule.points.to_string());
        }
        r
    }

    fn add(self, trigger: &str, value: String, points: String) {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        let row = RuleRow { key, trigger: RwSignal::new(trigger.to_owned()), value: RwSignal::new(value), points: RwSignal::new(points) };
        self.rows.update(|r| r.push(row));
    }

    /// The rules as the server reads them: a JSON list of `{trigger, value, points}`.
    pub fn to_json(self) -> String {
        let list: Vec<serde_json::Value> = self.rows.with_untracked(|rows| {
            rows.iter()
                .map(|r| {
                    let trigger = r.trigger.get_untracked();
                    let value = if needs_value(&trigger) { r.value.get_untracked() } else { String::new() };
                    serde_json::json!({"trigger": trigger, "value": value, "points": r.points.get_untracked()})
                })
                .collect()
        });
        serde_json::Value::Array(list).to_string()
    }
}

/// The scoring rules as rows. `suggestions` are the names offered for a source or tag;
/// `error` is the server's complaint and `bad_row` the rule it is about.
#[component]
pub fn ScoreRulesEditor(
    rows: RuleRows,
    suggestions: Vec<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] bad_row: Signal<Option<usize>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let position = move |key: u64| rows.rows.with(|r| r.iter().position(|x| x.key == key).unwrap_or(0));
    view! {
        <fieldset class="row-editor" aria-describedby="rules-hint rules-error" data-testid="score-rules">
            <legend>"Lead scoring rules"</legend>
            <p class="field-hint" id="rules-hint">"Each rule a contact matches adds its points (or takes them away: −100 to 100). Scores are recomputed for everyone on save."</p>
            <datalist id="rule-suggestions">{suggestions.into_iter().map(|s| view! { <option value=s></option> }).collect_view()}</datalist>
            <ol class="editor-rows">
                <For each=move || rows.rows.get() key=|r| r.key let:r>
                    <li class="editor-row" data-testid="score-rule" class:field-invalid=move || bad_row.get() == Some(position(r.key)) && error.with(Option::is_some)>
                        <select aria-label=move || format!("When (rule {})", position(r.key) + 1) disabled=move || disabled.get()
                            on:change=move |ev| r.trigger.set(event_target_value(&ev))>
                            {TRIGGERS.into_iter().map(|(v, l)| view! { <option value=v selected=move || r.trigger.with(|t| t == v)>{l}</option> }).collect_view()}
                        </select>
                        <Show when=move || r.trigger.with(|t| needs_value(t))>
                            <input aria-label=move || format!("Source or tag (rule {})", position(r.key) + 1) list="rule-suggestions" maxlength="100"
                                placeholder=move || if r.trigger.with(|t| t == "source") { "Site form" } else { "vip" }
                                disabled=move || disabled.get() bind:value=r.value />
                        </Show>
                        <input type="number" class="points" aria-label=move || format!("Points (rule {})", position(r.key) + 1) step="1"
                            disabled=move || disabled.get() bind:value=r.points />
                        <IconButton icon=IconName::Trash label=Signal::derive(move || format!("Remove rule {}", position(r.key) + 1)) disabled
                            on_click=move |_| rows.rows.update(|v| v.retain(|x| x.key != r.key)) />
                    </li>
                </For>
            </ol>
            <Show when=move || rows.rows.with(Vec::is_empty)>
                <p class="muted">"No rules yet: every contact scores 0."</p>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" id="rules-error" role="alert">{e}</p> })}
            <Button disabled on_click=move |_| rows.add("source", String::new(), "10".into())>
                <Icon name=IconName::Plus />
                "Add rule"
            </Button>
        </fieldset>
    }
}

/// One mapping line being edited.
#[derive(Clone, Copy)]
pub struct MapRow {
    key: u64,
    field: RwSignal<String>,
    target: RwSignal<String>,
}

/// A lead source's field mapping being edited.
#[derive(Clone, Copy)]
pub struct MapRows {
    rows: RwSignal<Vec<MapRow>>,
    next: StoredValue<u64>,
}

impl MapRows {
    /// No lines: fields are matched by their names.
    pub fn new() -> Self {
        MapRows { rows: RwSignal::new(Vec::new()), next: StoredValue::new(0) }
    }

    fn add(self) {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        self.rows.update(|r| r.push(MapRow { key, field: RwSignal::new(String::new()), target: RwSignal::new("phone".into()) }));
    }

    /// Back to no lines (after the source is added).
    pub fn clear(self) {
        self.rows.set(Vec::new());
    }

    /// The mapping as the server reads it: one `field = contact field` per line.
    pub fn to_text(self) -> String {
        self.rows.with_untracked(|rows| {
            rows.iter().map(|r| format!("{} = {}", r.field.get_untracked().trim(), r.target.get_untracked())).collect::<Vec<_>>().join("\n")
        })
    }
}

impl Default for MapRows {
    fn default() -> Self {
        Self::new()
    }
}

/// How the form names a mapping target.
fn target_label(t: &str) -> String {
    match t {
        "ignore" => "(ignore this field)".into(),
        _ => t.replace('_', " "),
    }
}

/// The mapping as rows: a posted field's name, the contact field it fills. `custom` are
/// the org's custom field keys and labels.
#[component]
pub fn MappingEditor(rows: MapRows, custom: Vec<(String, String)>, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    let mut targets: Vec<(String, String)> = domain::import::TARGETS.iter().map(|t| (t.to_string(), target_label(t))).collect();
    targets.extend(custom.into_iter().map(|(k, l)| (format!("custom:{k}"), format!("{l} (custom)"))));
    let targets = StoredValue::new(targets);
    let position = move |key: u64| rows.rows.with(|r| r.iter().position(|x| x.key == key).unwrap_or(0));
    view! {
        <fieldset class="row-editor" aria-describedby="mapping-hint mapping-error" data-testid="mapping">
            <legend>"Field mapping"</legend>
            <p class="field-hint" id="mapping-hint">"Which contact field each posted field fills. With no lines, fields are matched by their names (phone, name, email…)."</p>
            <ol class="editor-rows">
                <For each=move || rows.rows.get() key=|r| r.key let:r>
                    <li class="editor-row" data-testid="mapping-row">
                        <input aria-label=move || format!("Posted field (line {})", position(r.key) + 1) maxlength="100" placeholder="your_phone" bind:value=r.field />
                        <span aria-hidden="true">"→"</span>
                        <select aria-label=move || format!("Contact field (line {})", position(r.key) + 1) on:change=move |ev| r.target.set(event_target_value(&ev))>
                            {targets.with_value(|t| t.iter().map(|(v, l)| {
                                let v2 = v.clone();
                                view! { <option value=v.clone() selected=move || r.target.with(|t| *t == v2)>{l.clone()}</option> }
                            }).collect_view())}
                        </select>
                        <IconButton icon=IconName::Trash label=Signal::derive(move || format!("Remove line {}", position(r.key) + 1))
                            on_click=move |_| rows.rows.update(|v| v.retain(|x| x.key != r.key)) />
                    </li>
                </For>
            </ol>
            {move || error.get().map(|e| view! { <p class="field-error" id="mapping-error" role="alert">{e}</p> })}
            <Button on_click=move |_| rows.add()>
                <Icon name=IconName::Plus />
                "Add mapping line"
            </Button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_rows_read_back_as_the_rules_they_came_from() {
        let owner = Owner::new();
        owner.with(|| {
            let saved =
                vec![ScoreRule { trigger: ScoreTrigger::Source("Site form".into()), points: 10 }, ScoreRule { trigger: ScoreTrigger::Replied, points: -5 }];
            let rows = RuleRows::new(&saved);
            assert_eq!(domain::scoring::parse_rules(&rows.to_json()).unwrap(), saved);
            rows.add("tag_added", "vip".into(), "30".into());
            assert_eq!(domain::scoring::parse_rules(&rows.to_json()).unwrap().len(), 3);
        });
    }

    #[test]
    fn mapping_rows_become_one_line_each() {
        let owner = Owner::new();
        owner.with(|| {
            let rows = MapRows::new();
            assert_eq!(rows.to_text(), "", "no lines: match by name");
            rows.add();
            rows.rows.with_untracked(|r| r[0].field.set(" your_phone ".into()));
            rows.add();
            rows.rows.with_untracked(|r| {
                r[1].field.set("plan".into());
                r[1].target.set("custom:plan".into())
            });
            assert_eq!(rows.to_text(), "your_phone = phone\nplan = custom:plan");
        });
    }
}
