//! The Rules section.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn RulesPage() -> impl IntoView {
    view! {
        <Title text="Rules" />
        <h1>"Rules"</h1>
        <EmptyState title="No detection rules" hint="Detection rules decide which events raise alerts." />
    }
}
