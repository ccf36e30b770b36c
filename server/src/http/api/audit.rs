//! `/api/v1/audit`: the audit log (`audit.read`).

use axum::extract::State;

use app::model::accounts::{AuditPage, AuditQuery};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Query};
use crate::http::{ApiError, AppState, ErrorBody};

/// Audit records, newest first, filtered and paged.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(state.service.audit_log(&user, query).await?))
}
