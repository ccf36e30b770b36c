//! A host metric in percent over time, one line per host, drawn on the server as SVG with the
//! figures in a table; each legend entry and point leads to the host's metric events over the
//! range or the bucket. Hydrated, the canvas draws the same lines.

use leptos::prelude::*;

use crate::model::dashboard::Gauge;

use super::canvas::{ChartCanvas, ChartSpec, Line, Shape, bucket_label, color};
use super::links;

/// The drawing area in SVG user units.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;

/// The figures of one host-metric chart.
#[derive(Clone)]
pub struct Gauges {
    pub title: &'static str,
    pub buckets: Vec<String>,
    pub bucket_minutes: i64,
    pub hosts: Vec<Gauge>,
    pub from: String,
    pub to: String,
}

/// The host-metric events of `host` over `from`..`to`.
fn target(host: &str, from: &str, to: &str) -> String {
    let q = format!(
        "{} AND {}",
        links::test("event_action", "host_metrics"),
        links::test("host", host)
    );
    links::events(&q, from, to)
}

fn host_label(host: &str) -> String {
    if host.is_empty() {
        "(no host)".to_string()
    } else {
        host.to_string()
    }
}

/// `value` (a percentage) as an SVG y coordinate.
fn y(value: f64) -> f64 {
    HEIGHT - HEIGHT * value.clamp(0.0, 100.0) / 100.0
}

fn spec(chart: &Gauges, caption: &str) -> ChartSpec {
    let end = |i: usize| {
        chart
            .buckets
            .get(i + 1)
            .cloned()
            .unwrap_or_else(|| chart.to.clone())
    };
    ChartSpec {
        shape: Shape::Percent,
        label: caption.to_string(),
        labels: chart
            .buckets
            .iter()
            .map(|b| bucket_label(b, chart.bucket_minutes >= 120))
            .collect(),
        lines: chart
            .hosts
            .iter()
            .enumerate()
            .map(|(k, g)| Line {
                name: host_label(&g.name),
                color: color("", k),
                values: g.values.clone(),
                links: (0..chart.buckets.len())
                    .map(|i| target(&g.name, &chart.buckets[i], &end(i)))
                    .collect(),
            })
            .collect(),
    }
}

#[component]
pub fn GaugeChart(chart: Gauges) -> impl IntoView {
    if chart.hosts.is_empty() {
        // Shown only where hosts send metrics: no panel at all otherwise.
        return ().into_any();
    }
    let n = chart.buckets.len().max(1);
    let slot = WIDTH / n as f64;
    let caption = format!("{} (%) per {} min", chart.title, chart.bucket_minutes);
    let lines = chart
        .hosts
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let at = |i: usize, v: f64| (i as f64 * slot + slot / 2.0, y(v));
            let points = g
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| at(i, v)))
                .map(|(x, y)| format!("{x:.2},{y:.2}"))
                .collect::<Vec<_>>()
                .join(" ");
            // A sample with no neighbour draws no segment: a round-capped dot shows it.
            let has =
                |i: Option<usize>| i.and_then(|i| g.values.get(i).copied().flatten()).is_some();
            let dots = g
                .values
                .iter()
                .enumerate()
                .filter(|(i, _)| !has(i.checked_sub(1)) && !has(Some(i + 1)))
                .filter_map(|(i, v)| v.map(|v| at(i, v)))
                .map(|(x, y)| {
                    let class = format!("gauge-dot series-{}", k % 8);
                    view! { <path class=class d=format!("M{x:.2} {y:.2}h0")></path> }
                })
                .collect_view();
            let class = format!("gauge-line series-{}", k % 8);
            view! {
                <polyline class=class points=points></polyline>
                {dots}
            }
        })
        .collect_view();
    let legend = chart
        .hosts
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let swatch = format!("swatch series-{}", k % 8);
            let peak = g.values.iter().flatten().fold(0.0_f64, |a, v| a.max(*v));
            view! {
                <li>
                    <a href=target(&g.name, &chart.from, &chart.to)>
                        <span class=swatch aria-hidden="true"></span>
                        {host_label(&g.name)}
                        " "
                        <span class="legend-count">{format!("max {peak:.0} %")}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let heading = chart
        .hosts
        .iter()
        .map(|g| view! { <th scope="col">{host_label(&g.name)}</th> })
        .collect_view();
    let rows = (0..chart.buckets.len())
        .filter(|i| {
            chart
                .hosts
                .iter()
                .any(|g| g.values.get(*i).copied().flatten().is_some())
        })
        .map(|i| {
            let cells = chart
                .hosts
                .iter()
                .map(|g| {
                    let v = g.values.get(i).copied().flatten();
                    view! { <td>{v.map(|v| format!("{v:.1}")).unwrap_or_default()}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{chart.buckets[i].clone()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let id = format!("gauge-{}", chart.title.to_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    let first = chart.buckets.first().cloned().unwrap_or_default();
    let spec = spec(&chart, &caption);
    view! {
        <section class="chart-panel" aria-labelledby=labelled_by>
            <h2 id=id>{chart.title}</h2>
            <svg
                class="chart gauge-chart"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label=caption.clone()
            >
                {lines}
            </svg>
            <ChartCanvas spec />
            <p class="chart-axis">
                <span>{first}</span>
                <span>"0–100 %, average per " {chart.bucket_minutes.to_string()} " min"</span>
                <span>{chart.to.clone()}</span>
            </p>
            <ul class="chart-legend">{legend}</ul>
            <details class="chart-table">
                <summary>"Figures"</summary>
                <table>
                    <caption>{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"From"</th>
                            {heading}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_leads_to_its_metric_events() {
        let href = target("web-1", "2026-05-01T10:00:00Z", "");
        assert_eq!(
            href,
            "/events?q=event_action%3A%22host_metrics%22%20AND%20host%3A%22web-1%22&from=2026-05-01T10%3A00%3A00Z"
        );
        assert!(target("", "", "").contains("NOT%20host%3A%2A"));
    }

    #[test]
    fn percentages_map_onto_the_drawing_area() {
        assert_eq!(y(0.0), HEIGHT);
        assert_eq!(y(100.0), 0.0);
        assert_eq!(y(150.0), 0.0);
        assert_eq!(y(50.0), HEIGHT / 2.0);
    }
}
