//! Reports as the API and the Reports page see them (generated in the background, downloaded as
//! PDF, CSV or JSON) and their schedules, with the report use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use crate::error::AppError;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Event totals and trend, alerts by severity and status, top rules and source addresses,
    /// sign-ins, mean time to acknowledge and to resolve.
    Summary,
    /// Every alert matching the filters, with its evidence events and history.
    Alerts,
    /// Sign-ins, failures and sudo use per user and per host.
    Authentication,
    /// The events a query-language search finds.
    Events,
}

impl ReportKind {
    pub const ALL: [ReportKind; 4] = [
        Self::Summary,
        Self::Alerts,
        Self::Authentication,
        Self::Events,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Alerts => "alerts",
            Self::Authentication => "authentication",
            Self::Events => "events",
        }
    }

    /// The kind's name for people.
    pub fn title(self) -> &'static str {
        match self {
            Self::Summary => "Executive summary",
            Self::Alerts => "Alert report",
            Self::Authentication => "Authentication activity",
            Self::Events => "Event export",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The file a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Pdf,
    Csv,
    /// A JSON document; newline-delimited JSON (one object a line) for events and alerts.
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [Self::Pdf, Self::Csv, Self::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a report's generation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the report will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// The filters of a report, all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportFilters {
    /// A query-language search the events must match (summary, authentication and events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Alert severities, separated by commas (alerts and summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Alert statuses, separated by commas (alerts and summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A report to generate. Give `from` and `to`, or `range` (the last so much time up to now:
/// `30m`, `24h`, `7d`, `4w`); without either, the last 24 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub kind: ReportKind,
    pub format: ReportFormat,
    /// A name for the list [default: the kind and the range].
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub range: Option<String>,
    #[serde(default)]
    pub filters: ReportFilters,
}

/// A report and where its generation stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportView {
    pub id: i64,
    pub name: String,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub status: ReportStatus,
    /// 0 to 100.
    pub progress: i32,
    /// Why generation failed.
    pub error: Option<String>,
    pub owner_id: Option<i32>,
    pub owner: Option<String>,
    /// The schedule that queued it.
    pub schedule_id: Option<i32>,
    /// The covered time range: events (and alerts last seen) from `from` up to, not including,
    /// `to`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub filters: ReportFilters,
    pub size_bytes: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The download's file name.
    pub file_name: String,
}

/// A finished report's file as the server hands it out; never sent over the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDownload {
    /// Where the file is on the server.
    pub path: String,
    pub file_name: String,
    pub content_type: &'static str,
}

/// A schedule: a report over the last `range` queued at every time `cron` names, optionally
/// e-mailed through an e-mail channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleView {
    pub id: i32,
    pub name: String,
    pub kind: ReportKind,
    pub format: ReportFormat,
    /// Six fields with seconds (`0 0 7 * * *` is every day at 07:00 UTC), or five without.
    pub cron: String,
    /// How far back each report reaches, e.g. `24h` or `7d`.
    pub range: String,
    pub filters: ReportFilters,
    /// The e-mail channel the file is sent through.
    pub channel_id: Option<i32>,
    pub enabled: bool,
    pub owner_id: i32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    pub name: String,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub cron: String,
    pub range: String,
    #[serde(default)]
    pub filters: ReportFilters,
    #[serde(default)]
    pub channel_id: Option<i32>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Changes to a schedule; what is left out stays. `channel_id: null` stops e-mailing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub format: Option<ReportFormat>,
    #[serde(default)]
    pub cron: Option<String>,
    #[serde(default)]
    pub range: Option<String>,
    #[serde(default)]
    pub filters: Option<ReportFilters>,
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i32>))]
    pub channel_id: Option<Option<i32>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `Some(None)` for an explicit `null`, `None` for a missing field.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
        Ok(Some(Option::<i32>::deserialize(d)?))
    }

    pub fn serialize<S: Serializer>(v: &Option<Option<i32>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// Parses a relative range such as `30m`, `24h`, `7d` or `4w` into seconds (1 minute to 366
/// days).
pub fn parse_range(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a range such as 30m, 24h, 7d or 4w");
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    let total = n.checked_mul(secs).ok_or_else(bad)?;
    if !(60..=366 * 86_400).contains(&total) {
        return Err(format!("{s:?} must be between 1 minute and 366 days"));
    }
    Ok(total)
}

/// Writes seconds back as the shortest range text (`86400` is `1d`).
pub fn format_range(secs: i64) -> String {
    for (unit, size) in [('w', 7 * 86_400), ('d', 86_400), ('h', 3600)] {
        if secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{}m", secs / 60)
}

/// The report use cases: `reports.create` to queue one and to manage schedules, `reports.read`
/// to list and download; a report belongs to its creator, and only holders of
/// `reports.read_all` see the others (to anyone else they do not exist).
#[async_trait]
pub trait ReportsService: Send + Sync {
    async fn create_report(
        &self,
        user: &CurrentUser,
        new: NewReport,
    ) -> Result<ReportView, AppError>;
    /// Newest first, at most 200.
    async fn list_reports(&self, user: &CurrentUser) -> Result<Vec<ReportView>, AppError>;
    async fn get_report(&self, user: &CurrentUser, id: i64) -> Result<ReportView, AppError>;
    /// A finished report's file, for a download (audited).
    async fn download_report(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<ReportDownload, AppError>;
    /// Deletes the report and its file.
    async fn delete_report(&self, user: &CurrentUser, id: i64) -> Result<(), AppError>;
}

/// Schedules: listed and read with `reports.read` (one's own, or all with
/// `reports.read_all`), changed with `reports.create`.
#[async_trait]
pub trait ReportSchedulesService: Send + Sync {
    async fn list_schedules(&self, user: &CurrentUser) -> Result<Vec<ScheduleView>, AppError>;
    async fn get_schedule(&self, user: &CurrentUser, id: i32) -> Result<ScheduleView, AppError>;
    async fn create_schedule(
        &self,
        user: &CurrentUser,
        new: NewSchedule,
    ) -> Result<ScheduleView, AppError>;
    async fn update_schedule(
        &self,
        user: &CurrentUser,
        id: i32,
        update: ScheduleUpdate,
    ) -> Result<ScheduleView, AppError>;
    async fn delete_schedule(&self, user: &CurrentUser, id: i32) -> Result<(), AppError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_print() {
        assert_eq!(parse_range("24h"), Ok(86_400));
        assert_eq!(parse_range(" 7d "), Ok(7 * 86_400));
        assert_eq!(parse_range("30m"), Ok(1800));
        assert_eq!(parse_range("2w"), Ok(14 * 86_400));
        assert!(parse_range("0h").is_err());
        assert!(parse_range("h").is_err());
        assert!(parse_range("5y").is_err());
        assert!(parse_range("400d").is_err());
        assert_eq!(format_range(86_400), "1d");
        assert_eq!(format_range(14 * 86_400), "2w");
        assert_eq!(format_range(5400), "90m");
    }
}
