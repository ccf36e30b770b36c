//! The schedule job: each enabled schedule is a tokio-cron-scheduler job (UTC) that queues a
//! report over the schedule's relative range when its cron expression comes due; a finished
//! scheduled report is e-mailed through the schedule's e-mail channel, as an attachment. At
//! start, a schedule that came due while Vigil was stopped runs once, however many runs it
//! missed (like cron's `anacron` or systemd's `Persistent=`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

use app::model::auth::{Credential, CurrentUser};
use app::model::reports::{NewReport, ReportFilters, ReportFormat, ReportKind, format_range};

use super::Settings;
use crate::alerting::notify::channel::Stored;
use crate::alerting::notify::email;
use crate::service::Service;
use crate::store::{notification_channel, report as row, report_schedule, user};

/// The largest file sent as an attachment; larger reports are announced with a link.
pub const MAX_ATTACHMENT: u64 = 10 * 1024 * 1024;

/// The running cron jobs, one per enabled schedule.
#[derive(Clone, Default)]
pub struct Schedules {
    inner: Arc<Mutex<Option<Inner>>>,
}

struct Inner {
    scheduler: JobScheduler,
    jobs: HashMap<i32, Uuid>,
    service: Service,
}

/// Six cron fields (seconds first) from six, or from five with `0` seconds prepended; checked
/// the way the scheduler reads it.
pub fn normalize_cron(v: &str) -> Result<String, String> {
    let fields: Vec<&str> = v.split_whitespace().collect();
    let six = match fields.len() {
        5 => format!("0 {}", fields.join(" ")),
        6 => fields.join(" "),
        _ => {
            return Err(
                "expected five fields, or six with seconds first, e.g. `0 0 7 * * *`".into(),
            );
        }
    };
    Job::new_async(six.as_str(), |_, _| Box::pin(async {}))
        .map(|_| six.clone())
        .map_err(|e| format!("{six:?} is not a cron expression: {e}"))
}

impl Schedules {
    /// Starts the scheduler with every enabled schedule.
    pub async fn start(&self, service: Service) -> anyhow::Result<()> {
        let scheduler = JobScheduler::new().await?;
        scheduler.start().await?;
        *self.inner.lock().await = Some(Inner {
            scheduler,
            jobs: HashMap::new(),
            service: service.clone(),
        });
        let all = report_schedule::Entity::find()
            .filter(report_schedule::Column::Enabled.eq(true))
            .all(service.db())
            .await?;
        for s in all {
            self.sync(s.id, Some(&s)).await;
        }
        catch_up(&service).await?;
        Ok(())
    }

    /// Brings the job of schedule `id` in line with `schedule` (`None`: deleted).
    pub async fn sync(&self, id: i32, schedule: Option<&report_schedule::Model>) {
        let mut guard = self.inner.lock().await;
        let Some(inner) = guard.as_mut() else { return };
        if let Some(old) = inner.jobs.remove(&id) {
            let _ = inner.scheduler.remove(&old).await;
        }
        let Some(s) = schedule.filter(|s| s.enabled) else {
            return;
        };
        let service = inner.service.clone();
        let job = Job::new_async(s.cron.as_str(), move |_, _| {
            let service = service.clone();
            Box::pin(async move { fire(&service, id).await })
        });
        match job {
            Ok(job) => match inner.scheduler.add(job).await {
                Ok(uuid) => {
                    inner.jobs.insert(id, uuid);
                }
                Err(e) => tracing::error!(schedule = id, error = %e, "cannot schedule reports"),
            },
            Err(e) => tracing::error!(schedule = id, error = %e, "unreadable report schedule"),
        }
    }

    /// When schedule `id` runs next.
    pub async fn next_run(&self, id: i32) -> Option<chrono::DateTime<Utc>> {
        let mut guard = self.inner.lock().await;
        let inner = guard.as_mut()?;
        let uuid = *inner.jobs.get(&id)?;
        inner.scheduler.next_tick_for_job(uuid).await.ok().flatten()
    }
}

/// The schedule's owner as the report's creator, with their current roles.
pub async fn owner(service: &Service, id: i32) -> Result<CurrentUser, String> {
    let owner = user::Entity::find_by_id(id)
        .one(service.db())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the owner no longer exists")?;
    if owner.disabled {
        return Err("the owner is disabled".into());
    }
    let (roles, permissions) = crate::service::auth::grants(service.db(), owner.id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(CurrentUser {
        id: owner.id,
        username: owner.username,
        display_name: owner.display_name,
        roles,
        permissions,
        credential: Credential::Session {
            session: "schedule".into(),
        },
        source_ip: None,
    })
}

/// When the six-field cron expression `cron` last came due at or before `now`, read the way the
/// scheduler reads it (UTC).
pub fn last_due(cron: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(cron)
        .ok()?
        .find_previous_occurrence(&now, true)
        .ok()
}

/// Runs what came due while Vigil was stopped: each enabled schedule whose expression came due
/// after its last run (or, never run, after its creation) queues one report now, however many
/// runs it missed. Answers the schedules that queued one.
pub async fn catch_up(service: &Service) -> anyhow::Result<Vec<i32>> {
    let now = Utc::now();
    let all = report_schedule::Entity::find()
        .filter(report_schedule::Column::Enabled.eq(true))
        .all(service.db())
        .await?;
    let mut queued = Vec::new();
    for s in all {
        let since = s.last_run_at.unwrap_or(s.created_at);
        let Some(due) = last_due(&s.cron, now).filter(|due| *due > since) else {
            continue;
        };
        tracing::info!(schedule = s.id, %due, "a scheduled report came due while Vigil was stopped: queuing it now");
        match queue(service, s.id).await {
            Ok(true) => queued.push(s.id),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(schedule = s.id, error = %e, "missed scheduled report not queued")
            }
        }
    }
    Ok(queued)
}

