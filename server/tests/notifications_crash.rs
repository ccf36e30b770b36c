//! `kill -9` of a real `vigil serve` between an alert's commit and its notification's delivery
//! (the receiver is down while the alert commits): after the restart the message is delivered,
//! exactly once, on SQLite and on MariaDB.

use crate::common;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Database, EntityTrait, QueryFilter, Set};
use serde_json::json;

use common::notify::{PUBLIC_URL, Receiver, eventually, invalid_user, outbox};
use common::process::{ScratchMariaDb, assert_running, free_port, http_get, kill9, vigil_serve};
use server::store::{alert, notification_channel, rule, rule_channel};

/// Starts `vigil serve`; answers the process and its HTTP port.
fn spawn_vigil(dir: &Path, database_url: &str) -> (Child, u16) {
    let http = free_port();
    let child = vigil_serve(dir, database_url, http)
        .env("VIGIL_WATCH_PATTERNS", "*.log")
        .env("VIGIL_WATCH_IDLE_FLUSH_MS", "200")
        .env("VIGIL_INGEST_FLUSH_MS", "20")
        .env("VIGIL_PUBLIC_URL", PUBLIC_URL)
        .env("VIGIL_NOTIFY_RETRY_BASE_MS", "100")
        .env("VIGIL_NOTIFY_RETRY_CAP_MS", "500")
        .env("VIGIL_NOTIFY_TIMEOUT_SECS", "2")
        .env("VIGIL_NOTIFY_POLL_MS", "200")
        .spawn()
        .unwrap();
    (child, http)
}

async fn killed_between_commit_and_delivery_delivers_once(database_url: &str, dir: &Path) {
    let port = free_port();
    let (mut child, http) = spawn_vigil(dir, database_url);
    // Once vigil listens it has finished starting (migrations, built-in rules, the first
    // admin): writing to its database before that could make its start-up fail on SQLite.
    eventually(60, "vigil listening", || {
        assert_running(&mut child, dir);
        let up = http_get(http, "/healthz").is_some_and(|(status, _)| status == 200);
        async move { up.then_some(()) }
    })
    .await;
    let db = Database::connect(database_url).await.unwrap();

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
        assert_running(&mut child, dir);
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
    assert_running(&mut child, dir);
    assert_eq!(failing.status, "pending");
    assert_eq!(failing.alert_id, alert.id);
    kill9(&mut child);

    let receiver = Receiver::start(port).await;
    let (mut child, _) = spawn_vigil(dir, database_url);
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
    let db = ScratchMariaDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    killed_between_commit_and_delivery_delivers_once(&db.url(), dir.path()).await;
    db.drop().await;
}
