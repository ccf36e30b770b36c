//! Dashboard and search benchmark (`make bench`): 10,000,000 generated events
//! (`VIGIL_BENCH_EVENTS` changes the number) stored in SQLite, and in MariaDB when
//! `VIGIL_BENCH_MYSQL_URL` names a server whose user may create `vigil_test*` databases; then
//! p50 and p95 of typical filtered searches (`GET /api/v1/logs`' use case: first page of 50) and
//! of the dashboard's aggregations for each preset range, through the service port as the server
//! functions call it.
//!
//! The events are built directly (no parsing: hosts, levels, actions, outcomes, addresses and
//! messages drawn from small vocabularies, spread over the last seven days) and stored with the
//! writer's own statements, events and rollups in one transaction per 5,000 rows.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};

use app::model::auth::{Credential, CurrentUser, Permission};
use app::model::dashboard::{DashboardRange, DashboardService};
use app::model::events::EventQuery;
use app::model::events::EventsService;
use server::config::Config;
use server::ingest::row::insert_statements;
use server::ingest::{EventRow, rollup};
use server::parse::ParsedEvent;

const BATCH: usize = 5_000;
/// How many times each query runs (after one warm-up run).
const RUNS: usize = 20;

fn main() -> anyhow::Result<()> {
    let events: usize = std::env::var("VIGIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("vigil.db").display()
        );
        run("SQLite", &url, dir.path(), events).await?;
        if let Ok(admin_url) = std::env::var("VIGIL_BENCH_MYSQL_URL") {
            let admin = Database::connect(&admin_url).await?;
            let name = format!("vigil_test_dashboard_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                .await?;
            let result = run(
                "MariaDB",
                &format!("{admin_url}/{name}"),
                dir.path(),
                events,
            )
            .await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
            result?;
        }
        Ok(())
    })
}

fn reader() -> CurrentUser {
    CurrentUser {
        id: 1,
        username: "bench".into(),
        display_name: None,
        roles: vec!["analyst".into()],
        permissions: vec![Permission::EventsRead, Permission::AlertsRead],
        credential: Credential::Session {
            session: "bench".into(),
        },
        source_ip: None,
    }
}

async fn run(backend: &str, url: &str, dir: &std::path::Path, events: usize) -> anyhow::Result<()> {
    let config = Config::for_database(url, dir);
    let db = server::store::connect(&config).await?;
    server::store::migrate(&db).await?;
    let now = Utc::now();
    let started = Instant::now();
    store_events(&db, events, now).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{backend}: stored {events} events with their rollups in {secs:.0} s ({:.0} events/s)",
        events as f64 / secs
    );
    let state = server::build_state(config).await?;
    let service = state.service();
    let user = reader();
    let day_ago = (now - TimeDelta::hours(24)).to_rfc3339();
    let searches: [(&str, EventQuery); 5] = [
        (
            "failed logins, 24 h",
            EventQuery {
                q: Some("event_action:ssh_login AND event_outcome:failure".into()),
                from: Some(day_ago.clone()),
                ..Default::default()
            },
        ),
        (
            "one host, 24 h",
            EventQuery {
                q: Some("host:web-07".into()),
                from: Some(day_ago.clone()),
                ..Default::default()
            },
        ),
        (
            "address block, 24 h",
            EventQuery {
                q: Some("source_ip:10.0.0.0/8".into()),
                from: Some(day_ago.clone()),
                ..Default::default()
            },
        ),
        (
            "errors of one host, all time",
            EventQuery {
                q: Some("level:error AND host:db-03".into()),
                ..Default::default()
            },
        ),
        (
            "a word in the message, 24 h",
            EventQuery {
                q: Some("timeout".into()),
                from: Some(day_ago.clone()),
                ..Default::default()
            },
        ),
    ];
    for (name, query) in searches {
        let query = EventQuery {
            limit: Some(50),
            ..query
        };
        let times = time(|| async {
            let page = service.search_events(&user, query.clone()).await;
            assert!(page.is_ok(), "{name}: {page:?}");
        })
        .await;
        report(backend, &format!("search: {name}"), &times);
    }
    for range in ["15m", "1h", "24h", "7d"] {
        let range = DashboardRange {
            range: range.into(),
            ..Default::default()
        };
        let total = std::cell::Cell::new(0u64);
        let times = time(|| async {
            // As of when the generated week ends: storing takes minutes, and a 15 minute range
            // ending at the clock would be empty.
            let d = service.dashboard(&user, range.clone(), now).await.unwrap();
            total.set(d.events_total);
        })
        .await;
        report(
            backend,
            &format!("dashboard {} ({} events)", range.range, total.get()),
            &times,
        );
    }
    Ok(())
}

