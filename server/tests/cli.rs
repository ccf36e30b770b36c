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
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("2 migration(s) applied")
    );
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
