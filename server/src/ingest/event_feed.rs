//! The live event feed behind `GET /api/v1/logs/stream`: every stored event, published by the
//! writer right after the commit that stored it.
//!
//! Publishing never waits: the feed is a bounded `tokio::sync::broadcast` channel of batches,
//! and nothing is copied while nobody listens. A subscriber that falls more than the channel's
//! capacity behind loses the oldest batches and is told how many events it missed, so a slow
//! browser can never hold up ingestion or grow the server's memory.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::EventRow;

/// Committed events, with the ids they were stored under.
pub type Batch = Arc<Vec<(i64, EventRow)>>;

/// What a subscriber receives next.
pub enum Received {
    Events(Batch),
    /// The subscriber fell behind: this many events were dropped for it.
    Missed(u64),
    Closed,
}

/// How many batches a subscriber may be behind before it loses some.
const CAPACITY: usize = 256;

/// The sending side, cheap to clone.
#[derive(Clone)]
pub struct EventFeed {
    tx: broadcast::Sender<Batch>,
}

impl Default for EventFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl EventFeed {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
        }
    }

    /// Publishes `rows`, stored with the ids `first_id..`. Never waits.
    pub fn publish(&self, first_id: i64, rows: &[EventRow]) {
        if rows.is_empty() || self.tx.receiver_count() == 0 {
            return;
        }
        let batch: Vec<(i64, EventRow)> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| (first_id + i as i64, row.clone()))
            .collect();
        let _ = self.tx.send(Arc::new(batch));
    }

    pub fn subscribe(&self) -> Subscriber {
        Subscriber {
            rx: self.tx.subscribe(),
        }
    }
}

/// A subscription to the feed.
pub struct Subscriber {
    rx: broadcast::Receiver<Batch>,
}

impl Subscriber {
    pub async fn recv(&mut self) -> Received {
        match self.rx.recv().await {
            Ok(batch) => Received::Events(batch),
            // Batches, not events, are counted by the channel; one batch is at least one event.
            Err(broadcast::error::RecvError::Lagged(n)) => Received::Missed(n),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

/// The event as the API shows it.
pub fn to_event(id: i64, row: &EventRow) -> app::model::events::Event {
    use app::model::events::EventFlag;
    let flags = row.flags as i32 as u32;
    app::model::events::Event {
        id,
        timestamp: row.timestamp,
        received_at: row.received_at,
        host: row.host.clone(),
        source_ip: row.source_ip.clone(),
        source_port: row.source_port,
        destination_ip: row.destination_ip.clone(),
        destination_port: row.destination_port,
        user_name: row.user_name.clone(),
        event_category: row.event_category.clone(),
        event_action: row.event_action.clone(),
        event_outcome: row.event_outcome.clone(),
        level: row.level.clone(),
        process: row.process.clone(),
        pid: row.pid,
        message: row.message.clone(),
        raw: row.raw.clone(),
        parser: row.parser.to_string(),
        source: row.source.to_string(),
        flags,
        flag_names: EventFlag::decode(flags),
        repeat_count: row.repeat_count.min(i32::MAX as u32),
        fields: row.fields.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParsedEvent;

    fn row(msg: &str) -> EventRow {
        EventRow::new(
            ParsedEvent::raw(msg),
            msg.into(),
            chrono::Utc::now(),
            "api".into(),
        )
    }

    #[tokio::test]
    async fn subscribers_get_committed_rows_with_their_ids_and_hear_when_they_lag() {
        let feed = EventFeed::new();
        feed.publish(1, &[row("nobody listens")]);
        let mut sub = feed.subscribe();
        feed.publish(10, &[row("a"), row("b")]);
        match sub.recv().await {
            Received::Events(b) => {
                assert_eq!(
                    b.iter()
                        .map(|(id, r)| (*id, r.message.as_str()))
                        .collect::<Vec<_>>(),
                    [(10, "a"), (11, "b")]
                );
            }
            _ => panic!("expected events"),
        }
        for i in 0..CAPACITY + 5 {
            feed.publish(100 + i as i64, &[row("x")]);
        }
        assert!(matches!(sub.recv().await, Received::Missed(5)));
        let e = to_event(7, &row("m"));
        assert_eq!(
            (e.id, e.message.as_str(), e.source.as_str()),
            (7, "m", "api")
        );
    }
}
