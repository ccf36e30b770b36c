//! Syslog listeners: RFC 3164 and RFC 5424 messages over UDP (one message per datagram) and TCP
//! (octet counting or newline framing, detected per message), handed to the ingest pipeline in
//! batches.
//!
//! Messages that arrive close together travel as one [`Submission`]: a batch is sent when it
//! holds [`BATCH_LINES`] messages or [`BATCH_WAIT`] after its first message, whichever comes
//! first. Submitting waits while the pipeline is full, and a TCP connection reads nothing
//! meanwhile, so a slow database slows TCP senders down through TCP's own flow control. UDP has
//! no such control: datagrams wait in the socket's receive buffer and the kernel drops them when
//! it overflows.
//!
//! A UDP datagram is one message; a datagram that packs several, one per line, is split where a
//! line starts with `<`. Every event carries its sender in `fields["log.source.address"]`
//! (`ip:port`).

mod framing;
#[cfg(test)]
mod framing_props;
mod tcp;
mod udp;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{IngestError, IngestHandle, RawLine, SourceRef, Submission};
use crate::config::IngestConfig;
use crate::parse::ParserKind;

/// The most messages in one submission.
pub const BATCH_LINES: usize = 500;
/// How long the first message of a batch waits for others.
pub const BATCH_WAIT: Duration = Duration::from_millis(50);

/// The source names events from each transport are stored under.
pub const UDP_SOURCE: &str = "syslog-udp";
pub const TCP_SOURCE: &str = "syslog-tcp";

/// The running listeners. [`Syslog::shutdown`] stops them after they have handed every complete
/// message to the pipeline; dropping the value stops them too, without waiting.
pub struct Syslog {
    /// The bound UDP address, when UDP is on.
    pub udp: Option<SocketAddr>,
    /// The bound TCP address, when TCP is on.
    pub tcp: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
}

impl Syslog {
    /// Stops accepting messages, submits those already received and waits for the listeners.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "syslog listener failed");
            }
        }
    }
}

/// Binds the configured syslog sockets, registers their sources and starts listening. A socket
/// that cannot be bound is a start-up error naming its setting.
pub async fn start(config: &IngestConfig, handle: &IngestHandle) -> anyhow::Result<Syslog> {
    describe();
    // Bind everything before spawning anything, so a failure leaves nothing running.
    let udp = match config.syslog_udp {
        Some(addr) => Some(UdpSocket::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("invalid value for `syslog_udp`: cannot bind {addr}: {e}")
        })?),
        None => None,
    };
    let tcp = match config.syslog_tcp {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("invalid value for `syslog_tcp`: cannot bind {addr}: {e}")
        })?),
        None => None,
    };
    let (shutdown, stop) = watch::channel(false);
    let mut syslog = Syslog {
        udp: None,
        tcp: None,
        tasks: Vec::new(),
        shutdown,
    };
    if let Some(socket) = udp {
        let local = socket.local_addr()?;
        let source = register(handle, UDP_SOURCE, "udp", local).await?;
        let pending = Pending::new(source, config.syslog_parser, "udp");
        syslog.tasks.push(tokio::spawn(udp::run(
            socket,
            pending,
            handle.clone(),
            stop.clone(),
        )));
        syslog.udp = Some(local);
    }
    if let Some(listener) = tcp {
        let local = listener.local_addr()?;
        let source = register(handle, TCP_SOURCE, "tcp", local).await?;
        syslog.tasks.push(tokio::spawn(tcp::run(
            listener,
            tcp::Settings {
                source,
                parser: config.syslog_parser,
                limits: config.syslog_tcp_limits,
            },
            handle.clone(),
            stop,
        )));
        syslog.tcp = Some(local);
    }
    Ok(syslog)
}

async fn register(
    handle: &IngestHandle,
    name: &str,
    transport: &str,
    address: SocketAddr,
) -> anyhow::Result<SourceRef> {
    handle
        .source(
            name,
            "syslog",
            json!({ "transport": transport, "address": address.to_string() }),
        )
        .await
        .with_context(|| format!("cannot register the source {name}"))
}

fn describe() {
    metrics::describe_counter!(
        "vigil_syslog_messages_total",
        "syslog messages received, by transport"
    );
    metrics::describe_gauge!(
        "vigil_syslog_connections",
        "syslog TCP connections open now"
    );
    metrics::describe_counter!(
        "vigil_syslog_connections_rejected_total",
        "syslog TCP connections closed at once because too many were open"
    );
}

/// Resolves once the listeners are told to stop, or the [`Syslog`] value is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, not in the caller's state.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// The fields every event from `peer` carries.
fn sender_fields(peer: SocketAddr) -> Map<String, Value> {
    // A dual-stack socket reports IPv4 senders as IPv4-mapped IPv6 addresses.
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    let mut extra = Map::new();
    extra.insert("log.source.address".into(), peer.to_string().into());
    extra
}

/// Messages waiting to be submitted together.
struct Pending {
    source: SourceRef,
    parser: ParserKind,
    transport: &'static str,
    lines: Vec<RawLine>,
    deadline: Option<Instant>,
}

impl Pending {
    fn new(source: SourceRef, parser: ParserKind, transport: &'static str) -> Self {
        Self {
            source,
            parser,
            transport,
            lines: Vec::new(),
            deadline: None,
        }
    }

    fn push(&mut self, line: RawLine) {
        if self.lines.is_empty() {
            self.deadline = Some(Instant::now() + BATCH_WAIT);
        }
        self.lines.push(line);
    }

    fn is_full(&self) -> bool {
        self.lines.len() >= BATCH_LINES
    }

    /// Resolves when the batch has waited long enough; never while it is empty.
    async fn due(&self) {
        match self.deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }

    /// Submits the batch, waiting while the pipeline is full.
    async fn flush(&mut self, handle: &IngestHandle) -> Result<(), IngestError> {
        self.deadline = None;
        if self.lines.is_empty() {
            return Ok(());
        }
        let lines = std::mem::take(&mut self.lines);
        metrics::counter!("vigil_syslog_messages_total", "transport" => self.transport)
            .increment(lines.len() as u64);
        handle
            .submit(Submission::new(self.source.clone(), self.parser, lines))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_fields_name_the_peer_in_ipv4_form() {
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:514".parse().unwrap();
        assert_eq!(sender_fields(mapped)["log.source.address"], "192.0.2.7:514");
        let v6: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
        assert_eq!(
            sender_fields(v6)["log.source.address"],
            "[2001:db8::1]:40000"
        );
    }

    #[test]
    fn a_batch_waits_from_its_first_message() {
        let source = SourceRef {
            id: 1,
            name: "t".into(),
        };
        let mut pending = Pending::new(source, ParserKind::Auto, "udp");
        assert!(pending.deadline.is_none());
        let before = Instant::now();
        pending.push(RawLine::new(b"a".to_vec(), chrono::Utc::now()));
        let first = pending
            .deadline
            .expect("the first message sets the deadline");
        assert!(first >= before + BATCH_WAIT && first <= Instant::now() + BATCH_WAIT);
        for _ in 1..BATCH_LINES {
            assert!(!pending.is_full());
            pending.push(RawLine::new(b"b".to_vec(), chrono::Utc::now()));
        }
        assert_eq!(
            pending.deadline,
            Some(first),
            "later messages do not extend it"
        );
        assert!(pending.is_full());
    }
}
