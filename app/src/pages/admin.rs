//! The Admin section.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::EmptyState;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin" />
        <h1>"Admin"</h1>
        <EmptyState title="Administration" hint="Users, roles, API tokens and the audit log are managed here." />
    }
}
