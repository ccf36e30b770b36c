//! `/api/v1/accounts/tokens`: API tokens for machines (`tokens.manage`).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::accounts::{ApiTokenView, CreatedApiToken, NewApiToken};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// All API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/accounts/tokens", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, body = [ApiTokenView]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<ApiTokenView>>, ApiError> {
    Ok(Json(state.service.list_tokens(&user).await?))
}

/// Create an API token scoped to permissions the caller holds; the secret is in this answer
/// only.
#[utoipa::path(post, path = "/api/v1/accounts/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = NewApiToken,
    responses(
        (status = 201, body = CreatedApiToken),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_token(&user, new).await?),
    ))
}

/// Revoke an API token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/accounts/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Token id")),
    responses(
        (status = 200, body = ApiTokenView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<ApiTokenView>, ApiError> {
    Ok(Json(state.service.revoke_token(&user, id).await?))
}
