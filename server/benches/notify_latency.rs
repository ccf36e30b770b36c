//! Notification latency (`make bench`): lines appended one by one to a file in the watched
//! directory of a real `vigil serve`, each raising an alert of its own, timed from the append
//! to the webhook's arrival at a local HTTP receiver; p50, p99 and max over 1,000 alerts, on
//! SQLite and on MariaDB, with the default batching settings.
//!
//! Environment: `VIGIL_BENCH_ALERTS` (default 1000), `VIGIL_BENCH_MYSQL_URL` (a server URL
//! without database whose user may create databases named `vigil_test*`; default: the test
//! user `make mariadb` creates), `VIGIL_BENCH_BACKENDS` (`sqlite,mariadb`).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, Set};
use serde_json::{Value, json};

use server::store::{notification_channel, rule, rule_channel};

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let alerts: usize = std::env::var("VIGIL_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let backends =
        std::env::var("VIGIL_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,mariadb".into());
    for backend in backends.split(',').map(str::trim) {
        let work = tempfile::tempdir()?;
        match backend {
            "sqlite" => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    work.path().join("vigil.db").display()
                );
                measure("sqlite", &url, work.path(), alerts).await?;
            }
            "mariadb" => {
                let admin = std::env::var("VIGIL_BENCH_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into());
                let conn = Database::connect(&admin).await?;
                let name = format!("vigil_test_notify_bench_{}", std::process::id());
                conn.execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                    .await?;
                let result =
                    measure("mariadb", &format!("{admin}/{name}"), work.path(), alerts).await;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await?;
                result?;
            }
            other => anyhow::bail!("unknown backend {other}"),
        }
    }
    Ok(())
}

fn line(ip: &str) -> String {
    format!("Dec  1 11:00:01 bastion sshd[7]: Invalid user admin from {ip} port 5000\n")
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &Path, database_url: &str, http: u16) -> std::io::Result<Child> {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("serve")
        .env("VIGIL_LISTEN", format!("127.0.0.1:{http}"))
        .env("VIGIL_DATA_DIR", dir)
        .env("VIGIL_DATABASE_URL", database_url)
        .env("VIGIL_SITE_ROOT", dir.join("site"))
        .env("VIGIL_ADMIN_PASSWORD", "notify bench admin passphrase")
        .env("VIGIL_SYSLOG_UDP", "off")
        .env("VIGIL_SYSLOG_TCP", "off")
        .env("VIGIL_WATCH_PATTERNS", "*.log")
        .env("VIGIL_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

async fn measure(label: &str, url: &str, dir: &Path, alerts: usize) -> anyhow::Result<()> {
    let arrivals: Arrivals = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State(arrivals): State<Arrivals>, axum::Json(body): axum::Json<Value>| async move {
                    let at = Instant::now();
                    if let Some(ip) = body["alert"]["group_fields"]["source_ip"].as_str() {
                        arrivals.lock().unwrap().entry(ip.to_string()).or_insert(at);
                    }
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(arrivals.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let http = free_port();
    let mut child = spawn(dir, url, http)?;
    // Once vigil answers HTTP it has finished starting; writing to its database before that
    // could make its start-up fail on SQLite.
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        anyhow::ensure!(child.try_wait()?.is_none(), "vigil exited at start");
        anyhow::ensure!(Instant::now() < deadline, "vigil did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let db = Database::connect(url).await?;
    let now = Utc::now();
    let channel = notification_channel::ActiveModel {
        name: Set("bench".into()),
        kind: Set("webhook".into()),
        config: Set(json!({ "url": format!("http://127.0.0.1:{port}/hook") })),
        enabled: Set(true),
        rate_per_minute: Set(10_000),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await?;
    let rule = rule::ActiveModel {
        name: Set("invalid ssh user".into()),
        kind: Set("match".into()),
        severity: Set("high".into()),
        definition: Set(json!({
            "query": "event_action:ssh_invalid_user", "group_by": ["source_ip"]
        })),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await?;
    rule_channel::ActiveModel {
        rule_id: Set(rule.id),
        channel_id: Set(channel.id),
        min_severity: Set("low".into()),
    }
    .insert(&db)
    .await?;

    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let file = inbox.join("auth.log");
    // Until the rule is loaded and the path is warm: one alert through end to end.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !arrivals.lock().unwrap().contains_key("192.0.2.1") {
        append(&file, &line("192.0.2.1"))?;
        anyhow::ensure!(Instant::now() < deadline, "the warm-up alert never arrived");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let mut sent: Vec<(String, Instant)> = Vec::with_capacity(alerts);
    let started = Instant::now();
    for i in 0..alerts {
        let ip = format!("10.{}.{}.{}", i / 62_500, i / 250 % 250, i % 250 + 1);
        append(&file, &line(&ip))?;
        sent.push((ip, Instant::now()));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let appended = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let n = {
            let a = arrivals.lock().unwrap();
            sent.iter().filter(|(ip, _)| a.contains_key(ip)).count()
        };
        if n == alerts {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{label}: only {n} of {alerts} webhooks arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let a = arrivals.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .map(|(ip, at)| a[ip].saturating_duration_since(*at))
        .collect();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "{label}: {alerts} alerts appended over {:.1} s; append → webhook: p50 {} ms, p99 {} ms, max {} ms",
        appended.as_secs_f64(),
        pct(0.50).as_millis(),
        pct(0.99).as_millis(),
        latencies.last().unwrap().as_millis()
    );
    let _ = child.kill();
    let _ = child.wait();
    server.abort();
    Ok(())
}
