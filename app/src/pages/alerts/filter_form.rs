//! The filters: a plain GET form, so a filtered queue is a URL to share or bookmark and works
//! with JavaScript off.

use leptos::prelude::*;

use crate::components::status_label;
use crate::model::alerts::{AlertFilter, RuleChoice};

const STATUSES: [&str; 5] = [
    "open",
    "acknowledged",
    "in_progress",
    "resolved",
    "false_positive",
];
const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const RANGES: [(&str, &str); 4] = [
    ("all", "Any time"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
];

/// `<option>`s for `values`, the one equal to `current` selected, after an "any" option.
fn options(any: &'static str, values: Vec<(String, String)>, current: String) -> impl IntoView {
    let any_selected = current.is_empty();
    view! {
        <option value="" selected=any_selected>{any}</option>
        {values
            .into_iter()
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()}
    }
}

#[component]
pub fn FilterForm(filter: AlertFilter, rules: Vec<RuleChoice>) -> impl IntoView {
    let statuses = STATUSES
        .iter()
        .map(|s| (s.to_string(), status_label(s)))
        .collect();
    let severities = SEVERITIES
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    let rules = rules
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    let range = if filter.range.is_empty() {
        "all".to_string()
    } else {
        filter.range.clone()
    };
    view! {
        <form class="alert-filters" method="get" action="/alerts" role="search" aria-label="Filter alerts">
            <label>
                "Status"
                <select name="status">{options("Any status", statuses, filter.status.clone())}</select>
            </label>
            <label>
                "Severity"
                <select name="severity">{options("Any severity", severities, filter.severity.clone())}</select>
            </label>
            <label>
                "Rule"
                <select name="rule">{options("Any rule", rules, filter.rule.clone())}</select>
            </label>
            <label>
                "Assignee"
                <select name="assignee">
                    {options("Anyone", vec![("me".into(), "Me".into())], filter.assignee.clone())}
                </select>
            </label>
            <label>
                "Last seen"
                <select name="range">
                    {RANGES
                        .iter()
                        .map(|(value, label)| {
                            let selected = range == *value;
                            view! { <option value=*value selected=selected>{*label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="grow">
                "Text"
                <input
                    name="q"
                    type="search"
                    placeholder="title or group key, e.g. 203.0.113.9"
                    value=filter.q.clone()
                />
            </label>
            <button type="submit" class="primary">"Filter"</button>
        </form>
    }
}
