//! `kill -9` at arbitrary moments while `vigil serve` ingests a large file, then restarts: every
//! line is stored exactly once, on SQLite and on MariaDB, and the per-minute rollups always
//! count exactly the stored events.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use common::process::{ScratchMariaDb, free_port, kill9, vigil_serve, watch_counts};

fn spawn(dir: &Path, database_url: &str) -> Child {
    vigil_serve(dir, database_url, free_port())
        .env("VIGIL_WATCH_PATTERNS", "*.log")
        .env("VIGIL_WATCH_IDLE_FLUSH_MS", "200")
        // Small batches: many commits, so a kill lands between some of them.
        .env("VIGIL_INGEST_BATCH_SIZE", "500")
        .env("VIGIL_INGEST_FLUSH_MS", "20")
        .spawn()
        .unwrap()
}

fn line(i: usize) -> String {
    format!(
        "Mar  3 04:{:02}:{:02} bastion sshd[{}]: Failed password for invalid user u{i} from 192.0.2.{} port {} ssh2\n",
        i / 60 % 60,
        i % 60,
        1000 + i % 5000,
        i % 250 + 1,
        1024 + i % 60000
    )
}

fn append(path: &Path, range: std::ops::Range<usize>, terminated: bool) {
    let mut text: String = range.map(line).collect();
    if !terminated {
        text.pop();
    }
    common::append(path, &text);
}

async fn wait_for(db: &DatabaseConnection, at_least: i64, child: &mut Child) -> (i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c = watch_counts(db).await;
        if c.0 >= at_least {
            return c;
        }
        assert!(child.try_wait().unwrap().is_none(), "vigil exited early");
        assert!(
            Instant::now() < deadline,
            "stuck at {c:?}, waiting for {at_least}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn killed_and_restarted_stores_every_line_once(database_url: &str, dir: &Path) {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let file = inbox.join("auth.log");
    const TOTAL: usize = 60_000;
    append(&file, 0..40_000, true);

    let mut child = spawn(dir, database_url);
    // Vigil creates the schema; wait until it answers queries.
    let deadline = Instant::now() + Duration::from_secs(60);
    let db = loop {
        if let Ok(db) = Database::connect(database_url).await
            && db
                .execute_unprepared("SELECT 1 FROM bronze_event_data LIMIT 1")
                .await
                .is_ok()
        {
            break db;
        }
        assert!(Instant::now() < deadline, "no schema");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Kill mid-file three times, appending between runs (the last append ends without a
    // newline), then let the last run finish.
    let mut stored = Vec::new();
    for (round, kill_at) in [1_000i64, 15_000, 30_000].into_iter().enumerate() {
        let seen = wait_for(&db, kill_at, &mut child).await;
        kill9(&mut child);
        let after = watch_counts(&db).await;
        assert!(
            after.0 < TOTAL as i64,
            "round {round}: killed after everything was stored ({after:?}): not mid-file"
        );
        assert_eq!(
            after.0, after.1,
            "round {round}: duplicates after kill: {after:?}"
        );
        // The rollups committed with the events: they count exactly what was stored.
        common::rollups::assert_match(&db, &format!("round {round}")).await;
        stored.push((seen, after));
        match round {
            0 => append(&file, 40_000..50_000, true),
            1 => append(&file, 50_000..TOTAL, false),
            _ => {}
        }
        child = spawn(dir, database_url);
    }
    let done = wait_for(&db, TOTAL as i64, &mut child).await;
    // Give a duplicate time to appear, if one were coming.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let end = watch_counts(&db).await;
    kill9(&mut child);
    assert_eq!(end, (TOTAL as i64, TOTAL as i64), "{stored:?} {done:?}");
    common::rollups::assert_match(&db, "after the last run").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("vigil.db").display()
    );
    killed_and_restarted_stores_every_line_once(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_kill_9_loses_and_duplicates_nothing() {
    let db = ScratchMariaDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    killed_and_restarted_stores_every_line_once(&db.url(), dir.path()).await;
    db.drop().await;
}
