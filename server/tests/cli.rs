//! The `vigil` binary as an operator runs it: help, configuration errors, migrate, user create.

use std::io::Write;
use std::process::{Command, Stdio};

fn vigil() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VIGIL_") {
            cmd.env_remove(key);
        }
    }
    // Tests run in parallel: no fixed syslog port, no watched directory.
    cmd.env("VIGIL_SYSLOG_UDP", "off")
        .env("VIGIL_SYSLOG_TCP", "off")
        .env("VIGIL_WATCH_DIR", "off");
    cmd
}

#[test]
fn help_documents_every_option_with_its_environment_variable() {
    let out = vigil().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--config", "VIGIL_CONFIG"),
        ("--listen", "VIGIL_LISTEN"),
        ("--data-dir", "VIGIL_DATA_DIR"),
        ("--database-url", "VIGIL_DATABASE_URL"),
        ("--db-max-connections", "VIGIL_DB_MAX_CONNECTIONS"),
        ("--log-dir", "VIGIL_LOG_DIR"),
        ("--log-format", "VIGIL_LOG_FORMAT"),
        ("--log-level", "VIGIL_LOG_LEVEL"),
        ("--log-keep", "VIGIL_LOG_KEEP"),
        ("--site-root", "VIGIL_SITE_ROOT"),
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
        assert!(help.contains(env), "--help lacks {env}");
    }
    for sub in ["serve", "migrate", "user"] {
        assert!(help.contains(sub), "--help lacks {sub}");
    }
    // The security settings, as `vigil serve --help` shows them.
    let out = vigil().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--metrics-token", "VIGIL_METRICS_TOKEN"),
        ("--trusted-proxies", "VIGIL_TRUSTED_PROXIES"),
        (
            "--syslog-tcp-max-connections",
            "VIGIL_SYSLOG_TCP_MAX_CONNECTIONS",
        ),
        (
            "--syslog-tcp-max-per-address",
            "VIGIL_SYSLOG_TCP_MAX_PER_ADDRESS",
        ),
        (
            "--syslog-tcp-idle-timeout-secs",
            "VIGIL_SYSLOG_TCP_IDLE_TIMEOUT_SECS",
        ),
    ] {
        assert!(help.contains(flag), "serve --help lacks {flag}");
        assert!(help.contains(env), "serve --help lacks {env}");
    }
}

#[test]
fn an_invalid_value_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil()
        .args(["serve", "--listen", "not-an-address"])
        .env("VIGIL_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`listen`") && err.contains("--listen"),
        "{err}"
    );

    let out = vigil()
        .arg("migrate")
        .env("VIGIL_DATA_DIR", dir.path())
        .env("VIGIL_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`log_format`") && err.contains("VIGIL_LOG_FORMAT"),
        "{err}"
    );
}

#[test]
fn migrate_creates_the_sqlite_database_under_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let out = vigil()
        .arg("migrate")
        .env("VIGIL_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every migration the binary ships is applied to a new database.
    let expected = format!(
        "{} migration(s) applied",
        <migration::Migrator as migration::MigratorTrait>::migrations().len()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(data.join("vigil.db").is_file());
    let again = vigil()
        .arg("migrate")
        .env("VIGIL_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(
        String::from_utf8(again.stdout)
            .unwrap()
            .starts_with("0 migration(s) applied")
    );
}

#[test]
fn user_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let create = |name: &str, password: &str| {
        let mut child = vigil()
            .args(["user", "create", "--username", name, "--role", "viewer"])
            .env("VIGIL_DATA_DIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = create("carol", "a long enough passphrase");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("created user \"carol\""), "{stdout}");
    assert!(
        !stdout.contains("passphrase"),
        "the given password is never echoed"
    );

    let out = create("dave", "too short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
}

#[test]
fn ingest_imports_files_once_and_names_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lines: String = (0..250)
        .map(|i| format!("Jan  5 01:02:03 gw sshd[{i}]: Failed password for root from 192.0.2.{} port 22 ssh2\n", i % 200 + 1))
        .collect();
    std::fs::write(&log, &lines).unwrap();
    let gz = dir.path().join("old.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(b"{\"source_ip\":\"198.51.100.1\",\"username\":\"bob\",\"action\":\"login\",\"status\":\"failure\",\"timestamp\":\"2026-01-05T01:02:03Z\"}")
        .unwrap();
    enc.finish().unwrap();
    let run = |files: &[&std::path::Path]| {
        vigil()
            .env("VIGIL_DATA_DIR", dir.path())
            .arg("ingest")
            .args(files)
            .output()
            .unwrap()
    };

    let out = run(&[&log, &gz]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("imported 2 file(s): 251 lines"), "{stdout}");

    // Appended lines only, the second time; a missing file is named and fails the run.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"Jan  5 01:09:00 gw sshd[7]: Accepted password for alice from 192.0.2.9 port 22 ssh2\n")
        .unwrap();
    let missing = dir.path().join("missing.log");
    let out = run(&[&log, &missing]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stdout.contains("imported 1 file(s): 1 lines"), "{stdout}");
    assert!(stderr.contains("were imported before"), "{stderr}");
    assert!(stderr.contains("missing.log: error"), "{stderr}");

    let url = format!("sqlite://{}", dir.path().join("vigil.db").display());
    let counts = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(url).await.unwrap();
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*), COUNT(DISTINCT raw), SUM(event_action = 'ssh_login') \
                 FROM bronze_event_data WHERE source = 'import'",
                ))
                .await
                .unwrap()
                .unwrap();
            (0..3)
                .map(|i| row.try_get_by_index::<i64>(i).unwrap())
                .collect::<Vec<_>>()
        });
    assert_eq!(counts, [252, 252, 251]);
}
