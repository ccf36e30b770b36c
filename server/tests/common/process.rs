//! Helpers for tests that run `vigil` as a real process: free ports, a bare HTTP GET, and
//! the counts of events stored from the watched directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

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
