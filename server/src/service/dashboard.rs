//! The dashboard's figures for a time range. Event figures come from the per-minute rollups
//! only (never a scan of the events); alert figures from the alerts table.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::dashboard::{
    DEFAULT_DASHBOARD_RANGE, Dashboard, DashboardRange, DashboardService, Gauge, Ranked, Series,
    TOP_HOSTS, TOP_N,
};

use super::{Service, internal};
use crate::ingest::rollup::minute;
use crate::store::alert;
use crate::store::event_rollup::{self, Minutes};
use crate::store::host_metrics;

/// Levels and severities, most severe first; other values follow in name order, the empty
/// value last.
const LEVELS: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
];
const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// Bucket lengths in minutes; a range gets the shortest that makes at most [`MAX_BUCKETS`].
const BUCKETS: [i64; 16] = [
    1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 43200,
];
const MAX_BUCKETS: i64 = 60;

/// The range a URL names, as minutes since the Unix epoch (`[from, to)`), or why it is refused.
pub fn resolve(range: &DashboardRange, now: DateTime<Utc>) -> Result<Minutes, String> {
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (from, to) = (text(&range.from), text(&range.to));
    if from.is_some() || to.is_some() {
        let Some(from) = from else {
            return Err("invalid range: a custom range needs its start (from)".into());
        };
        let from = instant("from", &from)?;
        let to = match to {
            Some(to) => instant("to", &to)?,
            None => now,
        };
        if from >= to {
            return Err("invalid range: from must be before to".into());
        }
        // Whole minutes covering the range.
        let end =
            minute(to) + i64::from(to.timestamp() % 60 != 0 || to.timestamp_subsec_nanos() != 0);
        return Ok(Minutes {
            from: minute(from),
            to: end.max(minute(from) + 1),
        });
    }
    let preset = text(&range.range).unwrap_or_else(|| DEFAULT_DASHBOARD_RANGE.to_string());
    let span = match preset.as_str() {
        "15m" => 15,
        "1h" => 60,
        "24h" => 24 * 60,
        "7d" => 7 * 24 * 60,
        other => {
            return Err(format!(
                "invalid range: {other:?} is not one of 15m, 1h, 24h, 7d"
            ));
        }
    };
    // Up to and including the minute now falls in.
    let to = minute(now) + 1;
    Ok(Minutes {
        from: to - span,
        to,
    })
}

/// An RFC 3339 instant, or a date-time field's `YYYY-MM-DDTHH:MM[:SS]` read as UTC.
fn instant(name: &str, value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, format) {
            return Ok(t.and_utc());
        }
    }
    Err(format!(
        "invalid {name}: {value:?} is not a date and time such as 2026-05-01T10:00:00Z"
    ))
}

/// How many `bucket`-minute buckets cover `span` minutes.
fn buckets(span: i64, bucket: i64) -> i64 {
    (span + bucket - 1) / bucket
}

