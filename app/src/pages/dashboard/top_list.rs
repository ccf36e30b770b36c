//! A ranked list of values (top source addresses, top actions) with counts and bars; each
//! value links to the events browser narrowed to it. Hydrated, a Chart.js canvas above the
//! table draws the counts as bars that lead to the same places (`canvas`).

use leptos::prelude::*;

use crate::model::dashboard::Ranked;

use super::canvas::{ChartCanvas, ChartSpec, Line, Shape, color};
use super::links;

#[component]
pub fn TopList(
    title: &'static str,
    /// The query field of the values.
    field: &'static str,
    /// The column heading of the values.
    heading: &'static str,
    rows: Vec<Ranked>,
    from: String,
    to: String,
    empty: &'static str,
) -> impl IntoView {
    let id = format!("top-{field}");
    let labelled_by = id.clone();
    if rows.is_empty() {
        return view! {
            <section class="chart-panel" aria-labelledby=labelled_by.clone()>
                <h2 id=id>{title}</h2>
                <p class="chart-empty">{empty}</p>
            </section>
        }
        .into_any();
    }
    let max = rows.iter().map(|r| r.count).max().unwrap_or(1).max(1);
    let href = |value: &str| links::events(&links::test(field, value), &from, &to);
    let spec = ChartSpec {
        shape: Shape::Ranked,
        label: format!("{title}: events per value"),
        labels: rows.iter().map(|r| r.value.clone()).collect(),
        lines: vec![Line {
            name: "Events".to_string(),
            color: color("", 0),
            values: rows.iter().map(|r| Some(r.count as f64)).collect(),
            links: rows.iter().map(|r| href(&r.value)).collect(),
        }],
    };
    let body = rows
        .into_iter()
        .map(|r| {
            let href = href(&r.value);
            view! {
                <tr>
                    <td class="top-value">
                        <a href=href>{r.value.clone()}</a>
                    </td>
                    <td class="top-count">{r.count.to_string()}</td>
                    <td class="top-bar">
                        <meter min="0" max=max.to_string() value=r.count.to_string() aria-hidden="true">
                            {r.count.to_string()}
                        </meter>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart-panel" aria-labelledby=labelled_by.clone()>
            <h2 id=id>{title}</h2>
            <ChartCanvas spec />
            <table class="top-list">
                <thead>
                    <tr>
                        <th scope="col">{heading}</th>
                        <th scope="col">"Events"</th>
                        <th scope="col"><span class="visually-hidden">"Share"</span></th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
    .into_any()
}
