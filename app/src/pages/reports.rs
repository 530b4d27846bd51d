//! `/reports` (DASH): charts of the org's activity. The first is messages over time;
//! campaign and response-time charts join it as those features land. It is the only page
//! that loads ECharts.

use crate::api::reports::messages_chart;
use crate::components::chart::Chart;
use crate::components::feedback::Skeleton;
use crate::components::tabs::{SharedTabPanel, Tabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The ranges a report can cover, in days.
const RANGES: [(&str, &str, u32); 3] = [("7", "7 days", 7), ("14", "14 days", 14), ("30", "30 days", 30)];

/// The page.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let range = RwSignal::new("14".to_string());
    let days = move || range.with(|r| RANGES.iter().find(|(k, _, _)| k == r).map(|(_, _, d)| *d).unwrap_or(14));
    let chart = Resource::new(days, messages_chart);
    view! {
        <Title text="Reports" />
        <div class="page-head">
            <h1>"Reports"</h1>
        </div>
        <Tabs id="range" label="Period" one_panel=true tabs=RANGES.iter().map(|(k, l, _)| (*k, l.to_string())).collect() selected=range />
        <SharedTabPanel id="range" selected=range>
            <section class="card">
                <Transition fallback=|| view! { <Skeleton rows=6 /> }>
                    {move || Suspend::new(async move {
                        let title = format!("Messages per day, last {} days", days());
                        match chart.await {
                            Ok(data) => view! { <Chart label=title data /> }.into_any(),
                            Err(e) => view! { <p role="alert" class="notice notice-error">{e.message.clone()} " (" {e.code.as_str()} ")"</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </SharedTabPanel>
    }
}
