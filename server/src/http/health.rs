//! Liveness, readiness and metrics for supervisors and Prometheus.
//!
//! `/healthz` and `/readyz` say nothing an outsider could use and stay open. `/metrics` names
//! watched file paths, sources and traffic, so it answers only to the configured
//! `metrics_token` as a bearer token, and to nobody while none is configured.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::{ApiError, AppState};
use app::error::AppError;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and answering.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers and ingestion is not held up.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ingestion = if state.backend.ingest().paused() {
        "paused"
    } else {
        "ok"
    };
    match state.backend.db().ping().await {
        Ok(()) if ingestion == "ok" => (
            StatusCode::OK,
            Json(
                json!({ "status": "ready", "checks": { "database": "ok", "ingestion": ingestion } }),
            ),
        ),
        Ok(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "checks": { "database": "ok", "ingestion": ingestion } }),
            ),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "checks": { "database": "unreachable", "ingestion": ingestion } }),
                ),
            )
        }
    }
}

/// Prometheus text exposition format, for the holder of the metrics token.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> axum::response::Response {
    if !metrics_allowed(state.config.metrics_token.as_deref(), &headers) {
        let mut response = ApiError::from(AppError::Unauthorized).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"vigil-metrics\""),
        );
        return response;
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Whether the request carries the configured token. The comparison is of digests, so its
/// time says nothing about how much of a guess was right.
fn metrics_allowed(configured: Option<&str>, headers: &HeaderMap) -> bool {
    use sha2::{Digest, Sha256};
    let Some(configured) = configured else {
        return false;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    presented.is_some_and(|token| {
        Sha256::digest(token.as_bytes()) == Sha256::digest(configured.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn only_the_configured_token_opens_metrics() {
        let token = Some("a-long-enough-scrape-token");
        assert!(metrics_allowed(
            token,
            &with("Bearer a-long-enough-scrape-token")
        ));
        assert!(metrics_allowed(
            token,
            &with("bearer a-long-enough-scrape-token")
        ));
        assert!(!metrics_allowed(
            token,
            &with("Bearer a-long-enough-scrape-toke")
        ));
        assert!(!metrics_allowed(
            token,
            &with("Basic a-long-enough-scrape-token")
        ));
        assert!(!metrics_allowed(token, &HeaderMap::new()));
        assert!(!metrics_allowed(None, &with("Bearer anything")));
        assert!(!metrics_allowed(None, &HeaderMap::new()));
    }
}
