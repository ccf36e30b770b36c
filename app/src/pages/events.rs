//! The Events section.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn EventsPage() -> impl IntoView {
    view! {
        <Title text="Events" />
        <h1>"Events"</h1>
        <EmptyState title="No events yet" hint="Events arrive from the watched directory, syslog, the REST API and agents once ingestion is configured." />
    }
}
