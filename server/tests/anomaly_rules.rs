//! `anomaly` rules through the real router, on SQLite and on MariaDB: syslog lines with explicit
//! timestamps sent to `/api/v1/logs/raw` raise the built-in "Event-rate anomaly per host" at the
//! event that takes a host's 5-minute bucket past its baseline, once; a restart in the middle
//! of the stream neither loses nor repeats it; a rule on the mean of a host-metric field, written
//! through the rules API, fires when the deviating bucket closes; the API checks the kind; and
//! the built-in is seeded once on a database seeded before it existed.
//!
//! The built-in: 300 s buckets, a baseline of the 12 buckets before, warm after 12, k = 4 and a
//! floor of 50. Every host here sends 8 and 12 lines in turn for 12 buckets (10:00 to 10:59):
//! mean 10, standard deviation 2, so a bucket fires above 10 + max(4 · 2, 50) = 60 lines.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use common::TestDb;
use common::logs::{JSON, TEXT, post};
use server::detect::builtin::seed;
use server::store::{alert, alert_evidence, bronze_event_data, builtin_rule, detector_state, rule};

backend_suite!(
    a_burst_raises_one_alert_at_the_line_past_the_baseline,
    a_restart_neither_loses_nor_repeats_the_alert,
    the_rules_api_takes_and_checks_anomaly_rules,
    a_cpu_mean_anomaly_fires_when_its_bucket_closes,
    the_builtin_is_seeded_once_on_an_older_database,
);

const KEY: &str = "event_rate_anomaly_host";

fn start() -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

/// Line `i` of `n` spread over the 5-minute bucket `bucket` (0 starts at 10:00) of `host`.
fn line(host: &str, bucket: i64, i: usize, n: usize) -> String {
    let t = start() + TimeDelta::seconds(bucket * 300 + (i * 300 / n.max(1)) as i64);
    let stamp = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    match i % 3 {
        0 => format!(
            "{stamp} {host} CRON[{}]: (root) CMD (/usr/local/bin/backup --incremental)",
            2000 + i
        ),
        1 => format!(
            "{stamp} {host} systemd[1]: Started Session {} of user deploy.",
            100 + i
        ),
        _ => format!(
            "{stamp} {host} sshd[{}]: Accepted publickey for deploy from 10.0.0.5 port {} ssh2: ED25519 SHA256:Zm9vYmFy",
            3000 + i,
            40000 + i
        ),
    }
}

/// Lines `from..to` of the `n` lines of `host`'s bucket `bucket`.
fn lines(host: &str, bucket: i64, from: usize, to: usize, n: usize) -> Vec<String> {
    (from..to).map(|i| line(host, bucket, i, n)).collect()
}

async fn send(db: &TestDb, token: &str, lines: Vec<String>) {
    let n = lines.len();
    let (status, answer) = post(db, "/api/v1/logs/raw", token, Some(TEXT), lines.join("\n")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], n, "{answer}");
}

/// The steady hour before the burst: 8 and 12 lines in turn.
async fn baseline(db: &TestDb, token: &str, host: &str) {
    for bucket in 0..12 {
        let n = if bucket % 2 == 0 { 8 } else { 12 };
        send(db, token, lines(host, bucket, 0, n, n)).await;
    }
}

async fn builtin_rule_id(db: &TestDb) -> i32 {
    rule::Entity::find()
        .filter(rule::Column::BuiltinKey.eq(KEY))
        .one(db.state.service().db())
        .await
        .unwrap()
        .expect("the built-in is seeded")
        .id
}

async fn alerts(db: &TestDb, rule_id: i32) -> Vec<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule_id))
        .order_by_asc(alert::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap()
}

/// Ids of the stored events of `host` in `bucket`, oldest first.
async fn stored_ids(db: &TestDb, host: &str, bucket: i64) -> Vec<i64> {
    stored_between(db, host, start() + TimeDelta::seconds(bucket * 300), 300).await
}

