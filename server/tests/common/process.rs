//! Helpers for tests that run `vigil` as a real process: the command, `kill -9`, a MariaDB
//! database of their own, free ports, a bare HTTP GET, and the counts of events stored from the
//! watched directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// The password of the administrator the `vigil serve` processes of these tests create.
pub const ADMIN_PASSWORD: &str = "process test admin passphrase";

/// `vigil serve` with its data, database and site under `dir`, listening on `http_port`, the
/// administrator's password set and syslog off; its standard error goes to
/// `dir/vigil-stderr.log`, which [`assert_running`] shows when it exits early. Callers add
/// their own settings and spawn it.
pub fn vigil_serve(dir: &Path, database_url: &str, http_port: u16) -> Command {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("vigil-stderr.log"))
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.arg("serve")
        .env("VIGIL_LISTEN", format!("127.0.0.1:{http_port}"))
        .env("VIGIL_DATA_DIR", dir)
        .env("VIGIL_DATABASE_URL", database_url)
        .env("VIGIL_SITE_ROOT", dir.join("site"))
        .env("VIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("VIGIL_SYSLOG_UDP", "off")
        .env("VIGIL_SYSLOG_TCP", "off")
        .stdout(Stdio::null())
        .stderr(stderr);
    cmd
}

/// Fails the test with the process's standard error if it has exited.
pub fn assert_running(child: &mut Child, dir: &Path) {
    if let Some(status) = child.try_wait().unwrap() {
        let stderr = std::fs::read_to_string(dir.join("vigil-stderr.log")).unwrap_or_default();
        panic!("vigil exited early ({status}):\n{stderr}");
    }
}

/// `kill -9`, the way a crash or the OOM killer ends a process: no clean-up runs.
pub fn kill9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
}

/// A MariaDB database of a test's own, for a `vigil` process to use; [`Self::drop`] removes it.
pub struct ScratchMariaDb {
    admin: String,
    conn: DatabaseConnection,
    name: String,
}

impl ScratchMariaDb {
    pub async fn create() -> Self {
        let admin = super::mariadb_admin_url();
        let conn = Database::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("MariaDB is not reachable at {admin}: {e}"));
        // `make mariadb` grants the test user every database whose name starts with vigil_test.
        let name = format!("vigil_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute_unprepared(&format!("CREATE DATABASE `{name}`"))
            .await
            .unwrap();
        Self { admin, conn, name }
    }

    /// The database's URL, for `VIGIL_DATABASE_URL`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.admin, self.name)
    }

    pub async fn drop(self) {
        let _ = self
            .conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .await;
    }
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.0 GET to 127.0.0.1:`port`, so the tests need no HTTP client library: the
/// status and the body, or `None` while nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_get_with(port, path, None)
}

/// [`http_get`] with a bearer token.
pub fn http_get_with(port: u16, path: &str, bearer: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    Some((status, body.to_string()))
}

/// Events stored from the watched directory, and how many distinct raw lines they hold; zeros
/// while the schema is not there yet.
pub async fn watch_counts(db: &DatabaseConnection) -> (i64, i64) {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*), COUNT(DISTINCT raw) FROM bronze_event_data WHERE source = 'watch'",
        ))
        .await
        .ok()
        .flatten();
    match row {
        Some(r) => (
            r.try_get_by_index::<i64>(0).unwrap_or(0),
            r.try_get_by_index::<i64>(1).unwrap_or(0),
        ),
        None => (0, 0),
    }
}
