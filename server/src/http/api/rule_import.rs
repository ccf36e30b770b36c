//! `POST /api/v1/rules/import`: Sigma files become `sigma` rules (`rules.write`).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;

use app::error::AppError;

use super::logs::{media_type, read_body};
use crate::http::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::service::Service;
use crate::service::rule_import::{ImportFile, ImportRequest, ImportResult};

/// Import Sigma rules: one file as a YAML body (`application/yaml`, `text/yaml` or
/// `text/plain`), or several as `{"files": [{"name": "...", "yaml": "..."}]}`. Each file
/// answers what it imported (rule ids and names), what it refused and why, and warnings.
/// Imported rules are enabled and evaluated on events stored from a second or so later.
/// A single YAML body from which nothing could be imported answers 422 with the reasons.
#[utoipa::path(post, path = "/api/v1/rules/import", operation_id = "import_rules", tag = "rules", security(("bearer" = [])),
    request_body(
        description = "Sigma YAML, or a JSON list of files",
        content((String = "application/yaml"), (String = "text/plain"), (ImportRequest = "application/json"))
    ),
    responses(
        (status = 200, description = "One result per file", body = ImportResult),
        (status = 400, description = "Unreadable body", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Neither YAML, text nor JSON", body = ErrorBody),
        (status = 422, description = "Nothing in a single YAML body could be imported; the reasons", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportResult>, ApiError> {
    let service = Service::new(state.db.clone());
    service
        .authorize(&user, app::model::auth::Permission::RulesWrite)
        .await?;
    let json = match media_type(&headers).as_deref() {
        Some(
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" | "text/plain",
        ) => false,
        Some("application/json") => true,
        _ => {
            return Err(ApiError::unsupported_media_type(
                "send application/yaml, text/plain or application/json",
            ));
        }
    };
    let bytes = read_body(body).await?;
    if json {
        let request: ImportRequest = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::BadRequest(format!("malformed JSON body: {e}")))?;
        return Ok(Json(service.import_rules(&user, request.files).await?));
    }
    let yaml = String::from_utf8(bytes.to_vec())
        .map_err(|_| AppError::Invalid("the body is not UTF-8 text".into()))?;
    let result = service
        .import_rules(&user, vec![ImportFile { name: None, yaml }])
        .await?;
    let file = &result.files[0];
    if file.imported.is_empty() {
        let reasons: Vec<String> = file
            .refused
            .iter()
            .map(|r| match &r.title {
                Some(t) => format!("{t}: {}", r.reason),
                None => r.reason.clone(),
            })
            .collect();
        let reasons = if reasons.is_empty() {
            "no Sigma detection rule found".to_string()
        } else {
            reasons.join("; ")
        };
        return Err(AppError::Invalid(reasons).into());
    }
    Ok(Json(result))
}
