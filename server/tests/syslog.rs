//! Syslog into a real `vigil serve`: util-linux `logger` over UDP and TCP (newline and octet
//! counting), a long TCP stream of mixed framing, and a start-up error for a port in use. Events
//! are read straight from the SQLite file the server writes.

use crate::common;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::process::http_get as get;
use sea_orm::{
    ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use server::parse::flags::TIMESTAMP_INFERRED;
use server::store::{bronze_event_data as events, source};

const LOGGER: &str = "/usr/bin/logger";
const METRICS_TOKEN: &str = "syslog-suite-metrics-token";
const FAILED_LOGIN: &str = "Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2";
/// How long a test waits for events to be stored before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Free ports for HTTP, syslog UDP and syslog TCP, all held at once so they differ.
fn free_ports() -> (u16, u16, u16) {
    let http = TcpListener::bind("127.0.0.1:0").unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |a: std::net::SocketAddr| a.port();
    (
        port(http.local_addr().unwrap()),
        port(udp.local_addr().unwrap()),
        port(tcp.local_addr().unwrap()),
    )
}

/// `vigil` with none of the caller's `VIGIL_*` settings, a fresh data directory and no
/// watched directory.
fn vigil(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VIGIL_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("serve")
        .env("VIGIL_DATA_DIR", data)
        .env("VIGIL_SITE_ROOT", data.join("site"))
        .env("VIGIL_ADMIN_PASSWORD", "syslog suite passphrase 7")
        .env("VIGIL_WATCH_DIR", "off");
    cmd
}

/// A running `vigil serve` with syslog on free ports; killed when dropped.
struct Vigil {
    child: Child,
    _dir: tempfile::TempDir,
    db_path: PathBuf,
    http: u16,
    udp: u16,
    tcp: u16,
}

impl Vigil {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (http, udp, tcp) = free_ports();
        let stderr = dir.path().join("stderr.txt");
        let mut child = vigil(dir.path())
            .env("VIGIL_LISTEN", format!("127.0.0.1:{http}"))
            .env("VIGIL_SYSLOG_UDP", format!("127.0.0.1:{udp}"))
            .env("VIGIL_SYSLOG_TCP", format!("127.0.0.1:{tcp}"))
            .env("VIGIL_METRICS_TOKEN", METRICS_TOKEN)
            .stdout(Stdio::null())
            // A file, not a pipe: nobody reads it while the server runs.
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        // The syslog sockets are bound before the HTTP listener: health means syslog is up.
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(http, "/healthz").is_none_or(|(status, _)| status != 200) {
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(&stderr).unwrap_or_default();
                panic!("vigil exited early ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "vigil never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            db_path: dir.path().join("vigil.db"),
            _dir: dir,
            http,
            udp,
            tcp,
        }
    }

    async fn db(&self) -> DatabaseConnection {
        Database::connect(format!("sqlite://{}", self.db_path.display()))
            .await
            .unwrap()
    }

    /// SIGTERM, then the exit status: a clean stop stores what was received.
    fn stop(&mut self) {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "vigil ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "exit status {status:?}");
    }
}

impl Drop for Vigil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the failed sshd login with util-linux `logger` to 127.0.0.1:`port`.
fn send_failed_login(transport: &str, port: u16, format: &[&str]) {
    let port = port.to_string();
    let mut args = vec![transport, "--server", "127.0.0.1", "--port", &port];
    args.extend_from_slice(format);
    args.extend_from_slice(&["-t", "sshd", FAILED_LOGIN]);
    let status = Command::new(LOGGER)
        .args(&args)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {LOGGER} (util-linux): {e}"));
    assert!(status.success(), "logger {args:?}: {status}");
}

/// Polls until `source` has `want` events, then returns them.
async fn wait_for_events(db: &DatabaseConnection, source: &str, want: u64) -> Vec<events::Model> {
    let start = Instant::now();
    loop {
        let query = events::Entity::find().filter(events::Column::Source.eq(source));
        // The server may hold the write lock for a moment: an error is a retry.
        let have = query.clone().count(db).await.unwrap_or(0);
        if have >= want {
            return query.all(db).await.unwrap();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{source}: {have} of {want} events after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_failed_login(ev: &events::Model, source: &str) {
    assert_eq!(ev.source, source);
    assert_eq!(ev.parser, "sshd", "{ev:?}");
    assert_eq!(ev.process.as_deref(), Some("sshd"));
    assert_eq!(ev.event_action.as_deref(), Some("ssh_login"));
    assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
    assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(ev.source_port, Some(4242));
    assert_eq!(ev.user_name.as_deref(), Some("admin"));
    assert_eq!(ev.message, FAILED_LOGIN);
    assert_eq!(ev.flags as u32 & !TIMESTAMP_INFERRED, 0, "{ev:?}");
    let sender = ev.fields["log.source.address"].as_str().unwrap_or_default();
    assert!(sender.starts_with("127.0.0.1:"), "{:?}", ev.fields);
}

#[tokio::test]
async fn logger_messages_over_udp_and_tcp_are_stored_as_parsed_events() {
    let mut vigil = Vigil::start();
    send_failed_login("--udp", vigil.udp, &["--rfc3164"]);
    send_failed_login("--tcp", vigil.tcp, &["--rfc5424"]);
    send_failed_login("--tcp", vigil.tcp, &["--rfc5424", "--octet-count"]);

    let db = vigil.db().await;
    let over_udp = wait_for_events(&db, "syslog-udp", 1).await;
    assert_eq!(over_udp.len(), 1);
    assert_failed_login(&over_udp[0], "syslog-udp");
    assert!(over_udp[0].raw.starts_with("<13>"), "{}", over_udp[0].raw);

    let over_tcp = wait_for_events(&db, "syslog-tcp", 2).await;
    assert_eq!(over_tcp.len(), 2);
    for ev in &over_tcp {
        assert_failed_login(ev, "syslog-tcp");
        // RFC 5424 with its structured data, and no octet count left in the stored line.
        assert!(ev.raw.starts_with("<13>1 "), "{}", ev.raw);
        assert!(
            ev.fields.get("syslog.structured_data").is_some(),
            "{:?}",
            ev.fields
        );
    }

    // The connection gauge drops as the logger connections' tasks end: poll for it too.
    let start = Instant::now();
    loop {
        let (status, metrics) =
            common::process::http_get_with(vigil.http, "/metrics", Some(METRICS_TOKEN)).unwrap();
        assert_eq!(status, 200);
        let missing: Vec<&str> = [
            r#"vigil_syslog_messages_total{transport="udp"} 1"#,
            r#"vigil_syslog_messages_total{transport="tcp"} 2"#,
            "vigil_syslog_connections 0",
        ]
        .into_iter()
        .filter(|want| !metrics.lines().any(|l| l == *want))
        .collect();
        if missing.is_empty() {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "{missing:?} not in:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let sources = source::Entity::find().all(&db).await.unwrap();
    for (name, transport, port) in [
        ("syslog-udp", "udp", vigil.udp),
        ("syslog-tcp", "tcp", vigil.tcp),
    ] {
        let s = sources.iter().find(|s| s.name == name).expect(name);
        assert_eq!(s.kind, "syslog");
        assert_eq!(s.config["transport"], transport);
        assert_eq!(s.config["address"], format!("127.0.0.1:{port}"));
    }
    vigil.stop();
}

#[tokio::test]
async fn a_long_tcp_stream_of_mixed_framing_is_stored_exactly_once() {
    const LINES: usize = 2000;
    let mut vigil = Vigil::start();
    let mut stream = Vec::new();
    for i in 0..LINES {
        let msg = format!("<13>Nov 21 13:01:27 stream-host app[77]: line {i}");
        match i % 4 {
            0 => write!(stream, "{} {msg}", msg.len()).unwrap(),
            1 => write!(stream, "{msg}\r\n").unwrap(),
            // The last message has no terminator: closing the connection ends it.
            _ if i == LINES - 1 => stream.extend_from_slice(msg.as_bytes()),
            _ => writeln!(stream, "{msg}").unwrap(),
        }
    }
    let mut conn = TcpStream::connect(("127.0.0.1", vigil.tcp)).unwrap();
    // Odd-sized writes split frames, and their length prefixes, across reads.
    for piece in stream.chunks(7001) {
        conn.write_all(piece).unwrap();
    }
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    drop(conn);

    let db = vigil.db().await;
    wait_for_events(&db, "syslog-tcp", LINES as u64).await;
    // A clean stop stores everything still queued, so the count below is final.
    vigil.stop();
    let stored = events::Entity::find()
        .filter(events::Column::Source.eq("syslog-tcp"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(stored.len(), LINES, "no message stored twice");
    let messages: BTreeSet<String> = stored.iter().map(|e| e.message.clone()).collect();
    let expected: BTreeSet<String> = (0..LINES).map(|i| format!("line {i}")).collect();
    assert_eq!(messages, expected);
    for ev in &stored {
        assert_eq!(ev.host.as_deref(), Some("stream-host"));
        assert_eq!(ev.process.as_deref(), Some("app"));
        assert_eq!(ev.pid, Some(77));
        assert_eq!(ev.flags as u32 & !TIMESTAMP_INFERRED, 0, "{ev:?}");
    }
}

#[test]
fn a_syslog_port_in_use_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = vigil(dir.path())
        .env("VIGIL_LISTEN", format!("127.0.0.1:{}", free_tcp_port()))
        .env("VIGIL_SYSLOG_UDP", addr.to_string())
        .env("VIGIL_SYSLOG_TCP", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "invalid value for `syslog_udp`: cannot bind {addr}"
        )),
        "{err}"
    );
}
