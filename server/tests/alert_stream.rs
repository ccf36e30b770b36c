//! `GET /api/v1/alerts/stream`, on SQLite and on MariaDB: a viewer connected to the stream sees
//! the alerts that ingesting lines raises and the changes triage makes; callers without
//! `alerts.read` are refused; a client that does not read is told to resync while ingestion
//! goes on.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use chrono::{DateTime, Utc};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::time::Instant;
use tower::ServiceExt;

use common::TestDb;
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;

backend_suite!(
    a_viewer_sees_new_alerts_on_the_stream,
    the_stream_needs_alerts_read,
    triage_changes_reach_the_stream,
);

/// Generous: the stream should deliver within a second, but a loaded test machine may not.
const DEADLINE: Duration = Duration::from_secs(30);

/// One server-sent event.
#[derive(Debug)]
struct SseEvent {
    event: String,
    id: Option<String>,
    data: String,
}

/// A client reading an open stream.
struct SseClient {
    body: Body,
    buf: String,
}

impl SseClient {
    /// Opens the stream with the given credential header; the stream when it answered 200.
    async fn connect(db: &TestDb, header: (&str, String)) -> (StatusCode, Option<Self>) {
        let req = Request::get("/api/v1/alerts/stream")
            .header(header.0, header.1)
            .body(Body::empty())
            .unwrap();
        let res = db.router().oneshot(req).await.unwrap();
        let status = res.status();
        if status != StatusCode::OK {
            return (status, None);
        }
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        (
            status,
            Some(Self {
                body: res.into_body(),
                buf: String::new(),
            }),
        )
    }

    async fn bearer(db: &TestDb, token: &str) -> Self {
        let (status, client) =
            Self::connect(db, ("authorization", format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::OK);
        client.unwrap()
    }

    /// The next event (comments skipped), or `None` when none came before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = SseEvent {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().to_string();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(ev);
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??
                .expect("the stream does not fail");
            if let Ok(data) = frame.into_data() {
                self.buf.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }

    /// Reads until an `alert` event satisfies `want`; fails at the deadline.
    async fn alert_where(
        &mut self,
        what: &str,
        want: impl Fn(&Value) -> bool,
    ) -> (SseEvent, Value) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let Some(ev) = self.next(deadline).await else {
                panic!("no alert event with {what} within {DEADLINE:?}");
            };
            if ev.event != "alert" {
                continue;
            }
            let alert: Value = serde_json::from_str(&ev.data).expect("alert data is JSON");
            if want(&alert) {
                return (ev, alert);
            }
        }
    }
}

