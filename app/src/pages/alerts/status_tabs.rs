//! Counts per status, each a link to the list of that status (with the other filters kept).

use leptos::prelude::*;

use crate::components::status_label;
use crate::model::alerts::{AlertFilter, StatusCount};

use super::url;

#[component]
pub fn StatusTabs(filter: AlertFilter, counts: Vec<StatusCount>) -> impl IntoView {
    let total: u64 = counts.iter().map(|c| c.count).sum();
    let tab = |status: &str, label: String, count: u64| {
        let current = filter.status == status;
        view! {
            <li>
                <a
                    href=url::with_status(&filter, status)
                    class:current=current
                    aria-current=current.then_some("page")
                >
                    {label}
                    <span class="count">{count.to_string()}</span>
                </a>
            </li>
        }
    };
    view! {
        <nav class="status-tabs" aria-label="Alerts by status">
            <ul>
                {tab("", "All".to_string(), total)}
                {counts
                    .iter()
                    .map(|c| {
                        let mut label = status_label(&c.status);
                        label[..1].make_ascii_uppercase();
                        tab(&c.status, label, c.count)
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
