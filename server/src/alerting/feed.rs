//! The live alert feed behind `GET /api/v1/alerts/stream`: alerts opened or changed, as the
//! alerts API shows them, published after the change is committed.
//!
//! Publishing never waits for a subscriber. The writer (and the audit trail, and triage through
//! the API) hand the ids of the alerts they changed to [`AlertFeed::changed`], which queues them
//! for a loader task; the loader reads those alerts once and sends them on a bounded
//! `tokio::sync::broadcast` channel. A subscriber that falls more than the channel's capacity
//! behind loses the oldest alerts and is told how many it missed ([`Received::Missed`]), so it
//! can read `GET /api/v1/alerts` again; nobody upstream ever blocks on it.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, mpsc};

use app::model::alerts::AlertView;

/// What a subscriber receives next.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Alert(Arc<AlertView>),
    /// The subscriber fell behind and this many alerts were dropped for it.
    Missed(u64),
    /// The feed is gone (the server is stopping).
    Closed,
}

/// The sending side, cheap to clone.
#[derive(Clone)]
pub struct AlertFeed {
    tx: broadcast::Sender<Arc<AlertView>>,
    /// Ids of changed alerts for the loader; `None` for a feed without a database (tests).
    changed: Option<mpsc::UnboundedSender<Vec<i64>>>,
}

/// A subscription to the feed.
pub struct Subscriber {
    rx: broadcast::Receiver<Arc<AlertView>>,
}

impl Subscriber {
    /// The next alert, or how many were missed when this subscriber fell behind.
    pub async fn recv(&mut self) -> Received {
        match self.rx.recv().await {
            Ok(alert) => Received::Alert(alert),
            Err(broadcast::error::RecvError::Lagged(n)) => Received::Missed(n),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

impl AlertFeed {
    /// A feed holding at most `capacity` alerts a subscriber has not read yet; alerts are
    /// published with [`Self::publish`] only.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx, changed: None }
    }

    /// Like [`Self::new`], with a loader task that reads the alerts named through
    /// [`Self::changed`] from `db` and publishes them, in the order they were named.
    ///
    /// The queue to the loader is unbounded but cannot grow without bound: its senders are
    /// the writer and the API, which commit through the same database the loader reads, and
    /// ids are only queued while someone is subscribed.
    pub fn start(db: DatabaseConnection, capacity: usize) -> Self {
        let mut feed = Self::new(capacity);
        let (changed, mut rx) = mpsc::unbounded_channel::<Vec<i64>>();
        feed.changed = Some(changed);
        let tx = feed.tx.clone();
        tokio::spawn(async move {
            while let Some(mut ids) = rx.recv().await {
                // Everything queued meanwhile in one read.
                while let Ok(more) = rx.try_recv() {
                    ids.extend(more);
                }
                if tx.receiver_count() == 0 {
                    continue;
                }
                match crate::service::alert_views(&db, &ids).await {
                    Ok(views) => {
                        for view in views {
                            let _ = tx.send(Arc::new(view));
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, alerts = ids.len(), "cannot read changed alerts for the alert stream")
                    }
                }
            }
        });
        feed
    }

    pub fn subscribe(&self) -> Subscriber {
        Subscriber {
            rx: self.tx.subscribe(),
        }
    }

    /// Publishes an alert as it now is. Never waits.
    pub fn publish(&self, alert: AlertView) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Arc::new(alert));
        }
    }

    /// Names alerts whose change was just committed, for the loader to publish. Never waits.
    pub fn changed(&self, mut ids: Vec<i64>) {
        if ids.is_empty() || self.tx.receiver_count() == 0 {
            return;
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(changed) = &self.changed {
            let _ = changed.send(ids);
        }
    }

    /// How many streams are listening.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn alert(id: i64) -> AlertView {
        let now = Utc::now();
        AlertView {
            id,
            rule_id: Some(1),
            rule_name: Some("r".into()),
            title: format!("alert {id}"),
            severity: "high".into(),
            status: "open".into(),
            assignee_id: None,
            assignee: None,
            group_key: "source_ip=192.0.2.1".into(),
            group_fields: serde_json::json!({ "source_ip": "192.0.2.1" }),
            event_count: 5,
            evidence_count: 5,
            first_seen: now,
            last_seen: now,
            summary: None,
            tags: Vec::new(),
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            resolved_at: None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_never_reads_is_told_to_resync_and_never_blocks_the_sender() {
        let feed = AlertFeed::new(4);
        let mut slow = feed.subscribe();
        let mut fast = feed.subscribe();
        // Far more than the capacity, with nobody reading `slow`: every publish returns at
        // once (this loop would hang if a send waited for a subscriber).
        for id in 1..=1000 {
            feed.publish(alert(id));
            if let Received::Alert(a) = fast.recv().await {
                assert_eq!(
                    a.id, id,
                    "a subscriber that keeps up sees every alert in order"
                );
            } else {
                panic!("the reading subscriber fell behind");
            }
        }
        // The slow one learns it missed the 996 alerts it had no room for, then continues with
        // the 4 newest.
        assert_eq!(slow.recv().await, Received::Missed(996));
        for id in 997..=1000 {
            match slow.recv().await {
                Received::Alert(a) => assert_eq!(a.id, id),
                other => panic!("expected alert {id}, got {other:?}"),
            }
        }
        feed.publish(alert(1001));
        assert!(matches!(slow.recv().await, Received::Alert(a) if a.id == 1001));
    }

    #[tokio::test]
    async fn nothing_is_kept_without_subscribers_and_the_end_is_reported() {
        let feed = AlertFeed::new(2);
        feed.publish(alert(1));
        let mut sub = feed.subscribe();
        feed.publish(alert(2));
        assert!(matches!(sub.recv().await, Received::Alert(a) if a.id == 2));
        drop(feed);
        assert_eq!(sub.recv().await, Received::Closed);
    }
}
