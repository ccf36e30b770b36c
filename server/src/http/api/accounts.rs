//! `/api/v1/accounts`: the caller's own account.

use axum::Json;

use app::model::auth::CurrentUser;

use crate::http::ErrorBody;
use crate::http::auth::AuthUser;

/// Who the caller is: roles and effective permissions.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/me",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = CurrentUser),
        (status = 401, description = "Authentication required", body = ErrorBody)
    )
)]
pub async fn me(AuthUser(user): AuthUser) -> Json<CurrentUser> {
    Json(user)
}
