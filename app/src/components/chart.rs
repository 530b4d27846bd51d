//! The chart container: an ECharts chart drawn after hydration from an option built on
//! the server with charming ([`ChartData`]), with the same figures as a table under it
//! (for screen readers, and for anyone who wants the numbers).
//!
//! ECharts itself (`/vendor/echarts.min.js`, about 330 KB compressed) is loaded by the
//! first chart on a page, never by pages without one: the inbox does not pay for it.

use domain::dto::ChartData;
use leptos::prelude::*;

/// Where the ECharts script is served from (`public/vendor/`).
pub const ECHARTS_SRC: &str = "/vendor/echarts.min.js";

/// A chart titled `label`, `height` CSS pixels tall.
#[component]
pub fn Chart(#[prop(into)] label: String, data: ChartData, #[prop(default = 280)] height: u32) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let option = data.option.clone();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            #[cfg(feature = "hydrate")]
            draw(el, option.clone());
            #[cfg(not(feature = "hydrate"))]
            let _ = (el, &option);
        }
    });
    view! {
        <figure class="chart-figure">
            <figcaption class="chart-title">{label.clone()}</figcaption>
            // The drawing is decorative for assistive tech: the table says the same.
            <div class="chart" node_ref=node aria-hidden="true" data-testid="chart" style=format!("height: {height}px")></div>
            <details class="chart-table">
                <summary>"Show the figures"</summary>
                <div class="table-wrap">
                    <table class="table" data-testid="chart-table">
                        <caption class="sr-only">{label}</caption>
                        <thead><tr>{data.columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}</tr></thead>
                        <tbody>
                            {data.rows.iter().map(|r| view! {
                                <tr>{r.iter().enumerate().map(|(i, cell)| if i == 0 {
                                    view! { <th scope="row">{cell.clone()}</th> }.into_any()
                                } else {
                                    view! { <td>{cell.clone()}</td> }.into_any()
                                }).collect_view()}</tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/components/chart.js")]
extern "C" {
    /// Loads ECharts from `src` (once per page) and draws `option` into `el`.
    #[wasm_bindgen(js_name = drawChart, catch)]
    async fn draw_chart(el: &web_sys::HtmlElement, option: &str, src: &str) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>;
}

/// Draws `option` into `el` once ECharts has loaded; says so in the box if it cannot.
#[cfg(feature = "hydrate")]
fn draw(el: web_sys::HtmlDivElement, option: String) {
    wasm_bindgen_futures::spawn_local(async move {
        if draw_chart(&el, &option, ECHARTS_SRC).await.is_err() {
            el.set_text_content(Some("The chart could not load; the figures are below."));
        }
    });
}
