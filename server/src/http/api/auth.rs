//! `/api/v1/auth`: tokens for API clients.

use axum::extract::State;
use axum::http::StatusCode;

use app::model::auth::{LoginRequest, RefreshRequest, TokenResponse};

use crate::http::auth::{AuthUser, ClientIp};
use crate::http::extract::Json;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::service::auth::IssuedTokens;

fn response(tokens: IssuedTokens) -> Json<TokenResponse> {
    Json(TokenResponse {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".into(),
        expires_in: tokens.expires_in,
    })
}

/// Sign in with a username and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field missing or of the wrong type", body = ErrorBody),
        (status = 401, description = "Invalid username or password", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address, or on this account; see Retry-After", body = ErrorBody)
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let tokens = state
        .backend
        .login(&req.username, &req.password, ip)
        .await?;
    Ok(response(tokens))
}

/// Exchange a refresh token for a new access and refresh token. Each refresh token works
/// once; presenting a used one revokes the whole session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field missing or of the wrong type", body = ErrorBody),
        (status = 401, description = "Unknown, expired, revoked or reused token", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody)
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let tokens = state.backend.refresh(&req.refresh_token, ip, None).await?;
    Ok(response(tokens))
}

/// End the session the access token belongs to.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Authentication required", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody)
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AuthUser(user): AuthUser,
) -> Result<StatusCode, ApiError> {
    state.backend.logout(&user, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}
