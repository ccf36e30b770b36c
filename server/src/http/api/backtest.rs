//! `/api/v1/rules/…/backtest`: a rule run over stored events for a time range, answering the
//! alerts it would have raised; with `hunt`, creating them (`rules.write`).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::backtest::{BacktestJob, BacktestRange, RuleBacktest};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path};
use crate::http::{ApiError, AppState, ErrorBody};

/// 200 once the job has finished (`done` or `failed`), 202 while it is queued or running.
fn answer(job: BacktestJob) -> (StatusCode, Json<BacktestJob>) {
    let status = match job.status.as_str() {
        "done" | "failed" => StatusCode::OK,
        _ => StatusCode::ACCEPTED,
    };
    (status, Json(job))
}

/// Backtest a saved rule (enabled or not) over the stored events of `[from, to)`; with `hunt`,
/// also create the alerts found (once, however often the hunt runs). A short range is answered
/// with the result (200); a long one with the job's progress (202), to read again at
/// `GET /api/v1/rules/backtests/{id}`.
#[utoipa::path(post, path = "/api/v1/rules/{id}/backtest", operation_id = "backtest_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
    request_body = BacktestRange,
    responses(
        (status = 200, description = "Finished: the alerts the rule would have raised", body = BacktestJob),
        (status = 202, description = "Still running: its progress", body = BacktestJob),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`from` not before `to`", body = ErrorBody),
        (status = 429, description = "Too many backtests unfinished", body = ErrorBody)))]
pub async fn saved(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(range): Json<BacktestRange>,
) -> Result<(StatusCode, Json<BacktestJob>), ApiError> {
    Ok(answer(state.service.backtest_rule(&user, id, range).await?))
}

/// Backtest a rule that is not saved (`rule` as `POST /api/v1/rules` takes it) over the stored
/// events of `[from, to)`; answered like `POST /api/v1/rules/{id}/backtest`.
#[utoipa::path(post, path = "/api/v1/rules/backtest", operation_id = "backtest_new_rule", tag = "rules", security(("bearer" = [])),
    request_body = RuleBacktest,
    responses(
        (status = 200, description = "Finished: the alerts the rule would have raised", body = BacktestJob),
        (status = 202, description = "Still running: its progress", body = BacktestJob),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A bad rule (naming the field and the problem), `from` not before `to`, or `hunt`", body = ErrorBody),
        (status = 429, description = "Too many backtests unfinished", body = ErrorBody)))]
pub async fn unsaved(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(backtest): Json<RuleBacktest>,
) -> Result<(StatusCode, Json<BacktestJob>), ApiError> {
    Ok(answer(
        state.service.backtest_new_rule(&user, backtest).await?,
    ))
}

/// A backtest's progress (`scanned` of `total` events) and, once done, its result. Jobs live
/// in memory: the last 32, until the server restarts.
#[utoipa::path(get, path = "/api/v1/rules/backtests/{id}", operation_id = "get_backtest", tag = "rules", security(("bearer" = [])),
    params(("id" = String, Path, description = "The backtest's id")),
    responses(
        (status = 200, body = BacktestJob),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BacktestJob>, ApiError> {
    Ok(Json(state.service.get_backtest(&user, &id).await?))
}
