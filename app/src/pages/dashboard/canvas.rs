//! A dashboard figure drawn again by Chart.js once the page is hydrated: the server renders an
//! empty, hidden `<canvas>` beside its SVG or table, and the browser draws the same figures on
//! it (the SVG steps aside, see `style/main.css`). Clicking a bar, a segment or a point opens
//! where the server's link for it leads. Without JavaScript, or without Chart.js, nothing
//! changes: the canvas stays hidden.

use leptos::prelude::*;

/// How a figure is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Bars over time, one segment per series, stacked.
    Stacked,
    /// One horizontal bar per value, largest first.
    Ranked,
    /// One line per series over time, on a 0–100 scale.
    Percent,
}

/// One series of a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend's name of the series.
    pub name: String,
    /// A CSS colour.
    pub color: &'static str,
    /// One value per label; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
    /// Where clicking each value leads (a site path), one per label.
    pub links: Vec<String>,
}

/// The figures of one chart, as the canvas draws them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub shape: Shape,
    /// What the canvas is, for screen readers (the table beside it has the figures).
    pub label: String,
    /// The x-axis labels (bucket times, or the ranked values).
    pub labels: Vec<String>,
    pub lines: Vec<Line>,
}

/// The palette the server's SVG uses (`style/main.css`): known values by meaning, others by
/// position.
pub fn color(css_name: &str, k: usize) -> &'static str {
    match css_name {
        "critical" => "#8e0000",
        "bad" => "#e53935",
        "warn" => "#f0a020",
        "notice" => "#7b61ff",
        "good" => "#2e9d5b",
        "debug" => "#8a9bb0",
        _ => SERIES[k % SERIES.len()],
    }
}

const SERIES: [&str; 8] = [
    "#1f7ae0", "#7b61ff", "#00a3a3", "#e08a1f", "#8a9bb0", "#c2185b", "#4caf50", "#795548",
];

/// A bucket's start as an axis label: the time of day, with the date when the range is longer
/// than a day.
pub fn bucket_label(start: &str, with_date: bool) -> String {
    let take = |from: usize, to: usize| start.get(from..to).map(str::to_string);
    let label = if with_date {
        take(5, 16).map(|s| s.replacen('T', " ", 1))
    } else {
        take(11, 16)
    };
    label.unwrap_or_else(|| start.to_string())
}

/// The canvas for `spec`, drawn once the page is hydrated.
#[component]
pub fn ChartCanvas(spec: ChartSpec) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Div>::new();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let label = spec.label.clone();
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            let (Some(frame), Some(canvas)) = (frame.get(), canvas.get()) else {
                return;
            };
            let navigate = navigate.clone();
            let open = move |href: String| navigate(&href, Default::default());
            // Shown before drawing, so Chart.js measures the frame it draws in.
            frame.set_class_name("chart-canvas drawn");
            match super::chartjs::draw(&canvas, &spec, open) {
                Some(drawn) => {
                    let drawn = send_wrapper::SendWrapper::new(drawn);
                    on_cleanup(move || drop(drawn));
                }
                None => frame.set_class_name("chart-canvas"),
            }
        });
    }
    view! {
        <div class="chart-canvas" node_ref=frame>
            <canvas node_ref=canvas role="img" aria-label=label></canvas>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_labels_show_the_date_only_for_long_ranges() {
        assert_eq!(bucket_label("2026-12-07T14:30:00Z", false), "14:30");
        assert_eq!(bucket_label("2026-12-07T14:30:00Z", true), "12-07 14:30");
        assert_eq!(bucket_label("bad", true), "bad");
    }

    #[test]
    fn colors_follow_the_svg_palette() {
        assert_eq!(color("bad", 0), "#e53935");
        assert_eq!(color("other", 1), "#7b61ff");
        assert_eq!(color("other", 9), color("other", 1));
    }
}
