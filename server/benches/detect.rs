//! Detection benchmarks (`make bench`), each in a child process of its own so its peak RSS is
//! its own:
//!
//! - **alone**: the built-in pack plus every staged SigmaHQ rule, evaluated by the engine on one
//!   core over a mixed stream of real corpus lines (parsed by the real parser, retimed to one
//!   event per millisecond so windows and watermarks move as in a live stream), in batches of
//!   1,000 applied as the writer applies them. Only `evaluate` and `apply` are timed.
//! - **keys**: 1,000,000 failed SSH logins from as many distinct addresses through the same
//!   rules: peak RSS and live keys, with the default cap (`detect_max_keys`) and with the cap
//!   raised to 1,000,000.
//! - **latency**: a real `vigil serve` on SQLite with its defaults; lines appended to a file in
//!   its watched directory (five failed SSH logins from a new address, which the built-in
//!   brute-force rule turns into an alert) until the alert is listed by `GET /api/v1/alerts`,
//!   polled every 10 ms, and until it arrives on the alert stream (`GET /api/v1/alerts/stream`):
//!   p50 and p99 over `VIGIL_BENCH_ALERTS` alerts (default 1,000).
//!
//! Environment: `VIGIL_BENCH_EVENTS` (default 1000000) for `alone` and `keys`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

mod common;

use common::{corpus, peak_rss_mib};
use server::config::Config;
use server::detect::{Engine, Settings};
use server::ingest::EventRow;
use server::parse::{ParseContext, ParserKind, parse_line, sanitize};
use server::store::rule;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        let phase = args[i + 1].clone();
        let arg = args.get(i + 2).cloned().unwrap_or_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(run_phase(&phase, &arg));
    }
    let me = std::env::current_exe()?;
    let phase = |name: &str, arg: &str| -> anyhow::Result<()> {
        let status = Command::new(&me).args(["--phase", name, arg]).status()?;
        anyhow::ensure!(status.success(), "phase {name} failed");
        Ok(())
    };
    phase("alone", "")?;
    phase("keys", "default")?;
    phase("keys", "1000000")?;
    phase("latency", "")?;
    Ok(())
}

async fn run_phase(phase: &str, arg: &str) -> anyhow::Result<()> {
    let events: usize = std::env::var("VIGIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    match phase {
        "alone" => alone(events).await,
        "keys" => {
            let cap = match arg {
                "default" => None,
                n => Some(n.parse()?),
            };
            keys(events, cap).await
        }
        "latency" => latency().await,
        other => anyhow::bail!("unknown phase {other}"),
    }
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

/// A SQLite database holding the built-in pack and every staged Sigma rule; returns it and
/// the number of rules.
async fn rules_db(dir: &Path) -> anyhow::Result<(DatabaseConnection, usize)> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("rules.db").display());
    let config = Config::for_database(&url, dir);
    let db = server::store::connect(&config).await?;
    server::store::migrate(&db).await?;
    let rules = common::load_rules(&db).await?;
    Ok((db, rules))
}

