//! The per-minute rollups (`event_rollups`) on SQLite and on MariaDB: the ingest writer and the
//! audit trail add to them in the events' transaction, so they always equal the counts of the
//! stored events; the migration fills them from events stored before it ran.

use crate::common;

use http::StatusCode;
use migration::{Migrator, MigratorTrait};
use serde_json::json;

use common::TestDb;
use common::logs::{NDJSON, ndjson, post, tokens};
use common::rollups;

backend_suite!(
    writer_and_audit_trail_keep_rollups_equal_to_the_stored_events,
    migration_fills_rollups_from_events_stored_before_it,
);

/// Minutes since the Unix epoch of 2026-05-01T10:00Z.
const TEN_O_CLOCK: i64 = 29_627_160;

fn events() -> Vec<serde_json::Value> {
    vec![
        json!({ "@timestamp": "2026-05-01T10:00:00Z", "message": "a", "level": "info",
                "host": "web-1", "action": "login", "status": "failed", "source_ip": "10.0.0.1" }),
        json!({ "@timestamp": "2026-05-01T10:00:59.999Z", "message": "b", "level": "info",
                "host": "web-1 ", "action": "login", "status": "failed", "source_ip": "10.0.0.1" }),
        json!({ "@timestamp": "2026-05-01T10:01:00Z", "message": "c", "level": "error",
                "host": "WEB-1", "action": "Login", "category": "Authentication",
                "status": "success" }),
        json!({ "@timestamp": "2026-05-01T10:00:30Z", "message": "d", "action": "login",
                "status": "success", "source_ip": "2001:db8::1" }),
        json!({ "@timestamp": "1969-12-31T23:59:30Z", "message": "e", "level": "warning" }),
    ]
}

async fn writer_and_audit_trail_keep_rollups_equal_to_the_stored_events(db: TestDb) {
    let (shipper, _) = tokens(&db).await;
    // Twice: the second batch adds to the rows the first one created.
    for round in 0..2 {
        let (status, body) = post(
            &db,
            "/api/v1/logs",
            &shipper,
            Some(NDJSON),
            ndjson(&events()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        rollups::assert_match(db.state.service().db(), &format!("after batch {round}")).await;
    }
    let stored = rollups::stored(db.state.service().db()).await;
    let at = |d: &str, m: i64, v: &str| stored.get(&(d.to_string(), m, v.to_string())).copied();
    // Counted by hand from `events()`, sent twice.
    assert_eq!(at("host", TEN_O_CLOCK, "web-1"), Some(2));
    assert_eq!(
        at("host", TEN_O_CLOCK, "web-1 "),
        Some(2),
        "trailing space kept apart"
    );
    assert_eq!(
        at("host", TEN_O_CLOCK + 1, "WEB-1"),
        Some(2),
        "case kept apart"
    );
    assert_eq!(at("host", TEN_O_CLOCK, ""), Some(2), "no host");
    assert_eq!(at("login", TEN_O_CLOCK, "failure"), Some(4));
    assert_eq!(at("login", TEN_O_CLOCK, "success"), Some(2));
    assert_eq!(
        at("login", TEN_O_CLOCK + 1, "success"),
        None,
        "category Authentication"
    );
    assert_eq!(at("event_action", TEN_O_CLOCK + 1, "Login"), Some(2));
    assert_eq!(at("source_ip", TEN_O_CLOCK, "10.0.0.1"), Some(4));
    // The event claiming 1969 (before the epoch, which MariaDB cannot be sent) was stored at
    // its receive time, and counted there.
    assert!(stored.keys().all(|(_, m, _)| *m >= 0), "{stored:?}");
    let warnings: i64 = stored
        .iter()
        .filter(|((d, _, v), _)| d == "level" && v == "warning")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(warnings, 2);
    assert_eq!(at("source", TEN_O_CLOCK, "api"), Some(6));
    // Signing in wrote audit events; they are counted too (under the audit source).
    assert!(
        stored.keys().any(|(d, _, v)| d == "source" && v != "api"),
        "audit events counted: {stored:?}"
    );
}

async fn migration_fills_rollups_from_events_stored_before_it(db: TestDb) {
    let (shipper, _) = tokens(&db).await;
    let (status, body) = post(
        &db,
        "/api/v1/logs",
        &shipper,
        Some(NDJSON),
        ndjson(&events()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = rollups::stored(db.state.service().db()).await;
    assert!(!before.is_empty());

    // Undo the rollup migration and run it again over the stored events.
    Migrator::down(db.state.service().db(), Some(1))
        .await
        .unwrap();
    Migrator::up(db.state.service().db(), None).await.unwrap();
    rollups::assert_match(db.state.service().db(), "after the migration").await;
    assert_eq!(rollups::stored(db.state.service().db()).await, before);
}
