//! Report schedules: recurring reports over a relative range, optionally e-mailed through an
//! e-mail channel. Visible like reports (the owner, or holders of `reports.read_all`); the
//! cron job of each is kept in step by [`crate::jobs::schedule::Schedules`].

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::reports::{
    NewSchedule, ReportFilters, ReportFormat, ReportKind, ReportSchedulesService, ScheduleUpdate,
    ScheduleView, format_range, parse_range,
};

use super::audit::{AuditEntry, Outcome};
use super::reports::clean;
use super::{Service, internal};
use crate::jobs::schedule::normalize_cron;
use crate::store::{notification_channel, report_schedule as row};

const MAX_NAME: usize = 200;

impl Service {
    async fn visible_schedule(&self, user: &CurrentUser, id: i32) -> Result<row::Model, AppError> {
        row::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .filter(|s| s.owner_id == user.id || user.can(Permission::ReportsReadAll))
            .ok_or(AppError::NotFound)
    }

    async fn schedule_view(&self, s: row::Model) -> Result<ScheduleView, AppError> {
        let bad = || {
            tracing::error!(schedule = s.id, "unreadable schedule row");
            AppError::Internal
        };
        Ok(ScheduleView {
            id: s.id,
            kind: ReportKind::parse(&s.kind).ok_or_else(bad)?,
            format: ReportFormat::parse(&s.format).ok_or_else(bad)?,
            next_run_at: self.schedules.next_run(s.id).await,
            name: s.name,
            cron: s.cron,
            range: format_range(s.range_secs),
            filters: serde_json::from_value(s.parameters).unwrap_or_default(),
            channel_id: s.channel_id,
            enabled: s.enabled,
            owner_id: s.owner_id,
            last_run_at: s.last_run_at,
            created_at: s.created_at,
        })
    }

    /// Checks a schedule's settings; answers the cron expression as stored.
    async fn check_schedule(
        &self,
        owner: &CurrentUser,
        s: Checked<'_>,
    ) -> Result<String, AppError> {
        let Checked {
            name,
            kind,
            cron,
            range_secs,
            filters,
            channel,
        } = s;
        if name.trim().is_empty() || name.chars().count() > MAX_NAME {
            return Err(AppError::Invalid(format!(
                "name: 1 to {MAX_NAME} characters"
            )));
        }
        let cron = normalize_cron(cron).map_err(|e| AppError::Invalid(format!("cron: {e}")))?;
        let now = Utc::now();
        self.check_report(
            owner,
            kind,
            filters,
            now - chrono::Duration::seconds(range_secs),
            now,
        )
        .await?;
        if let Some(id) = channel {
            let channel = notification_channel::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(internal)?;
            match channel {
                Some(c) if c.kind == "email" => {}
                Some(_) => {
                    return Err(AppError::Invalid(format!(
                        "channel_id: channel {id} is not an e-mail channel"
                    )));
                }
                None => {
                    return Err(AppError::Invalid(format!("channel_id: no channel {id}")));
                }
            }
        }
        Ok(cron)
    }
}

/// A schedule's settings as they will be stored.
struct Checked<'a> {
    name: &'a str,
    kind: ReportKind,
    cron: &'a str,
    range_secs: i64,
    filters: &'a ReportFilters,
    channel: Option<i32>,
}

fn range_of(range: &str) -> Result<i64, AppError> {
    parse_range(range).map_err(|e| AppError::Invalid(format!("range: {e}")))
}

#[async_trait::async_trait]
impl ReportSchedulesService for Service {
    async fn list_schedules(&self, user: &CurrentUser) -> Result<Vec<ScheduleView>, AppError> {
        self.authorize(user, Permission::ReportsRead).await?;
        let mut find = row::Entity::find().order_by_asc(row::Column::Id);
        if !user.can(Permission::ReportsReadAll) {
            find = find.filter(row::Column::OwnerId.eq(user.id));
        }
        let mut out = Vec::new();
        for s in find.all(&self.db).await.map_err(internal)? {
            out.push(self.schedule_view(s).await?);
        }
        Ok(out)
    }