/// Runs `f` once to warm up, then [`RUNS`] times, answering each run's duration.
async fn time<F, Fut>(mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await;
    let mut out = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        f().await;
        out.push(started.elapsed());
    }
    out.sort();
    out
}

fn report(backend: &str, name: &str, sorted: &[Duration]) {
    let at =
        |p: f64| sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1];
    println!(
        "{backend}: {name}: p50 {:.1} ms, p95 {:.1} ms",
        at(0.50).as_secs_f64() * 1000.0,
        at(0.95).as_secs_f64() * 1000.0
    );
}

/// Generates and stores `events` events over the seven days before `now`, oldest first.
async fn store_events(
    db: &DatabaseConnection,
    events: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    const LEVELS: [&str; 5] = ["info", "info", "notice", "warning", "error"];
    const ACTIONS: [&str; 6] = [
        "ssh_login",
        "http_request",
        "http_request",
        "process_start",
        "dns_query",
        "firewall_drop",
    ];
    const WORDS: [&str; 6] = [
        "request served",
        "connection timeout",
        "user logged in",
        "cache miss",
        "disk almost full",
        "retrying",
    ];
    let source: std::sync::Arc<str> = "bench".into();
    let span = 7 * 24 * 3600 * 1000i64;
    let mut seed: u64 = 0x5eed;
    // splitmix64: all 64 bits of each draw vary (the fields below read bits up to 52).
    let mut next = move || {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as usize
    };
    let mut rows: Vec<EventRow> = Vec::with_capacity(BATCH);
    let mut first_id = server::ingest::ids::reserve(db, events).await?;
    for i in 0..events {
        let r = next();
        let t = now - TimeDelta::milliseconds(span - span * i as i64 / events as i64);
        let mut ev = ParsedEvent::raw(WORDS[r % WORDS.len()]);
        ev.timestamp = Some(t);
        ev.host = Some(match r % 3 {
            0 => format!("web-{:02}", (r >> 4) % 20),
            1 => format!("db-{:02}", (r >> 4) % 5),
            _ => format!("app-{:02}", (r >> 4) % 40),
        });
        ev.level = Some(LEVELS[(r >> 8) % LEVELS.len()].into());
        let action = ACTIONS[(r >> 12) % ACTIONS.len()];
        ev.event_action = Some(action.into());
        if action == "ssh_login" {
            ev.event_category = Some("authentication".into());
            ev.event_outcome = Some(
                if (r >> 16) % 4 == 0 {
                    "success"
                } else {
                    "failure"
                }
                .into(),
            );
        }
        ev.source_ip = Some(match (r >> 18) % 4 {
            0 => format!(
                "10.{}.{}.{}",
                (r >> 20) % 256,
                (r >> 28) % 256,
                1 + (r >> 36) % 254
            ),
            1 => format!("198.51.100.{}", 1 + (r >> 20) % 50),
            _ => format!(
                "{}.{}.{}.{}",
                11 + (r >> 20) % 200,
                (r >> 28) % 256,
                (r >> 36) % 256,
                1 + (r >> 44) % 254
            ),
        });
        let raw = format!("{} {}", ev.host.as_deref().unwrap_or(""), ev.message);
        rows.push(EventRow::new(ev, raw, t, source.clone()));
        if rows.len() == BATCH || i + 1 == events {
            let txn = db.begin().await?;
            for stmt in insert_statements(db.get_database_backend(), &rows, first_id) {
                txn.execute_raw(stmt).await?;
            }
            rollup::add(&txn, &rows).await?;
            txn.commit().await?;
            first_id += rows.len() as i64;
            rows.clear();
        }
    }
    Ok(())
}
