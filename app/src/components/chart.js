// The chart container's browser half (see chart.rs): loads ECharts once per page, the
// first time a chart is drawn, and draws an option into an element. A plain file rather
// than generated code, because the Content-Security-Policy allows no eval.

let loading = null;

function loadEcharts(src) {
  if (window.echarts) return Promise.resolve();
  if (!loading) {
    loading = new Promise((ok, fail) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = () => ok();
      s.onerror = () => {
        loading = null;
        fail(new Error("ECharts did not load"));
      };
      document.head.appendChild(s);
    });
  }
  return loading;
}

export async function drawChart(el, option, src) {
  await loadEcharts(src);
  const root = document.documentElement;
  const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  const old = window.echarts.getInstanceByDom(el);
  if (old) old.dispose();
  const chart = window.echarts.init(el, dark ? "dark" : null, { renderer: "svg" });
  const o = JSON.parse(option);
  if (dark) o.backgroundColor = "transparent";
  chart.setOption(o);
  new ResizeObserver(() => chart.resize()).observe(el);
  el.dataset.drawn = "true";
}
