//! The UDP listener: one socket, each datagram a message, batched into submissions.

use chrono::Utc;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::framing::datagram_lines;
use super::{Pending, sender_fields, stopped};
use crate::ingest::{IngestHandle, RawLine};

/// Large enough for the largest UDP payload, so no datagram is cut by the socket.
const DATAGRAM_BYTES: usize = 64 * 1024;

pub(super) async fn run(
    socket: UdpSocket,
    mut pending: Pending,
    handle: IngestHandle,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; DATAGRAM_BYTES];
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            () = pending.due() => {
                if pending.flush(&handle).await.is_err() {
                    return;
                }
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, peer)) => {
                    datagram_lines(&buf[..n], &mut messages);
                    if messages.is_empty() {
                        continue;
                    }
                    let now = Utc::now();
                    let extra = sender_fields(peer);
                    for bytes in messages.drain(..) {
                        pending.push(RawLine {
                            bytes,
                            received_at: now,
                            extra: Some(extra.clone()),
                        });
                    }
                    if pending.is_full() && pending.flush(&handle).await.is_err() {
                        return;
                    }
                }
                // ICMP errors and the like concern one peer; the socket keeps working.
                Err(err) => tracing::debug!(error = %err, "syslog udp receive failed"),
            },
        }
    }
    if let Err(err) = pending.flush(&handle).await {
        tracing::warn!(error = %err, "syslog udp messages lost at shutdown");
    }
}
