//! The headline figures of the range.

use leptos::prelude::*;

use crate::components::StatCard;
use crate::model::dashboard::Dashboard;

use super::links;

#[component]
pub fn Cards(dashboard: Dashboard) -> impl IntoView {
    let (from, to) = (dashboard.from.clone(), dashboard.to.clone());
    let open: u64 = dashboard.open_alerts.iter().map(|a| a.count).sum();
    let by_severity = if dashboard.open_alerts.is_empty() {
        "none".to_string()
    } else {
        dashboard
            .open_alerts
            .iter()
            .map(|a| format!("{} {}", a.count, a.value))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let failed = links::events(&links::chart_query("login", "failure"), &from, &to);
    view! {
        <div class="stat-grid dashboard-cards">
            <a class="card-link" href=links::events("", &from, &to)>
                <StatCard label="Events in range" value=dashboard.events_total.to_string() />
            </a>
            <StatCard label="Events/s (last 5 min)" value=format!("{:.2}", dashboard.events_per_second) />
            <a class="card-link" href="/alerts">
                <section class="stat-card" aria-label="Open alerts">
                    <h2 class="stat-label">"Open alerts"</h2>
                    <p class="stat-value">{open.to_string()}</p>
                    <p class="stat-detail">{by_severity}</p>
                </section>
            </a>
            <StatCard label="Active sources" value=dashboard.active_sources.to_string() />
            <a class="card-link" href=failed>
                <StatCard label="Failed logins" value=dashboard.failed_logins.to_string() />
            </a>
        </div>
    }
}
