//! The TCP listener: accepts connections up to a limit and reads each with its own task,
//! decoding frames and batching them into submissions.
//!
//! Connections are capped in total and per sender address (an IPv6 /64 counts as one), so one
//! host holding many idle sockets cannot take every place; a connection that sends nothing for
//! the idle timeout is closed, so places held by silent peers come back.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::framing::Decoder;
use super::{Pending, sender_fields, stopped};
use crate::config::SyslogTcpLimits;
use crate::ingest::{IngestHandle, RawLine, SourceRef};
use crate::parse::ParserKind;

/// Bytes read from a connection at a time.
const READ_BYTES: usize = 64 * 1024;
/// The least time between two warnings about refused connections.
const REFUSAL_WARN_EVERY: Duration = Duration::from_secs(60);

pub(super) struct Settings {
    pub source: SourceRef,
    pub parser: ParserKind,
    pub limits: SyslogTcpLimits,
}

/// Open connections per sender address.
#[derive(Clone, Default)]
struct PerAddress(Arc<Mutex<HashMap<String, usize>>>);

impl PerAddress {
    /// Takes a place for `ip` unless it already holds `max`.
    fn admit(&self, ip: IpAddr, max: usize) -> Option<AddressPlace> {
        let key = crate::auth::throttle::address_key(ip);
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let held = map.entry(key.clone()).or_default();
        if *held >= max {
            return None;
        }
        *held += 1;
        Some(AddressPlace {
            map: self.clone(),
            key,
        })
    }
}

