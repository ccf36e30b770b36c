//! Server functions for the Reports page: thin adapters over the report use cases.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::reports::{NewReport, ReportFilters, ReportFormat, ReportKind};
use crate::model::reports::{NewSchedule, ReportView, ScheduleUpdate, ScheduleView};

#[server(prefix = "/api/fn", endpoint = "reports_list")]
pub async fn list_reports() -> Result<Vec<ReportView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_reports(&user).await)
}

/// Queues a report from the Reports page's form (all fields text, as a browser posts them);
/// answers a plain form post through [`super::forms::reply`].
#[server(prefix = "/api/fn", endpoint = "reports_create")]
pub async fn create_report(
    kind: String,
    format: String,
    #[server(default)] range: String,
    #[server(default)] name: String,
    #[server(default)] q: String,
    #[server(default)] severity: String,
    #[server(default)] status: String,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let new = NewReport {
            kind: ReportKind::parse(&kind)
                .ok_or_else(|| AppError::Invalid(format!("kind: `{kind}` is not a report kind")))?,
            format: ReportFormat::parse(&format).ok_or_else(|| {
                AppError::Invalid(format!("format: `{format}` is not pdf, csv or json"))
            })?,
            name: filled(name),
            from: None,
            to: None,
            range: filled(range),
            filters: ReportFilters {
                q: filled(q),
                severity: filled(severity),
                status: filled(status),
            },
        };
        let queued = super::service()?.create_report(&user, new).await?;
        Ok(format!("Report “{}” queued.", queued.name))
    }
    .await;
    super::forms::reply(result)
}

/// Deletes a report and its file; answers like [`create_report`].
#[server(prefix = "/api/fn", endpoint = "reports_delete")]
pub async fn delete_report(id: i64) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        super::service()?.delete_report(&user, id).await?;
        Ok("Report deleted.".to_string())
    }
    .await;
    super::forms::reply(result)
}

/// A form field's text, `None` when left empty.
#[cfg(feature = "ssr")]
fn filled(v: String) -> Option<String> {
    Some(v.trim().to_string()).filter(|s| !s.is_empty())
}

#[server(prefix = "/api/fn", endpoint = "report_schedules_list")]
pub async fn list_schedules() -> Result<Vec<ScheduleView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_schedules(&user).await)
}

#[server(prefix = "/api/fn", endpoint = "report_schedules_create", input = Json)]
pub async fn create_schedule(new: NewSchedule) -> Result<ScheduleView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.create_schedule(&user, new).await)
}

#[server(prefix = "/api/fn", endpoint = "report_schedules_update", input = Json)]
pub async fn update_schedule(id: i32, update: ScheduleUpdate) -> Result<ScheduleView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.update_schedule(&user, id, update).await)
}

#[server(prefix = "/api/fn", endpoint = "report_schedules_delete", input = Json)]
pub async fn delete_schedule(id: i32) -> Result<(), AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.delete_schedule(&user, id).await)
}
