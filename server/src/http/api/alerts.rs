//! `/api/v1/alerts`: alerts and their triage (`alerts.read` to read, `alerts.triage` to change),
//! and the live stream of alert changes.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;

use app::model::alerts::{
    AlertBulkResult, AlertBulkUpdate, AlertChange, AlertComment, AlertPage, AlertQuery,
    AlertUpdate, AlertView, Assignee, NewComment,
};
use app::model::events::Event;

use app::model::auth::Permission;

use crate::alerting::feed::{Received, Subscriber};
use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path, Query};
use crate::http::{ApiError, AppState, ErrorBody};

/// Alerts, newest first, filtered and paged (keyset: pass `next_cursor` as `cursor`).
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "list_alerts", tag = "alerts", security(("bearer" = [])),
    params(AlertQuery),
    responses(
        (status = 200, body = AlertPage),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Unknown status or severity, limit out of range", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(query): Query<AlertQuery>,
) -> Result<Json<AlertPage>, ApiError> {
    Ok(Json(state.service.list_alerts(&user, query).await?))
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", operation_id = "get_alert", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = AlertView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(state.service.get_alert(&user, id).await?))
}

/// Change an alert's status or assignee (`assignee_id: 0` unassigns).
#[utoipa::path(patch, path = "/api/v1/alerts/{id}", operation_id = "update_alert", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    request_body = AlertUpdate,
    responses(
        (status = 200, body = AlertView),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Reopening while another alert of the rule and key is open", body = ErrorBody),
        (status = 422, description = "Unknown status or assignee", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Json(update): Json<AlertUpdate>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(state.service.update_alert(&user, id, update).await?))
}

/// Change the status or assignee of up to 500 alerts.
#[utoipa::path(post, path = "/api/v1/alerts/bulk", operation_id = "bulk_update_alerts", tag = "alerts", security(("bearer" = [])),
    request_body = AlertBulkUpdate,
    responses(
        (status = 200, body = AlertBulkResult),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, description = "No ids or too many, unknown status or assignee", body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(bulk): Json<AlertBulkUpdate>,
) -> Result<Json<AlertBulkResult>, ApiError> {
    Ok(Json(state.service.bulk_update_alerts(&user, bulk).await?))
}

/// Who alerts may be assigned to: the enabled users holding `alerts.triage`, by username. Needs
/// `alerts.triage` itself, so a triager can pick a colleague without the user administration.
#[utoipa::path(get, path = "/api/v1/alerts/assignees", operation_id = "alert_assignees", tag = "alerts", security(("bearer" = [])),
    responses(
        (status = 200, body = [Assignee]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn assignees(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Assignee>>, ApiError> {
    Ok(Json(state.service.assignable_users(&user).await?))
}

/// The alert's evidence: the stored events behind it (at most 100), by time.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/events", operation_id = "alert_events", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = [Event]),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Event>>, ApiError> {
    Ok(Json(state.service.alert_events(&user, id).await?))
}

/// The alert's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/comments", operation_id = "alert_comments", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = [AlertComment]),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn comments(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AlertComment>>, ApiError> {
    Ok(Json(state.service.alert_comments(&user, id).await?))
}

/// Comment on an alert.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/comments", operation_id = "add_alert_comment", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    request_body = NewComment,
    responses(
        (status = 201, body = AlertComment),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Empty or too long", body = ErrorBody)))]
pub async fn add_comment(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Json(comment): Json<NewComment>,
) -> Result<(StatusCode, Json<AlertComment>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.add_alert_comment(&user, id, comment).await?),
    ))
}

/// Every change to the alert: who (absent for detection), when, what, from, to.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/history", operation_id = "alert_history", tag = "alerts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = [AlertChange]),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AlertChange>>, ApiError> {
    Ok(Json(state.service.alert_history(&user, id).await?))
}

/// How often an idle stream sends a comment, so proxies and clients see it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Alerts as they are opened or change, as server-sent events, from the moment of connecting.
///
/// Each `alert` event carries one alert as `GET /api/v1/alerts/{id}` returns it, with the
/// alert's id as the event id; detection publishes after each commit that opened or added to
/// alerts, triage after each status, assignee or comment change. A comment line is sent every
/// 15 s while nothing happens. A client that reads too slowly to keep up gets a `resync` event
/// (`{"missed": n}`: that many alerts were dropped for it) and the stream goes on; it should
/// read `GET /api/v1/alerts` again to catch up.
#[utoipa::path(get, path = "/api/v1/alerts/stream", operation_id = "alert_stream", tag = "alerts", security(("bearer" = [])),
    responses(
        (status = 200, description = "An endless stream of `alert` and `resync` events",
            content_type = "text/event-stream", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<impl IntoResponse, ApiError> {
    state
        .backend
        .authorize(&user, Permission::AlertsRead)
        .await?;
    let events = sse_events(state.backend.ingest().alert_feed().subscribe());
    // Reverse proxies such as nginx would otherwise buffer the stream.
    Ok((
        [("x-accel-buffering", "no")],
        Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")),
    ))
}

/// The stream's events, until the feed closes.
fn sse_events(sub: Subscriber) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures_util::stream::unfold(sub, |mut sub| async move {
        let event = match sub.recv().await {
            Received::Alert(alert) => SseEvent::default()
                .event("alert")
                .id(alert.id.to_string())
                .data(serde_json::to_string(&*alert).unwrap_or_default()),
            Received::Missed(n) => {
                metrics::counter!("vigil_alert_stream_resyncs_total").increment(1);
                SseEvent::default()
                    .event("resync")
                    .data(serde_json::json!({ "missed": n }).to_string())
            }
            Received::Closed => return None,
        };
        Some((Ok(event), sub))
    })
}
