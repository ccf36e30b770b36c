//! Notifications through real receivers, on SQLite and on MariaDB: a local HTTP server gets the
//! webhook (generic and Slack-shaped), a local SMTP server (aiosmtpd) gets the e-mail, each
//! with the alert's title, severity, group key and link; a receiver that is down at first still
//! gets its message once; a `kill -9` of a real `vigil serve` between the alert's commit and the
//! delivery delivers it after the restart, once; the per-channel rate limit holds back, never
//! drops; channels need `settings.manage`; plain SMTP only to loopback.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use common::TestDb;
use common::process::free_port;
use server::alerting::notify::{self, Settings};
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::{
    alert, audit_log, notification_channel, notification_outbox, rule, rule_channel,
};

backend_suite!(
    webhook_and_slack_receive_the_alert,
    email_reaches_a_real_smtp_server,
    a_receiver_down_at_first_gets_it_once,
    the_rate_limit_holds_back_and_drops_nothing,
    channels_need_settings_manage,
    plain_smtp_only_to_loopback,
    channels_hide_the_password_and_rules_select_them,
);

const PUBLIC_URL: &str = "https://vigil.example";

/// Fast retries, so a test waits seconds rather than minutes.
fn settings() -> Settings {
    Settings {
        public_url: PUBLIC_URL.into(),
        retry_base: Duration::from_millis(100),
        retry_cap: Duration::from_millis(500),
        max_attempts: 1000,
        send_timeout: Duration::from_secs(5),
        poll: Duration::from_millis(200),
    }
}

/// The delivery worker of one test, stopped when the test ends.
struct Worker(tokio::task::JoinHandle<()>);

