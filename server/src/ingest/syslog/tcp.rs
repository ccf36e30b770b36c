//! The TCP listener: accepts connections up to a limit and reads each with its own task,
//! decoding frames and batching them into submissions.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::framing::Decoder;
use super::{Pending, sender_fields, stopped};
use crate::ingest::{IngestHandle, RawLine, SourceRef};
use crate::parse::ParserKind;

/// Bytes read from a connection at a time.
const READ_BYTES: usize = 64 * 1024;
/// The least time between two warnings about refused connections.
const REFUSAL_WARN_EVERY: Duration = Duration::from_secs(60);

pub(super) struct Settings {
    pub source: SourceRef,
    pub parser: ParserKind,
    pub max_connections: usize,
}

pub(super) async fn run(
    listener: TcpListener,
    settings: Settings,
    handle: IngestHandle,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut last_warning: Option<Instant> = None;
    let mut refused_since_warning = 0u64;
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
                    if connections.len() >= settings.max_connections {
                        drop(stream);
                        metrics::counter!("vigil_syslog_connections_rejected_total").increment(1);
                        refused_since_warning += 1;
                        if last_warning.is_none_or(|at| at.elapsed() >= REFUSAL_WARN_EVERY) {
                            tracing::warn!(
                                peer = %peer,
                                limit = settings.max_connections,
                                refused = refused_since_warning,
                                "too many syslog connections: refusing new ones"
                            );
                            last_warning = Some(Instant::now());
                            refused_since_warning = 0;
                        }
                        continue;
                    }
                    let pending = Pending::new(settings.source.clone(), settings.parser, "tcp");
                    connections.spawn(connection(stream, peer, pending, handle.clone(), stop.clone()));
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

/// Reads one connection until the peer closes it or the listener stops. Submitting waits while
/// the pipeline is full and reads nothing meanwhile, which slows the sender down.
async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut pending: Pending,
    handle: IngestHandle,
    mut stop: watch::Receiver<bool>,
) {
    let _open = Open::new();
    let extra = sender_fields(peer);
    let mut decoder = Decoder::new();
    let mut chunk = vec![0u8; READ_BYTES];
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
            read = stream.read(&mut chunk) => match read {
                Ok(0) => {
                    decoder.finish(&mut frames);
                    Some("closed")
                }
                Ok(n) => {
                    decoder.feed(&chunk[..n], &mut frames);
                    None
                }
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
    };
    if let Err(err) = pending.flush(&handle).await {
        tracing::warn!(peer = %peer, error = %err, "syslog messages lost at shutdown");
    }
    tracing::debug!(peer = %peer, messages = received, end, "syslog connection ended");
}

#[cfg(test)]
mod tests {
    use std::path::Path;

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
            max_connections: 2,
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
}
