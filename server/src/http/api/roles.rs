//! `/api/v1/accounts/roles`: roles as sets of permissions (`roles.manage`).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::accounts::{NewRole, RoleUpdate, RoleView};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// All roles with their permissions (also open to `users.manage`, to assign them).
#[utoipa::path(get, path = "/api/v1/accounts/roles", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, body = [RoleView]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<RoleView>>, ApiError> {
    Ok(Json(state.service.list_roles(&user).await?))
}

/// Create a custom role.
#[utoipa::path(post, path = "/api/v1/accounts/roles", tag = "accounts", security(("bearer" = [])),
    request_body = NewRole,
    responses(
        (status = 201, body = RoleView),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewRole>,
) -> Result<(StatusCode, Json<RoleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_role(&user, new).await?),
    ))
}

/// Change a custom role's description or permissions; its holders' sessions end.
#[utoipa::path(patch, path = "/api/v1/accounts/roles/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Role id")),
    request_body = RoleUpdate,
    responses(
        (status = 200, body = RoleView),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Unknown permission or invalid description", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Built-in role, or no administrator would remain", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(update): Json<RoleUpdate>,
) -> Result<Json<RoleView>, ApiError> {
    Ok(Json(state.service.update_role(&user, id, update).await?))
}

/// Delete a custom role; its holders' sessions end.
#[utoipa::path(delete, path = "/api/v1/accounts/roles/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Role id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_role(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
