//! Backtest benchmark (`make bench`): the built-in SSH brute-force rule backtested over
//! 1,000,000 stored events (`VIGIL_BENCH_LINES` changes the number) in SQLite, and in MariaDB
//! when `VIGIL_BENCH_MYSQL_URL` names a server whose user may create `vigil_test*` databases.
//!
//! The events are generated lines (sshd failures of a few persistent attackers, one-off failures
//! from many addresses, accepted logins, Apache access lines, JSON), parsed by Vigil's parsers
//! and stored with the writer's own insert statements; only the backtest is timed.

use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use server::config::Config;
use server::detect::backtest::{self, Progress};
use server::detect::{Engine, Settings};
use server::ingest::EventRow;
use server::ingest::row::insert_statements;
use server::parse::{ParseContext, ParserKind, parse_bytes};
use server::store::{bronze_event_data, rule};

fn main() -> anyhow::Result<()> {
    let lines: usize = std::env::var("VIGIL_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("vigil.db").display()
        );
        run("SQLite", &url, dir.path(), lines).await?;
        if let Ok(admin_url) = std::env::var("VIGIL_BENCH_MYSQL_URL") {
            let admin = Database::connect(&admin_url).await?;
            let name = format!("vigil_test_backtest_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                .await?;
            let result = run("MariaDB", &format!("{admin_url}/{name}"), dir.path(), lines).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
            result?;
        }
        Ok(())
    })
}

async fn run(backend: &str, url: &str, dir: &std::path::Path, lines: usize) -> anyhow::Result<()> {
    let config = Config::for_database(url, dir);
    let db = server::store::connect(&config).await?;
    server::store::migrate(&db).await?;
    let started = Instant::now();
    let (from, to) = store_events(&db, lines).await?;
    println!(
        "{backend}: stored {lines} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    server::detect::builtin::seed(&db).await?;
    let brute = rule::Entity::find()
        .filter(rule::Column::BuiltinKey.eq("ssh_brute_force"))
        .one(&db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no SSH brute-force rule"))?;
    let engine = Engine::for_rule(Settings::default(), &brute)?;
    let progress = Progress::default();
    let started = Instant::now();
    let outcome = backtest::run(&db, engine, from, to, &progress).await?;
    let secs = started.elapsed().as_secs_f64();
    let scanned = progress.scanned.load(std::sync::atomic::Ordering::Relaxed);
    let events: u64 = outcome.alerts.iter().map(|a| a.op.count).sum();
    println!(
        "{backend}: backtest of `{}` over {scanned} events: {secs:.2} s ({:.0} events/s), {} alerts \
         ({events} matching events), peak RSS {:.0} MiB",
        brute.name,
        scanned as f64 / secs,
        outcome.alerts.len(),
        peak_rss_mib()
    );
    // The same pages read alone, without evaluation: what the database and driver cost.
    let started = Instant::now();
    let (mut after, mut read) = (i64::MIN, 0usize);
    loop {
        let page = bronze_event_data::Entity::find()
            .filter(bronze_event_data::Column::Timestamp.gte(from))
            .filter(bronze_event_data::Column::Timestamp.lt(to))
            .filter(bronze_event_data::Column::Id.gt(after))
            .order_by_asc(bronze_event_data::Column::Id)
            .limit(backtest::PAGE)
            .all(&db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        read += page.len();
    }
    println!(
        "{backend}: reading the {read} events alone, in the same pages: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Generates, parses and stores `lines` events; answers the range of their timestamps.
async fn store_events(
    db: &DatabaseConnection,
    lines: usize,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let received: DateTime<Utc> = "2026-11-22T00:00:00Z".parse()?;
    let ctx = ParseContext::new(received);
    let source: std::sync::Arc<str> = "bench".into();
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let (mut from, mut to) = (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    let mut rows: Vec<EventRow> = Vec::with_capacity(5_000);
    let mut first_id = 1i64;
    for i in 0..lines {
        let r = next();
        let ip = format!(
            "{}.{}.{}.{}",
            1 + r % 223,
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 254
        );
        // One event a second, over about eleven days for a million.
        let t = received - chrono::TimeDelta::seconds((lines - i) as i64);
        let stamp = t.format("%b %e %H:%M:%S");
        let line = match i % 8 {
            // A few attackers, each at it for a while: these fire the rule.
            0 => format!(
                "{stamp} bastion sshd[{}]: Failed password for root from 198.51.100.{} port {} ssh2",
                1000 + r % 30000,
                1 + (i / 640) % 50,
                1024 + r % 60000
            ),
            // One-off failures from anywhere: many keys that never fire.
            1 => format!(
                "{stamp} bastion sshd[{}]: Failed password for invalid user admin from {ip} port {} ssh2",
                1000 + r % 30000,
                1024 + r % 60000
            ),
            2 => format!(
                "{stamp} bastion sshd[{}]: Accepted publickey for deploy from {ip} port {} ssh2",
                1000 + r % 30000,
                1024 + r % 60000
            ),
            3..=5 => format!(
                "{ip} - - [{}] \"GET /index.html HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0\"",
                t.format("%d/%b/%Y:%H:%M:%S +0000"),
                [200, 200, 301, 404, 500][r % 5],
                r % 50000
            ),
            _ => format!(
                "{{\"timestamp\":\"{}\",\"source_ip\":\"{ip}\",\"action\":\"login\",\"status\":\"failure\"}}",
                t.to_rfc3339()
            ),
        };
        let parsed = parse_bytes(ParserKind::Auto, line.as_bytes(), &ctx);
        let row = EventRow::new(parsed, line, received, source.clone());
        from = from.min(row.timestamp);
        to = to.max(row.timestamp);
        rows.push(row);
        if rows.len() == 5_000 || i + 1 == lines {
            for stmt in insert_statements(db.get_database_backend(), &rows, first_id) {
                db.execute_raw(stmt).await?;
            }
            first_id += rows.len() as i64;
            rows.clear();
        }
    }
    Ok((from, to + chrono::TimeDelta::seconds(1)))
}

/// Peak resident set size of this process, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
