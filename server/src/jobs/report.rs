//! The report job: claims the oldest queued report, generates it into
//! `DATA_DIR/reports/<id>.<ext>.part` as its owner, then renames the file and marks the
//! report `done`, or removes the file and marks it `failed` with the reason. A report of a
//! schedule with an e-mail channel is sent once done.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};

use app::model::auth::{Credential, CurrentUser};
use app::model::reports::{ReportFilters, ReportFormat, ReportKind};

use super::Settings;
use crate::report::{Context, Output, Progress, Request, generate};
use crate::service::Service;
use crate::store::{report as row, user};

/// The suffix of a file still being written.
pub const PARTIAL: &str = ".part";

/// The file name of a finished report under the reports directory.
pub fn file_name(id: i64, kind: ReportKind, format: ReportFormat) -> String {
    format!("{id}.{}", extension(kind, format))
}

/// The file extension: `ndjson` for JSON exports of events and alerts (one object a line).
pub fn extension(kind: ReportKind, format: ReportFormat) -> &'static str {
    match (format, kind) {
        (ReportFormat::Pdf, _) => "pdf",
        (ReportFormat::Csv, _) => "csv",
        (ReportFormat::Json, ReportKind::Events | ReportKind::Alerts) => "ndjson",
        (ReportFormat::Json, _) => "json",
    }
}

pub fn content_type(kind: ReportKind, format: ReportFormat) -> &'static str {
    match extension(kind, format) {
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        "ndjson" => "application/x-ndjson",
        _ => "application/json",
    }
}

/// Generates the oldest queued report; `false` when none is queued.
pub async fn run_next(service: &Service, settings: &Settings) -> Result<bool, sea_orm::DbErr> {
    let db = service.db();
    let Some(next) = row::Entity::find()
        .filter(row::Column::Status.eq("queued"))
        .order_by_asc(row::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    // Claimed only if still queued (it may have been deleted meanwhile).
    let claimed = row::Entity::update_many()
        .col_expr(row::Column::Status, Expr::value("running"))
        .col_expr(row::Column::StartedAt, Expr::value(Utc::now()))
        .col_expr(row::Column::Progress, Expr::value(0))
        .filter(row::Column::Id.eq(next.id))
        .filter(row::Column::Status.eq("queued"))
        .exec(db)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(true);
    }
    let started = std::time::Instant::now();
    let outcome = run(service, settings, &next).await;
    let now = Utc::now();
    let update = match outcome {
        Ok((file, size)) => {
            tracing::info!(report = next.id, kind = %next.kind, bytes = size,
                ms = started.elapsed().as_millis() as u64, "report generated");
            row::ActiveModel {
                id: Set(next.id),
                status: Set("done".into()),
                progress: Set(100),
                file_path: Set(Some(file)),
                size_bytes: Set(Some(size as i64)),
                finished_at: Set(Some(now)),
                ..Default::default()
            }
        }
        Err(reason) => {
            tracing::warn!(report = next.id, kind = %next.kind, reason = %reason, "report failed");
            row::ActiveModel {
                id: Set(next.id),
                status: Set("failed".into()),
                error: Set(Some(reason)),
                finished_at: Set(Some(now)),
                ..Default::default()
            }
        }
    };
    let done = update.status.clone().take() == Some("done".to_string());
    match update.update(db).await {
        Ok(saved) => {
            if done && let Some(schedule) = saved.schedule_id {
                super::schedule::deliver(service, schedule, &saved, settings).await;
            }
        }
        Err(sea_orm::DbErr::RecordNotUpdated) => {
            // Deleted while it ran: its file goes too.
            let kind = ReportKind::parse(&next.kind).unwrap_or(ReportKind::Events);
            let format = ReportFormat::parse(&next.format).unwrap_or(ReportFormat::Csv);
            let _ = std::fs::remove_file(settings.dir.join(file_name(next.id, kind, format)));
        }
        Err(e) => return Err(e),
    }
    Ok(true)
}

/// Generates one claimed report; the file's name and size, or why it failed.
async fn run(
    service: &Service,
    settings: &Settings,
    report: &row::Model,
) -> Result<(String, u64), String> {
    let request = request(service, report).await?;
    let name = file_name(report.id, request.kind, request.format);
    let path = settings.dir.join(&name);
    let partial = settings.dir.join(format!("{name}{PARTIAL}"));
    let out = Output::create(&partial)
        .await
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let mut ctx = Context {
        service,
        db: service.db(),
        request: &request,
        page_rows: settings.page_rows,
        progress: Progress::new(service.db().clone(), report.id),
        out,
    };
    let result = generate(&mut ctx).await;
    let finished = match result {
        Ok(()) => ctx.out.finish().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match finished {
        Ok(size) => {
            tokio::fs::rename(&partial, &path)
                .await
                .map_err(|e| format!("cannot move the file into place: {e}"))?;
            Ok((name, size))
        }
        Err(reason) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(reason)
        }
    }
}

/// The stored report as a generation request, with its owner's current permissions.
async fn request(service: &Service, report: &row::Model) -> Result<Request, String> {
    let kind = ReportKind::parse(&report.kind).ok_or("unknown report kind")?;
    let format = ReportFormat::parse(&report.format).ok_or("unknown report format")?;
    let p = &report.parameters;
    let instant = |key: &str| {
        p.get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("the report has no valid `{key}`"))
    };
    let filters: ReportFilters = p
        .get("filters")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| format!("the report's filters are unreadable: {e}"))?
        .unwrap_or_default();
    let owner_id = report.owner_id.ok_or("the report has no owner")?;
    let owner = user::Entity::find_by_id(owner_id)
        .one(service.db())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the report's owner no longer exists")?;
    if owner.disabled {
        return Err("the report's owner is disabled".into());
    }
    let (roles, permissions) = crate::service::auth::grants(service.db(), owner.id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Request {
        id: report.id,
        kind,
        format,
        name: report.name.clone(),
        owner: CurrentUser {
            id: owner.id,
            username: owner.username,
            display_name: owner.display_name,
            roles,
            permissions,
            credential: Credential::Session {
                session: format!("report-{}", report.id),
            },
            source_ip: None,
        },
        from: instant("from")?,
        to: instant("to")?,
        filters,
    })
}
