//! The HTTP face of Vigil: pages, the `/api/v1` REST API, health and metrics, in one router.

pub mod api;
pub mod auth;
pub mod client;
mod error;
mod extract;
mod health;
mod pages;
mod rate_limit;
mod security;
mod session;
mod state;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, ErrorBody};
pub use rate_limit::RateLimiter;
pub use state::AppState;

/// The whole application router over a prepared state. Requests pass, outermost first:
/// tracing, CORS, security headers, metrics, the client address, the cross-site check, the
/// sign-in rate limit, authentication, the login redirect for pages, then the route.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let cors = tower::util::option_layer(cors_layer(&state.config.cors_allowed_origins));
    Router::new()
        .merge(health::routes())
        .merge(api)
        .merge(session::routes())
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .merge(pages::routes(&state))
        .fallback(pages::fallback(&state))
        .layer(from_fn(auth::require_login_for_pages))
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn_with_state(state.clone(), rate_limit::limit_auth))
        .layer(from_fn(auth::reject_cross_site))
        .layer(from_fn_with_state(state.clone(), client::resolve_client))
        .layer(from_fn(crate::telemetry::track_http))
        .layer(from_fn(security::headers))
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Browsers on the configured origins may call the API with bearer tokens; nobody else, and
/// never with cookies. With no origins configured, no CORS header is ever sent.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
