//! One headline number with its label.

use leptos::prelude::*;

#[component]
pub fn StatCard(#[prop(into)] label: String, #[prop(into)] value: String) -> impl IntoView {
    let aria_label = label.clone();
    view! {
        <section class="stat-card" aria-label=aria_label>
            <h2 class="stat-label">{label}</h2>
            <p class="stat-value">{value}</p>
        </section>
    }
}