/// Ids of the stored events of `host` in `[from, from + secs)`, oldest first.
async fn stored_between(db: &TestDb, host: &str, from: DateTime<Utc>, secs: i64) -> Vec<i64> {
    bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Host.eq(host))
        .filter(bronze_event_data::Column::Timestamp.gte(from))
        .filter(bronze_event_data::Column::Timestamp.lt(from + TimeDelta::seconds(secs)))
        .order_by_asc(bronze_event_data::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

async fn evidence(db: &TestDb, alert_id: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = alert_evidence::Entity::find()
        .filter(alert_evidence::Column::AlertId.eq(alert_id))
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    ids.sort_unstable();
    ids
}

/// web-01 bursts to 80 lines in bucket 12 (11:00): the 61st fires. db-01 reaches exactly 60
/// (not above). new-01 sends 100 lines with no history (not warm). web-01's bucket 13 is
/// ordinary again.
async fn a_burst_raises_one_alert_at_the_line_past_the_baseline(db: TestDb) {
    seed(db.state.service().db()).await.unwrap();
    let id = builtin_rule_id(&db).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    for host in ["web-01", "db-01"] {
        baseline(&db, &shipper, host).await;
    }
    send(&db, &shipper, lines("new-01", 11, 0, 100, 100)).await;
    send(&db, &shipper, lines("db-01", 12, 0, 60, 60)).await;
    send(&db, &shipper, lines("web-01", 12, 0, 60, 80)).await;
    assert_eq!(alerts(&db, id).await, vec![], "60 lines are not above 60");
    send(&db, &shipper, lines("web-01", 12, 60, 61, 80)).await;
    let found = alerts(&db, id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].event_count, 61);
    send(&db, &shipper, lines("web-01", 12, 61, 80, 80)).await;
    send(&db, &shipper, lines("web-01", 13, 0, 10, 10)).await;
    send(&db, &shipper, lines("db-01", 13, 0, 10, 10)).await;

    let found = alerts(&db, id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!(a.title, "Event rate anomaly on web-01");
    assert_eq!(a.rule_name.as_deref(), Some("Event-rate anomaly per host"));
    assert_eq!(a.severity, "medium");
    assert_eq!(a.group_fields, Some(json!({"host": "web-01"})));
    assert_eq!(a.event_count, 80);
    assert_eq!(a.evidence_count, 80);
    // The summary describes the firing: the 61st line, above 60.
    let summary = a.summary.as_deref().unwrap();
    for part in [
        "61 events",
        "above 60.00",
        "mean 10.00",
        "deviation 2.00 over 12",
    ] {
        assert!(summary.contains(part), "{summary}");
    }
    // The burst's lines are at 11:00:00 + i · 300 / 80 s, i = 0..80 (rounded down).
    let at = |s: i64| start() + TimeDelta::seconds(3600 + s);
    assert_eq!(a.first_seen, at(0));
    assert_eq!(a.last_seen, at(79 * 300 / 80));
    let burst = stored_ids(&db, "web-01", 12).await;
    assert_eq!(burst.len(), 80);
    assert_eq!(evidence(&db, a.id).await, burst);
}

/// Replaces the app with a new one on the same database, after the old writer has stored
/// everything and stopped (intake closed, as `vigil serve` does at shutdown: its background
/// report jobs hold handles too).
async fn restart(db: &mut TestDb) {
    let config = db.state.config().clone();
    let stopped = db.state.service().ingest().stopped();
    let fresh = server::build_state(config).await.unwrap();
    let old = std::mem::replace(&mut db.state, fresh);
    old.service().ingest().close();
    drop(old);
    tokio::time::timeout(Duration::from_secs(60), stopped)
        .await
        .expect("the old writer stops once intake is closed");
}

/// The burst of 80 lines is sent in three parts with a restart after 40 lines (before the
/// firing) and one after 70 (after it): one alert, fired at the 61st line, holding all 80.
async fn a_restart_neither_loses_nor_repeats_the_alert(mut db: TestDb) {
    seed(db.state.service().db()).await.unwrap();
    let id = builtin_rule_id(&db).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    baseline(&db, &shipper, "web-01").await;
    send(&db, &shipper, lines("web-01", 12, 0, 40, 80)).await;
    restart(&mut db).await;
    send(&db, &shipper, lines("web-01", 12, 40, 60, 80)).await;
    assert_eq!(alerts(&db, id).await, vec![]);
    send(&db, &shipper, lines("web-01", 12, 60, 61, 80)).await;
    assert_eq!(alerts(&db, id).await[0].event_count, 61);
    send(&db, &shipper, lines("web-01", 12, 61, 70, 80)).await;
    restart(&mut db).await;
    send(&db, &shipper, lines("web-01", 12, 70, 80, 80)).await;
    send(&db, &shipper, lines("web-01", 13, 0, 10, 10)).await;

    let found = alerts(&db, id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].event_count, 80);
    assert_eq!(
        evidence(&db, found[0].id).await,
        stored_ids(&db, "web-01", 12).await
    );
}

