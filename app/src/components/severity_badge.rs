//! A severity as a coloured badge (with its word, so colour is never the only cue).

use leptos::prelude::*;

/// The badge for `low`, `medium`, `high` or `critical`; anything else shows plain.
#[component]
pub fn SeverityBadge(#[prop(into)] severity: String) -> impl IntoView {
    let known = ["low", "medium", "high", "critical"].contains(&severity.as_str());
    let class = if known {
        format!("badge sev-{severity}")
    } else {
        "badge".to_string()
    };
    view! { <span class=class>{severity}</span> }
}

/// An alert status as a badge: `open`, `acknowledged`, `in_progress`, `resolved`,
/// `false_positive`.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let known = [
        "open",
        "acknowledged",
        "in_progress",
        "resolved",
        "false_positive",
    ]
    .contains(&status.as_str());
    let class = if known {
        format!("badge status-{status}")
    } else {
        "badge".to_string()
    };
    view! { <span class=class>{status_label(&status)}</span> }
}

/// A status in words: `in_progress` is "in progress".
pub fn status_label(status: &str) -> String {
    match status {
        "in_progress" => "in progress".into(),
        "false_positive" => "false positive".into(),
        other => other.into(),
    }
}
