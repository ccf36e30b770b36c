//! The Reports section.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! {
        <Title text="Reports" />
        <h1>"Reports"</h1>
        <EmptyState title="No reports" hint="Reports are generated in the background and listed here for download." />
    }
}
