//! The dashboard: headline figures and charts for a time range kept in the URL, all counted
//! from the per-minute rollups. The server draws every figure (SVG and tables), so the page
//! reads the same with JavaScript off; hydrated, it refreshes itself every 30 seconds and draws
//! the charts again with Chart.js on canvases. Without JavaScript, `refresh` in the URL reloads
//! the page.

mod canvas;
mod cards;
#[cfg(feature = "hydrate")]
mod chartjs;
mod gauge_chart;
mod links;
mod range_picker;
mod refresh;
mod stacked_chart;
mod top_list;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{get_dashboard, resource};
use crate::model::dashboard::{Dashboard, DashboardRange};

use cards::Cards;
use gauge_chart::{GaugeChart, Gauges};
use range_picker::RangePicker;
use refresh::{NoScriptRefresh, RefreshToggle};
use stacked_chart::{Stacked, StackedChart};
use top_list::TopList;

/// How often a hydrated dashboard reloads its figures.
#[cfg(feature = "hydrate")]
const REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let range = Memo::new(move |_| {
        let q = query.get();
        let get = |k: &str| q.get(k).unwrap_or_default();
        DashboardRange {
            range: get("range"),
            from: get("from"),
            to: get("to"),
        }
    });
    let refresh =
        Memo::new(move |_| refresh::seconds(&query.get().get("refresh").unwrap_or_default()));
    // Bumped by the refresh timer; a new value fetches the figures again.
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    let figures = resource(
        move || (range.get(), tick.get()),
        |(range, _)| get_dashboard(range),
    );

    view! {
        <Title text="Dashboard" />
        {refresh.get_untracked().map(|seconds| view! { <NoScriptRefresh seconds /> })}
        <div class="dashboard-head">
            <h1>"Dashboard"</h1>
            <RangePicker range refresh />
        </div>
        <RefreshToggle range refresh />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match figures.await {
                    Ok(dashboard) => view! { <Figures dashboard /> }.into_any(),
                    Err(err) => {
                        view! {
                            <p class="error" role="alert">
                                {format!("Could not load the dashboard: {err}")}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Figures(dashboard: Dashboard) -> impl IntoView {
    if let Some(message) = dashboard.input_error {
        return view! {
            <p class="error" role="alert">
                {message}
                ". Choose one of the ranges above, or a start before the end."
            </p>
        }
        .into_any();
    }
    let (from, to) = (dashboard.from.clone(), dashboard.to.clone());
    let stacked = |title, field, palette, series, empty| Stacked {
        title,
        field,
        palette,
        buckets: dashboard.buckets.clone(),
        bucket_minutes: dashboard.bucket_minutes,
        series,
        from: from.clone(),
        to: to.clone(),
        empty,
    };
    let events = stacked(
        "Events over time by level",
        "level",
        "level",
        dashboard.events_by_level.clone(),
        "No events in this range: choose a longer range, or check that sources are sending.",
    );
    let alerts = stacked(
        "Alerts over time by severity",
        "severity",
        "severity",
        dashboard.alerts_by_severity.clone(),
        "No alerts were raised in this range.",
    );
    let logins = stacked(
        "Logins: failed and successful",
        "login",
        "outcome",
        dashboard.logins.clone(),
        "No authentication events in this range.",
    );
    let gauges = |title, hosts| Gauges {
        title,
        buckets: dashboard.buckets.clone(),
        bucket_minutes: dashboard.bucket_minutes,
        hosts,
        from: from.clone(),
        to: to.clone(),
    };
    let cpu = gauges("Host CPU usage", dashboard.host_cpu.clone());
    let memory = gauges("Host memory use", dashboard.host_memory.clone());
    view! {
        <p class="meta dashboard-range">
            {format!("From {} to {} (UTC)", dashboard.from, dashboard.to)}
        </p>
        <Cards dashboard=dashboard.clone() />
        <div class="chart-grid">
            <StackedChart chart=events />
            <StackedChart chart=alerts />
            <StackedChart chart=logins />
            <TopList
                title="Top source addresses"
                field="source_ip"
                heading="Source address"
                rows=dashboard.top_source_ips
                from=from.clone()
                to=to.clone()
                empty="No event in this range carries a source address."
            />
            <TopList
                title="Top event actions"
                field="event_action"
                heading="Action"
                rows=dashboard.top_actions
                from=from.clone()
                to=to.clone()
                empty="No event in this range carries an action."
            />
            <GaugeChart chart=cpu />
            <GaugeChart chart=memory />
        </div>
    }
    .into_any()
}
