//! The dashboard: its time range as the URL holds it, and the figures for that range, all
//! counted from the per-minute rollups (events) and the alerts table (alerts).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The dashboard's time range, as query parameters of `/`: a preset, or `from`/`to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardRange {
    /// `15m`, `1h`, `24h` or `7d`; empty means [`DEFAULT_DASHBOARD_RANGE`]. `from`/`to` win.
    pub range: String,
    /// RFC 3339 instants (or `YYYY-MM-DDTHH:MM` as a browser's date-time field sends them,
    /// read as UTC) bounding a custom range.
    pub from: String,
    pub to: String,
}

/// The presets the range picker offers, with their labels.
pub const DASHBOARD_RANGES: [(&str, &str); 4] = [
    ("15m", "15 minutes"),
    ("1h", "1 hour"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
];

/// The range of a dashboard URL that names none.
pub const DEFAULT_DASHBOARD_RANGE: &str = "24h";

/// One named series of a chart over the range's buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The value (a level, a severity, an outcome); empty when events carry none.
    pub name: String,
    /// One count per bucket of [`Dashboard::buckets`].
    pub counts: Vec<u64>,
}

impl Series {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// A value and how many events carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub value: String,
    pub count: u64,
}

/// One host's average of a host metric (a percentage) per bucket; `None` where it sent no
/// sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gauge {
    /// The host (`host`), empty when the samples name none.
    pub name: String,
    /// One value per bucket of [`Dashboard::buckets`].
    pub values: Vec<Option<f64>>,
}

/// Everything the dashboard shows for one range, or why the range was refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// A refused range (unknown preset, unreadable or reversed instants), said plainly.
    pub input_error: Option<String>,
    /// The range as instants, RFC 3339, to the minute.
    pub from: String,
    pub to: String,
    /// The start of each bucket, RFC 3339; buckets are `bucket_minutes` long.
    pub buckets: Vec<String>,
    pub bucket_minutes: i64,
    /// Events whose time falls in the range.
    pub events_total: u64,
    /// Events per second over the five whole minutes before now.
    pub events_per_second: f64,
    /// Alerts not yet closed, by severity, most severe first.
    pub open_alerts: Vec<Ranked>,
    /// Sources that stored events in the range.
    pub active_sources: u64,
    /// Failed and successful authentication events in the range.
    pub failed_logins: u64,
    pub successful_logins: u64,
    /// Events per bucket, by level.
    pub events_by_level: Vec<Series>,
    /// Alerts created per bucket, by severity.
    pub alerts_by_severity: Vec<Series>,
    /// Authentication events per bucket, by outcome (`failure`, `success`, …).
    pub logins: Vec<Series>,
    /// The most frequent source addresses and event actions in the range.
    pub top_source_ips: Vec<Ranked>,
    pub top_actions: Vec<Ranked>,
    /// Host-metric events (`event_action` `host_metrics`): average CPU usage and memory use in
    /// percent per bucket, for at most [`TOP_HOSTS`] hosts, highest peak first.
    pub host_cpu: Vec<Gauge>,
    pub host_memory: Vec<Gauge>,
}

/// How many hosts the host-metric charts show.
pub const TOP_HOSTS: usize = 8;

/// How many values the top lists show.
pub const TOP_N: usize = 10;

/// The dashboard's use case.
#[async_trait::async_trait]
pub trait DashboardService: Send + Sync + 'static {
    /// The figures for `range`, counted from the rollups; `events.read` (alert figures also
    /// need `alerts.read` and are empty without it).
    async fn dashboard(
        &self,
        user: &crate::model::auth::CurrentUser,
        range: DashboardRange,
        now: DateTime<Utc>,
    ) -> Result<Dashboard, crate::error::AppError>;
}
