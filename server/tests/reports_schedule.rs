//! Report schedules: CRUD through the API, and a scheduled report e-mailed as an attachment to
//! a real local SMTP server (aiosmtpd), on SQLite and on MariaDB.

use crate::common;

use base64::Engine;
use chrono::{Duration, Utc};
use http::StatusCode;
use serde_json::json;

use common::TestDb;
use common::notify::{Smtpd, eventually, header};
use common::reports::{Ev, store};

backend_suite!(
    a_scheduled_report_is_e_mailed,
    schedules_are_managed_and_private,
    runs_missed_while_stopped_are_made_up_once
);

async fn a_scheduled_report_is_e_mailed(db: TestDb) {
    let smtpd = Smtpd::start().await;
    let admin = db.token("root", &["admin"]).await;
    let ana = db.token("ana", &["analyst"]).await;
    let now = Utc::now();
    for i in 0..3 {
        store(
            &db,
            now - Duration::minutes(i + 1),
            Ev {
                message: "=cmd scheduled",
                ..Ev::default()
            },
        )
        .await;
    }
    let (status, channel) = db
        .json(
            "POST",
            "/api/v1/channels",
            &admin,
            Some(
                json!({ "name": "reports by mail", "kind": "email", "config": {
                "host": "127.0.0.1", "port": smtpd.port, "security": "plain",
                "from": "Vigil <vigil@example.com>", "to": ["auditor@example.com"] } }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    // Every two seconds, the last hour of events as CSV, e-mailed.
    let (status, schedule) = db
        .json(
            "POST",
            "/api/v1/reports/schedules",
            &ana,
            Some(
                json!({ "name": "hourly events", "kind": "events", "format": "csv",
                         "cron": "*/2 * * * * *", "range": "1h",
                         "channel_id": channel["id"] }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    assert_eq!(schedule["range"], "1h");
    assert!(schedule["next_run_at"].is_string(), "{schedule}");
    let message = eventually(120, "a report e-mail", || {
        let got = smtpd.messages();
        async move { got.into_iter().next() }
    })
    .await;
    // Stop the schedule before checking, so no more reports are queued meanwhile.
    let sid = schedule["id"].as_i64().unwrap();
    let (status, _) = db
        .json(
            "DELETE",
            &format!("/api/v1/reports/schedules/{sid}"),
            &ana,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_eq!(
        header(&message, "To").as_deref(),
        Some("auditor@example.com")
    );
    let subject = header(&message, "Subject").unwrap();
    assert!(subject.contains("hourly events"), "{subject}");
    assert!(message.contains("multipart/mixed"), "{message}");
    assert!(message.contains("text/csv"), "{message}");
    let disposition = message
        .lines()
        .find(|l| l.starts_with("Content-Disposition: attachment"))
        .unwrap_or_else(|| panic!("no attachment in {message}"));
    assert!(disposition.contains(".csv"), "{disposition}");
    // The attachment, base64 after its headers.
    let part = message.split(disposition).nth(1).unwrap();
    let encoded: String = part
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect();
    let csv = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map(|b| String::from_utf8(b).unwrap())
        .unwrap_or(encoded);
    assert!(csv.starts_with("id,timestamp,"), "{csv}");
    assert_eq!(csv.matches("\"'=cmd scheduled\"").count(), 3, "{csv}");

    // The report is listed for the schedule's owner, marked with the schedule.
    let (_, list) = db.json("GET", "/api/v1/reports", &ana, None).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["schedule_id"] == sid && r["status"] == "done"),
        "{list}"
    );
}

async fn schedules_are_managed_and_private(db: TestDb) {
    let ana = db.token("ana", &["analyst"]).await;
    let bob = db.token("bob", &["analyst"]).await;
    let admin = db.token("root", &["admin"]).await;
    let (status, s) = db
        .json(
            "POST",
            "/api/v1/reports/schedules",
            &ana,
            Some(
                json!({ "name": "weekly summary", "kind": "summary", "format": "pdf",
                         "cron": "0 7 * * 1", "range": "7d" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["cron"], "0 0 7 * * 1", "five fields get seconds");
    assert_eq!(s["enabled"], true);
    let next: chrono::DateTime<Utc> = s["next_run_at"].as_str().unwrap().parse().unwrap();
    use chrono::{Datelike, Timelike};
    assert_eq!(next.weekday(), chrono::Weekday::Mon);
    assert_eq!((next.hour(), next.minute()), (7, 0));
    let id = s["id"].as_i64().unwrap();
    let uri = format!("/api/v1/reports/schedules/{id}");
    let (status, _) = db.json("GET", &uri, &bob, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = db
        .json("PATCH", &uri, &bob, Some(json!({ "enabled": false })))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = db
        .json("GET", "/api/v1/reports/schedules", &bob, None)
        .await;
    assert_eq!(list, json!([]));
    let (status, _) = db.json("GET", &uri, &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, changed) = db
        .json(
            "PATCH",
            &uri,
            &ana,
            Some(json!({ "enabled": false, "range": "14d" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["range"], "2w");
    assert!(
        changed["next_run_at"].is_null(),
        "a disabled schedule does not run"
    );
    let (status, _) = db.json("DELETE", &uri, &ana, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = db.json("GET", &uri, &ana, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// What a restart finds: schedules whose expression came due while Vigil was stopped run once,
/// the others wait for their next time.
async fn runs_missed_while_stopped_are_made_up_once(db: TestDb) {
    use sea_orm::{ActiveModelTrait, Set};
    use server::store::report_schedule;

    let ana = db.token("ana", &["analyst"]).await;
    // Every 1 January at midnight: due once a year, so nothing comes due during the test.
    let yearly = |name: &str| {
        json!({ "name": name, "kind": "events", "format": "csv",
                "cron": "0 0 0 1 1 *", "range": "24h" })
    };
    let mut ids = std::collections::HashMap::new();
    for name in [
        "missed",
        "never run",
        "ran since",
        "disabled",
        "created after",
    ] {
        let (status, s) = db
            .json(
                "POST",
                "/api/v1/reports/schedules",
                &ana,
                Some(yearly(name)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        ids.insert(name, s["id"].as_i64().unwrap() as i32);
    }
    let now = Utc::now();
    let long_ago = now - Duration::days(800);
    let set = |name: &str,
               created: chrono::DateTime<Utc>,
               last: Option<chrono::DateTime<Utc>>,
               enabled: bool| {
        report_schedule::ActiveModel {
            id: Set(ids[name]),
            created_at: Set(created),
            last_run_at: Set(last),
            enabled: Set(enabled),
            ..Default::default()
        }
    };
    // Last run more than a year ago: at least one 1 January has passed since.
    let rows = [
        set("missed", long_ago, Some(now - Duration::days(400)), true),
        set("never run", long_ago, None, true),
        set("ran since", long_ago, Some(now), true),
        set("disabled", long_ago, None, false),
        // Created a moment ago (as the API did): its last 1 January came before it.
        set("created after", now, None, true),
    ];
    for row in rows {
        row.update(db.state.service().db()).await.unwrap();
    }

    let mut queued = server::jobs::schedule::catch_up(db.state.service())
        .await
        .unwrap();
    queued.sort();
    let mut expected = vec![ids["missed"], ids["never run"]];
    expected.sort();
    assert_eq!(queued, expected, "schedules {ids:?}");

    // One report each, however many runs were missed, marked with its schedule.
    let (_, list) = db.json("GET", "/api/v1/reports", &ana, None).await;
    let mut by_schedule: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["schedule_id"].as_i64())
        .collect();
    by_schedule.sort();
    assert_eq!(
        by_schedule,
        expected.iter().map(|&i| i64::from(i)).collect::<Vec<_>>(),
        "{list}"
    );

    // The runs are recorded: starting again makes up nothing more.
    let again = server::jobs::schedule::catch_up(db.state.service())
        .await
        .unwrap();
    assert_eq!(again, Vec::<i32>::new());
}
