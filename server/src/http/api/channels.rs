//! `/api/v1/channels`: notification channels (`settings.manage`), and
//! `/api/v1/alerts/{id}/notifications`: an alert's deliveries (`alerts.read`).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::notifications::{
    AlertNotification, ChannelTestResult, ChannelUpdate, ChannelView, NewChannel,
};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// Notification channels, by name. SMTP passwords are never returned (`password_set` says
/// whether one is stored).
#[utoipa::path(get, path = "/api/v1/channels", operation_id = "list_channels", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = [ChannelView]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<ChannelView>>, ApiError> {
    Ok(Json(state.service.list_channels(&user).await?))
}

/// Create a channel: `webhook` (generic JSON) or `slack` with a `url`, or `email` with SMTP
/// settings. Plain (unencrypted) SMTP is refused unless the host is a loopback address.
#[utoipa::path(post, path = "/api/v1/channels", operation_id = "create_channel", tag = "notifications", security(("bearer" = [])),
    request_body = NewChannel,
    responses(
        (status = 201, body = ChannelView),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "A channel of that name exists", body = ErrorBody),
        (status = 422, description = "Bad settings, naming the field and the problem", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewChannel>,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_channel(&user, new).await?),
    ))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", operation_id = "get_channel", tag = "notifications", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Channel id")),
    responses(
        (status = 200, body = ChannelView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<ChannelView>, ApiError> {
    Ok(Json(state.service.get_channel(&user, id).await?))
}

/// Change a channel; `config` replaces its settings (a missing `password` keeps the stored one).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", operation_id = "update_channel", tag = "notifications", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Channel id")),
    request_body = ChannelUpdate,
    responses(
        (status = 200, body = ChannelView),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Bad settings, naming the field and the problem", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(update): Json<ChannelUpdate>,
) -> Result<Json<ChannelView>, ApiError> {
    Ok(Json(state.service.update_channel(&user, id, update).await?))
}

/// Delete a channel, with the rules' selections of it and its undelivered notifications.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", operation_id = "delete_channel", tag = "notifications", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Channel id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_channel(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test message through the channel now; answers whether the receiver took it, or why
/// not. Not rate limited, not retried.
#[utoipa::path(post, path = "/api/v1/channels/{id}/test", operation_id = "test_channel", tag = "notifications", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Channel id")),
    responses(
        (status = 200, body = ChannelTestResult),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<ChannelTestResult>, ApiError> {
    Ok(Json(state.service.test_channel(&user, id).await?))
}

/// The alert's notifications: channel, status (`pending`, `delivered`, `failed`), attempts,
/// last error and times.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/notifications", operation_id = "alert_notifications", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = [AlertNotification]),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn alert_notifications(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AlertNotification>>, ApiError> {
    Ok(Json(state.service.alert_notifications(&user, id).await?))
}
