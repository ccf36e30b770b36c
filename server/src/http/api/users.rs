//! `/api/v1/accounts/users`: user administration (`users.manage`).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::accounts::{
    CreatedUser, NewUser, PasswordReset, PasswordResetResult, UserSummary, UserUpdate,
};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// All users.
#[utoipa::path(get, path = "/api/v1/accounts/users", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, body = [UserSummary]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<UserSummary>>, ApiError> {
    Ok(Json(state.service.list_users(&user).await?))
}

/// Create a user; without a password one is generated and returned once.
#[utoipa::path(post, path = "/api/v1/accounts/users", tag = "accounts", security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 422, description = "Invalid username, password or role", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_user(&user, new).await?),
    ))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/accounts/users/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "User id")),
    responses(
        (status = 200, body = UserSummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<UserSummary>, ApiError> {
    Ok(Json(state.service.get_user(&user, id).await?))
}

/// Change a user's details, roles or status. Role changes and disabling end the user's
/// sessions; the last user able to manage users cannot lose that ability.
#[utoipa::path(patch, path = "/api/v1/accounts/users/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "User id")),
    request_body = UserUpdate,
    responses(
        (status = 200, body = UserSummary),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(update): Json<UserUpdate>,
) -> Result<Json<UserSummary>, ApiError> {
    Ok(Json(state.service.update_user(&user, id, update).await?))
}

/// Disable a user and end their sessions.
#[utoipa::path(post, path = "/api/v1/accounts/users/{id}/disable", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "User id")),
    responses(
        (status = 200, body = UserSummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<UserSummary>, ApiError> {
    let update = UserUpdate {
        disabled: Some(true),
        ..Default::default()
    };
    Ok(Json(state.service.update_user(&user, id, update).await?))
}

/// Set a new password (or generate one, returned once) and end the user's sessions.
#[utoipa::path(post, path = "/api/v1/accounts/users/{id}/password", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "User id")),
    request_body = PasswordReset,
    responses(
        (status = 200, body = PasswordResetResult),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(reset): Json<PasswordReset>,
) -> Result<Json<PasswordResetResult>, ApiError> {
    Ok(Json(state.service.reset_password(&user, id, reset).await?))
}
