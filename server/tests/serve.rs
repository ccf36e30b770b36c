//! `vigil serve` as a real process: it answers over TCP, writes JSON logs to a file in the log
//! directory, and stops cleanly on SIGTERM.

use crate::common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{free_port, http_get as get};

#[test]
fn serve_answers_logs_json_to_files_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("serve")
        .env("VIGIL_LISTEN", format!("127.0.0.1:{port}"))
        .env("VIGIL_DATA_DIR", dir.path())
        .env("VIGIL_LOG_DIR", &logs)
        .env("VIGIL_LOG_FORMAT", "json")
        .env("VIGIL_SITE_ROOT", dir.path().join("site"))
        // Tests run in parallel: no fixed syslog port, no watched directory.
        .env("VIGIL_SYSLOG_UDP", "off")
        .env("VIGIL_SYSLOG_TCP", "off")
        .env("VIGIL_WATCH_DIR", "off")
        .env_remove("VIGIL_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        if let Some(answer) = get(port, "/healthz") {
            break answer;
        }
        assert!(child.try_wait().unwrap().is_none(), "vigil exited early");
        assert!(Instant::now() < deadline, "vigil never answered");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(health.0, 200);
    assert_eq!(get(port, "/readyz").unwrap().0, 200);
    let (status, _) = get(port, "/").unwrap();
    assert_eq!(status, 303, "anonymous visitors go to the login page");
    let (status, page) = get(port, "/login").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Sign in to Vigil"));

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "vigil ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");

    // First start: an admin with a generated password, shown once and kept in a 0600 file.
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(stdout.contains("created the user `admin`"), "{stdout}");
    let saved = std::fs::read_to_string(dir.path().join("secrets/initial-admin-password")).unwrap();
    assert!(!dir.path().join("initial-admin-password").exists());
    assert!(
        stdout.contains(saved.trim()),
        "printed password matches the file"
    );
    assert!(saved.trim().len() >= 20);

    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("vigil.") && name.ends_with(".log"),
        "{name}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("listening"))),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{text}"
    );
}
