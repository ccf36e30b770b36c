//! `metric` rules through the real router, on SQLite and on MariaDB: host-metric JSON sent to
//! `/api/v1/logs` raises the built-in "High CPU" and "High memory" alerts at the third
//! satisfying sample in a row of one host, and a lower sample starts the count again.

use crate::common;

use chrono::{DateTime, Utc};
use http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::json;

use common::TestDb;
use common::logs::{JSON, post};
use server::detect::builtin::PACK;
use server::store::{alert, rule};

backend_suite!(
    high_cpu_fires_at_the_third_sample_in_a_row_per_host,
    high_memory_fires_at_the_third_sample_in_a_row_per_host,
);

async fn alerts(db: &TestDb) -> Vec<alert::Model> {
    alert::Entity::find()
        .order_by_asc(alert::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap()
}

/// Inserts the built-in rule `key` as the pack defines it.
async fn add_builtin(db: &TestDb, key: &str) {
    let builtin = PACK.iter().find(|b| b.key == key).unwrap();
    rule::ActiveModel {
        name: Set(builtin.name.into()),
        kind: Set(builtin.kind.as_str().into()),
        severity: Set(builtin.severity.into()),
        definition: Set((builtin.definition)()),
        enabled: Set(true),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
}

/// Host a sends CPU 95, 96, 50, 91, 92, 93 and host b 95, 95 (interleaved): 50 breaks a's
/// first run at two, so only a's sixth line (91, 92, 93 in a row) fires; b never reaches three.
async fn high_cpu_fires_at_the_third_sample_in_a_row_per_host(db: TestDb) {
    add_builtin(&db, "high_cpu").await;
    let shipper = db.token("shipper", &["ingest"]).await;

    let sample = |host: &str, second: u32, cpu: f64| {
        json!({
            "timestamp": format!("2026-12-01T10:00:{second:02}Z"),
            "host": host,
            "cpu_usage": cpu,
            "memory_usage": {"used": 2.0, "total": 8, "percent": 25.0},
            "threats": [],
        })
    };
    // (line, host a's line number or 0 for b)
    let lines = [
        (sample("a", 0, 95.0), 1),
        (sample("b", 5, 95.0), 0),
        (sample("a", 10, 96.0), 2),
        (sample("a", 20, 50.0), 3),
        (sample("b", 25, 95.0), 0),
        (sample("a", 30, 91.0), 4),
        (sample("a", 40, 92.0), 5),
        (sample("a", 50, 93.0), 6),
    ];
    for (line, a_line) in &lines {
        let (status, answer) =
            post(&db, "/api/v1/logs", &shipper, Some(JSON), line.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let found = alerts(&db).await;
        let expected = usize::from(*a_line == 6);
        assert_eq!(found.len(), expected, "after {line}: {found:?}");
    }

    let found = alerts(&db).await;
    let alert = &found[0];
    assert_eq!(alert.rule_name.as_deref(), Some("High CPU"));
    assert_eq!(alert.title, "High CPU on a");
    assert_eq!(alert.severity, "medium");
    assert_eq!(alert.group_fields, Some(json!({"host": "a"})));
    assert_eq!(alert.event_count, 3);
    assert_eq!(alert.evidence_count, 3);
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    assert_eq!(alert.first_seen, at("2026-12-01T10:00:30Z"));
    assert_eq!(alert.last_seen, at("2026-12-01T10:00:50Z"));
}

/// Host a sends memory 91 %, 95 %, 90 %, 92 %, 93 %, 99 % and host b 95 %, 95 % (interleaved),
/// all with CPU at 10 %: 90 is not above 90 and breaks a's first run at two, so only a's sixth
/// line (92, 93, 99 in a row) fires; b never reaches three.
async fn high_memory_fires_at_the_third_sample_in_a_row_per_host(db: TestDb) {
    add_builtin(&db, "high_memory").await;
    let shipper = db.token("shipper", &["ingest"]).await;

    let sample = |host: &str, second: u32, percent: f64| {
        json!({
            "timestamp": format!("2026-12-01T10:00:{second:02}Z"),
            "host": host,
            "cpu_usage": 10.0,
            "memory_usage": {"used": percent * 0.16, "total": 16, "percent": percent},
            "threats": [],
        })
    };
    let lines = [
        (sample("a", 0, 91.0), 1),
        (sample("b", 5, 95.0), 0),
        (sample("a", 10, 95.0), 2),
        (sample("a", 20, 90.0), 3),
        (sample("b", 25, 95.0), 0),
        (sample("a", 30, 92.0), 4),
        (sample("a", 40, 93.0), 5),
        (sample("a", 50, 99.0), 6),
    ];
    for (line, a_line) in &lines {
        let (status, answer) =
            post(&db, "/api/v1/logs", &shipper, Some(JSON), line.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let found = alerts(&db).await;
        let expected = usize::from(*a_line == 6);
        assert_eq!(found.len(), expected, "after {line}: {found:?}");
    }

    let found = alerts(&db).await;
    let alert = &found[0];
    assert_eq!(alert.rule_name.as_deref(), Some("High memory"));
    assert_eq!(alert.title, "High memory on a");
    assert_eq!(alert.severity, "medium");
    assert_eq!(alert.group_fields, Some(json!({"host": "a"})));
    assert_eq!(alert.event_count, 3);
    assert_eq!(alert.evidence_count, 3);
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    assert_eq!(alert.first_seen, at("2026-12-01T10:00:30Z"));
    assert_eq!(alert.last_seen, at("2026-12-01T10:00:50Z"));
}
