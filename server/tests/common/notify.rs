//! Notification test helpers: a delivery worker per test, a local HTTP receiver, aiosmtpd, and
//! a rule whose alerts notify chosen channels.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use http::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use server::alerting::notify::{self, Settings};
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::{alert, notification_outbox};

use super::TestDb;
use super::process::free_port;

pub const PUBLIC_URL: &str = "https://vigil.example";

/// Fast retries, so a test waits seconds rather than minutes.
pub fn settings() -> Settings {
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
pub struct Worker(tokio::task::JoinHandle<()>);

impl Worker {
    pub fn start(db: &TestDb) -> Self {
        Self(notify::start(db.state.service().db().clone(), settings()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A local HTTP receiver: every JSON body POSTed to any path, with the path.
#[derive(Clone, Default)]
pub struct Received(pub Arc<Mutex<Vec<(String, Value)>>>);

impl Received {
    pub fn on(&self, path: &str) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

pub struct Receiver {
    pub got: Received,
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(port: u16) -> Self {
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

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `check` until it answers `Some`, failing with `what` after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
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

pub fn invalid_user(ip: &str) -> String {
    format!("Dec  1 11:00:01 bastion sshd[7]: Invalid user admin from {ip} port 5000")
}

/// Stores syslog lines.
pub async fn submit(db: &TestDb, lines: &[String]) {
    submit_as(db, ParserKind::Syslog, lines).await
}

/// Stores lines read by `parser`.
pub async fn submit_as(db: &TestDb, parser: ParserKind, lines: &[String]) {
    let source = db
        .state
        .service()
        .ingest()
        .source("notify-test", "test", json!({}))
        .await
        .unwrap();
    let lines = lines
        .iter()
        .map(|l| RawLine::new(l.clone().into_bytes(), Utc::now()))
        .collect();
    db.state
        .service()
        .ingest()
        .submit_and_wait(Submission::new(source, parser, lines))
        .await
        .unwrap();
}

pub async fn alert_for(db: &DatabaseConnection, ip: &str) -> Option<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::DedupKey.eq(format!("source_ip={ip}")))
        .one(db)
        .await
        .unwrap()
}

/// Sends the invalid-user line of `ip` until its alert exists (the engine reads new rules at
/// most once a second), answering the alert.
pub async fn raise(db: &TestDb, ip: &str) -> alert::Model {
    for _ in 0..120 {
        submit(db, &[invalid_user(ip)]).await;
        if let Some(a) = alert_for(db.state.service().db(), ip).await {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no alert for {ip}");
}

pub async fn create_channel(db: &TestDb, admin: &str, body: Value) -> i64 {
    let (status, created) = db.json("POST", "/api/v1/channels", admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

/// A `high` match rule on invalid SSH users, one alert per source address, notifying `channels`.
pub async fn create_rule(db: &TestDb, admin: &str, channels: Value) -> Value {
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

pub async fn outbox(db: &DatabaseConnection) -> Vec<notification_outbox::Model> {
    notification_outbox::Entity::find()
        .order_by_asc(notification_outbox::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// aiosmtpd (from `VIGIL_TEST_AIOSMTPD`, a Python with aiosmtpd installed; `make test` sets
/// it) on 127.0.0.1, storing what it receives in a maildir.
pub struct Smtpd {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl Smtpd {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// With more aiosmtpd options (certificates for STARTTLS or implicit TLS).
    pub async fn start_with(options: &[&std::ffi::OsStr]) -> Self {
        let python = std::env::var("VIGIL_TEST_AIOSMTPD").unwrap_or_else(|_| "python3".into());
        let maildir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(options)
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
    pub fn messages(&self) -> Vec<String> {
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
pub fn header(message: &str, name: &str) -> Option<String> {
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

/// A self-signed certificate for `localhost` and 127.0.0.1, made with the `openssl` command:
/// (certificate, key) paths inside `dir`.
pub fn self_signed(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command");
    assert!(status.success(), "openssl made no certificate");
    (cert, key)
}