/// Queues the report of schedule `id`.
async fn fire(service: &Service, id: i32) {
    if let Err(e) = queue(service, id).await {
        tracing::warn!(schedule = id, error = %e, "scheduled report not queued");
    }
}

/// Queues the report of schedule `id` and records the run; `false` when the schedule is gone
/// or disabled.
async fn queue(service: &Service, id: i32) -> Result<bool, String> {
    let Some(s) = report_schedule::Entity::find_by_id(id)
        .one(service.db())
        .await
        .map_err(|e| e.to_string())?
        .filter(|s| s.enabled)
    else {
        return Ok(false);
    };
    let owner = owner(service, s.owner_id).await?;
    let now = Utc::now();
    let new = NewReport {
        kind: ReportKind::parse(&s.kind).ok_or("unknown kind")?,
        format: ReportFormat::parse(&s.format).ok_or("unknown format")?,
        name: Some(format!("{}, {}", s.name, now.format("%Y-%m-%d %H:%M"))),
        from: None,
        to: None,
        range: Some(format_range(s.range_secs)),
        filters: serde_json::from_value::<ReportFilters>(s.parameters.clone()).unwrap_or_default(),
    };
    service
        .queue_report(&owner, new, Some(s.id))
        .await
        .map_err(|e| e.to_string())?;
    report_schedule::ActiveModel {
        id: Set(s.id),
        last_run_at: Set(Some(now)),
        ..Default::default()
    }
    .update(service.db())
    .await
    .map_err(|e| e.to_string())?;
    Ok(true)
}

/// Sends a finished scheduled report through its schedule's channel, when it has one.
pub async fn deliver(service: &Service, schedule: i32, report: &row::Model, settings: &Settings) {
    if let Err(e) = try_deliver(service, schedule, report, settings).await {
        tracing::warn!(report = report.id, schedule, error = %e, "scheduled report not e-mailed");
    }
}

async fn try_deliver(
    service: &Service,
    schedule: i32,
    report: &row::Model,
    settings: &Settings,
) -> Result<(), String> {
    let db = service.db();
    let Some(s) = report_schedule::Entity::find_by_id(schedule)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Some(channel_id) = s.channel_id else {
        return Ok(());
    };
    let channel = notification_channel::Entity::find_by_id(channel_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the channel no longer exists")?;
    if channel.kind != "email" || !channel.enabled {
        return Err("the channel is not an enabled e-mail channel".into());
    }
    let config = Stored::from_json(&channel.config);
    let kind = ReportKind::parse(&report.kind).ok_or("unknown kind")?;
    let format = ReportFormat::parse(&report.format).ok_or("unknown format")?;
    let file = report
        .file_path
        .as_deref()
        .ok_or("the report has no file")?;
    let path = settings.dir.join(file);
    let size = report.size_bytes.unwrap_or(0) as u64;
    let public_url = &service.notify_settings().public_url;
    let link = format!("{public_url}/reports");
    let subject = format!("Vigil report: {}", report.name);
    let mut text = format!(
        "{}\n\nThe report of the schedule \"{}\" is ready ({} bytes).\n",
        report.name, s.name, size
    );
    let view_name = format!(
        "vigil-{}-{}.{}",
        kind.as_str(),
        report.id,
        super::report::extension(kind, format)
    );
    let timeout = service.notify_settings().send_timeout;
    if size > MAX_ATTACHMENT {
        text.push_str(&format!(
            "It is too large to attach; download it at {link}\n"
        ));
        return email::send_with_attachment(
            &config,
            &subject,
            text,
            email::Attachment {
                file_name: "README.txt".into(),
                content_type: "text/plain; charset=utf-8",
                bytes: format!("Download the report at {link}\n").into_bytes(),
            },
            timeout,
        )
        .await;
    }
    text.push_str(&format!("It is attached; all reports are at {link}\n"));
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    email::send_with_attachment(
        &config,
        &subject,
        text,
        email::Attachment {
            file_name: view_name,
            content_type: super::report::content_type(kind, format),
            bytes,
        },
        timeout,
    )
    .await?;
    tracing::info!(
        report = report.id,
        schedule,
        channel = channel_id,
        "scheduled report e-mailed"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::last_due;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn last_due_is_the_latest_time_at_or_before_now() {
        let daily = "0 0 7 * * *";
        assert_eq!(
            last_due(daily, at("2026-12-07T06:59:59Z")),
            Some(at("2026-12-06T07:00:00Z"))
        );
        assert_eq!(
            last_due(daily, at("2026-12-07T07:00:00Z")),
            Some(at("2026-12-07T07:00:00Z"))
        );
        // Mondays at 07:00; 7 December 2026 is a Monday.
        assert_eq!(
            last_due("0 0 7 * * 1", at("2026-12-13T12:00:00Z")),
            Some(at("2026-12-07T07:00:00Z"))
        );
        assert_eq!(last_due("not cron", at("2026-12-07T07:00:00Z")), None);
    }
}
