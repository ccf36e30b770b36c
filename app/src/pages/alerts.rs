//! The Alerts section.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <Title text="Alerts" />
        <h1>"Alerts"</h1>
        <EmptyState title="No alerts" hint="Alerts appear here when a detection rule matches incoming events." />
    }
}