/// The bucket length for a range of `span` minutes.
pub fn bucket_minutes(span: i64) -> i64 {
    BUCKETS
        .into_iter()
        .find(|b| buckets(span, *b) <= MAX_BUCKETS)
        .unwrap_or(BUCKETS[BUCKETS.len() - 1])
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(minutes * 60, 0).unwrap_or_default()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Sorts `values` by `order`, then by name, the empty value last.
fn rank(order: &[&str], value: &str) -> (usize, bool, String) {
    let known = order
        .iter()
        .position(|o| *o == value)
        .unwrap_or(order.len());
    (known, value.is_empty(), value.to_string())
}

/// Per-value series over `n` buckets, ordered by `order`.
fn to_series(points: Vec<(i64, String, i64)>, n: usize, order: &[&str]) -> Vec<Series> {
    let mut by: BTreeMap<(usize, bool, String), Vec<u64>> = BTreeMap::new();
    for (b, value, count) in points {
        let Ok(b) = usize::try_from(b) else { continue };
        if b >= n {
            continue;
        }
        by.entry(rank(order, &value)).or_insert_with(|| vec![0; n])[b] += count.max(0) as u64;
    }
    by.into_iter()
        .map(|((_, _, name), counts)| Series { name, counts })
        .collect()
}

/// Per-host values over `n` buckets, the [`TOP_HOSTS`] hosts with the highest peak first (ties
/// by name).
fn to_gauges(points: Vec<(i64, String, f64)>, n: usize) -> Vec<Gauge> {
    let mut by: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    for (b, host, value) in points {
        let Ok(b) = usize::try_from(b) else { continue };
        if b >= n || !value.is_finite() {
            continue;
        }
        by.entry(host).or_insert_with(|| vec![None; n])[b] = Some(value);
    }
    let peak = |g: &Gauge| g.values.iter().flatten().fold(f64::MIN, |a, v| a.max(*v));
    let mut gauges: Vec<Gauge> = by
        .into_iter()
        .map(|(name, values)| Gauge { name, values })
        .collect();
    gauges.sort_by(|a, b| {
        peak(b)
            .total_cmp(&peak(a))
            .then_with(|| a.name.cmp(&b.name))
    });
    gauges.truncate(TOP_HOSTS);
    gauges
}

fn ranked(rows: Vec<(String, i64)>) -> Vec<Ranked> {
    rows.into_iter()
        .map(|(value, count)| Ranked {
            value,
            count: count.max(0) as u64,
        })
        .collect()
}

#[async_trait]
impl DashboardService for Service {
    async fn dashboard(
        &self,
        user: &CurrentUser,
        range: DashboardRange,
        now: DateTime<Utc>,
    ) -> Result<Dashboard, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        let minutes = match resolve(&range, now) {
            Ok(m) => m,
            Err(message) => {
                return Ok(Dashboard {
                    input_error: Some(message),
                    ..Default::default()
                });
            }
        };
        let bucket = bucket_minutes(minutes.to - minutes.from);
        let n = buckets(minutes.to - minutes.from, bucket) as usize;
        let db = &self.db;

        let (events_total, active_sources) =
            event_rollup::totals(db, minutes).await.map_err(internal)?;
        let recent = Minutes {
            from: minute(now) - 5,
            to: minute(now),
        };
        let (recent_events, _) = event_rollup::totals(db, recent).await.map_err(internal)?;
        let levels = event_rollup::series(db, "level", minutes, bucket)
            .await
            .map_err(internal)?;
        let logins = event_rollup::series(db, "login", minutes, bucket)
            .await
            .map_err(internal)?;
        let logins = to_series(logins, n, &["failure", "success"]);
        let login_total = |name: &str| {
            logins
                .iter()
                .find(|s| s.name == name)
                .map_or(0, Series::total)
        };
        let top_source_ips = event_rollup::top(db, "source_ip", minutes, TOP_N as u64 + 1)
            .await
            .map_err(internal)?;
        let top_actions = event_rollup::top(db, "event_action", minutes, TOP_N as u64 + 1)
            .await
            .map_err(internal)?;
        // Events without an address or action are not a "top" address or action.
        let top = |rows: Vec<(String, i64)>| {
            let mut r = ranked(rows);
            r.retain(|x| !x.value.is_empty());
            r.truncate(TOP_N);
            r
        };

        let gauges = |key: &'static str| async move {
            host_metrics::averages(db, key, at(minutes.from), at(minutes.to), bucket)
                .await
                .map(|points| to_gauges(points, n))
                .map_err(internal)
        };
        let host_cpu = gauges("host.cpu.usage").await?;
        let host_memory = gauges("host.memory.percent").await?;

        let (open_alerts, alerts_by_severity) = if user.can(Permission::AlertsRead) {
            self.alert_figures(minutes, bucket, n).await?
        } else {
            (Vec::new(), Vec::new())
        };

        Ok(Dashboard {
            input_error: None,
            from: rfc3339(at(minutes.from)),
            to: rfc3339(at(minutes.to)),
            buckets: (0..n as i64)
                .map(|i| rfc3339(at(minutes.from + i * bucket)))
                .collect(),
            bucket_minutes: bucket,
            events_total: events_total.max(0) as u64,
            events_per_second: recent_events.max(0) as f64 / 300.0,
            open_alerts,
            active_sources: active_sources.max(0) as u64,
            failed_logins: login_total("failure"),
            successful_logins: login_total("success"),
            events_by_level: to_series(levels, n, &LEVELS),
            alerts_by_severity,
            logins,
            top_source_ips: top(top_source_ips),
            top_actions: top(top_actions),
            host_cpu,
            host_memory,
        })
    }
}