/// Every line of the vendored corpus's log files, parsed.
fn corpus_rows() -> Vec<EventRow> {
    let mut files = Vec::new();
    for dir in ["auth", "syslog", "web", "network"] {
        for e in std::fs::read_dir(corpus().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if !p.extension().is_some_and(|x| x == "csv" || x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut rows = Vec::new();
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let (text, bits) = sanitize(l);
            let ev = parse_line(ParserKind::Auto, &text, &ParseContext::new(base_time()));
            let mut row = EventRow::new(ev, text.into_owned(), base_time(), "bench".into());
            row.flags |= bits;
            rows.push(row);
        }
    }
    rows
}

const BATCH: usize = 1_000;

/// Feeds `next_batch(i)` batches through the engine as the writer does; returns the time spent
/// in `evaluate` and `apply`, and the alert operations produced.
fn drive(
    engine: &mut Engine,
    events: usize,
    mut next_batch: impl FnMut(usize, usize) -> Vec<EventRow>,
) -> (Duration, usize) {
    let mut spent = Duration::ZERO;
    let mut ops = 0;
    let mut done = 0;
    while done < events {
        let n = BATCH.min(events - done);
        let rows = next_batch(done, n);
        let started = Instant::now();
        let det = engine.evaluate(done as i64 + 1, &rows);
        ops += det.ops.len();
        engine.apply(det);
        spent += started.elapsed();
        done += n;
    }
    (spent, ops)
}

async fn alone(events: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (db, rules) = rules_db(dir.path()).await?;
    let mut engine = Engine::new(Settings::default());
    engine.refresh(&db).await?;
    let corpus = corpus_rows();
    let (spent, ops) = drive(&mut engine, events, |from, n| {
        (from..from + n)
            .map(|i| {
                let mut row = corpus[i % corpus.len()].clone();
                row.timestamp = base_time() + TimeDelta::milliseconds(i as i64);
                row
            })
            .collect()
    });
    let secs = spent.as_secs_f64();
    println!(
        "detection alone (1 core): {rules} rules, {events} events of {} corpus lines in {secs:.2} s: {:.0} events/s, {ops} alert operations, peak RSS {:.0} MiB",
        corpus.len(),
        events as f64 / secs,
        peak_rss_mib()
    );
    Ok(())
}

async fn keys(events: usize, cap: Option<usize>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (db, rules) = rules_db(dir.path()).await?;
    let mut settings = Settings::default();
    if let Some(cap) = cap {
        settings.max_keys_per_rule = cap;
    }
    let mut engine = Engine::new(settings);
    engine.refresh(&db).await?;
    let brute_force: i32 = rule::Entity::find_builtin(&db, "ssh_brute_force").await?;
    let before = peak_rss_mib();
    let (spent, ops) = drive(&mut engine, events, |from, n| {
        (from..from + n)
            .map(|i| {
                let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                let t = base_time() + TimeDelta::milliseconds(i as i64);
                let line = format!(
                    "{} bench sshd[4242]: Failed password for root from {ip} port 40000 ssh2",
                    t.format("%b %e %H:%M:%S")
                );
                let ev = parse_line(ParserKind::Auto, &line, &ParseContext::new(t));
                EventRow::new(ev, line, t, "bench".into())
            })
            .collect()
    });
    println!(
        "distinct keys: {events} failed logins from {events} addresses, {rules} rules, cap {}: brute-force rule holds {} live keys, {ops} alert operations, {:.0} events/s, peak RSS {:.0} MiB (before the stream {before:.0} MiB)",
        settings.max_keys_per_rule,
        engine.live_keys(brute_force),
        events as f64 / spent.as_secs_f64(),
        peak_rss_mib()
    );
    Ok(())
}

/// Looks a built-in rule's id up by its pack key.
trait FindBuiltin {
    async fn find_builtin(db: &DatabaseConnection, key: &str) -> anyhow::Result<i32>;
}

impl FindBuiltin for rule::Entity {
    async fn find_builtin(db: &DatabaseConnection, key: &str) -> anyhow::Result<i32> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let r = rule::Entity::find()
            .filter(rule::Column::BuiltinKey.eq(key))
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("built-in {key} not seeded"))?;
        Ok(r.id)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn latency() -> anyhow::Result<()> {
    let alerts: usize = std::env::var("VIGIL_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let port = free_port();
    let password = "latency bench admin passphrase";
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("serve")
            .env("VIGIL_LISTEN", format!("127.0.0.1:{port}"))
            .env("VIGIL_DATA_DIR", dir.path())
            .env("VIGIL_SITE_ROOT", dir.path().join("site"))
            .env("VIGIL_ADMIN_PASSWORD", password)
            .env("VIGIL_SYSLOG_UDP", "off")
            .env("VIGIL_SYSLOG_TCP", "off")
            .env("VIGIL_WATCH_PATTERNS", "*.log")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let token = loop {
        let answer = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .await;
        if let Ok(r) = answer
            && r.status().is_success()
        {
            let body: Value = r.json().await?;
            break body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        anyhow::ensure!(Instant::now() < deadline, "vigil serve did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The alert stream, read as a browser would: when each group key's alert first arrives.
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut stream = http
        .get(format!("{base}/api/v1/alerts/stream"))
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(stream.status().is_success(), "stream: {}", stream.status());
    let seen = arrived.clone();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            let now = Instant::now();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                if !block.lines().any(|l| l == "event: alert") {
                    continue;
                }
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if let Ok(alert) = serde_json::from_str::<Value>(&data)
                    && let Some(key) = alert["group_key"].as_str()
                {
                    seen.lock().unwrap().entry(key.to_string()).or_insert(now);
                }
            }
        }
    });
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(inbox.join("auth.log"))?;
    let mut samples = Vec::with_capacity(alerts);
    let mut streamed = Vec::with_capacity(alerts);
    for i in 0..alerts {
        let ip = format!("198.18.{}.{}", i / 250, i % 250 + 1);
        let now = Utc::now();
        let mut burst = String::new();
        for attempt in 0..5 {
            burst.push_str(&format!(
                "{} bench sshd[{}]: Failed password for root from {ip} port {} ssh2\n",
                now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                1000 + i,
                40000 + attempt
            ));
        }
        file.write_all(burst.as_bytes())?;
        file.flush()?;
        let written = Instant::now();
        let deadline = written + Duration::from_secs(30);
        loop {
            let list: Value = http
                .get(format!("{base}/api/v1/alerts"))
                .query(&[("group_key", format!("source_ip={ip}"))])
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            if list["items"].as_array().is_some_and(|a| !a.is_empty()) {
                samples.push(written.elapsed());
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "no alert for {ip} within 30 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let key = format!("source_ip={ip}");
        loop {
            if let Some(at) = arrived.lock().unwrap().get(&key) {
                streamed.push(at.duration_since(written));
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "no alert for {ip} within 30 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    for (what, samples) in [
        ("GET /api/v1/alerts, polled every 10 ms", &mut samples),
        ("the alert stream (SSE)", &mut streamed),
    ] {
        samples.sort();
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len());
            samples[i - 1].as_secs_f64() * 1000.0
        };
        println!(
            "line to alert (watched file to {what}, SQLite, defaults): {alerts} alerts: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            at(0.50),
            at(0.99),
            at(1.0)
        );
    }
    Ok(())
}
