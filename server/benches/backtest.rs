//! Backtest benchmark (`make bench`): the built-in SSH brute-force rule backtested over
//! 1,000,000 stored events (`VIGIL_BENCH_LINES` changes the number) in SQLite, and in MariaDB
//! when `VIGIL_BENCH_MYSQL_URL` names a server whose user may create `vigil_test*` databases.
//!
//! The events are generated lines (sshd failures of a few persistent attackers, one-off failures
//! from many addresses, accepted logins, Apache access lines, JSON), parsed by Vigil's parsers
//! and stored with the writer's own insert statements; only the backtest is timed.

use std::time::Instant;

use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use server::config::Config;
use server::detect::backtest::{self, Progress};
use server::detect::{Engine, Settings};
use server::store::{bronze_event_data, rule};

mod common;

use common::{peak_rss_mib, store_events};

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
