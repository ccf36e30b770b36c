//! Liveness, readiness and metrics for supervisors and Prometheus.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::AppState;

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
    let ingestion = if state.ingest.paused() {
        "paused"
    } else {
        "ok"
    };
    match state.db.ping().await {
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

/// Prometheus text exposition format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
