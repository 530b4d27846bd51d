//! Reports (DASH): each chart as the kit's chart container draws it — the ECharts option
//! built here with charming (so charming never ships in the WASM) and the same figures
//! as a table.

use super::client::CsrfClient;
use domain::dto::ChartData;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// Messages received and sent per day (the org's days) over the last `days` days, as a
/// bar chart. Any member.
#[server(prefix = "/api", endpoint = "reports/messages", client = CsrfClient)]
pub async fn messages_chart(days: u32) -> Result<ChartData, AppError> {
    let (state, actor) = actor().await?;
    let counts = backend::reports::messages_per_day(&state.db, &actor, days, backend::clock::now_ms()).await.map_err(fail)?;
    Ok(messages_chart_of(&counts))
}

/// The chart and table of per-day message counts.
#[cfg(feature = "ssr")]
pub fn messages_chart_of(days: &[domain::dto::DayCount]) -> ChartData {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisType, Tooltip, Trigger};
    use charming::series::Bar;
    use charming::Chart;
    // Month and day on the axis; the table keeps the full date.
    let labels: Vec<String> = days.iter().map(|d| d.day.get(5..).unwrap_or(&d.day).to_owned()).collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(40).right(16).top(16).bottom(56))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
        .series(Bar::new().name("Received").data(days.iter().map(|d| d.received).collect::<Vec<_>>()))
        .series(Bar::new().name("Sent").data(days.iter().map(|d| d.sent).collect::<Vec<_>>()));
    ChartData {
        option: serde_json::to_string(&chart).unwrap_or_default(),
        columns: vec!["Day".into(), "Received".into(), "Sent".into()],
        rows: days.iter().map(|d| vec![d.day.clone(), d.received.to_string(), d.sent.to_string()]).collect(),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use domain::dto::DayCount;

    #[test]
    fn the_messages_chart_has_a_bar_series_per_direction_and_the_same_figures_as_a_table() {
        let days = vec![DayCount { day: "2026-12-01".into(), received: 3, sent: 5 }, DayCount { day: "2026-12-02".into(), received: 0, sent: 1 }];
        let c = messages_chart_of(&days);
        let option: serde_json::Value = serde_json::from_str(&c.option).unwrap();
        assert_eq!(option["xAxis"]["data"], serde_json::json!(["12-01", "12-02"]));
        assert_eq!(option["series"][0]["type"], "bar");
        assert_eq!(option["series"][0]["data"], serde_json::json!([3, 0]));
        assert_eq!(option["series"][1]["name"], "Sent");
        assert_eq!(c.rows, vec![vec!["2026-12-01", "3", "5"], vec!["2026-12-02", "0", "1"]]);
    }
}
