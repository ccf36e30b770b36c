//! `/api/v1/system`: the instance itself.

use axum::Json;
use axum::extract::State;

use app::model::SystemStatus;

use crate::http::{ApiError, AppState};

/// A snapshot of the instance: version, database, volume.
#[utoipa::path(
    get,
    path = "/api/v1/system/status",
    tag = "system",
    responses(
        (status = 200, description = "The instance's status", body = SystemStatus),
        (status = 500, description = "Internal error", body = crate::http::error::ErrorBody)
    )
)]
pub async fn status(State(state): State<AppState>) -> Result<Json<SystemStatus>, ApiError> {
    Ok(Json(state.service.system_status().await?))
}