    async fn get_schedule(&self, user: &CurrentUser, id: i32) -> Result<ScheduleView, AppError> {
        self.authorize(user, Permission::ReportsRead).await?;
        let s = self.visible_schedule(user, id).await?;
        self.schedule_view(s).await
    }

    async fn create_schedule(
        &self,
        user: &CurrentUser,
        new: NewSchedule,
    ) -> Result<ScheduleView, AppError> {
        self.authorize(user, Permission::ReportsCreate).await?;
        let range_secs = range_of(&new.range)?;
        let filters = clean(new.filters);
        let name = new.name.trim().to_string();
        let cron = self
            .check_schedule(
                user,
                Checked {
                    name: &name,
                    kind: new.kind,
                    cron: &new.cron,
                    range_secs,
                    filters: &filters,
                    channel: new.channel_id,
                },
            )
            .await?;
        let now = Utc::now();
        let saved = row::ActiveModel {
            name: Set(name),
            owner_id: Set(user.id),
            kind: Set(new.kind.as_str().into()),
            format: Set(new.format.as_str().into()),
            parameters: Set(serde_json::to_value(&filters).unwrap_or_else(|_| json!({}))),
            range_secs: Set(range_secs),
            cron: Set(cron),
            channel_id: Set(new.channel_id),
            enabled: Set(new.enabled),
            last_run_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(internal)?;
        let entry = AuditEntry::by(user, "report_schedule_create", Outcome::Success)
            .target(saved.id.to_string())
            .details(
                json!({ "kind": saved.kind, "cron": saved.cron, "channel_id": saved.channel_id }),
            );
        self.audit(entry).await.map_err(internal)?;
        self.schedules.sync(saved.id, Some(&saved)).await;
        self.schedule_view(saved).await
    }

    async fn update_schedule(
        &self,
        user: &CurrentUser,
        id: i32,
        update: ScheduleUpdate,
    ) -> Result<ScheduleView, AppError> {
        self.authorize(user, Permission::ReportsCreate).await?;
        let current = self.visible_schedule(user, id).await?;
        let kind = ReportKind::parse(&current.kind).ok_or(AppError::Internal)?;
        let name = update
            .name
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| current.name.clone());
        let range_secs = match &update.range {
            Some(r) => range_of(r)?,
            None => current.range_secs,
        };
        let filters = match update.filters {
            Some(f) => clean(f),
            None => serde_json::from_value(current.parameters.clone()).unwrap_or_default(),
        };
        let channel = update.channel_id.unwrap_or(current.channel_id);
        let cron = self
            .check_schedule(
                user,
                Checked {
                    name: &name,
                    kind,
                    cron: update.cron.as_deref().unwrap_or(&current.cron),
                    range_secs,
                    filters: &filters,
                    channel,
                },
            )
            .await?;
        let saved = row::ActiveModel {
            id: Set(id),
            name: Set(name),
            format: Set(update
                .format
                .map(|f| f.as_str().to_string())
                .unwrap_or(current.format)),
            parameters: Set(serde_json::to_value(&filters).unwrap_or_else(|_| json!({}))),
            range_secs: Set(range_secs),
            cron: Set(cron),
            channel_id: Set(channel),
            enabled: Set(update.enabled.unwrap_or(current.enabled)),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(&self.db)
        .await
        .map_err(internal)?;
        let entry = AuditEntry::by(user, "report_schedule_update", Outcome::Success)
            .target(id.to_string())
            .details(json!({ "cron": saved.cron, "enabled": saved.enabled, "channel_id": saved.channel_id }));
        self.audit(entry).await.map_err(internal)?;
        self.schedules.sync(id, Some(&saved)).await;
        self.schedule_view(saved).await
    }

    async fn delete_schedule(&self, user: &CurrentUser, id: i32) -> Result<(), AppError> {
        self.authorize(user, Permission::ReportsCreate).await?;
        self.visible_schedule(user, id).await?;
        row::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(internal)?;
        self.schedules.sync(id, None).await;
        let entry =
            AuditEntry::by(user, "report_schedule_delete", Outcome::Success).target(id.to_string());
        self.audit(entry).await.map_err(internal)?;
        Ok(())
    }
}
