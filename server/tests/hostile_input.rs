//! Hostile input against a real `vigil serve`, on SQLite and on MariaDB: a 10 MiB line, invalid UTF-8, NUL
//! bytes, a binary file, a file without a single newline, a 1 GiB sparse file, a `.gz` that
//! inflates to 1 GiB, 5,000 idle TCP syslog connections (and one address trying to hold more
//! than its share), slow HTTP bodies and headers, and deeply nested JSON to the REST API.
//!
//! Vigil must keep serving (`/healthz` answers, normal lines sent afterwards are stored),
//! lose nothing it had accepted, and keep its peak resident memory (`VmHWM`) under
//! [`PEAK_RSS_BOUND_KIB`]. The peak, the connections held and the time to recover are printed
//! to stderr (`cargo test -p server --test integration hostile_input -- --nocapture`); none of
//! them is a timing assertion.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

const ADMIN_PASSWORD: &str = "hostile suite passphrase 9";
const METRICS_TOKEN: &str = "hostile-suite-metrics-token";
/// Generous (about twice what a debug build peaks at here), yet below what either the files
/// (more than 2 GiB once inflated) or a read buffer per idle connection would take.
const PEAK_RSS_BOUND_KIB: u64 = 256 * 1024;
/// Idle connections held from many addresses, each address within its cap.
const HELD: usize = 5000;
const HOLDING_ADDRESSES: usize = 250;
/// The per-address cap `vigil serve` applies by default.
const DEFAULT_PER_ADDRESS: usize = 32;
/// How long any single wait for an event may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(300);

struct Vigil {
    child: Child,
    dir: tempfile::TempDir,
    http: u16,
    tcp: SocketAddr,
    rt: tokio::runtime::Runtime,
    db: Option<DatabaseConnection>,
    /// The MariaDB admin URL and the database made for this run, dropped at the end.
    mariadb: Option<(String, String)>,
}

impl Drop for Vigil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin, name)) = self.mariadb.take() {
            let _ = self.rt.block_on(async move {
                let conn = Database::connect(&admin).await?;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
            });
        }
    }
}

