//! The rules and alerts API through the router, on SQLite and on MariaDB: bad definitions
//! refused with the problem named, alerts raised by events, triage with history and audit,
//! comments, bulk changes, paging, and permissions.

use crate::common;

use chrono::Utc;
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use common::TestDb;
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::audit_log;

backend_suite!(
    bad_rule_definitions_name_the_problem,
    triage_changes_are_recorded_and_permitted,
    suppression_holds_back_a_new_alert_for_its_window,
);

async fn submit(db: &TestDb, lines: &[String]) {
    let source = db
        .state
        .service()
        .ingest()
        .source("api-test", "test", json!({}))
        .await
        .unwrap();
    let now = Utc::now();
    let lines = lines
        .iter()
        .map(|l| RawLine::new(l.clone().into_bytes(), now))
        .collect();
    db.state
        .service()
        .ingest()
        .submit_and_wait(Submission::new(source, ParserKind::Syslog, lines))
        .await
        .unwrap();
}

fn invalid_user(ip: &str, s: u32) -> String {
    format!("Dec  1 09:00:{s:02} gw sshd[9]: Invalid user oracle from {ip} port 4000")
}

async fn bad_rule_definitions_name_the_problem(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let rule = |definition: Value| json!({"name": "r", "kind": "threshold", "severity": "high", "definition": definition});
    let (status, body) = db.json("POST", "/api/v1/rules", &analyst, Some(rule(json!({
        "query": "event_outcome:failure AND (source_ip:10.0.0.0/8", "window_secs": 60, "threshold": 3
    })))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("definition.query:") && message.contains("position"),
        "{message}"
    );

    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(rule(json!({
                "query": "event_outcome:failure", "window_secs": 8 * 24 * 3600, "threshold": 3
            }))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("definition.window_secs:"),
        "{body}"
    );

    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(json!({
                "name": "r", "kind": "telepathy", "severity": "high", "definition": {}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("kind:"),
        "{body}"
    );

    let good = rule(json!({"query": "event_outcome:failure", "window_secs": 60, "threshold": 3}));
    let (status, created) = db
        .json("POST", "/api/v1/rules", &analyst, Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = db.json("POST", "/api/v1/rules", &analyst, Some(good)).await;
    assert_eq!(status, StatusCode::CONFLICT, "names are unique");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = db
        .json(
            "PATCH",
            &format!("/api/v1/rules/{id}"),
            &analyst,
            Some(json!({
                "definition": {"query": "x", "window_secs": 60, "threshold": 0}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("definition.threshold:"),
        "{body}"
    );
    let (status, body) = db
        .json(
            "POST",
            &format!("/api/v1/rules/{id}/disable"),
            &analyst,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["enabled"], false);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.is_in(["rule_create", "rule_update"]))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(audited, 2, "one create and one update succeeded");
}

async fn triage_changes_are_recorded_and_permitted(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(json!({
                "name": "invalid users", "kind": "match", "severity": "medium",
                "definition": {"query": "event_action:ssh_invalid_user", "group_by": ["source_ip"],
                               "title": "Invalid user from {source_ip}"},
                "tags": ["attack.t1110"]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The engine reads rules at most once a second: send until the first alert shows.
    let mut s = 0;
    loop {
        submit(&db, &[invalid_user("192.0.2.10", s)]).await;
        let (_, page) = db.json("GET", "/api/v1/alerts", &viewer, None).await;
        if !page["items"].as_array().unwrap().is_empty() {
            break;
        }
        s += 1;
        assert!(s < 40, "no alert raised");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    submit(
        &db,
        &[
            invalid_user("192.0.2.10", 50),
            invalid_user("192.0.2.11", 51),
        ],
    )
    .await;

    let (status, page) = db
        .json(
            "GET",
            "/api/v1/alerts?status=open&severity=medium",
            &viewer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let first = items
        .iter()
        .find(|a| a["group_key"] == "source_ip=192.0.2.10")
        .unwrap();
    assert_eq!(first["title"], "Invalid user from 192.0.2.10");
    assert_eq!(first["event_count"], 2);
    assert_eq!(first["tags"], json!(["attack.t1110"]));
    let id = first["id"].as_i64().unwrap();
    let (_, evidence) = db
        .json("GET", &format!("/api/v1/alerts/{id}/events"), &viewer, None)
        .await;
    assert_eq!(evidence.as_array().unwrap().len(), 2, "{evidence}");
    assert!(evidence[0]["raw"].as_str().unwrap().contains("192.0.2.10"));

    // Paging: one per page, newest first, then the other, then nothing more.
    let (_, p1) = db
        .json("GET", "/api/v1/alerts?limit=1", &viewer, None)
        .await;
    let cursor = p1["next_cursor"].as_i64().expect("a second page");
    let (_, p2) = db
        .json(
            "GET",
            &format!("/api/v1/alerts?limit=1&cursor={cursor}"),
            &viewer,
            None,
        )
        .await;
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    assert!(p2["next_cursor"].is_null());
    let (status, _) = db
        .json("GET", "/api/v1/alerts?status=closed", &viewer, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = db
        .json("GET", "/api/v1/alerts?colour=red", &viewer, None)
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown parameters are named, not ignored"
    );

    // A viewer reads but cannot triage.
    let uri = format!("/api/v1/alerts/{id}");
    let (status, _) = db
        .json(
            "PATCH",
            &uri,
            &viewer,
            Some(json!({"status": "acknowledged"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = db
        .json(
            "POST",
            &format!("{uri}/comments"),
            &viewer,
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = db
        .json("PATCH", &uri, &analyst, Some(json!({"status": "done"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, me) = db.json("GET", "/api/v1/accounts/me", &analyst, None).await;
    let (status, body) = db
        .json(
            "PATCH",
            &uri,
            &analyst,
            Some(json!({
                "status": "acknowledged", "assignee_id": me["id"]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "acknowledged");
    assert_eq!(body["assignee"], "ana");
    assert!(body["acknowledged_at"].is_string());
    let (status, comment) = db
        .json(
            "POST",
            &format!("{uri}/comments"),
            &analyst,
            Some(json!({"body": "looking"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let (_, comments) = db
        .json("GET", &format!("{uri}/comments"), &viewer, None)
        .await;
    assert_eq!(comments[0]["body"], "looking");
    assert_eq!(comments[0]["author"], "ana");

    // Resolve both in bulk; the next match opens a new alert.
    let other = items.iter().find(|a| a["id"] != json!(id)).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, bulk) = db
        .json(
            "POST",
            "/api/v1/alerts/bulk",
            &analyst,
            Some(json!({
                "ids": [id, other, 999_999], "status": "resolved"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(bulk["updated"].as_array().unwrap().len(), 2);
    assert_eq!(bulk["not_found"], json!([999_999]));
    submit(&db, &[invalid_user("192.0.2.10", 55)]).await;
    let (_, open) = db
        .json("GET", "/api/v1/alerts?status=open", &viewer, None)
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open["items"][0]["event_count"], 1);
    // Reopening the old one while the new one is open would make two: refused.
    let (status, _) = db
        .json("PATCH", &uri, &analyst, Some(json!({"status": "open"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, history) = db
        .json("GET", &format!("{uri}/history"), &viewer, None)
        .await;
    let steps: Vec<(String, Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().to_string(),
                h["actor"].clone(),
                h["from"].clone(),
                h["to"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "created".into(),
                json!("detection"),
                Value::Null,
                json!("open")
            ),
            ("matched".into(), json!("detection"), json!("1"), json!("2")),
            (
                "status".into(),
                json!("ana"),
                json!("open"),
                json!("acknowledged")
            ),
            ("assignee".into(), json!("ana"), Value::Null, json!("ana")),
            (
                "comment".into(),
                json!("ana"),
                Value::Null,
                json!(comment["id"].to_string())
            ),
            (
                "status".into(),
                json!("ana"),
                json!("acknowledged"),
                json!("resolved")
            ),
        ],
        "{history}"
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.is_in(["alert_update", "alert_comment"]))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(
        audited, 4,
        "acknowledge+assign, comment, two bulk resolutions"
    );
}

/// With `suppress_secs: 600`, a resolved alert's key raises nothing new for matches within
/// 600 s (event time) of its last event, and raises again after.
async fn suppression_holds_back_a_new_alert_for_its_window(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules",
            &analyst,
            Some(json!({
                "name": "invalid users", "kind": "match", "severity": "low", "suppress_secs": 600,
                "definition": {"query": "event_action:ssh_invalid_user", "group_by": ["source_ip"]}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["suppress_secs"], 600);
    let at = |hh: u32, mm: u32| {
        format!(
            "Dec  1 {hh:02}:{mm:02}:00 gw sshd[9]: Invalid user oracle from 192.0.2.99 port 4000"
        )
    };
    // Wait until the engine has read the rule (an alert shows), with events at 09:00.
    let mut tries = 0;
    let id = loop {
        submit(&db, &[at(9, 0)]).await;
        let (_, page) = db.json("GET", "/api/v1/alerts", &analyst, None).await;
        if let Some(a) = page["items"].as_array().unwrap().first() {
            break a["id"].as_i64().unwrap();
        }
        tries += 1;
        assert!(tries < 40, "no alert raised");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/alerts/{id}"),
            &analyst,
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    submit(&db, &[at(9, 5), at(9, 10)]).await;
    let (_, page) = db.json("GET", "/api/v1/alerts", &analyst, None).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "suppressed: {page}"
    );
    submit(&db, &[at(9, 21)]).await;
    let (_, page) = db
        .json("GET", "/api/v1/alerts?status=open", &analyst, None)
        .await;
    let open = page["items"].as_array().unwrap();
    assert_eq!(open.len(), 1, "raised again after the window: {page}");
    assert_eq!(open[0]["event_count"], 1);
}