/// A rule raising an alert per failed SSH login, grouped by address. Written before anyone
/// signs in: the engine reads the rules at the first event it evaluates (a sign-in's audit
/// event), then at most once a second.
async fn failure_rule(db: &TestDb) -> i64 {
    use sea_orm::{ActiveModelTrait, Set};
    let now = Utc::now();
    let saved = server::store::rule::ActiveModel {
        name: Set("Failed SSH login".into()),
        kind: Set("match".into()),
        severity: Set("medium".into()),
        definition: Set(json!({
            "query": "event_action:ssh_login AND event_outcome:failure",
            "group_by": ["source_ip"],
            "title": "Failed SSH login from {source_ip}"
        })),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
    i64::from(saved.id)
}

/// Stores sshd lines, one failed login from each address, and waits for their commit.
async fn ingest_failures(db: &TestDb, addresses: &[&str]) {
    let source = db
        .state
        .service()
        .ingest()
        .source("stream-test", "test", json!({}))
        .await
        .unwrap();
    let reference: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
    let lines = addresses
        .iter()
        .map(|ip| {
            let line = format!(
                "Dec  7 10:00:01 web1 sshd[4242]: Failed password for root from {ip} port 50022 ssh2"
            );
            RawLine::new(line.into_bytes(), reference)
        })
        .collect();
    let mut sub = Submission::new(source, ParserKind::Syslog, lines);
    sub.reference_time = Some(reference);
    tokio::time::timeout(
        Duration::from_secs(60),
        db.state.service().ingest().submit_and_wait(sub),
    )
    .await
    .expect("ingestion is never held up by the stream")
    .unwrap();
}

async fn a_viewer_sees_new_alerts_on_the_stream(db: TestDb) {
    let rule = failure_rule(&db).await;
    let viewer = db.token("watcher", &["viewer"]).await;
    let mut stream = SseClient::bearer(&db, &viewer).await;

    ingest_failures(&db, &["203.0.113.9"]).await;
    let (ev, alert) = stream
        .alert_where("the new alert", |a| a["rule_id"] == json!(rule))
        .await;
    assert_eq!(alert["title"], "Failed SSH login from 203.0.113.9");
    assert_eq!(alert["rule_name"], "Failed SSH login");
    assert_eq!(alert["group_key"], "source_ip=203.0.113.9");
    assert_eq!(alert["group_fields"], json!({ "source_ip": "203.0.113.9" }));
    assert_eq!(alert["status"], "open");
    assert_eq!(alert["event_count"], 1);
    assert_eq!(ev.id.as_deref(), Some(alert["id"].to_string().as_str()));
    // The same alert as the alerts API shows it.
    let (status, listed) = db
        .json(
            "GET",
            &format!("/api/v1/alerts/{}", alert["id"]),
            &viewer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, alert);

    // A second failure from the address adds to the alert: the stream shows it again.
    ingest_failures(&db, &["203.0.113.9"]).await;
    let (_, again) = stream
        .alert_where("the updated alert", |a| a["event_count"] == 2)
        .await;
    assert_eq!(again["id"], alert["id"]);
}

async fn the_stream_needs_alerts_read(db: TestDb) {
    let (status, _) = SseClient::connect(&db, ("x-nothing", String::new())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no credentials");
    let ingest = db.token("shipper", &["ingest"]).await;
    let (status, _) = SseClient::connect(&db, ("authorization", format!("Bearer {ingest}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a role without alerts.read");
    let (status, _) = SseClient::connect(&db, ("authorization", "Bearer bogus".into())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a bad token");
    // A signed-in browser streams with its session cookie.
    let cookies = db.cookies("browser", &["viewer"]).await;
    let (status, client) = SseClient::connect(&db, ("cookie", cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(client.is_some());
}

async fn triage_changes_reach_the_stream(db: TestDb) {
    let rule = failure_rule(&db).await;
    let analyst = db.token("triager", &["analyst"]).await;
    let viewer = db.token("watcher", &["viewer"]).await;
    ingest_failures(&db, &["198.51.100.4"]).await;
    let (status, page) = db
        .json("GET", &format!("/api/v1/alerts?rule={rule}"), &viewer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = page["items"][0]["id"].as_i64().expect("the alert exists");

    let mut stream = SseClient::bearer(&db, &viewer).await;
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/alerts/{id}"),
            &analyst,
            Some(json!({ "status": "acknowledged" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, alert) = stream
        .alert_where("the acknowledged alert", |a| a["id"] == json!(id))
        .await;
    assert_eq!(alert["status"], "acknowledged");

    let (status, _) = db
        .json(
            "POST",
            "/api/v1/alerts/bulk",
            &analyst,
            Some(json!({ "ids": [id], "status": "resolved" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, alert) = stream
        .alert_where("the resolved alert", |a| a["status"] == "resolved")
        .await;
    assert_eq!(alert["id"], json!(id));
}

/// A stream nobody reads holds `capacity` alerts; ingestion goes on, and the client, once it
/// reads, is told how many it missed and then gets the newest ones.
async fn a_client_that_does_not_read_is_told_to_resync(db: TestDb) {
    failure_rule(&db).await;
    let viewer = db.token("watcher", &["viewer"]).await;
    let mut slow = SseClient::bearer(&db, &viewer).await;
    let mut reader = SseClient::bearer(&db, &viewer).await;
    let addresses: Vec<String> = (1..=12).map(|i| format!("192.0.2.{i}")).collect();
    // One alert per commit, read by `reader` before the next, so `reader` never falls behind.
    for ip in &addresses {
        ingest_failures(&db, &[ip.as_str()]).await;
        reader
            .alert_where("the address's alert", |a| {
                a["group_fields"]["source_ip"] == json!(ip)
            })
            .await;
    }
    // 12 alerts, room for 4: the first 8 are gone for `slow`.
    let deadline = Instant::now() + DEADLINE;
    let first = slow.next(deadline).await.expect("an event");
    assert_eq!(first.event, "resync");
    assert_eq!(
        serde_json::from_str::<Value>(&first.data).unwrap(),
        json!({ "missed": 8 })
    );
    for ip in &addresses[8..] {
        let ev = slow.next(deadline).await.expect("an event");
        assert_eq!(ev.event, "alert");
        let alert: Value = serde_json::from_str(&ev.data).unwrap();
        assert_eq!(alert["group_fields"]["source_ip"], json!(ip));
    }
}

fn small_stream(config: &mut server::config::Config) {
    config.ingest.detect.alert_stream_capacity = 4;
    config.ingest.flush_interval = Duration::from_millis(20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_client_that_does_not_read_is_told_to_resync() {
    a_client_that_does_not_read_is_told_to_resync(TestDb::sqlite_with(small_stream).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_a_client_that_does_not_read_is_told_to_resync() {
    a_client_that_does_not_read_is_told_to_resync(TestDb::mariadb_with(small_stream).await).await
}
