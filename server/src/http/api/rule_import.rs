//! `POST /api/v1/rules/import`: Sigma files become `sigma` rules (`rules.write`).

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, header};
use tower::{Layer, ServiceExt};

use app::error::AppError;

use super::logs::{media_type, read_body};
use crate::http::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::service::Service;
use crate::service::rule_import::{
    FileResult, ImportFile, ImportRequest, ImportResult, MAX_FILES, RefusedRule,
};
use app::model::rule_import::RuleImportService;

/// Import Sigma rules: one file as a YAML body (`application/yaml`, `text/yaml` or
/// `text/plain`), several as `{"files": [{"name": "...", "yaml": "..."}]}`, or an upload as
/// `multipart/form-data` with one file part per file (a browser's folder upload names each
/// part by its relative path). Each file answers what it imported (rule ids and names), what
/// it refused and why, and warnings; a part whose name does not end in `.yml` or `.yaml` is
/// refused with that reason. At most 500 files (422 beyond), 16 MiB in all (413); a file over
/// 1 MiB is refused with its size.
/// Imported rules are enabled and evaluated on events stored from a second or so later.
/// A single YAML body from which nothing could be imported answers 422 with the reasons.
#[utoipa::path(post, path = "/api/v1/rules/import", operation_id = "import_rules", tag = "rules", security(("bearer" = [])),
    request_body(
        description = "Sigma YAML, a JSON list of files, or a multipart upload with one file part per file",
        content((String = "application/yaml"), (String = "text/plain"), (ImportRequest = "application/json"),
            (UploadForm = "multipart/form-data"))
    ),
    responses(
        (status = 200, description = "One result per file", body = ImportResult),
        (status = 400, description = "Unreadable body", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Neither YAML, text, JSON nor multipart", body = ErrorBody),
        (status = 422, description = "Nothing in a single YAML body could be imported (the reasons), or no or over 500 files", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    req: Request,
) -> Result<Json<ImportResult>, ApiError> {
    let service = &state.backend;
    service
        .authorize(&user, app::model::auth::Permission::RulesWrite)
        .await?;
    let (parts, body) = req.into_parts();
    let headers: HeaderMap = parts.headers;
    let json = match media_type(&headers).as_deref() {
        Some("multipart/form-data") => {
            let parts = read_parts(&headers, body).await?;
            return Ok(Json(import_parts(service, &user, parts).await?));
        }
        Some(
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" | "text/plain",
        ) => false,
        Some("application/json") => true,
        _ => {
            return Err(ApiError::unsupported_media_type(
                "send application/yaml, text/plain, application/json or multipart/form-data",
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

/// The multipart request body: any number of file parts, whatever their field names.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One Sigma file per part; the part's file name (a relative path for a folder upload)
    /// names it in the result.
    #[schema(format = Binary, value_type = Vec<String>)]
    files: Vec<Vec<u8>>,
}

/// One part of an upload: a file to import, or why it is not imported.
enum Part {
    Yaml(ImportFile),
    Refused(Option<String>, String),
}

/// Reads every part of a multipart body of at most 16 MiB.
async fn read_parts(headers: &HeaderMap, body: Body) -> Result<Vec<Part>, ApiError> {
    let bytes = read_body(body).await?;
    let mut req = Request::new(Body::from(bytes));
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    // The body is already read within the import's own limit; the extractor's default of
    // 2 MiB would refuse a folder that fits in it.
    let extract = tower::service_fn(|req: Request| Multipart::from_request(req, &()));
    let mut form = DefaultBodyLimit::disable()
        .layer(extract)
        .oneshot(req)
        .await
        .map_err(|e| {
            AppError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
        })?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::from(AppError::BadRequest(format!(
            "malformed multipart body: {}",
            e.body_text()
        )))
    };
    let mut out = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        if out.len() == MAX_FILES {
            return Err(
                AppError::Invalid(format!("files: more than {MAX_FILES} in one import")).into(),
            );
        }
        // Every part is a file: a form field without a file name is a malformed upload.
        let Some(name) = field.file_name().map(str::to_string) else {
            return Err(AppError::Invalid(format!(
                "files: part `{}` is not a file (it has no file name)",
                field.name().unwrap_or_default()
            ))
            .into());
        };
        let name = Some(name);
        let yaml_name = name.as_deref().is_some_and(|n| {
            let n = n.to_ascii_lowercase();
            n.ends_with(".yml") || n.ends_with(".yaml")
        });
        let data = field.bytes().await.map_err(bad)?;
        if !yaml_name {
            out.push(Part::Refused(
                name,
                "not a Sigma file: the name does not end in .yml or .yaml".into(),
            ));
            continue;
        }
        match String::from_utf8(data.to_vec()) {
            Ok(yaml) => out.push(Part::Yaml(ImportFile { name, yaml })),
            Err(_) => out.push(Part::Refused(name, "the file is not UTF-8 text".into())),
        }
    }
    if out.is_empty() {
        return Err(AppError::Invalid("files: the upload holds no file part".into()).into());
    }
    Ok(out)
}

/// Imports the YAML parts and answers one result per part, in the order sent.
async fn import_parts(
    service: &Service,
    user: &app::model::auth::CurrentUser,
    parts: Vec<Part>,
) -> Result<ImportResult, ApiError> {
    let files: Vec<ImportFile> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Yaml(f) => Some(f.clone()),
            Part::Refused(..) => None,
        })
        .collect();
    let mut imported = if files.is_empty() {
        Vec::new()
    } else {
        service.import_rules(user, files).await?.files
    }
    .into_iter();
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        out.push(match part {
            Part::Yaml(_) => imported.next().expect("one result per file"),
            Part::Refused(file, reason) => FileResult {
                file,
                imported: Vec::new(),
                refused: vec![RefusedRule {
                    title: None,
                    reason,
                }],
                warnings: Vec::new(),
            },
        });
    }
    Ok(ImportResult { files: out })
}