/// One connection's place in its address's count, given back when the connection ends.
struct AddressPlace {
    map: PerAddress,
    key: String,
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut map = self.map.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = map.get_mut(&self.key) {
            *held -= 1;
            if *held == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Counts a refused connection and warns at most every [`REFUSAL_WARN_EVERY`].
struct Refusals {
    last_warning: Option<Instant>,
    since_warning: u64,
}

impl Refusals {
    fn refuse(&mut self, peer: SocketAddr, reason: &'static str, limit: usize) {
        metrics::counter!("vigil_syslog_connections_rejected_total", "reason" => reason)
            .increment(1);
        self.since_warning += 1;
        if self
            .last_warning
            .is_none_or(|at| at.elapsed() >= REFUSAL_WARN_EVERY)
        {
            tracing::warn!(
                peer = %peer,
                reason,
                limit,
                refused = self.since_warning,
                "too many syslog connections: refusing new ones"
            );
            self.last_warning = Some(Instant::now());
            self.since_warning = 0;
        }
    }
}

pub(super) async fn run(
    listener: TcpListener,
    settings: Settings,
    handle: IngestHandle,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let per_address = PerAddress::default();
    let mut refusals = Refusals {
        last_warning: None,
        since_warning: 0,
    };
    let limits = settings.limits;
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(err) = done {
                    tracing::error!(error = %err, "syslog connection task failed");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    while connections.try_join_next().is_some() {}
                    if connections.len() >= limits.max_connections {
                        drop(stream);
                        refusals.refuse(peer, "total", limits.max_connections);
                        continue;
                    }
                    let Some(place) = per_address.admit(peer.ip(), limits.max_per_address) else {
                        drop(stream);
                        refusals.refuse(peer, "per_address", limits.max_per_address);
                        continue;
                    };
                    let pending = Pending::new(settings.source.clone(), settings.parser, "tcp");
                    connections.spawn(connection(
                        stream,
                        peer,
                        pending,
                        handle.clone(),
                        stop.clone(),
                        (place, limits.idle_timeout),
                    ));
                }
                Err(err) => {
                    // Usually out of file descriptors: wait for some to be released.
                    tracing::warn!(error = %err, "syslog tcp accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    // Each connection submits what it has received before it ends.
    while let Some(done) = connections.join_next().await {
        if let Err(err) = done {
            tracing::error!(error = %err, "syslog connection task failed");
        }
    }
}

/// Counts an open connection in the `vigil_syslog_connections` gauge while it lives.
struct Open;

impl Open {
    fn new() -> Self {
        metrics::gauge!("vigil_syslog_connections").increment(1.0);
        Self
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!("vigil_syslog_connections").decrement(1.0);
    }
}

/// Reads one connection until the peer closes it, it stays silent for `idle_timeout`, or the
/// listener stops. Submitting waits while the pipeline is full and reads nothing meanwhile,
/// which slows the sender down (and does not count as the peer's silence).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    mut pending: Pending,
    handle: IngestHandle,
    mut stop: watch::Receiver<bool>,
    (_place, idle_timeout): (AddressPlace, Duration),
) {
    let _open = Open::new();
    let idle = tokio::time::sleep(idle_timeout);
    tokio::pin!(idle);
    let extra = sender_fields(peer);
    let mut decoder = Decoder::new();
    // Allocated once the peer has sent something (see [`read`]).
    let mut chunk: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    let mut received = 0u64;
    tracing::debug!(peer = %peer, "syslog connection opened");
    let end = loop {
        let done = tokio::select! {
            biased;
            () = stopped(&mut stop) => Some("shutdown"),
            () = pending.due() => {
                if pending.flush(&handle).await.is_err() {
                    return;
                }
                None
            }
            () = &mut idle => {
                metrics::counter!("vigil_syslog_connections_idle_closed_total").increment(1);
                decoder.finish(&mut frames);
                Some("idle")
            }
            ready = stream.readable() => match ready.and_then(|()| read(&stream, &mut chunk)) {
                Ok(0) => {
                    decoder.finish(&mut frames);
                    Some("closed")
                }
                Ok(n) => {
                    decoder.feed(&chunk[..n], &mut frames);
                    None
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => None,
                Err(err) => {
                    tracing::debug!(peer = %peer, error = %err, "syslog connection failed");
                    decoder.finish(&mut frames);
                    Some("failed")
                }
            },
        };
        let now = Utc::now();
        for bytes in frames.drain(..) {
            received += 1;
            pending.push(RawLine {
                bytes,
                received_at: now,
                extra: Some(extra.clone()),
            });
            if pending.is_full() && pending.flush(&handle).await.is_err() {
                return;
            }
        }
        if let Some(end) = done {
            break end;
        }
        // Counted from here, after any wait for the pipeline: that wait is not the peer's.
        idle.as_mut().reset(Instant::now() + idle_timeout);
    };
    if let Err(err) = pending.flush(&handle).await {
        tracing::warn!(peer = %peer, error = %err, "syslog messages lost at shutdown");
    }
    tracing::debug!(peer = %peer, messages = received, end, "syslog connection ended");
}

/// Reads what has arrived into `chunk`, allocating it with the first bytes. Readiness is
/// reported for silent connections too, so the first read goes to a small buffer on the stack:
/// thousands of connections that never send cost no read buffers.
fn read(stream: &TcpStream, chunk: &mut Vec<u8>) -> std::io::Result<usize> {
    if !chunk.is_empty() {
        return stream.try_read(chunk);
    }
    let mut first = [0u8; 512];
    let n = stream.try_read(&mut first)?;
    if n > 0 {
        chunk.resize(READ_BYTES, 0);
        chunk[..n].copy_from_slice(&first[..n]);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::config::Config;
    use crate::ingest::IngestHandle;

    async fn pipeline(dir: &Path) -> IngestHandle {
        let url = format!("sqlite://{}?mode=rwc", dir.join("vigil.db").display());
        let config = Config::for_database(&url, dir);
        let db = crate::store::connect(&config).await.unwrap();
        crate::store::migrate(&db).await.unwrap();
        IngestHandle::start(db, &config.ingest)
    }

    /// True when the server has closed the connection; false when reading waits.
    async fn closed_by_server(conn: &mut TcpStream) -> bool {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(300), conn.read(&mut byte)).await {
            Ok(Ok(0) | Err(_)) => true,
            Ok(Ok(_)) => panic!("the listener never writes"),
            Err(_) => false,
        }
    }

    #[tokio::test]
    async fn connections_over_the_limit_are_closed_and_a_freed_place_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let handle = pipeline(dir.path()).await;
        let source = handle
            .source("syslog-tcp-limit", "syslog", serde_json::json!({}))
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop) = watch::channel(false);
        let settings = Settings {
            source,
            parser: ParserKind::Auto,
            limits: SyslogTcpLimits {
                max_connections: 2,
                ..SyslogTcpLimits::default()
            },
        };
        let task = tokio::spawn(run(listener, settings, handle.clone(), stop));

        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut second = TcpStream::connect(addr).await.unwrap();
        let mut third = TcpStream::connect(addr).await.unwrap();
        assert!(closed_by_server(&mut third).await, "over the limit");
        assert!(!closed_by_server(&mut first).await);
        assert!(!closed_by_server(&mut second).await);

        drop(first);
        let deadline = Instant::now() + Duration::from_secs(10);
        let _kept = loop {
            let mut next = TcpStream::connect(addr).await.unwrap();
            if !closed_by_server(&mut next).await {
                break next;
            }
            assert!(
                Instant::now() < deadline,
                "the freed place was never reused"
            );
        };

        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the listener stops with connections still open")
            .unwrap();
    }

    /// A connection from `ip` (any 127.0.0.0/8 address reaches the loopback listener).
    async fn connect_from(ip: [u8; 4], to: SocketAddr) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from((ip, 0)))
            .expect("bind a loopback source address");
        socket.connect(to).await.unwrap()
    }

