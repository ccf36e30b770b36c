//! `vigil send` against a real `vigil serve`: a token from the login endpoint, an NDJSON file
//! and a file of raw lines pushed over HTTP, and the events found again through the API.

use crate::common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::process::free_port;

const ADMIN_PASSWORD: &str = "quiet harbour lantern 7193";

/// `vigil` without the caller's `VIGIL_*` settings.
fn vigil() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VIGIL_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The server process, stopped when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn send(args: &[&str], token: &str) -> Output {
    vigil()
        .arg("send")
        .args(args)
        .env("VIGIL_TOKEN", token)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_pushes_files_to_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server(
        vigil()
            .arg("serve")
            .env("VIGIL_LISTEN", format!("127.0.0.1:{port}"))
            .env("VIGIL_DATA_DIR", dir.path())
            .env("VIGIL_SITE_ROOT", dir.path().join("site"))
            .env("VIGIL_SYSLOG_UDP", "off")
            .env("VIGIL_SYSLOG_TCP", "off")
            .env("VIGIL_WATCH_DIR", "off")
            .env("VIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = http.get(format!("{base}/readyz")).send().await
            && res.status().is_success()
        {
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "vigil exited early");
        assert!(Instant::now() < deadline, "vigil never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"]
        .as_str()
        .expect("signed in")
        .to_string();

    let ndjson = dir.path().join("events.ndjson");
    let mut text: String = (0..6)
        .map(|i| {
            format!(
                "{}\n",
                json!({ "message": format!("sent event {i}"), "user": "eve" })
            )
        })
        .collect();
    text.push_str("this line is not JSON\n");
    std::fs::write(&ndjson, text).unwrap();
    let out = send(
        &[
            "--file",
            ndjson.to_str().unwrap(),
            "--rate",
            "20",
            "--url",
            &base,
        ],
        &token,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("sent 7 events"), "{stdout}");
    assert!(stdout.contains("6 accepted, 1 rejected"), "{stdout}");
    assert!(stderr.contains("rejected line 7: invalid JSON"), "{stderr}");

    let lines = dir.path().join("auth.log");
    std::fs::write(
        &lines,
        "May  1 10:00:00 bastion sshd[77]: Failed password for root from 198.51.100.23 port 2222 ssh2\n",
    )
    .unwrap();
    let out = send(&["--file", lines.to_str().unwrap(), "--url", &base], &token);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 accepted, 0 rejected"));

    let search = |query: &'static str| {
        let http = http.clone();
        let url = format!("{base}/api/v1/logs?source=api&{query}");
        let token = token.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let page = search("user_name=eve").await;
    let mut messages: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        (0..6)
            .map(|i| format!("sent event {i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(page["items"][0]["fields"]["vigil.submitted_by"], "admin");
    assert_eq!(
        page["items"][0]["fields"]["log.source.address"],
        "127.0.0.1"
    );
    let page = search("event_action=ssh_login&source_ip=198.51.100.0/24").await;
    assert_eq!(page["items"][0]["host"], "bastion", "{page}");

    // A refused request stops the command with the server's reason.
    let out = send(
        &["--file", ndjson.to_str().unwrap(), "--url", &base],
        "not-a-token",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401"), "{stderr}");
}
