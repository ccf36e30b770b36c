//! The report use cases: queue a report, list, read, download and delete reports, and manage
//! schedules. A report is visible to its owner and to holders of `reports.read_all`; to
//! anyone else it does not exist (404). Creating, downloading and deleting are audited.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::reports::{
    NewReport, ReportDownload, ReportFilters, ReportFormat, ReportKind, ReportStatus, ReportView,
    ReportsService, parse_range,
};

use super::audit::{AuditEntry, Outcome};
use super::{Service, internal};
use crate::jobs::report::{content_type, extension};
use crate::store::{report as row, user};

/// The longest range a report may cover.
const MAX_RANGE_DAYS: i64 = 366;
/// Reports one listing returns.
const LIST_LIMIT: u64 = 200;
/// The longest report or schedule name, in characters.
const MAX_NAME: usize = 200;

impl Service {
    /// The report `id` if `user` may see it.
    async fn visible_report(&self, user: &CurrentUser, id: i64) -> Result<row::Model, AppError> {
        row::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .filter(|r| r.owner_id == Some(user.id) || user.can(Permission::ReportsReadAll))
            .ok_or(AppError::NotFound)
    }

    /// Checks a report's filters against its kind and what `owner` may read; used when a
    /// report or schedule is created, so mistakes are answered at once.
    pub(crate) async fn check_report(
        &self,
        owner: &CurrentUser,
        kind: ReportKind,
        filters: &ReportFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let needs = match kind {
            ReportKind::Alerts => Permission::AlertsRead,
            _ => Permission::EventsRead,
        };
        self.authorize(owner, needs).await?;
        let backend = self.db.get_database_backend();
        crate::report::events::search(filters.q.as_deref(), from, to, backend, owner)?;
        crate::report::alerts::select(filters, from, to)?;
        Ok(())
    }

    /// Queues a report; `schedule` names the schedule that asked for it.
    pub(crate) async fn queue_report(
        &self,
        owner: &CurrentUser,
        new: NewReport,
        schedule: Option<i32>,
    ) -> Result<ReportView, AppError> {
        let (from, to) = resolve_range(&new)?;
        let filters = clean(new.filters);
        self.check_report(owner, new.kind, &filters, from, to)
            .await?;
        let name = match new
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
        {
            Some(n) if n.chars().count() > MAX_NAME => {
                return Err(AppError::Invalid(format!(
                    "name: at most {MAX_NAME} characters"
                )));
            }
            Some(n) => n,
            None => format!(
                "{}, {} to {}",
                new.kind.title(),
                from.format("%Y-%m-%d %H:%M"),
                to.format("%Y-%m-%d %H:%M")
            ),
        };
        let saved = row::ActiveModel {
            name: Set(name),
            kind: Set(new.kind.as_str().into()),
            format: Set(new.format.as_str().into()),
            status: Set(ReportStatus::Queued.as_str().into()),
            parameters: Set(json!({
                "from": crate::report::csv::instant(&from),
                "to": crate::report::csv::instant(&to),
                "filters": filters,
            })),
            owner_id: Set(Some(owner.id)),
            created_at: Set(Utc::now()),
            progress: Set(0),
            schedule_id: Set(schedule),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(internal)?;
        let entry = AuditEntry::by(owner, "report_create", Outcome::Success)
            .target(saved.id.to_string())
            .details(json!({ "kind": saved.kind, "format": saved.format, "schedule": schedule }));
        self.audit(entry).await.map_err(internal)?;
        self.jobs.wake();
        self.report_view(saved).await
    }

    async fn report_view(&self, r: row::Model) -> Result<ReportView, AppError> {
        let owner = match r.owner_id {
            Some(id) => user::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(internal)?
                .map(|u| u.username),
            None => None,
        };
        view(r, owner)
    }
}

/// Trims the filters and drops empty ones.
pub(crate) fn clean(f: ReportFilters) -> ReportFilters {
    let t = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ReportFilters {
        q: t(f.q),
        severity: t(f.severity),
        status: t(f.status),
    }
}

/// The absolute range of a new report: `from`/`to`, or the last `range`, or the last 24 h.
fn resolve_range(new: &NewReport) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let now = Utc::now();
    let (from, to) = match (&new.range, new.from, new.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(AppError::Invalid(
                "range: give either range or from and to, not both".into(),
            ));
        }
        (Some(r), None, None) => {
            let secs = parse_range(r).map_err(|e| AppError::Invalid(format!("range: {e}")))?;
            (now - Duration::seconds(secs), now)
        }
        (None, Some(from), to) => (from, to.unwrap_or(now)),
        (None, None, Some(_)) => {
            return Err(AppError::Invalid("from: required with to".into()));
        }
        (None, None, None) => (now - Duration::hours(24), now),
    };
    if from >= to {
        return Err(AppError::Invalid("from: must be before to".into()));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::Invalid(format!(
            "range: at most {MAX_RANGE_DAYS} days"
        )));
    }
    Ok((from, to))
}

