//! `/api/v1/system`: the instance itself.

use axum::Json;
use axum::extract::State;

use app::model::SystemStatus;

use crate::http::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody};

/// A snapshot of the instance: version, database, volume. Needs `events.read`.
#[utoipa::path(
    get,
    path = "/api/v1/system/status",
    tag = "system",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The instance's status", body = SystemStatus),
        (status = 401, description = "Authentication required", body = ErrorBody),
        (status = 403, description = "Permission denied", body = ErrorBody)
    )
)]
pub async fn status(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<SystemStatus>, ApiError> {
    Ok(Json(state.service.system_status(&user).await?))
}
