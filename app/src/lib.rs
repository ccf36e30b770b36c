//! Vigil's user interface and its contract with the backend: wire types, the service port and
//! the server functions that adapt one to the other.

pub mod api;
pub mod components;
pub mod error;
pub mod layouts;
pub mod model;
pub mod pages;
pub mod query;
pub mod service;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::layouts::{AppLayout, Frame};
use crate::pages::{
    AdminAuditPage, AdminPage, AdminRolesPage, AdminTokensPage, AdminUsersPage, AlertDetailPage,
    AlertsPage, DashboardPage, EventDetailPage, EventsPage, LiveTailPage, LoginPage, NotFoundPage,
    ReportsPage, RuleEditPage, RuleEditorPage, RuleImportPage, RulesPage,
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
                // Chart.js for the hydrated dashboard's charts, from the site (see the Makefile's
                // `chartjs`); deferred, it runs before the hydration module script.
                <script defer src="/vendor/chart.js/chart.umd.min.js"></script>
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

/// The application: the login page, and the signed-in sections inside the app frame.
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
            // Every page renders with `SsrMode::Async`: the HTML carries its data itself, so it
            // reads the same with JavaScript off as after hydration.
            <Routes fallback=|| view! { <Frame><NotFoundPage /></Frame> }>
                <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                <ParentRoute path=StaticSegment("") view=AppLayout ssr=SsrMode::Async>
                    <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("events") view=EventsPage ssr=SsrMode::Async />
                    <Route path=path!("/events/live") view=LiveTailPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:id") view=EventDetailPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route path=path!("/alerts/:id") view=AlertDetailPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("rules") view=RulesPage ssr=SsrMode::Async />
                    <Route path=path!("/rules/new") view=RuleEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/rules/import") view=RuleImportPage ssr=SsrMode::Async />
                    <Route path=path!("/rules/:id/edit") view=RuleEditPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("reports") view=ReportsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/roles") view=AdminRolesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tokens") view=AdminTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
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