impl Vigil {
    /// Starts `vigil serve` on SQLite, or on a fresh MariaDB database with `mariadb`.
    fn start(mariadb: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (url, mariadb) = if mariadb {
            let admin = std::env::var("VIGIL_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into());
            let name = format!("vigil_test_{}", uuid::Uuid::new_v4().simple());
            rt.block_on(async {
                let conn = Database::connect(&admin).await?;
                conn.execute_unprepared(&format!("CREATE DATABASE `{name}`"))
                    .await
            })
            .unwrap_or_else(|e| panic!("MariaDB at {admin}: {e}"));
            (format!("{admin}/{name}"), Some((admin, name)))
        } else {
            let path = dir.path().join("vigil.db");
            (format!("sqlite://{}?mode=rwc", path.display()), None)
        };
        let (http, tcp) = {
            let a = TcpListener::bind("127.0.0.1:0").unwrap();
            let b = TcpListener::bind("127.0.0.1:0").unwrap();
            (a.local_addr().unwrap().port(), b.local_addr().unwrap())
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
        for (key, _) in std::env::vars() {
            if key.starts_with("VIGIL_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .arg("serve")
            .env("VIGIL_DATA_DIR", dir.path())
            .env("VIGIL_DATABASE_URL", &url)
            .env("VIGIL_SITE_ROOT", dir.path().join("site"))
            .env("VIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("VIGIL_LISTEN", format!("127.0.0.1:{http}"))
            .env("VIGIL_SYSLOG_UDP", "off")
            .env("VIGIL_SYSLOG_TCP", tcp.to_string())
            // Room for every held connection; the per-address cap stays at its default.
            .env("VIGIL_SYSLOG_TCP_MAX_CONNECTIONS", "6000")
            .env("VIGIL_SYSLOG_TCP_IDLE_TIMEOUT_SECS", "3600")
            .env("VIGIL_METRICS_TOKEN", METRICS_TOKEN)
            .env("VIGIL_WATCH_IDLE_FLUSH_MS", "500")
            .env("VIGIL_WATCH_SCHEDULE", "*/2 * * * * *")
            .env("VIGIL_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.txt")).unwrap())
            .spawn()
            .unwrap();
        let mut vigil = Self {
            child,
            dir,
            http,
            tcp,
            rt,
            db: None,
            mariadb,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !vigil.healthy() {
            if let Some(status) = vigil.child.try_wait().unwrap() {
                panic!("vigil exited early ({status}): {}", vigil.stderr());
            }
            assert!(Instant::now() < deadline, "vigil never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        vigil.db = Some(vigil.rt.block_on(Database::connect(url)).unwrap());
        vigil
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default()
    }

    fn inbox(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }

    fn healthy(&self) -> bool {
        request(self.http, "GET", "/healthz", &[], b"").is_some_and(|(s, _)| s == 200)
    }

    /// The process's peak resident set, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    fn backend(&self) -> &'static str {
        if self.mariadb.is_some() {
            "mariadb"
        } else {
            "sqlite"
        }
    }

    fn report_peak(&self, phase: &str) {
        eprintln!(
            "hostile input ({}): peak RSS {:.1} MiB {phase}",
            self.backend(),
            self.peak_rss_kib() as f64 / 1024.0
        );
    }

    /// One value of the Prometheus text at `/metrics`.
    fn metric(&self, name: &str) -> Option<f64> {
        let auth = format!("Bearer {METRICS_TOKEN}");
        let (status, body) = request(
            self.http,
            "GET",
            "/metrics",
            &[("Authorization", &auth)],
            b"",
        )?;
        assert_eq!(status, 200, "{body}");
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    fn query_i64(&self, sql: &str) -> i64 {
        let db = self.db.as_ref().unwrap();
        let row = self
            .rt
            .block_on(db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)))
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// Events whose raw line contains `marker` (letters, digits and dashes only).
    fn stored(&self, marker: &str) -> i64 {
        assert!(
            marker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        );
        self.query_i64(&format!(
            "SELECT COUNT(*) FROM bronze_event_data WHERE raw LIKE '%{marker}%'"
        ))
    }

    fn wait_stored(&self, marker: &str, want: i64) -> Duration {
        let start = Instant::now();
        loop {
            let n = self.stored(marker);
            if n >= want {
                return start.elapsed();
            }
            assert!(
                self.child_running(),
                "vigil died waiting for {marker}: {}",
                self.stderr()
            );
            assert!(start.elapsed() < DEADLINE, "{marker}: {n} of {want} stored");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn child_running(&self) -> bool {
        std::fs::metadata(format!("/proc/{}", self.child.id())).is_ok()
            && !std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
                .unwrap_or_default()
                .contains("State:\tZ")
    }

    /// A syslog connection from `ip` (any 127.0.0.0/8 address reaches the listener).
    fn connect_from(&self, ip: [u8; 4]) -> TcpStream {
        let to = self.tcp;
        let stream = self.rt.block_on(async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::from((ip, 0))).unwrap();
            socket.connect(to).await.unwrap()
        });
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(true).unwrap();
        stream
    }

    fn send_syslog(&self, ip: [u8; 4], bytes: &[u8]) {
        let mut conn = self.connect_from(ip);
        conn.set_nonblocking(false).unwrap();
        conn.write_all(bytes).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
    }

    fn post_json(&self, token: &str, path: &str, body: &[u8]) -> (u16, String) {
        let auth = format!("Bearer {token}");
        request(
            self.http,
            "POST",
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .expect("vigil answers")
    }
}

/// A minimal HTTP/1.1 request with `Connection: close`: the status and the body.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    Some((status, body.to_string()))
}

/// Whether the server closed a non-blocking connection (end of stream or reset).
fn closed(mut conn: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match conn.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => panic!("the syslog listener never writes"),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

fn sshd_lines(marker: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("Jan 12 10:00:{:02} host sshd[{i}]: Failed password for invalid user {marker} from 203.0.113.9 port 4242 ssh2\n", i % 60)
        })
        .collect()
}

/// Writes `bytes` elsewhere and moves the file in, as drop directories expect.
fn drop_file(inbox: &Path, name: &str, bytes: &[u8]) {
    let staging = inbox.parent().unwrap().join(format!(".staging-{name}"));
    std::fs::write(&staging, bytes).unwrap();
    std::fs::rename(&staging, inbox.join(name)).unwrap();
}

/// One gzip member of `bytes`; members concatenated make one `.gz` stream.
fn gzip_member(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn sqlite_hostile_input_leaves_vigil_serving_with_bounded_memory() {
    hostile_input_leaves_vigil_serving_with_bounded_memory(false);
}

#[test]
fn mariadb_hostile_input_leaves_vigil_serving_with_bounded_memory() {
    hostile_input_leaves_vigil_serving_with_bounded_memory(true);
}

fn hostile_input_leaves_vigil_serving_with_bounded_memory(mariadb: bool) {
    let backend = if mariadb { "mariadb" } else { "sqlite" };
    let vigil = Vigil::start(mariadb);
    let (status, body) = request(
        vigil.http,
        "POST",
        "/api/v1/auth/login",
        &[("Content-Type", "application/json")],
        serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let inbox = vigil.inbox();
    std::fs::create_dir_all(&inbox).unwrap();

    // Accepted before the attack: must still be there afterwards.
    vigil.send_syslog(
        [127, 0, 0, 1],
        b"<13>Jan 12 10:00:00 web-1 app: baseline-syslog-marker\n",
    );
    let (status, body) = vigil.post_json(
        &token,
        "/api/v1/logs",
        br#"{"message": "baseline-rest-marker"}"#,
    );
    assert_eq!(status, 200, "{body}");
    drop_file(
        &inbox,
        "baseline.log",
        sshd_lines("baseline-file-marker", 10).as_bytes(),
    );
    vigil.wait_stored("baseline-syslog-marker", 1);
    vigil.wait_stored("baseline-rest-marker", 1);
    vigil.wait_stored("baseline-file-marker", 10);
    vigil.report_peak("at rest");

    // One address tries to hold 100 connections: the server closes all beyond its cap.
    let hoard: Vec<TcpStream> = (0..100)
        .map(|_| vigil.connect_from([127, 0, 0, 1]))
        .collect();
    let start = Instant::now();
    let hoarded = loop {
        let open = hoard.iter().filter(|c| !closed(c)).count();
        if open <= DEFAULT_PER_ADDRESS {
            break open;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{open} connections from one address stay open"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(hoarded, DEFAULT_PER_ADDRESS);

    // 5,000 idle connections from 250 addresses, each within its cap: all held at once.
    let mut held: Vec<TcpStream> = Vec::with_capacity(HELD);
    for i in 0..HELD {
        let host = 2 + (i % HOLDING_ADDRESSES) as u8;
        held.push(vigil.connect_from([127, 0, 1, host]));
    }
    let start = Instant::now();
    let open_gauge = loop {
        let gauge = vigil.metric("vigil_syslog_connections").unwrap_or(0.0);
        if gauge >= (HELD + DEFAULT_PER_ADDRESS) as f64 {
            break gauge;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "only {gauge} syslog connections open"
        );
        std::thread::sleep(Duration::from_millis(200));
    };

    vigil.report_peak("holding the syslog connections");

    // Slow HTTP: bodies that never finish, and headers that never end.
    let mut slow: Vec<TcpStream> = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(("127.0.0.1", vigil.http)).unwrap();
        if i % 2 == 0 {
            write!(
                s,
                "POST /api/v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{\"message\": \"slo"
            )
            .unwrap();
        } else {
            write!(s, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        }
        slow.push(s);
    }

    // Deeply nested JSON: refused as a client error, never a crash or a 5xx.
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for (path, body) in [
        ("/api/v1/logs", &arrays),
        ("/api/v1/logs", &objects),
        ("/api/v1/logs/raw", &objects),
    ] {
        let (status, answer) = vigil.post_json(&token, path, body.as_bytes());
        assert_eq!(status, 400, "{path}: {answer}");
    }

    vigil.report_peak("after slow HTTP and nested JSON");

    // Hostile files.
    let mut huge = vec![b'h'; 10 << 20];
    huge.extend(b"\n");
    huge.extend(sshd_lines("after-huge-marker", 1).as_bytes());
    drop_file(&inbox, "huge.log", &huge);
    let mut bad = b"Jan 12 10:00:00 host app: invalid \xff\xfe\xc3 utf8-marker\n".to_vec();
    bad.extend(sshd_lines("after-utf8-marker", 1).as_bytes());
    drop_file(&inbox, "utf8.log", &bad);
    // NUL bytes after a clean start (a NUL in the first bytes marks the file binary).
    let mut nul = sshd_lines("before-nul-marker", 20).into_bytes();
    // The marker comes first: SQLite's LIKE stops at a NUL.
    nul.extend(b"Jan 12 10:00:00 host app: nul-line-marker with \0 nul \0 bytes\n");
    nul.extend(sshd_lines("after-nul-marker", 1).as_bytes());
    drop_file(&inbox, "nul.log", &nul);
    let mut binary = b"\x7fELF\x02\x01\x01\0".to_vec();
    binary.extend((0..65536u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    drop_file(&inbox, "core.bin", &binary);
    drop_file(&inbox, "no-newline.log", &vec![b'q'; 48 << 20]);
    // 1 GiB sparse: a clean head, then a hole read back as one endless line of NULs.
    let sparse_head = sshd_lines("sparse-head-marker", 200);
    let sparse = inbox.parent().unwrap().join(".staging-sparse.log");
    std::fs::write(&sparse, sparse_head.as_bytes()).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&sparse)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    std::fs::rename(&sparse, inbox.join("sparse.log")).unwrap();
    // A zip bomb: 1 KiB-ish members that each inflate to 1 MiB, 1 GiB in all, no newline
    // until the very end.
    let member = gzip_member(&vec![b'z'; 1 << 20]);
    let mut bomb = Vec::with_capacity(member.len() * 1024 + 256);
    for _ in 0..1024 {
        bomb.extend(&member);
    }
    bomb.extend(gzip_member(
        format!("\n{}", sshd_lines("after-bomb-marker", 1)).as_bytes(),
    ));
    drop_file(&inbox, "bomb.log.gz", &bomb);
    // Invalid UTF-8 and NUL over syslog.
    vigil.send_syslog(
        [127, 0, 2, 1],
        b"<13>Jan 12 10:00:00 web-1 app: bytes \xff\xfe syslog-bytes-marker \0 after nul syslog-nul-marker\n",
    );

    // Recovery: normal input sent now is stored, over every path.
    let attacked = Instant::now();
    assert!(vigil.healthy(), "/healthz answers under attack");
    vigil.send_syslog(
        [127, 0, 2, 2],
        b"<13>Jan 12 10:00:00 web-1 app: recovery-syslog-marker\n",
    );
    let (status, body) = vigil.post_json(
        &token,
        "/api/v1/logs",
        br#"{"message": "recovery-rest-marker"}"#,
    );
    assert_eq!(status, 200, "{body}");
    drop_file(
        &inbox,
        "recovery.log",
        sshd_lines("recovery-file-marker", 5).as_bytes(),
    );
    vigil.wait_stored("recovery-syslog-marker", 1);
    vigil.wait_stored("recovery-rest-marker", 1);
    let network_recovery = attacked.elapsed();
    vigil.wait_stored("recovery-file-marker", 5);
    let file_recovery = attacked.elapsed();
    vigil.report_peak("after recovery");

    // Every hostile file read to its end: the line after each long one is there.
    for (marker, want) in [
        ("after-huge-marker", 1),
        ("utf8-marker", 1),
        ("after-utf8-marker", 1),
        ("before-nul-marker", 20),
        ("nul-line-marker", 1),
        ("after-nul-marker", 1),
        ("sparse-head-marker", 200),
        ("after-bomb-marker", 1),
        ("syslog-bytes-marker", 1),
        ("syslog-nul-marker", 1),
    ] {
        vigil.wait_stored(marker, want);
    }
    // The long lines are stored cut to the limit and flagged truncated (bit 1).
    let limit = server::parse::MAX_LINE_BYTES as i64;
    for (name, prefix) in [
        ("10 MiB line", "hhhh"),
        ("line without newline", "qqqq"),
        ("zip bomb", "zzzz"),
    ] {
        let start = Instant::now();
        loop {
            let n = vigil.query_i64(&format!(
                "SELECT COUNT(*) FROM bronze_event_data WHERE raw LIKE '{prefix}%' \
                 AND LENGTH(raw) = {limit} AND flags % 2 = 1"
            ));
            if n == 1 {
                break;
            }
            assert!(n == 0 && start.elapsed() < DEADLINE, "{name}: {n} rows");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // The binary file is skipped, not stored.
    assert_eq!(
        vigil.query_i64("SELECT COUNT(*) FROM bronze_event_data WHERE raw LIKE '%ELF%'"),
        0
    );
    // Nothing accepted before the attack was lost.
    assert_eq!(vigil.stored("baseline-syslog-marker"), 1);
    assert_eq!(vigil.stored("baseline-rest-marker"), 1);
    assert_eq!(vigil.stored("baseline-file-marker"), 10);

    // Still serving, still holding the idle connections, the hoarder still at its cap.
    assert!(vigil.healthy());
    let still_open = held.iter().filter(|c| !closed(c)).count();
    assert_eq!(
        still_open, HELD,
        "idle connections within the caps are kept"
    );
    assert_eq!(
        hoard.iter().filter(|c| !closed(c)).count(),
        DEFAULT_PER_ADDRESS
    );
    let peak = vigil.peak_rss_kib();
    eprintln!(
        "hostile input ({backend}): peak RSS {:.1} MiB (VmHWM), syslog connections held {} (gauge {open_gauge}), \
         one address held {hoarded} of 100 attempted, slow HTTP connections {}, \
         recovery: syslog+REST {:.2} s, watched file {:.2} s",
        peak as f64 / 1024.0,
        still_open + hoarded,
        slow.len(),
        network_recovery.as_secs_f64(),
        file_recovery.as_secs_f64(),
    );
    assert!(
        peak < PEAK_RSS_BOUND_KIB,
        "peak RSS {peak} KiB over {PEAK_RSS_BOUND_KIB} KiB"
    );
    drop(slow);
    drop(held);
    drop(hoard);
}
