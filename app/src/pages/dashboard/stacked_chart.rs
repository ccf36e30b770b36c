//! A count over time, stacked by value, drawn on the server as SVG: each bar segment and each
//! legend entry links to the events browser narrowed to its value and bucket. The same figures
//! are in a table for screen readers and for reading exact numbers. Hydrated, a Chart.js canvas
//! draws the same bars in the SVG's place, with the same links (`canvas`).

use leptos::prelude::*;

use crate::model::dashboard::Series;

use super::canvas::{ChartCanvas, ChartSpec, Line, Shape, bucket_label, color};
use super::links;

/// The chart's drawing area in SVG user units.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;

/// The figures of one stacked chart.
#[derive(Clone)]
pub struct Stacked {
    pub title: &'static str,
    /// The query field the values belong to (`level`, `login`), for the links.
    pub field: &'static str,
    /// The CSS class prefix of the palette (`level`, `severity`, `outcome`).
    pub palette: &'static str,
    pub buckets: Vec<String>,
    pub bucket_minutes: i64,
    pub series: Vec<Series>,
    pub from: String,
    pub to: String,
    /// What an empty chart says.
    pub empty: &'static str,
}

/// A value as the legend shows it.
pub fn label(value: &str) -> String {
    if value.is_empty() {
        "(none)".to_string()
    } else {
        value.to_string()
    }
}

/// Where a segment or legend entry leads: the events browser narrowed to the value over
/// `from`..`to`; alert severities lead to the alerts.
fn target(chart: &Stacked, value: &str, from: &str, to: &str) -> String {
    match chart.field {
        "severity" => "/alerts".to_string(),
        field => links::events(&links::chart_query(field, value), from, to),
    }
}

/// The figures as the hydrated page's canvas draws them, with the same links as the SVG.
fn spec(chart: &Stacked, caption: &str) -> ChartSpec {
    let with_date = chart.bucket_minutes >= 120;
    let lines = chart
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| Line {
            name: label(&s.name),
            color: color(css_name(&s.name), k),
            values: (0..chart.buckets.len())
                .map(|i| Some(s.counts.get(i).copied().unwrap_or(0) as f64))
                .collect(),
            links: (0..chart.buckets.len())
                .map(|i| target(chart, &s.name, &chart.buckets[i], &bucket_end(chart, i)))
                .collect(),
        })
        .collect();
    ChartSpec {
        shape: Shape::Stacked,
        label: caption.to_string(),
        labels: chart
            .buckets
            .iter()
            .map(|b| bucket_label(b, with_date))
            .collect(),
        lines,
    }
}

/// The end of bucket `i` (the range's end for the last).
fn bucket_end(chart: &Stacked, i: usize) -> String {
    chart
        .buckets
        .get(i + 1)
        .cloned()
        .unwrap_or_else(|| chart.to.clone())
}

#[component]
pub fn StackedChart(chart: Stacked) -> impl IntoView {
    let n = chart.buckets.len().max(1);
    let totals: Vec<u64> = (0..n)
        .map(|i| {
            chart
                .series
                .iter()
                .map(|s| s.counts.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let id = format!("chart-{}", chart.field);
    let labelled_by = id.clone();
    if max == 0 {
        return view! {
            <section class="chart-panel" aria-labelledby=labelled_by.clone()>
                <h2 id=id>{chart.title}</h2>
                <p class="chart-empty">{chart.empty}</p>
            </section>
        }
        .into_any();
    }
    let slot = WIDTH / n as f64;
    let bar = (slot * 0.8).max(1.0);
    let mut segments = Vec::new();
    for i in 0..n {
        let mut y = HEIGHT;
        for (k, s) in chart.series.iter().enumerate() {
            let count = s.counts.get(i).copied().unwrap_or(0);
            if count == 0 {
                continue;
            }
            let h = HEIGHT * count as f64 / max as f64;
            y -= h;
            let href = target(&chart, &s.name, &chart.buckets[i], &bucket_end(&chart, i));
            let class = format!(
                "seg {}-{} series-{}",
                chart.palette,
                css_name(&s.name),
                k % 8
            );
            let tip = format!("{}: {} at {}", label(&s.name), count, chart.buckets[i]);
            segments.push(view! {
                <g>
                    <a href=href>
                        <rect
                            x=format!("{:.2}", i as f64 * slot + (slot - bar) / 2.0)
                            y=format!("{y:.2}")
                            width=format!("{bar:.2}")
                            height=format!("{h:.2}")
                            class=class
                        >
                            <title>{tip}</title>
                        </rect>
                    </a>
                </g>
            });
        }
    }
    let first = chart.buckets.first().cloned().unwrap_or_default();
    let last = chart.to.clone();
    let legend = chart
        .series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let href = target(&chart, &s.name, &chart.from, &chart.to);
            let swatch = format!(
                "swatch {}-{} series-{}",
                chart.palette,
                css_name(&s.name),
                k % 8
            );
            view! {
                <li>
                    <a href=href>
                        <span class=swatch aria-hidden="true"></span>
                        {label(&s.name)}
                        " "
                        <span class="legend-count">{s.total().to_string()}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let heading = chart
        .series
        .iter()
        .map(|s| view! { <th scope="col">{label(&s.name)}</th> })
        .collect_view();
    let rows = (0..n)
        .filter(|i| totals[*i] > 0)
        .map(|i| {
            let cells = chart
                .series
                .iter()
                .map(|s| view! { <td>{s.counts.get(i).copied().unwrap_or(0).to_string()}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{chart.buckets[i].clone()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let caption = format!("{} per {} min", chart.title, chart.bucket_minutes);
    let spec = spec(&chart, &caption);
    view! {
        <section class="chart-panel" aria-labelledby=labelled_by.clone()>
            <h2 id=id>{chart.title}</h2>
            <svg
                class="chart stacked-chart"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label=caption.clone()
            >
                {segments}
            </svg>
            <ChartCanvas spec />
            <p class="chart-axis">
                <span>{first}</span>
                <span>"max " {max.to_string()} " per " {chart.bucket_minutes.to_string()} " min"</span>
                <span>{last}</span>
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

/// A value as part of a CSS class: known words kept, anything else `other`.
pub(super) fn css_name(value: &str) -> &'static str {
    match value {
        "emergency" | "alert" | "critical" => "critical",
        "error" | "high" | "failure" => "bad",
        "warning" | "medium" => "warn",
        "notice" | "low" => "notice",
        "info" | "success" => "good",
        "debug" => "debug",
        _ => "other",
    }
}