fn view(r: row::Model, owner: Option<String>) -> Result<ReportView, AppError> {
    let bad = || {
        tracing::error!(report = r.id, "unreadable report row");
        AppError::Internal
    };
    let kind = ReportKind::parse(&r.kind).ok_or_else(bad)?;
    let format = ReportFormat::parse(&r.format).ok_or_else(bad)?;
    let status = ReportStatus::parse(&r.status).ok_or_else(bad)?;
    let instant = |key: &str| {
        r.parameters
            .get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let from = instant("from").ok_or_else(bad)?;
    let to = instant("to").ok_or_else(bad)?;
    let filters = r
        .parameters
        .get("filters")
        .cloned()
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    let file_name = format!(
        "vigil-{}-{}-{}-{}.{}",
        kind.as_str(),
        from.format("%Y%m%dT%H%M"),
        to.format("%Y%m%dT%H%M"),
        r.id,
        extension(kind, format)
    );
    Ok(ReportView {
        id: r.id,
        name: r.name,
        kind,
        format,
        status,
        progress: r.progress,
        error: r.error,
        owner_id: r.owner_id,
        owner,
        schedule_id: r.schedule_id,
        from,
        to,
        filters,
        size_bytes: r.size_bytes,
        created_at: r.created_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        file_name,
    })
}

#[async_trait::async_trait]
impl ReportsService for Service {
    async fn create_report(
        &self,
        user: &CurrentUser,
        new: NewReport,
    ) -> Result<ReportView, AppError> {
        self.authorize(user, Permission::ReportsCreate).await?;
        self.queue_report(user, new, None).await
    }

    async fn list_reports(&self, user: &CurrentUser) -> Result<Vec<ReportView>, AppError> {
        self.authorize(user, Permission::ReportsRead).await?;
        let mut find = row::Entity::find()
            .order_by_desc(row::Column::Id)
            .limit(LIST_LIMIT);
        if !user.can(Permission::ReportsReadAll) {
            find = find.filter(row::Column::OwnerId.eq(user.id));
        }
        let rows = find.all(&self.db).await.map_err(internal)?;
        let owners: Vec<i32> = rows.iter().filter_map(|r| r.owner_id).collect();
        let names: std::collections::HashMap<i32, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(owners))
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        rows.into_iter()
            .map(|r| {
                let owner = r.owner_id.and_then(|id| names.get(&id).cloned());
                view(r, owner)
            })
            .collect()
    }

    async fn get_report(&self, user: &CurrentUser, id: i64) -> Result<ReportView, AppError> {
        self.authorize(user, Permission::ReportsRead).await?;
        let r = self.visible_report(user, id).await?;
        self.report_view(r).await
    }

    async fn download_report(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<ReportDownload, AppError> {
        self.authorize(user, Permission::ReportsRead).await?;
        let r = self.visible_report(user, id).await?;
        let file = match (&r.file_path, r.status.as_str()) {
            (Some(file), "done") => file.clone(),
            (_, status) => {
                return Err(AppError::Conflict(format!(
                    "the report is {status}: only a done report can be downloaded"
                )));
            }
        };
        let view = self.report_view(r).await?;
        let entry = AuditEntry::by(user, "report_download", Outcome::Success)
            .target(id.to_string())
            .details(json!({ "kind": view.kind.as_str(), "format": view.format.as_str() }));
        self.audit(entry).await.map_err(internal)?;
        Ok(ReportDownload {
            path: self
                .jobs
                .settings
                .dir
                .join(file)
                .to_string_lossy()
                .into_owned(),
            content_type: content_type(view.kind, view.format),
            file_name: view.file_name,
        })
    }

    async fn delete_report(&self, user: &CurrentUser, id: i64) -> Result<(), AppError> {
        self.authorize(user, Permission::ReportsCreate).await?;
        let r = self.visible_report(user, id).await?;
        row::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        if let Some(file) = &r.file_path {
            crate::jobs::retention::remove(&self.jobs.settings, file);
        }
        let entry = AuditEntry::by(user, "report_delete", Outcome::Success)
            .target(id.to_string())
            .details(json!({ "kind": r.kind, "owner_id": r.owner_id }));
        self.audit(entry).await.map_err(internal)?;
        Ok(())
    }
}