impl Service {
    /// Open alerts by severity, and alerts created per bucket by severity.
    async fn alert_figures(
        &self,
        minutes: Minutes,
        bucket: i64,
        n: usize,
    ) -> Result<(Vec<Ranked>, Vec<Series>), AppError> {
        let open: Vec<(String, i64)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Severity)
            .column_as(alert::Column::Id.count(), "n")
            .filter(alert::Column::Status.is_not_in(alert::CLOSED_STATUSES))
            .group_by(alert::Column::Severity)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        let mut open = ranked(open);
        open.sort_by_key(|r| rank(&SEVERITIES, &r.value));

        let created: Vec<(DateTime<Utc>, String)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::CreatedAt)
            .column(alert::Column::Severity)
            .filter(alert::Column::CreatedAt.gte(at(minutes.from)))
            .filter(alert::Column::CreatedAt.lt(at(minutes.to)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        let points = created
            .into_iter()
            .map(|(t, severity)| ((minute(t) - minutes.from) / bucket, severity, 1))
            .collect();
        Ok((open, to_series(points, n, &SEVERITIES)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-05-01T10:00:30Z".parse().unwrap()
    }

    fn range(range: &str, from: &str, to: &str) -> DashboardRange {
        DashboardRange {
            range: range.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn presets_end_with_the_current_minute() {
        // 2026-05-01T10:00Z is minute 29_627_160.
        let m = resolve(&range("15m", "", ""), now()).unwrap();
        assert_eq!((m.from, m.to), (29_627_146, 29_627_161));
        let m = resolve(&range("", "", ""), now()).unwrap();
        assert_eq!(m.to - m.from, 1440);
        assert!(
            resolve(&range("1y", "", ""), now())
                .unwrap_err()
                .contains("\"1y\"")
        );
    }

    #[test]
    fn custom_ranges_cover_whole_minutes_and_refuse_nonsense() {
        let m = resolve(
            &range("", "2026-05-01T09:00", "2026-05-01T09:30:10Z"),
            now(),
        )
        .unwrap();
        assert_eq!((m.from, m.to), (29_627_100, 29_627_131));
        let m = resolve(&range("7d", "2026-05-01T09:00:00+02:00", ""), now()).unwrap();
        assert_eq!((m.from, m.to), (29_626_980, 29_627_161));
        assert!(resolve(&range("", "", "2026-05-01T09:00"), now()).is_err());
        assert!(
            resolve(&range("", "yesterday", ""), now())
                .unwrap_err()
                .contains("invalid from")
        );
        assert!(
            resolve(&range("", "2026-05-01T10:00", "2026-05-01T09:00"), now())
                .unwrap_err()
                .contains("before")
        );
    }

    #[test]
    fn buckets_stay_under_sixty() {
        assert_eq!(bucket_minutes(15), 1);
        assert_eq!(bucket_minutes(60), 1);
        assert_eq!(bucket_minutes(61), 2);
        assert_eq!(bucket_minutes(1440), 30);
        assert_eq!(bucket_minutes(10080), 180);
    }

    #[test]
    fn gauges_put_the_busiest_hosts_first_and_leave_gaps() {
        let mut points = vec![
            (0, "a".to_string(), 20.0),
            (1, "b".to_string(), 95.0),
            (1, "a".to_string(), 40.0),
            (7, "a".to_string(), 99.0),
            (0, "c".to_string(), f64::NAN),
        ];
        points.extend((0..TOP_HOSTS).map(|i| (0, format!("idle-{i}"), 1.0)));
        let g = to_gauges(points, 2);
        assert_eq!(g.len(), TOP_HOSTS);
        assert_eq!(
            (g[0].name.as_str(), &g[0].values),
            ("b", &vec![None, Some(95.0)])
        );
        assert_eq!(
            (g[1].name.as_str(), &g[1].values),
            ("a", &vec![Some(20.0), Some(40.0)])
        );
        assert!(g.iter().all(|g| g.name != "c"));
        assert_eq!(g[2].name, "idle-0");
    }

    #[test]
    fn series_follow_the_severity_order_and_drop_stray_buckets() {
        let s = to_series(
            vec![
                (0, "info".into(), 2),
                (1, "".into(), 1),
                (1, "zzz".into(), 1),
                (1, "error".into(), 3),
                (5, "error".into(), 9),
            ],
            2,
            &LEVELS,
        );
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["error", "info", "zzz", ""]);
        assert_eq!(s[0].counts, [0, 3]);
    }
}
