//! `kill -9` of a real `vigil serve` while it generates a report: after the restart the report
//! is `failed` with a reason saying it was interrupted, never left `running`, its partial file
//! is gone, and the worker goes on to generate the next one; on SQLite and on MariaDB.

use crate::common;

use std::path::Path;
use std::process::Child;

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, Database, EntityTrait, Set};
use serde_json::json;

use common::notify::eventually;
use common::process::{ScratchMariaDb, assert_running, free_port, http_get, kill9, vigil_serve};
use server::store::{bronze_event_data, report, user};

/// Events stored before the report starts; read one a page, they take a while.
const EVENTS: usize = 20_000;

fn spawn_vigil(dir: &Path, database_url: &str) -> (Child, u16) {
    let http = free_port();
    let child = vigil_serve(dir, database_url, http)
        // One row a page: the report runs long enough to be cut off mid-way.
        .env("VIGIL_REPORT_PAGE_ROWS", "1")
        .spawn()
        .unwrap();
    (child, http)
}

async fn wait_listening(child: &mut Child, http: u16, dir: &Path) {
    eventually(120, "vigil listening", || {
        assert_running(child, dir);
        let up = http_get(http, "/healthz").is_some_and(|(status, _)| status == 200);
        async move { up.then_some(()) }
    })
    .await;
}

async fn queue(db: &sea_orm::DatabaseConnection, owner: i32, from: chrono::DateTime<Utc>) -> i64 {
    report::ActiveModel {
        name: Set("all events".into()),
        kind: Set("events".into()),
        format: Set("csv".into()),
        status: Set("queued".into()),
        parameters: Set(json!({
            "from": from.to_rfc3339(),
            "to": (Utc::now() + Duration::hours(1)).to_rfc3339(),
            "filters": {}
        })),
        owner_id: Set(Some(owner)),
        created_at: Set(Utc::now()),
        progress: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn killed_mid_report_is_failed_at_the_next_start(database_url: &str, dir: &Path) {
    let (mut child, http) = spawn_vigil(dir, database_url);
    wait_listening(&mut child, http, dir).await;
    let db = Database::connect(database_url).await.unwrap();
    let admin = user::Entity::find().one(&db).await.unwrap().unwrap();
    let start = Utc::now() - Duration::hours(1);
    let first = server::ingest::ids::reserve(&db, EVENTS).await.unwrap();
    let rows: Vec<bronze_event_data::ActiveModel> = (0..EVENTS)
        .map(|i| bronze_event_data::ActiveModel {
            id: Set(first + i as i64),
            timestamp: Set(start + Duration::milliseconds(i as i64)),
            received_at: Set(start),
            message: Set(format!("event {i}")),
            raw: Set(format!("event {i}")),
            parser: Set("json".into()),
            source: Set("test".into()),
            flags: Set(0),
            repeat_count: Set(1),
            fields: Set(json!({})),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(1000) {
        bronze_event_data::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let id = queue(&db, admin.id, start - Duration::minutes(1)).await;
    let running = eventually(120, "the report running with some progress", || {
        assert_running(&mut child, dir);
        let db = &db;
        async move {
            let r = report::Entity::find_by_id(id)
                .one(db)
                .await
                .unwrap()
                .unwrap();
            assert_ne!(
                r.status, "done",
                "the report finished before it could be cut off"
            );
            (r.status == "running" && r.progress > 0).then_some(r)
        }
    })
    .await;
    kill9(&mut child);
    let after_kill = report::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_kill.status, "running", "killed mid-run");
    assert!(running.progress < 100);
    let partial = dir.join("reports").join(format!("{id}.csv.part"));
    assert!(partial.is_file(), "a partial file was being written");

    let (mut child, http) = spawn_vigil(dir, database_url);
    wait_listening(&mut child, http, dir).await;
    let failed = report::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, "failed");
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("interrupted"),
        "{:?}",
        failed.error
    );
    assert!(failed.finished_at.is_some());
    assert!(!partial.exists(), "the partial file is removed");

    // The worker carries on: a small report queued now is generated.
    let small = queue(&db, admin.id, Utc::now() - Duration::minutes(1)).await;
    let done = eventually(120, "the next report done", || {
        let db = &db;
        async move {
            let r = report::Entity::find_by_id(small)
                .one(db)
                .await
                .unwrap()
                .unwrap();
            (r.status == "done").then_some(r)
        }
    })
    .await;
    assert!(dir.join("reports").join(done.file_path.unwrap()).is_file());
    kill9(&mut child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_mid_report_is_failed_not_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("vigil.db").display()
    );
    killed_mid_report_is_failed_at_the_next_start(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_kill_9_mid_report_is_failed_not_left_running() {
    let db = ScratchMariaDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    killed_mid_report_is_failed_at_the_next_start(&db.url(), dir.path()).await;
    db.drop().await;
}
