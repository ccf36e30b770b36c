//! The landing page: the state of the instance at a glance.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use crate::api::get_system_status;
use crate::components::{StatCard, time};
use crate::model::{DatabaseBackend, SystemStatus};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let status = resource(|| (), |_| get_system_status());

    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <StatusCards status /> }.into_any(),
                    Err(err) => {
                        view! {
                            <p class="error" role="alert">
                                {format!("Could not load the status: {err}")}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusCards(status: SystemStatus) -> impl IntoView {
    let database = match status.database {
        DatabaseBackend::Sqlite => "SQLite",
        DatabaseBackend::Mysql => "MariaDB / MySQL",
    };
    view! {
        <div class="stat-grid">
            <StatCard label="Events stored" value=status.events_total.to_string() />
            <StatCard label="Open alerts" value=status.alerts_open.to_string() />
            <StatCard label="Detection rules" value=status.rules_total.to_string() />
            <StatCard label="Database" value=database />
        </div>
        <p class="meta">
            {format!(
                "Vigil {} · running since {} UTC",
                status.version,
                time::utc_second(&status.started_at),
            )}
        </p>
    }
}
