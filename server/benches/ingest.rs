//! End-to-end ingest benchmark (`make bench`): a generated file of mixed lines (sshd, syslog,
//! Apache, JSON) goes through the watched directory into SQLite and into MariaDB; the parse
//! stage is timed alone on one core; and the same rows are bulk-loaded with the databases' own
//! tools (sqlite3 `.import`, MariaDB `LOAD DATA LOCAL INFILE`) to show the physical limit.
//!
//! Environment: `VIGIL_BENCH_LINES` (default 1000000) and `VIGIL_BENCH_MYSQL_URL`, a server URL
//! without database whose user may create databases named `vigil_test*` (default: the test
//! user `make mariadb` creates).
//! Each measurement runs in a child process of its own so its peak RSS is its own.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

mod common;

use common::peak_rss_mib;

use server::config::{Config, WatchConfig, WatchMode};
use server::ingest::IngestHandle;
use server::ingest::watch::Watch;
use server::parse::{ParseContext, ParserKind, parse_bytes};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        let phase = args[i + 1].clone();
        let file = PathBuf::from(&args[i + 2]);
        let target = args.get(i + 3).cloned().unwrap_or_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(run_phase(&phase, &file, &target));
    }
    // `cargo bench` passes `--bench`; anything else is ignored.
    let lines: usize = std::env::var("VIGIL_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let work = tempfile::tempdir()?;
    let file = work.path().join("mixed.log");
    let bytes = generate(&file, lines)?;
    println!(
        "generated {lines} mixed lines, {:.1} MiB, in {}",
        mib(bytes),
        file.display()
    );
    let mysql = std::env::var("VIGIL_BENCH_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into());
    let me = std::env::current_exe()?;
    let phase = |name: &str, target: &str| -> anyhow::Result<()> {
        let status = Command::new(&me)
            .args(["--phase", name, &file.display().to_string(), target])
            .status()?;
        anyhow::ensure!(status.success(), "phase {name} failed");
        Ok(())
    };
    phase("parse", "")?;
    let sqlite_dir = work.path().join("sqlite");
    phase("sqlite", &sqlite_dir.display().to_string())?;
    sqlite_import(&sqlite_dir, work.path())?;
    let detect_dir = work.path().join("sqlite-detect");
    phase("sqlite-detect", &detect_dir.display().to_string())?;
    phase("mariadb", &mysql)?;
    phase("mariadb-detect", &mysql)?;
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A deterministic mix: a quarter each of sshd, other syslog programs, Apache access lines and
/// JSON lines of the shapes Vigil knows.
fn generate(path: &Path, lines: usize) -> anyhow::Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let users = [
        "root", "admin", "oracle", "deploy", "alice", "bob", "test", "ubuntu",
    ];
    let paths = [
        "/",
        "/login",
        "/wp-login.php",
        "/api/v1/items?id=42",
        "/static/app.js",
    ];
    for i in 0..lines {
        let r = next();
        let ip = format!(
            "{}.{}.{}.{}",
            1 + r % 223,
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 254
        );
        let user = users[r % users.len()];
        let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
        match i % 8 {
            0 => writeln!(
                out,
                "Nov 21 {h:02}:{m:02}:{s:02} bastion sshd[{}]: Failed password for invalid user {user} from {ip} port {} ssh2",
                1000 + r % 30000,
                1024 + r % 60000
            )?,
            1 => writeln!(
                out,
                "Nov 21 {h:02}:{m:02}:{s:02} bastion sshd[{}]: Accepted publickey for {user} from {ip} port {} ssh2: RSA SHA256:{:x}",
                1000 + r % 30000,
                1024 + r % 60000,
                r
            )?,
            2 => writeln!(
                out,
                "Nov 21 {h:02}:{m:02}:{s:02} bastion sudo:    {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
            )?,
            3 => writeln!(
                out,
                "<86>1 2026-11-21T{h:02}:{m:02}:{s:02}.{:03}Z web1 CRON {} - - pam_unix(cron:session): session opened for user {user}(uid=0) by (uid=0)",
                r % 1000,
                100 + r % 900
            )?,
            4 | 5 => writeln!(
                out,
                "{ip} - - [21/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET {} HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                paths[r % paths.len()],
                [200, 200, 301, 404, 500][r % 5],
                r % 50000
            )?,
            6 => writeln!(
                out,
                "{{\"timestamp\":\"2026-11-21T{h:02}:{m:02}:{s:02}Z\",\"source_ip\":\"{ip}\",\"username\":\"{user}\",\"action\":\"login\",\"status\":\"{}\"}}",
                if r % 3 == 0 { "success" } else { "failure" }
            )?,
            _ => writeln!(
                out,
                "{{\"timestamp\":\"2026-11-21T{h:02}:{m:02}:{s:02}Z\",\"host\":\"node{}\",\"cpu_usage\":{}.{},\"memory_usage\":{{\"used\":{},\"total\":16384,\"percent\":{}}},\"threats\":[]}}",
                r % 20,
                r % 100,
                r % 10,
                r % 16384,
                r % 100
            )?,
        }
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

async fn run_phase(phase: &str, file: &Path, target: &str) -> anyhow::Result<()> {
    match phase {
        "parse" => parse_alone(file),
        "sqlite" | "sqlite-detect" => {
            let dir = PathBuf::from(target);
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("vigil.db").display());
            end_to_end("SQLite", &url, &dir, file, phase == "sqlite-detect").await
        }
        "mariadb" | "mariadb-detect" => {
            let detect = phase == "mariadb-detect";
            let admin = Database::connect(target).await?;
            let name = format!("vigil_test_bench_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                .await?;
            let dir = tempfile::tempdir()?;
            let url = format!("{target}/{name}");
            let result = end_to_end("MariaDB", &url, dir.path(), file, detect).await;
            if result.is_ok() && !detect {
                mariadb_load(target, &url, &name, dir.path()).await?;
            }
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}_load`"))
                .await?;
            result
        }
        other => anyhow::bail!("unknown phase {other}"),
    }
}

fn parse_alone(file: &Path) -> anyhow::Result<()> {
    let data = std::fs::read(file)?;
    let ctx = ParseContext::new(chrono::Utc::now());
    let started = Instant::now();
    let mut n = 0u64;
    let mut recognised = 0u64;
    for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let ev = parse_bytes(ParserKind::Auto, line, &ctx);
        recognised += u64::from(ev.parser != "raw");
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "parse stage alone (1 core): {n} lines in {secs:.2} s: {:.0} lines/s, {:.1} MiB/s ({recognised} recognised)",
        n as f64 / secs,
        mib(data.len() as u64) / secs
    );
    Ok(())
}

/// The file through the watched directory into the database; with `detect`, the built-in
/// pack and every staged Sigma rule are loaded first (without, no rule is stored and the
/// writer's detection has nothing to evaluate).
async fn end_to_end(
    label: &str,
    url: &str,
    dir: &Path,
    file: &Path,
    detect: bool,
) -> anyhow::Result<()> {
    let mut config = Config::for_database(url, dir);
    if let Some(n) = std::env::var("VIGIL_INGEST_BATCH_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.ingest.batch_size = n;
    }
    let db = server::store::connect(&config).await?;
    server::store::migrate(&db).await?;
    let detection = if detect {
        format!("detection on, {} rules", common::load_rules(&db).await?)
    } else {
        "detection off".to_string()
    };
    let ingest = IngestHandle::start(db.clone(), &config.ingest);
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    std::fs::hard_link(file, inbox.join("mixed.log"))
        .or_else(|_| std::fs::copy(file, inbox.join("mixed.log")).map(|_| ()))?;
    let size = std::fs::metadata(file)?.len();
    let started = Instant::now();
    let watch = Watch::start(
        WatchConfig {
            dir: inbox,
            patterns: vec!["*.log".into()],
            mode: WatchMode::Tail,
            schedule: "*/10 * * * * *".into(),
            idle_flush: Duration::from_secs(2),
            parser: ParserKind::Auto,
            processed_dir: dir.join("processed"),
            secrets_dir: dir.join("secrets"),
        },
        ingest.clone(),
    )
    .await?;
    while committed_offset(&db).await? < size {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    watch.stop().await;
    let rows = scalar(
        &db,
        "SELECT COUNT(*) FROM bronze_event_data WHERE source = 'watch'",
    )
    .await?;
    println!(
        "end to end into {label} ({detection}): {rows} events in {secs:.2} s: {:.0} events/s, {:.1} MiB/s, peak RSS {:.0} MiB (batch {})",
        rows as f64 / secs,
        mib(size) / secs,
        peak_rss_mib(),
        config.ingest.batch_size
    );
    Ok(())
}

async fn committed_offset(db: &DatabaseConnection) -> anyhow::Result<u64> {
    scalar(
        db,
        "SELECT COALESCE(MAX(c.offset), 0) FROM checkpoints c JOIN sources s ON s.id = c.source_id WHERE s.name = 'watch'",
    )
    .await
    .map(|v| v as u64)
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// The same rows through `sqlite3 .import` into an empty copy of the table, indexes included.
fn sqlite_import(sqlite_dir: &Path, work: &Path) -> anyhow::Result<()> {
    let db = sqlite_dir.join("vigil.db");
    let csv = work.join("rows.csv");
    let out = Command::new("sqlite3")
        .args([
            "-csv",
            &db.display().to_string(),
            "SELECT * FROM bronze_event_data",
        ])
        .output()?;
    anyhow::ensure!(out.status.success(), "sqlite3 export failed");
    std::fs::write(&csv, &out.stdout)?;
    let rows = out.stdout.iter().filter(|b| **b == b'\n').count();
    let schema = Command::new("sqlite3")
        .args([&db.display().to_string(), ".schema bronze_event_data"])
        .output()?;
    for (label, with_indexes) in [("with the same indexes", true), ("table only", false)] {
        let target = work.join(format!("import-{with_indexes}.db"));
        let _ = std::fs::remove_file(&target);
        let ddl: String = String::from_utf8_lossy(&schema.stdout)
            .lines()
            .filter(|l| with_indexes || !l.starts_with("CREATE INDEX"))
            .map(|l| format!("{l}\n"))
            .collect();
        let status = Command::new("sqlite3")
            .args([&target.display().to_string(), "PRAGMA journal_mode=WAL;"])
            .output()?;
        anyhow::ensure!(status.status.success());
        let setup = Command::new("sqlite3")
            .args([&target.display().to_string()])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(ddl.as_bytes())?;
                c.wait()
            })?;
        anyhow::ensure!(setup.success(), "schema copy failed");
        let started = Instant::now();
        let status = Command::new("sqlite3")
            .args([
                &target.display().to_string(),
                "-cmd",
                "PRAGMA synchronous=NORMAL",
                &format!(".import --csv {} bronze_event_data", csv.display()),
            ])
            .status()?;
        let secs = started.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "sqlite3 .import failed");
        println!(
            "sqlite3 .import ({label}): {rows} rows in {secs:.2} s: {:.0} rows/s",
            rows as f64 / secs
        );
    }
    Ok(())
}

/// The same rows through `LOAD DATA LOCAL INFILE` into a freshly migrated database.
async fn mariadb_load(admin_url: &str, url: &str, name: &str, dir: &Path) -> anyhow::Result<()> {
    let src = Database::connect(url).await?;
    let tsv = dir.join("rows.tsv");
    let mut out = BufWriter::new(std::fs::File::create(&tsv)?);
    let rows = src
        .query_all_raw(Statement::from_string(
            src.get_database_backend(),
            "SELECT CAST(id AS CHAR), CAST(timestamp AS CHAR), CAST(received_at AS CHAR), host, source_ip, CAST(source_port AS CHAR), destination_ip, CAST(destination_port AS CHAR), user_name, event_category, event_action, event_outcome, level, process, CAST(pid AS CHAR), message, raw, parser, source, CAST(flags AS CHAR), CAST(repeat_count AS CHAR), CAST(fields AS CHAR) FROM bronze_event_data",
        ))
        .await?;
    for row in &rows {
        for i in 0..22 {
            if i > 0 {
                out.write_all(b"\t")?;
            }
            match row.try_get_by_index::<Option<String>>(i)? {
                None => out.write_all(b"\\N")?,
                Some(v) => {
                    for c in v.bytes() {
                        match c {
                            b'\\' => out.write_all(b"\\\\")?,
                            b'\t' => out.write_all(b"\\t")?,
                            b'\n' => out.write_all(b"\\n")?,
                            b'\r' => out.write_all(b"\\r")?,
                            0 => out.write_all(b"\\0")?,
                            c => out.write_all(&[c])?,
                        }
                    }
                }
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    drop(out);
    let admin = Database::connect(admin_url).await?;
    let load = format!("{name}_load");
    admin
        .execute_unprepared(&format!("CREATE DATABASE `{load}`"))
        .await?;
    let target = Database::connect(format!("{admin_url}/{load}")).await?;
    server::store::migrate(&target).await?;
    // The client reads the file: credentials from the URL.
    let u = admin_url.trim_start_matches("mysql://");
    let (creds, hostport) = u.split_once('@').unwrap_or(("root", u));
    let (user, pass) = creds.split_once(':').unwrap_or((creds, ""));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    let started = Instant::now();
    let status = Command::new("mariadb")
        .args([
            "--local-infile=1",
            "-h",
            host,
            "-P",
            port,
            "-u",
            user,
            &format!("--password={pass}"),
            &load,
            "-e",
            &format!(
                "LOAD DATA LOCAL INFILE '{}' INTO TABLE bronze_event_data",
                tsv.display()
            ),
        ])
        .status()?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "LOAD DATA failed");
    println!(
        "MariaDB LOAD DATA LOCAL INFILE (same indexes): {} rows in {secs:.2} s: {:.0} rows/s",
        rows.len(),
        rows.len() as f64 / secs
    );
    Ok(())
}
