//! Server functions for the Reports page: thin adapters over the report use cases.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::reports::{NewReport, NewSchedule, ReportView, ScheduleUpdate, ScheduleView};

#[server(prefix = "/api/fn", endpoint = "reports_list")]
pub async fn list_reports() -> Result<Vec<ReportView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_reports(&user).await)
}

#[server(prefix = "/api/fn", endpoint = "reports_create", input = Json)]
pub async fn create_report(new: NewReport) -> Result<ReportView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.create_report(&user, new).await)
}

#[server(prefix = "/api/fn", endpoint = "reports_delete", input = Json)]
pub async fn delete_report(id: i64) -> Result<(), AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.delete_report(&user, id).await)
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
