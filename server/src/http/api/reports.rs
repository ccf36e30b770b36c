//! `/api/v1/reports`: reports generated in the background (`reports.create` to queue one,
//! `reports.read` to list and download), and `/api/v1/reports/schedules`. Another user's
//! report or schedule answers 404 unless the caller holds `reports.read_all`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use app::model::reports::{NewReport, NewSchedule, ReportView, ScheduleUpdate, ScheduleView};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// Queue a report. It is generated in the background: follow `status` and `progress` with
/// `GET /api/v1/reports/{id}`, then download it. `range` (`24h`, `7d`…) or `from`/`to`
/// choose the time covered (default: the last 24 hours); `filters.q` is a query-language
/// search over events, `filters.severity` and `filters.status` select alerts.
#[utoipa::path(post, path = "/api/v1/reports", operation_id = "create_report", tag = "reports", security(("bearer" = [])),
    request_body = NewReport,
    responses(
        (status = 202, description = "Queued", body = ReportView),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A bad range or filter, named", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewReport>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.service.create_report(&user, new).await?),
    ))
}

/// The caller's reports (everyone's with `reports.read_all`), newest first, at most 200.
#[utoipa::path(get, path = "/api/v1/reports", operation_id = "list_reports", tag = "reports", security(("bearer" = [])),
    responses(
        (status = 200, body = [ReportView]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    Ok(Json(state.service.list_reports(&user).await?))
}

/// One report: its status (`queued`, `running`, `done`, `failed`), progress and error.
#[utoipa::path(get, path = "/api/v1/reports/{id}", operation_id = "get_report", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, body = ReportView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(state.service.get_report(&user, id).await?))
}

/// Delete a report and its file.
#[utoipa::path(delete, path = "/api/v1/reports/{id}", operation_id = "delete_report", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_report(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The finished report's file: `application/pdf`, `text/csv`, `application/json`, or
/// `application/x-ndjson` (JSON of events and alerts, one object a line), as an attachment.
#[utoipa::path(get, path = "/api/v1/reports/{id}/download", operation_id = "download_report", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, description = "The file, by the report's format", content(
            (Vec<u8> = "application/pdf"),
            (String = "text/csv"),
            (serde_json::Value = "application/json"),
            (String = "application/x-ndjson"))),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not done yet, or failed", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let file = state.service.download_report(&user, id).await?;
    let opened = tokio::fs::File::open(&file.path).await.map_err(|e| {
        tracing::error!(file = %file.path, error = %e, "report file missing");
        app::error::AppError::Conflict("the report's file is gone: create it again".into())
    })?;
    let len = opened.metadata().await.map(|m| m.len()).ok();
    let stream = futures_util::stream::unfold(opened, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let mut response = (
        [
            (header::CONTENT_TYPE, file.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    if let Some(len) = len {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, len.into());
    }
    Ok(response)
}

/// Schedules: the caller's (everyone's with `reports.read_all`).
#[utoipa::path(get, path = "/api/v1/reports/schedules", operation_id = "list_report_schedules", tag = "reports", security(("bearer" = [])),
    responses(
        (status = 200, body = [ScheduleView]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_schedules(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    Ok(Json(state.service.list_schedules(&user).await?))
}

/// Create a schedule: a report over the last `range` queued at every time `cron` names (UTC;
/// six fields with seconds first, or five), e-mailed through the e-mail channel `channel_id`
/// when given.
#[utoipa::path(post, path = "/api/v1/reports/schedules", operation_id = "create_report_schedule", tag = "reports", security(("bearer" = [])),
    request_body = NewSchedule,
    responses(
        (status = 201, body = ScheduleView),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A bad cron expression, range, filter or channel, named", body = ErrorBody)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewSchedule>,
) -> Result<(StatusCode, Json<ScheduleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_schedule(&user, new).await?),
    ))
}

/// One schedule, with its next run.
#[utoipa::path(get, path = "/api/v1/reports/schedules/{id}", operation_id = "get_report_schedule", tag = "reports", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Schedule id")),
    responses(
        (status = 200, body = ScheduleView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<ScheduleView>, ApiError> {
    Ok(Json(state.service.get_schedule(&user, id).await?))
}

/// Change a schedule; what is left out stays.
#[utoipa::path(patch, path = "/api/v1/reports/schedules/{id}", operation_id = "update_report_schedule", tag = "reports", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Schedule id")),
    request_body = ScheduleUpdate,
    responses(
        (status = 200, body = ScheduleView),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A bad value, named", body = ErrorBody)))]
pub async fn update_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(update): Json<ScheduleUpdate>,
) -> Result<Json<ScheduleView>, ApiError> {
    Ok(Json(
        state.service.update_schedule(&user, id, update).await?,
    ))
}

/// Delete a schedule; the reports it made stay.
#[utoipa::path(delete, path = "/api/v1/reports/schedules/{id}", operation_id = "delete_report_schedule", tag = "reports", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Schedule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete_schedule(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_schedule(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
