//! The server-rendered, hydrated pages and the static site files.

use axum::Router;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use app::{App, shell};

use super::AppState;

/// What each page render and server function call finds in its reactive context: the service
/// port, and the nonce the security headers chose for this response, which replaces the one
/// leptos_axum generated so the hydration scripts carry the nonce the policy names.
fn context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let service = state.service.clone();
    move || {
        provide_context(service.clone());
        if let Some(nonce) = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Nonce>().cloned())
        {
            provide_context(nonce);
        }
    }
}

/// The app's routes, listed once per process. Listing runs the app with resource loading
/// suppressed through a process-wide flag, and a resource that first polls while that flag is up
/// (another router being built while a page renders, as in parallel tests) would wait forever
/// (leptos-rs/leptos#4773); listing once, before any router exists, keeps the two apart.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// One route per page of the app, plus the server functions.
pub fn routes(state: &AppState) -> Router<AppState> {
    let options = state.leptos.clone();
    Router::new().leptos_routes_with_context(state, route_list(), context(state), move || {
        shell(options.clone())
    })
}

/// Static files from the site root, else the 404 page.
pub fn fallback(
    state: &AppState,
) -> impl Fn(
    axum::http::Uri,
    axum::extract::State<AppState>,
    axum::extract::Request,
) -> std::pin::Pin<Box<dyn Future<Output = axum::response::Response> + Send + 'static>>
+ Clone
+ Send
+ 'static {
    leptos_axum::file_and_error_handler_with_context(context(state), shell)
}