async fn the_rules_api_takes_and_checks_anomaly_rules(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let rule = |definition: serde_json::Value| json!({"name": "cpu drift", "kind": "anomaly", "severity": "low", "definition": definition});
    let good = json!({
        "field": "fields.host.cpu.usage", "bucket_secs": 600, "baseline_buckets": 24, "k": 3,
        "direction": "both",
    });
    let (status, created) = db
        .json("POST", "/api/v1/rules", &analyst, Some(rule(good)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "anomaly");
    // Defaults are spelled out in the stored definition.
    assert_eq!(created["definition"]["group_by"], json!(["host"]));
    assert_eq!(created["definition"]["min_deviation"], json!(1.0));

    let refused = [
        (
            json!({"bucket_secs": 30, "baseline_buckets": 12, "k": 3}),
            "definition.bucket_secs:",
        ),
        (
            json!({"bucket_secs": 60, "baseline_buckets": 12, "k": 0}),
            "definition.k:",
        ),
        (
            json!({"bucket_secs": 60, "baseline_buckets": 12, "warmup_buckets": 20, "k": 3}),
            "definition.warmup_buckets:",
        ),
        (
            json!({"bucket_secs": 60, "baseline_buckets": 12, "k": 3, "direction": "sideways"}),
            "definition.direction:",
        ),
    ];
    for (definition, field) in refused {
        let (status, body) = db
            .json("POST", "/api/v1/rules", &analyst, Some(rule(definition)))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message}");
    }
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(json!({"name": "r", "kind": "telepathy", "severity": "high", "definition": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metric, anomaly"),
        "{body}"
    );
}

/// A host-metrics sample of `host` at `stamp` with CPU usage `cpu`.
async fn send_sample(db: &TestDb, token: &str, host: &str, stamp: &str, cpu: f64) {
    let sample = json!({
        "timestamp": stamp,
        "host": host,
        "cpu_usage": cpu,
        "memory_usage": {"used": 2.0, "total": 8, "percent": 25.0},
        "threats": [],
    });
    let (status, answer) = post(db, "/api/v1/logs", token, Some(JSON), sample.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// One-minute buckets, a baseline of 4, k = 3, both directions. web-01's CPU samples are 18,
/// 22, 18, 22 (10:00 to 10:03; mean 20, σ 2, limit 6), then 50 and 10 in 10:04 (mean 30):
/// nothing until 10:05's sample closes 10:04, which fires with its two samples. The baseline
/// is then 22, 18, 22, 30 (mean 23, σ √19 ≈ 4.36, limit ≈ 13.08): 10:05's mean of 5 is below
/// and fires when 10:06 closes it, adding to the unresolved alert.
async fn a_cpu_mean_anomaly_fires_when_its_bucket_closes(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    let definition = json!({
        "query": "event_action:host_metrics",
        "field": "fields.host.cpu.usage",
        "bucket_secs": 60,
        "baseline_buckets": 4,
        "k": 3,
        "direction": "both",
        "title": "CPU drift on {host}",
    });
    let (status, created) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(json!({"name": "CPU drift", "kind": "anomaly", "severity": "low", "definition": definition})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap() as i32;
    // The engine reads the rules at most once a second: another host's samples (all in one
    // bucket, so they can never fire) show when the rule holds state.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        send_sample(&db, &shipper, "probe", "2026-11-30T00:00:00Z", 1.0).await;
        let held = detector_state::Entity::find()
            .filter(detector_state::Column::RuleId.eq(id))
            .all(db.state.service().db())
            .await
            .unwrap();
        if !held.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new rule never applied"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let stamp = |m: u32, s: u32| format!("2026-12-01T10:{m:02}:{s:02}Z");
    for (minute, cpu) in [(0, 18.0), (1, 22.0), (2, 18.0), (3, 22.0)] {
        send_sample(&db, &shipper, "web-01", &stamp(minute, 30), cpu).await;
    }
    send_sample(&db, &shipper, "web-01", &stamp(4, 10), 50.0).await;
    send_sample(&db, &shipper, "web-01", &stamp(4, 40), 10.0).await;
    assert_eq!(alerts(&db, id).await, vec![]);
    send_sample(&db, &shipper, "web-01", &stamp(5, 30), 5.0).await;
    let found = alerts(&db, id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!(a.title, "CPU drift on web-01");
    assert_eq!(a.event_count, 2);
    let summary = a.summary.as_deref().unwrap();
    for part in [
        "mean fields.host.cpu.usage 30.00",
        "above 26.00",
        "mean 20.00",
        "deviation 2.00",
    ] {
        assert!(summary.contains(part), "{summary}");
    }
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    assert_eq!(a.first_seen, at(&stamp(4, 10)));
    assert_eq!(a.last_seen, at(&stamp(4, 40)));
    let minute = |m: i64| start() + TimeDelta::seconds(m * 60);
    let minute4 = stored_between(&db, "web-01", minute(4), 60).await;
    assert_eq!(minute4.len(), 2);
    assert_eq!(evidence(&db, a.id).await, minute4);

    send_sample(&db, &shipper, "web-01", &stamp(6, 30), 20.0).await;
    let found = alerts(&db, id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].event_count, 3);
    let mut both = minute4;
    both.extend(stored_between(&db, "web-01", minute(5), 60).await);
    assert_eq!(evidence(&db, found[0].id).await, both);
}

/// A database seeded before the built-in existed has every other key in its ledger.
async fn the_builtin_is_seeded_once_on_an_older_database(db: TestDb) {
    seed(db.state.service().db()).await.unwrap();
    rule::Entity::delete_many()
        .filter(rule::Column::BuiltinKey.eq(KEY))
        .exec(db.state.service().db())
        .await
        .unwrap();
    builtin_rule::Entity::delete_by_id(KEY.to_string())
        .exec(db.state.service().db())
        .await
        .unwrap();

    assert_eq!(seed(db.state.service().db()).await.unwrap(), 1);
    let seeded = rule::Entity::find()
        .filter(rule::Column::BuiltinKey.eq(KEY))
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seeded.kind, "anomaly");
    assert_eq!(seeded.name, "Event-rate anomaly per host");
    assert!(seeded.enabled);
    assert_eq!(seed(db.state.service().db()).await.unwrap(), 0);
}
