//! The HTTP face of Vigil: pages, the `/api/v1` REST API, health and metrics, in one router.

pub mod api;
mod error;
mod health;
mod pages;
mod security;
mod state;

use axum::Router;
use axum::middleware;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

pub use error::ApiError;
pub use state::AppState;

/// The whole application router over a prepared state.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    Router::new()
        .merge(health::routes())
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .merge(pages::routes(&state))
        .fallback(pages::fallback(&state))
        .layer(middleware::from_fn(crate::telemetry::track_http))
        .layer(middleware::from_fn(security::headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
