//! What a signed-in user sees on a page their roles do not open; answers with status 403.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed" />
        <h1>"Not allowed"</h1>
        <p role="alert">"You do not have permission to view this page."</p>
        <p>
            <a href="/">"Back to the dashboard"</a>
        </p>
    }
}
