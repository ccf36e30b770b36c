//! `/api/v1/rules`: detection rules (`rules.read` to read, `rules.write` to change).

use axum::extract::State;
use axum::http::StatusCode;

use app::model::rules::{NewRule, RuleQuery, RuleUpdate, RuleView};

use crate::http::auth::AuthUser;
use crate::http::extract::{Json, Path, Query};
use crate::http::{ApiError, AppState, ErrorBody};

/// Rules, by name, optionally filtered.
#[utoipa::path(get, path = "/api/v1/rules", operation_id = "list_rules", tag = "rules", security(("bearer" = [])),
    params(RuleQuery),
    responses(
        (status = 200, body = [RuleView]),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(query): Query<RuleQuery>,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    Ok(Json(state.service.list_rules(&user, query).await?))
}

/// Create a rule; it applies to events stored from a second or so later.
#[utoipa::path(post, path = "/api/v1/rules", operation_id = "create_rule", tag = "rules", security(("bearer" = [])),
    request_body = NewRule,
    responses(
        (status = 201, body = RuleView),
        (status = 400, description = "Malformed JSON body", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "A rule of that name exists", body = ErrorBody),
        (status = 422, description = "A bad definition, naming the field and the problem", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(new): Json<NewRule>,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_rule(&user, new).await?),
    ))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/rules/{id}", operation_id = "get_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
    responses(
        (status = 200, body = RuleView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<RuleView>, ApiError> {
    Ok(Json(state.service.get_rule(&user, id).await?))
}

/// Change a rule. A new definition discards the rule's live state.
#[utoipa::path(patch, path = "/api/v1/rules/{id}", operation_id = "update_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
    request_body = RuleUpdate,
    responses(
        (status = 200, body = RuleView),
        (status = 400, description = "Malformed JSON body or id", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "A bad definition, naming the field and the problem", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
    Json(update): Json<RuleUpdate>,
) -> Result<Json<RuleView>, ApiError> {
    Ok(Json(state.service.update_rule(&user, id, update).await?))
}

/// Delete a rule; its alerts stay (naming the rule). A deleted built-in rule is not re-created.
#[utoipa::path(delete, path = "/api/v1/rules/{id}", operation_id = "delete_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
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
    state.service.delete_rule(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_enabled(
    state: AppState,
    user: app::model::auth::CurrentUser,
    id: i32,
    enabled: bool,
) -> Result<Json<RuleView>, ApiError> {
    let update = RuleUpdate {
        enabled: Some(enabled),
        ..RuleUpdate::default()
    };
    Ok(Json(state.service.update_rule(&user, id, update).await?))
}

/// Enable a rule.
#[utoipa::path(post, path = "/api/v1/rules/{id}/enable", operation_id = "enable_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
    responses(
        (status = 200, body = RuleView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The rule's definition does not check (an imported correlation, say)", body = ErrorBody)))]
pub async fn enable(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<RuleView>, ApiError> {
    set_enabled(state, user, id, true).await
}

/// Disable a rule.
#[utoipa::path(post, path = "/api/v1/rules/{id}/disable", operation_id = "disable_rule", tag = "rules", security(("bearer" = [])),
    params(("id" = i32, Path, description = "Rule id")),
    responses(
        (status = 200, body = RuleView),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i32>,
) -> Result<Json<RuleView>, ApiError> {
    set_enabled(state, user, id, false).await
}
