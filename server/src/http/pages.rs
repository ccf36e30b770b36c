//! The server-rendered, hydrated pages and the static site files.

use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use app::{App, shell};

use super::AppState;

/// What each page render and server function call finds in its reactive context.
fn context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let service = state.service.clone();
    move || provide_context(service.clone())
}

/// One route per page of the app, plus the server functions.
pub fn routes(state: &AppState) -> Router<AppState> {
    let options = state.leptos.clone();
    Router::new().leptos_routes_with_context(
        state,
        generate_route_list(App),
        context(state),
        move || shell(options.clone()),
    )
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