impl Worker {
    fn start(db: &TestDb) -> Self {
        Self(notify::start(db.state.db.clone(), settings()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A local HTTP receiver: every JSON body POSTed to any path, with the path.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, Value)>>>);

impl Received {
    fn on(&self, path: &str) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

struct Receiver {
    got: Received,
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(port: u16) -> Self {
        let got = Received::default();
        let app = axum::Router::new()
            .route(
                "/{*path}",
                post(
                    |State(got): State<Received>,
                     uri: http::Uri,
                     axum::Json(body): axum::Json<Value>| async move {
                        got.0.lock().unwrap().push((uri.path().to_string(), body));
                        StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { got, port, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `check` until it answers `Some`, failing with `what` after `secs` seconds.
async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn invalid_user(ip: &str) -> String {
    format!("Dec  1 11:00:01 bastion sshd[7]: Invalid user admin from {ip} port 5000")
}

async fn submit(db: &TestDb, lines: &[String]) {
    let source = db
        .state
        .ingest
        .source("notify-test", "test", json!({}))
        .await
        .unwrap();
    let lines = lines
        .iter()
        .map(|l| RawLine::new(l.clone().into_bytes(), Utc::now()))
        .collect();
    db.state
        .ingest
        .submit_and_wait(Submission::new(source, ParserKind::Syslog, lines))
        .await
        .unwrap();
}

async fn alert_for(db: &DatabaseConnection, ip: &str) -> Option<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::DedupKey.eq(format!("source_ip={ip}")))
        .one(db)
        .await
        .unwrap()
}

/// Sends the invalid-user line of `ip` until its alert exists (the engine reads new rules at
/// most once a second), answering the alert.
async fn raise(db: &TestDb, ip: &str) -> alert::Model {
    for _ in 0..120 {
        submit(db, &[invalid_user(ip)]).await;
        if let Some(a) = alert_for(&db.state.db, ip).await {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no alert for {ip}");
}

async fn create_channel(db: &TestDb, admin: &str, body: Value) -> i64 {
    let (status, created) = db.json("POST", "/api/v1/channels", admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

/// A `high` match rule on invalid SSH users, one alert per source address, notifying `channels`.
async fn create_rule(db: &TestDb, admin: &str, channels: Value) -> Value {
    let (status, rule) = db
        .json(
            "POST",
            "/api/v1/rules",
            admin,
            Some(json!({
                "name": "invalid ssh user",
                "kind": "match",
                "severity": "high",
                "definition": {
                    "query": "event_action:ssh_invalid_user",
                    "group_by": ["source_ip"],
                    "title": "Invalid SSH user from {source_ip}"
                },
                "channels": channels
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    rule
}

async fn outbox(db: &DatabaseConnection) -> Vec<notification_outbox::Model> {
    notification_outbox::Entity::find()
        .order_by_asc(notification_outbox::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// A generic webhook and a Slack webhook get the alert with its title, severity, group key and
/// link; a channel whose minimum severity the alert does not meet gets nothing; the alert's
/// notifications show both deliveries.
async fn webhook_and_slack_receive_the_alert(db: TestDb) {
    let receiver = Receiver::start(0).await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "hook", "kind": "webhook", "config": { "url": receiver.url("/hook") } }),
    )
    .await;
    let slack = create_channel(
        &db,
        &admin,
        json!({ "name": "slack", "kind": "slack", "config": { "url": receiver.url("/slack") } }),
    )
    .await;
    let pager = create_channel(
        &db,
        &admin,
        json!({ "name": "pager", "kind": "webhook", "config": { "url": receiver.url("/pager") } }),
    )
    .await;
    create_rule(
        &db,
        &admin,
        json!([
            { "channel_id": hook, "min_severity": "medium" },
            { "channel_id": slack },
            { "channel_id": pager, "min_severity": "critical" }
        ]),
    )
    .await;

    let ip = "192.0.2.44";
    let alert = raise(&db, ip).await;
    let link = format!("https://vigil.example/alerts/{}", alert.id);
    let got = receiver.got.clone();
    eventually(30, "both webhooks", || {
        let got = got.clone();
        async move { (got.on("/hook").len() == 1 && got.on("/slack").len() == 1).then_some(()) }
    })
    .await;

    let body = &got.on("/hook")[0];
    assert_eq!(body["event"], "opened");
    assert_eq!(body["alert"]["id"], alert.id);
    assert_eq!(body["alert"]["title"], "Invalid SSH user from 192.0.2.44");
    assert_eq!(body["alert"]["severity"], "high");
    assert_eq!(body["alert"]["group_key"], "source_ip=192.0.2.44");
    assert_eq!(body["alert"]["group_fields"], json!({ "source_ip": ip }));
    assert_eq!(body["alert"]["rule"]["name"], "invalid ssh user");
    assert_eq!(body["alert"]["url"], link.as_str());
    assert!(body["alert"]["event_count"].as_i64().unwrap() >= 1);

    let slack_body = &got.on("/slack")[0];
    let text = slack_body["text"].as_str().unwrap();
    assert!(
        text.starts_with("[HIGH] Invalid SSH user from 192.0.2.44"),
        "{text}"
    );
    assert!(text.contains(&link), "{text}");
    let block = slack_body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(block.contains("source_ip=192.0.2.44"), "{block}");
    assert!(block.contains(&format!("<{link}|")), "{block}");

    let viewer = db.token("watcher", &["viewer"]).await;
    let uri = format!("/api/v1/alerts/{}/notifications", alert.id);
    let rows = eventually(10, "both marked delivered", || {
        let (db, uri, viewer) = (&db, &uri, &viewer);
        async move {
            let (status, rows) = db.json("GET", uri, viewer, None).await;
            assert_eq!(status, StatusCode::OK, "{rows}");
            let rows = rows.as_array().unwrap().clone();
            rows.iter()
                .all(|r| r["status"] == "delivered")
                .then_some(rows)
        }
    })
    .await;
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["channel_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["hook", "slack"],
        "the critical-only channel is skipped"
    );
    for r in &rows {
        assert_eq!(r["attempts"], 1, "{r}");
        assert_eq!(r["event"], "opened");
        assert!(r["delivered_at"].is_string(), "{r}");
        assert!(r["last_error"].is_null(), "{r}");
    }
    // Later matches join the open alert: no second notification.
    submit(&db, &[invalid_user(ip)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(got.on("/hook").len(), 1);
    assert!(got.on("/pager").is_empty());
    assert_eq!(outbox(&db.state.db).await.len(), 2);
}

/// aiosmtpd (from `VIGIL_TEST_AIOSMTPD`, a Python with aiosmtpd installed; `make test` sets
/// it) on 127.0.0.1, storing what it receives in a maildir.
struct Smtpd {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Smtpd {
    async fn start() -> Self {
        let python = std::env::var("VIGIL_TEST_AIOSMTPD").unwrap_or_else(|_| "python3".into());
        let maildir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A maildir that does not exist yet: Python creates it with its subdirectories.
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start aiosmtpd with {python}: {e}; `make aiosmtpd` installs it and \
                     VIGIL_TEST_AIOSMTPD names its python"
                )
            });
        let mut smtpd = Self {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = smtpd.child.try_wait().unwrap() {
                panic!(
                    "aiosmtpd exited ({status}): is it installed for {python}? `make aiosmtpd` \
                     installs it and VIGIL_TEST_AIOSMTPD names its python"
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd does not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        smtpd
    }

    /// The messages received so far, as text.
    fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header `name` of a message, unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next().unwrap_or_default();
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = value.as_mut()
            && (line.starts_with(' ') || line.starts_with('\t'))
        {
            v.push_str(line.trim_start_matches(['\t']));
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// An e-mail channel over plain SMTP to aiosmtpd on loopback: the message has the severity and
/// title in its subject and the facts and link in its body; the channel test sends one too and
/// reports success, and a test to a closed port reports the error.
async fn email_reaches_a_real_smtp_server(db: TestDb) {
    let smtpd = Smtpd::start().await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let mail = create_channel(
        &db,
        &admin,
        json!({ "name": "soc mail", "kind": "email", "config": {
            "host": "127.0.0.1", "port": smtpd.port, "security": "plain",
            "from": "Vigil <vigil@example.com>", "to": ["soc@example.com", "oncall@example.com"]
        } }),
    )
    .await;
    create_rule(
        &db,
        &admin,
        json!([{ "channel_id": mail, "min_severity": "high" }]),
    )
    .await;
    let alert = raise(&db, "198.51.100.7").await;

    let message = eventually(30, "the e-mail", || {
        let m = smtpd.messages();
        async move { m.into_iter().next() }
    })
    .await;
    let message = message.replace("\r\n", "\n");
    assert_eq!(
        header(&message, "Subject").as_deref(),
        Some("[Vigil] [HIGH] Invalid SSH user from 198.51.100.7"),
        "{message}"
    );
    assert!(
        header(&message, "From")
            .unwrap()
            .contains("vigil@example.com")
    );
    let to = header(&message, "To").unwrap();
    assert!(
        to.contains("soc@example.com") && to.contains("oncall@example.com"),
        "{to}"
    );
    let body = message.split_once("\n\n").unwrap().1;
    for line in [
        "Title: Invalid SSH user from 198.51.100.7".to_string(),
        "Severity: high".to_string(),
        "Group: source_ip=198.51.100.7".to_string(),
        format!("Link: https://vigil.example/alerts/{}", alert.id),
    ] {
        assert!(body.lines().any(|l| l == line), "{line:?} not in {body}");
    }

    let (status, result) = db
        .json(
            "POST",
            &format!("/api/v1/channels/{mail}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result, json!({ "ok": true, "error": null }));
    eventually(10, "the test e-mail", || {
        let n = smtpd.messages().len();
        async move { (n == 2).then_some(()) }
    })
    .await;
    assert!(
        smtpd
            .messages()
            .iter()
            .any(|m| m.contains("Vigil test notification")),
        "a test message arrived"
    );

    let dead = create_channel(
        &db,
        &admin,
        json!({ "name": "nowhere", "kind": "email", "config": {
            "host": "localhost", "port": free_port(), "security": "plain",
            "from": "vigil@example.com", "to": ["soc@example.com"]
        } }),
    )
    .await;
    let (status, result) = db
        .json(
            "POST",
            &format!("/api/v1/channels/{dead}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["ok"], false);
    assert!(!result["error"].as_str().unwrap().is_empty(), "{result}");
}

/// The receiver's port is closed while the alert commits: the worker keeps trying (with the
/// error recorded), and once the receiver listens it gets the message, exactly once.
async fn a_receiver_down_at_first_gets_it_once(db: TestDb) {
    let port = free_port();
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "late", "kind": "webhook",
                "config": { "url": format!("http://127.0.0.1:{port}/late") } }),
    )
    .await;
    create_rule(&db, &admin, json!([{ "channel_id": hook }])).await;
    let alert = raise(&db, "203.0.113.5").await;

    let conn = db.state.db.clone();
    let failing = eventually(30, "failed attempts while the receiver is down", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            (rows.len() == 1 && rows[0].attempts >= 3).then(|| rows[0].clone())
        }
    })
    .await;
    assert_eq!(failing.status, "pending");
    assert_eq!(failing.alert_id, alert.id);
    assert!(failing.last_error.is_some(), "{failing:?}");

    let receiver = Receiver::start(port).await;
    let got = receiver.got.clone();
    eventually(30, "the late delivery", || {
        let got = got.clone();
        async move { (!got.on("/late").is_empty()).then_some(()) }
    })
    .await;
    let row = eventually(10, "the delivered mark", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            (rows[0].status == "delivered").then(|| rows[0].clone())
        }
    })
    .await;
    assert!(row.attempts > failing.attempts, "{row:?}");
    assert!(row.delivered_at.is_some());
    // Give a duplicate every chance to show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let bodies = got.on("/late");
    assert_eq!(bodies.len(), 1, "exactly once: {bodies:?}");
    assert_eq!(bodies[0]["alert"]["id"], alert.id);
}

/// Eight alerts through a channel allowing six a minute: six arrive at once, two wait (pending,
/// never tried, no error) and arrive later, each alert exactly once.
async fn the_rate_limit_holds_back_and_drops_nothing(db: TestDb) {
    let receiver = Receiver::start(0).await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "slow", "kind": "webhook", "rate_limit_per_minute": 6,
                "config": { "url": receiver.url("/slow") } }),
    )
    .await;
    create_rule(&db, &admin, json!([{ "channel_id": hook }])).await;
    raise(&db, "192.0.2.1").await;
    let lines: Vec<String> = (2..=8)
        .map(|i| invalid_user(&format!("192.0.2.{i}")))
        .collect();
    submit(&db, &lines).await;
    let conn = db.state.db.clone();
    assert_eq!(outbox(&conn).await.len(), 8, "one message per alert");

    let got = receiver.got.clone();
    eventually(30, "the first six", || {
        let got = got.clone();
        async move { (got.on("/slow").len() >= 6).then_some(()) }
    })
    .await;
    let rows = outbox(&conn).await;
    let received = got.on("/slow").len();
    let delivered = rows.iter().filter(|r| r.status == "delivered").count();
    let held: Vec<_> = rows.iter().filter(|r| r.status == "pending").collect();
    assert_eq!(
        received, 6,
        "the limit lets six through in the first minute"
    );
    assert!(delivered <= 6, "{rows:?}");
    assert_eq!(held.len(), 8 - delivered, "the rest wait: {rows:?}");
    for r in held.iter().filter(|r| r.attempts == 0) {
        assert!(r.last_error.is_none(), "held back, not failed: {r:?}");
    }
    assert!(
        held.iter().filter(|r| r.attempts == 0).count() >= 2,
        "two were held back without a send: {rows:?}"
    );

    // One token every ten seconds: the last two follow.
    eventually(90, "all eight", || {
        let got = got.clone();
        async move { (got.on("/slow").len() >= 8).then_some(()) }
    })
    .await;
    let rows = eventually(10, "all marked delivered", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            rows.iter().all(|r| r.status == "delivered").then_some(rows)
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<i64> = got
        .on("/slow")
        .iter()
        .map(|b| b["alert"]["id"].as_i64().unwrap())
        .collect();
    let distinct: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    assert_eq!(distinct.len(), 8, "each alert once: {ids:?}");
    let mut times: Vec<_> = rows.iter().map(|r| r.delivered_at.unwrap()).collect();
    times.sort();
    assert!(
        times[6] - times[0] >= chrono::TimeDelta::seconds(8),
        "the seventh waited for a token: {times:?}"
    );
}

/// Every channel operation needs `settings.manage`: analysts and viewers are refused; the
/// alert's notifications need only `alerts.read`.
async fn channels_need_settings_manage(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let id = create_channel(
        &db,
        &admin,
        json!({ "name": "hook", "kind": "webhook", "config": { "url": "http://127.0.0.1:9/x" } }),
    )
    .await;
    for role in ["analyst", "viewer"] {
        let token = db.token(&format!("{role}-user"), &[role]).await;
        for (method, uri, body) in [
            ("GET", "/api/v1/channels".to_string(), None),
            (
                "POST",
                "/api/v1/channels".to_string(),
                Some(json!({ "name": "x", "kind": "webhook",
                             "config": { "url": "http://127.0.0.1:9/y" } })),
            ),
            ("GET", format!("/api/v1/channels/{id}"), None),
            (
                "PATCH",
                format!("/api/v1/channels/{id}"),
                Some(json!({ "enabled": false })),
            ),
            ("POST", format!("/api/v1/channels/{id}/test"), None),
            ("DELETE", format!("/api/v1/channels/{id}"), None),
        ] {
            let (status, answer) = db.json(method, &uri, &token, body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} {method} {uri}: {answer}"
            );
        }
    }
    let (status, list) = db.json("GET", "/api/v1/channels", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "nothing created by the refused"
    );
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("permission_denied"))
        .filter(audit_log::Column::Target.eq("settings.manage"))
        .all(&db.state.db)
        .await
        .unwrap();
    assert_eq!(denied.len(), 12, "every refusal audited");
}

/// Plain SMTP sends passwords and mail in the clear: only to a relay on this machine.
async fn plain_smtp_only_to_loopback(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    for host in ["mail.example.com", "192.0.2.25"] {
        let (status, answer) = db
            .json(
                "POST",
                "/api/v1/channels",
                &admin,
                Some(json!({ "name": "m", "kind": "email", "config": {
                    "host": host, "security": "plain",
                    "from": "vigil@example.com", "to": ["soc@example.com"]
                } })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{host}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("config.security"), "{message}");
    }
    let id = create_channel(
        &db,
        &admin,
        json!({ "name": "local relay", "kind": "email", "config": {
            "host": "localhost", "security": "plain",
            "from": "vigil@example.com", "to": ["soc@example.com"]
        } }),
    )
    .await;
    let (status, answer) = db
        .json(
            "PATCH",
            &format!("/api/v1/channels/{id}"),
            &admin,
            Some(json!({ "config": {
                "host": "relay.example.com", "security": "plain",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = db
        .json(
            "POST",
            "/api/v1/channels",
            &admin,
            Some(json!({ "name": "tls", "kind": "email", "config": {
                "host": "relay.example.com", "security": "tls",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["config"]["port"], 465);
}

/// The SMTP password is stored but never returned or audited; a change without one keeps it.
/// Rules carry their channel selection on create, read and change; unknown channels and
/// severities are refused; deleting a channel removes it from the rules.
async fn channels_hide_the_password_and_rules_select_them(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let secret = "correct horse battery staple";
    let config = json!({
        "host": "smtp.example.com", "port": 2525, "security": "starttls",
        "username": "vigil", "password": secret,
        "from": "Vigil <vigil@example.com>", "to": ["soc@example.com"]
    });
    let (status, created) = db
        .json(
            "POST",
            "/api/v1/channels",
            &admin,
            Some(json!({ "name": "mail", "kind": "email", "config": config })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["config"]["password_set"], true);
    assert_eq!(created["rate_limit_per_minute"], 60);
    assert!(!created.to_string().contains(secret), "{created}");
    let (_, list) = db.json("GET", "/api/v1/channels", &admin, None).await;
    assert!(!list.to_string().contains(secret), "{list}");

    let (status, changed) = db
        .json(
            "PATCH",
            &format!("/api/v1/channels/{id}"),
            &admin,
            Some(json!({ "rate_limit_per_minute": 5, "config": {
                "host": "smtp.example.com", "port": 2525, "username": "vigil",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["config"]["password_set"], true, "kept: {changed}");
    assert_eq!(changed["rate_limit_per_minute"], 5);
    let stored = notification_channel::Entity::find_by_id(id as i32)
        .one(&db.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config["password"], secret);
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("channel_"))
        .order_by_asc(audit_log::Column::Id)
        .all(&db.state.db)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["channel_create", "channel_update"]);
    assert!(
        audit.iter().all(|a| !format!("{a:?}").contains(secret)),
        "{audit:?}"
    );

    for (field, bad) in [
        (
            "rate_limit_per_minute",
            json!({ "rate_limit_per_minute": 0 }),
        ),
        (
            "config.to",
            json!({ "config": {
            "host": "smtp.example.com", "username": "vigil",
            "from": "vigil@example.com", "to": ["not an address"] } }),
        ),
    ] {
        let (status, answer) = db
            .json(
                "PATCH",
                &format!("/api/v1/channels/{id}"),
                &admin,
                Some(bad),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{answer}"
        );
    }

    let rule = create_rule(
        &db,
        &admin,
        json!([{ "channel_id": id, "min_severity": "critical" }]),
    )
    .await;
    let rule_id = rule["id"].as_i64().unwrap();
    assert_eq!(
        rule["channels"],
        json!([{ "channel_id": id, "min_severity": "critical" }])
    );
    let (_, got) = db
        .json("GET", &format!("/api/v1/rules/{rule_id}"), &admin, None)
        .await;
    assert_eq!(got["channels"], rule["channels"]);
    for bad in [
        json!({ "channels": [{ "channel_id": 999_999 }] }),
        json!({ "channels": [{ "channel_id": id, "min_severity": "urgent" }] }),
        json!({ "channels": [{ "channel_id": id }, { "channel_id": id }] }),
    ] {
        let (status, answer) = db
            .json(
                "PATCH",
                &format!("/api/v1/rules/{rule_id}"),
                &admin,
                Some(bad),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("channels"),
            "{answer}"
        );
    }
    let (status, _) = db
        .json("DELETE", &format!("/api/v1/channels/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = db
        .json("GET", &format!("/api/v1/rules/{rule_id}"), &admin, None)
        .await;
    assert_eq!(got["channels"], json!([]));
    let (status, _) = db
        .json("GET", &format!("/api/v1/channels/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---- kill -9 of a real `vigil serve` between the alert's commit and its delivery ----------

fn spawn_vigil(dir: &Path, database_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("serve")
        .env("VIGIL_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("VIGIL_DATA_DIR", dir)
        .env("VIGIL_DATABASE_URL", database_url)
        .env("VIGIL_SITE_ROOT", dir.join("site"))
        .env("VIGIL_ADMIN_PASSWORD", "notify crash admin passphrase")
        .env("VIGIL_SYSLOG_UDP", "off")
        .env("VIGIL_SYSLOG_TCP", "off")
        .env("VIGIL_WATCH_PATTERNS", "*.log")
        .env("VIGIL_WATCH_IDLE_FLUSH_MS", "200")
        .env("VIGIL_INGEST_FLUSH_MS", "20")
        .env("VIGIL_PUBLIC_URL", PUBLIC_URL)
        .env("VIGIL_NOTIFY_RETRY_BASE_MS", "100")
        .env("VIGIL_NOTIFY_RETRY_CAP_MS", "500")
        .env("VIGIL_NOTIFY_TIMEOUT_SECS", "2")
        .env("VIGIL_NOTIFY_POLL_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
}

async fn killed_between_commit_and_delivery_delivers_once(database_url: &str, dir: &Path) {
    let port = free_port();
    let mut child = spawn_vigil(dir, database_url);
    let db = eventually(60, "the schema", || async {
        let db = Database::connect(database_url).await.ok()?;
        db.execute_unprepared("SELECT 1 FROM notification_outbox LIMIT 1")
            .await
            .ok()?;
        Some(db)
    })
    .await;

    let now = Utc::now();
    let channel = notification_channel::ActiveModel {
        name: Set("receiver".into()),
        kind: Set("webhook".into()),
        config: Set(json!({ "url": format!("http://127.0.0.1:{port}/crash") })),
        enabled: Set(true),
        rate_per_minute: Set(60),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let rule = rule::ActiveModel {
        name: Set("invalid ssh user".into()),
        kind: Set("match".into()),
        severity: Set("high".into()),
        definition: Set(json!({
            "query": "event_action:ssh_invalid_user",
            "group_by": ["source_ip"],
            "title": "Invalid SSH user from {source_ip}"
        })),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    rule_channel::ActiveModel {
        rule_id: Set(rule.id),
        channel_id: Set(channel.id),
        min_severity: Set("low".into()),
    }
    .insert(&db)
    .await
    .unwrap();

    // The receiver is down: the alert and its notification commit, the sends fail.
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let ip = "198.51.100.99";
    let file = inbox.join("auth.log");
    // The engine reads new rules at most once a second: append until the rule has seen one.
    let deadline = Instant::now() + Duration::from_secs(120);
    let alert = loop {
        common::append(&file, &format!("{}\n", invalid_user(ip)));
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(a) = alert::Entity::find()
            .filter(alert::Column::RuleId.eq(rule.id))
            .one(&db)
            .await
            .unwrap()
        {
            break a;
        }
        assert!(child.try_wait().unwrap().is_none(), "vigil exited early");
        assert!(Instant::now() < deadline, "no alert");
    };
    let failing = eventually(60, "the alert's notification failing", || {
        let db = &db;
        async move {
            let rows = outbox(db).await;
            (rows.len() == 1 && rows[0].attempts >= 2).then(|| rows[0].clone())
        }
    })
    .await;
    assert!(child.try_wait().unwrap().is_none(), "vigil exited early");
    assert_eq!(failing.status, "pending");
    assert_eq!(failing.alert_id, alert.id);
    kill9(&mut child);

    let receiver = Receiver::start(port).await;
    let mut child = spawn_vigil(dir, database_url);
    let got = receiver.got.clone();
    eventually(120, "delivery after the restart", || {
        let got = got.clone();
        async move { (!got.on("/crash").is_empty()).then_some(()) }
    })
    .await;
    let row = eventually(30, "the delivered mark", || {
        let db = &db;
        async move {
            let rows = outbox(db).await;
            (rows[0].status == "delivered").then(|| rows[0].clone())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill9(&mut child);
    let bodies = got.on("/crash");
    assert_eq!(bodies.len(), 1, "exactly once: {bodies:?}");
    assert_eq!(bodies[0]["alert"]["id"], alert.id);
    assert_eq!(
        bodies[0]["alert"]["title"],
        "Invalid SSH user from 198.51.100.99"
    );
    assert_eq!(bodies[0]["alert"]["severity"], "high");
    assert_eq!(bodies[0]["alert"]["group_key"], "source_ip=198.51.100.99");
    assert_eq!(
        bodies[0]["alert"]["url"],
        format!("https://vigil.example/alerts/{}", alert.id)
    );
    assert_eq!(outbox(&db).await.len(), 1);
    assert!(row.attempts > failing.attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_between_commit_and_delivery_delivers_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("vigil.db").display()
    );
    killed_between_commit_and_delivery_delivers_once(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_kill_9_between_commit_and_delivery_delivers_once() {
    let admin = std::env::var("VIGIL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into());
    let conn = Database::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("MariaDB is not reachable at {admin}: {e}"));
    let name = format!("vigil_test_notify_crash_{}", std::process::id());
    conn.execute_unprepared(&format!("CREATE DATABASE `{name}`"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{admin}/{name}");
    killed_between_commit_and_delivery_delivers_once(&url, dir.path()).await;
    let _ = conn
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await;
}