    /// Events stored whose raw line contains `text`.
    async fn stored(db: &sea_orm::DatabaseConnection, text: &str) -> usize {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        crate::store::bronze_event_data::Entity::find()
            .filter(crate::store::bronze_event_data::Column::Raw.contains(text))
            .all(db)
            .await
            .unwrap()
            .len()
    }

    async fn listener_with(
        dir: &Path,
        limits: SyslogTcpLimits,
    ) -> (
        SocketAddr,
        IngestHandle,
        watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ) {
        let handle = pipeline(dir).await;
        let source = handle
            .source("syslog-tcp-caps", "syslog", serde_json::json!({}))
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop) = watch::channel(false);
        let settings = Settings {
            source,
            parser: ParserKind::Auto,
            limits,
        };
        let task = tokio::spawn(run(listener, settings, handle.clone(), stop));
        (addr, handle, stop_tx, task)
    }

    /// One address holding idle connections takes at most its own share: more than the whole
    /// listener's places are attempted from 127.0.0.1, and a sender on 127.0.0.2 still gets in
    /// and its lines are stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_address_cannot_take_every_place() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SyslogTcpLimits {
            max_connections: 8,
            max_per_address: 3,
            idle_timeout: Duration::from_secs(3600),
        };
        let (addr, handle, stop_tx, task) = listener_with(dir.path(), limits).await;
        let mut hoard = Vec::new();
        for _ in 0..20 {
            hoard.push(connect_from([127, 0, 0, 1], addr).await);
        }
        let mut open = 0;
        for conn in &mut hoard {
            if !closed_by_server(conn).await {
                open += 1;
            }
        }
        assert_eq!(
            open, limits.max_per_address,
            "the hoarder keeps its share only"
        );

        let mut other = connect_from([127, 0, 0, 2], addr).await;
        assert!(
            !closed_by_server(&mut other).await,
            "another address gets in"
        );
        use tokio::io::AsyncWriteExt;
        other
            .write_all(b"<13>Jan 12 10:00:00 web-2 app: from the other sender\n")
            .await
            .unwrap();
        other.shutdown().await.unwrap();
        let db = handle.db().clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        while stored(&db, "from the other sender").await == 0 {
            assert!(
                Instant::now() < deadline,
                "the other sender's line was not stored"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }

    /// A connection that sends nothing for the idle timeout is closed by the server; one that
    /// sent a line and then fell silent is closed too, its line stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn silent_connections_are_closed_after_the_idle_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SyslogTcpLimits {
            idle_timeout: Duration::from_secs(1),
            ..SyslogTcpLimits::default()
        };
        let (addr, handle, stop_tx, task) = listener_with(dir.path(), limits).await;
        let mut silent = connect_from([127, 0, 0, 1], addr).await;
        let mut talker = connect_from([127, 0, 0, 1], addr).await;
        use tokio::io::AsyncWriteExt;
        talker
            .write_all(b"<13>Jan 12 10:00:00 web-1 app: said one thing")
            .await
            .unwrap();
        for (name, conn) in [("silent", &mut silent), ("talker", &mut talker)] {
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_secs(60), conn.read(&mut byte))
                .await
                .unwrap_or_else(|_| panic!("the {name} connection was never closed"));
            assert!(matches!(read, Ok(0) | Err(_)), "{name}: {read:?}");
        }
        let db = handle.db().clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        while stored(&db, "said one thing").await == 0 {
            assert!(
                Instant::now() < deadline,
                "the unterminated line was not stored"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }
}
