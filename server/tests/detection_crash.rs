//! `kill -9` of a real `vigil serve` in the middle of a brute-force burst, three times, with a
//! restart after each: the built-in SSH brute-force rule raises each expected alert exactly
//! once, with the count the whole burst gives (computed from the lines, not the engine), on
//! SQLite and on MariaDB. Events, alerts, detector state and the file checkpoint share one
//! transaction, so no restart can lose or repeat a count.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use common::process::{ScratchMariaDb, free_port, kill9, vigil_serve, watch_counts};

/// 40,000 failures, one a second, from 50 addresses in turn: each address fails every 50 s.
const TOTAL: usize = 40_000;
const ADDRESSES: usize = 50;

fn spawn(dir: &Path, database_url: &str) -> Child {
    vigil_serve(dir, database_url, free_port())
        .env("VIGIL_WATCH_PATTERNS", "*.log")
        .env("VIGIL_WATCH_IDLE_FLUSH_MS", "200")
        .env("VIGIL_INGEST_BATCH_SIZE", "500")
        .env("VIGIL_INGEST_FLUSH_MS", "20")
        .spawn()
        .unwrap()
}

fn line(i: usize) -> String {
    format!(
        "Mar  3 {:02}:{:02}:{:02} bastion sshd[{}]: Failed password for root from 198.51.100.{} port {} ssh2\n",
        i / 3600,
        i / 60 % 60,
        i % 60,
        1000 + i % 5000,
        i % ADDRESSES + 1,
        1024 + i % 60000
    )
}

/// The failures as the rule sees them: (time, address, weight 1). The year does not matter.
fn failures() -> Vec<(DateTime<Utc>, String, u64)> {
    (0..TOTAL)
        .map(|i| {
            let l = line(i);
            let stamp = format!("2026 {}", &l[..15]);
            let t = NaiveDateTime::parse_from_str(&stamp, "%Y %b %e %H:%M:%S").unwrap();
            let ip = l.split(" from ").nth(1).unwrap().split(' ').next().unwrap();
            (Utc.from_utc_datetime(&t), ip.to_string(), 1)
        })
        .collect()
}

async fn wait_for(db: &DatabaseConnection, at_least: i64, child: &mut Child) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let c = watch_counts(db).await;
        if c.0 >= at_least {
            return c.0;
        }
        assert!(child.try_wait().unwrap().is_none(), "vigil exited early");
        assert!(
            Instant::now() < deadline,
            "stuck at {c:?}, waiting for {at_least}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The brute-force rule's alerts: (address, event count), by address.
async fn alerts(db: &DatabaseConnection) -> Vec<(String, u64)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT a.dedup_key, a.event_count FROM alerts a JOIN rules r ON r.id = a.rule_id \
             WHERE r.builtin_key = 'ssh_brute_force' ORDER BY a.dedup_key",
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            let key: String = r.try_get_by_index(0).unwrap();
            let n: i64 = r.try_get_by_index(1).unwrap();
            (key.trim_start_matches("source_ip=").to_string(), n as u64)
        })
        .collect()
}

async fn burst_over_kills_raises_each_alert_once(database_url: &str, dir: &Path) {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let file = inbox.join("auth.log");
    common::append(&file, &(0..TOTAL).map(line).collect::<String>());

    let mut child = spawn(dir, database_url);
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
    for kill_at in [3_000i64, 15_000, 27_000] {
        wait_for(&db, kill_at, &mut child).await;
        kill9(&mut child);
        let after = watch_counts(&db).await;
        assert!(
            after.0 < TOTAL as i64,
            "killed after the burst was stored: {after:?}"
        );
        child = spawn(dir, database_url);
    }
    wait_for(&db, TOTAL as i64, &mut child).await;
    // Let a late duplicate show, if one were coming.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let found = alerts(&db).await;
    let counts = watch_counts(&db).await;
    kill9(&mut child);
    assert_eq!(counts, (TOTAL as i64, TOTAL as i64), "every line once");

    let want: Vec<(String, u64)> = common::threshold::expected_alerts(&failures(), 300, 5)
        .into_iter()
        .map(|(ip, (_, n))| (ip, n))
        .collect();
    assert_eq!(want.len(), ADDRESSES);
    assert_eq!(found, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_mid_burst_raises_each_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("vigil.db").display()
    );
    burst_over_kills_raises_each_alert_once(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_kill_9_mid_burst_raises_each_alert_once() {
    let db = ScratchMariaDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    burst_over_kills_raises_each_alert_once(&db.url(), dir.path()).await;
    db.drop().await;
}
