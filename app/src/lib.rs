//! Vigil's user interface and its contract with the backend: wire types, the service port and
//! the server functions that adapt one to the other.

pub mod api;
pub mod components;
pub mod error;
pub mod layouts;
pub mod model;
pub mod pages;
pub mod service;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::layouts::AppLayout;
use crate::pages::{
    AdminPage, AlertsPage, DashboardPage, EventsPage, NotFoundPage, ReportsPage, RulesPage,
};

/// The HTML document around the application, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: navigation around the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Stylesheet id="leptos" href="/pkg/vigil.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Vigil".to_string() } else { format!("{page} · Vigil") }
        } />
        <Router>
            <AppLayout>
                // Pages that load data render with `SsrMode::Async`: the HTML carries the data
                // itself, so it reads the same with JavaScript off as after hydration.
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("events") view=EventsPage />
                    <Route path=StaticSegment("alerts") view=AlertsPage />
                    <Route path=StaticSegment("rules") view=RulesPage />
                    <Route path=StaticSegment("reports") view=ReportsPage />
                    <Route path=StaticSegment("admin") view=AdminPage />
                </Routes>
            </AppLayout>
        </Router>
    }
}

/// Marks the document once the WebAssembly has taken over the server-rendered page, so scripts
/// and tests can tell a hydrated page from a static one. Effects never run on the server.
fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
