//! Notifications: channels (webhook, Slack, e-mail), the outbox and its delivery worker.
//!
//! An alert that opens queues one `notification_outbox` row per channel of its rule (with
//! the channel's minimum severity met) in the writer's transaction, so the alert and its
//! notifications are committed together or not at all. The worker, started by `vigil serve`,
//! picks due rows (woken right after such a commit, and polling besides), and for each:
//!
//! 1. claims it in a small transaction of its own: counts the attempt and moves its due time
//!    past the send's timeout (a lease), so nobody sends it meanwhile;
//! 2. sends it;
//! 3. marks it delivered in another small transaction, or records the error and the next
//!    attempt (exponential backoff from `retry_base` doubling up to `retry_cap`); after
//!    `max_attempts` sends it is marked failed.
//!
//! A crash before step 3 leaves the row pending and it is sent again once its lease ends:
//! delivery is at least once, and a second copy can only happen when Vigil dies in the
//! moment between the receiver accepting the message and the delivered mark's commit. A
//! delivered row is never sent again. Each channel has a token bucket (`rate_limit_per_minute`);
//! a message without a token stays pending until one frees up.

pub mod channel;
pub mod email;
pub mod limiter;
pub mod message;
pub mod outbox;
pub mod webhook;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::store::{alert, notification_channel, notification_outbox};
use channel::Stored;
use message::Facts;

/// Delivery settings (the `notify_*` and `public_url` configuration keys).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Vigil's address as people reach it; links point at `<public_url>/alerts/<id>`.
    pub public_url: String,
    /// Wait after the first failed send; doubles after each further one.
    pub retry_base: Duration,
    /// The longest wait between two sends.
    pub retry_cap: Duration,
    /// Sends before a message is given up and marked failed.
    pub max_attempts: u32,
    /// How long one send may take.
    pub send_timeout: Duration,
    /// How often the worker looks for due messages when nothing wakes it.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            max_attempts: 20,
            send_timeout: Duration::from_secs(10),
            poll: Duration::from_secs(5),
        }
    }
}

impl Settings {
    /// The wait after the `attempts`-th failed send.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(31));
        self.retry_base.saturating_mul(factor).min(self.retry_cap)
    }
}

/// Wakes the delivery workers of this process: called after a commit that may have queued
/// notifications.
static WAKE: Notify = Notify::const_new();

pub fn wake() {
    WAKE.notify_waiters();
}

/// Rows one pass of the worker reads.
const BATCH: u64 = 100;

/// Starts the delivery worker.
pub fn start(db: DatabaseConnection, settings: Settings) -> tokio::task::JoinHandle<()> {
    let client = webhook::client(settings.send_timeout);
    tokio::spawn(async move {
        let mut worker = Worker {
            db,
            settings,
            client,
            limiter: limiter::Limiter::default(),
        };
        worker.run().await;
    })
}

struct Worker {
    db: DatabaseConnection,
    settings: Settings,
    client: reqwest::Client,
    limiter: limiter::Limiter,
}

impl Worker {
    async fn run(&mut self) {
        loop {
            // Registered before the pass, so a wake during the pass is not lost.
            let woken = WAKE.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let wait = match self.pass().await {
                Ok(wait) => wait,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the notification outbox: retrying");
                    self.settings.poll
                }
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends what is due; answers how long to wait before the next pass.
    async fn pass(&mut self) -> Result<Duration, DbErr> {
        let now = Utc::now();
        let due = outbox::due(&self.db, now, BATCH).await?;
        let full = due.len() as u64 == BATCH;
        let ids: Vec<i32> = due.iter().map(|r| r.channel_id).collect();
        let channels: HashMap<i32, notification_channel::Model> =
            notification_channel::Entity::find()
                .filter(notification_channel::Column::Id.is_in(ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        let alert_ids: Vec<i64> = due.iter().map(|r| r.alert_id).collect();
        let alerts: HashMap<i64, alert::Model> = alert::Entity::find()
            .filter(alert::Column::Id.is_in(alert_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut sends = JoinSet::new();
        let mut deferred: HashMap<i32, Duration> = HashMap::new();
        for row in due {
            let Some(channel) = channels.get(&row.channel_id) else {
                continue; // deleted meanwhile; its rows go with it
            };
            if !channel.enabled {
                outbox::fail_channel(&self.db, channel.id, "the channel is disabled").await?;
                continue;
            }
            let Some(alert) = alerts.get(&row.alert_id) else {
                continue;
            };
            if deferred.contains_key(&channel.id) {
                continue;
            }
            if let Err(wait) = self.limiter.take(
                channel.id,
                channel.rate_per_minute,
                tokio::time::Instant::now(),
            ) {
                deferred.insert(channel.id, wait);
                let at = now + chrono::TimeDelta::from_std(wait).unwrap_or_default();
                outbox::defer_channel(&self.db, channel.id, at).await?;
                metrics::counter!("vigil_notifications_rate_limited_total").increment(1);
                continue;
            }
            let attempts = u32::try_from(row.attempts + 1).unwrap_or(u32::MAX);
            let lease = self.settings.send_timeout * 3 + self.settings.backoff(attempts);
            let until = Utc::now() + chrono::TimeDelta::from_std(lease).unwrap_or_default();
            if !outbox::claim(&self.db, &row, until).await? {
                continue;
            }
            let facts = Facts::of(alert, &row.event, &self.settings.public_url);
            let kind = channel.kind.clone();
            let config = Stored::from_json(&channel.config);
            let client = self.client.clone();
            let timeout = self.settings.send_timeout;
            let db = self.db.clone();
            let settings = self.settings.clone();
            sends.spawn(async move {
                let result = deliver(&client, &kind, &config, &facts, timeout).await;
                record(&db, &settings, &row, attempts, result).await;
            });
        }
        while sends.join_next().await.is_some() {}
        if full {
            return Ok(Duration::ZERO);
        }
        let wait = match outbox::next_due(&self.db).await? {
            Some(at) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
            None => self.settings.poll,
        };
        // A zero wait right after rate-limited rows would spin: at least a few milliseconds.
        Ok(wait.clamp(Duration::from_millis(5), self.settings.poll))
    }
}

/// Stores a send's outcome; the delivered mark is retried for a while, since a lost mark means
/// a second copy once the lease ends.
async fn record(
    db: &DatabaseConnection,
    settings: &Settings,
    row: &notification_outbox::Model,
    attempts: u32,
    result: Result<(), String>,
) {
    match result {
        Ok(()) => {
            metrics::counter!("vigil_notifications_delivered_total").increment(1);
            let mut wait = Duration::from_millis(50);
            for _ in 0..10 {
                match outbox::delivered(db, row.id).await {
                    Ok(()) => return,
                    Err(err) => {
                        tracing::warn!(error = %err, id = row.id, "cannot mark a notification delivered: retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(2));
                    }
                }
            }
            tracing::error!(
                id = row.id,
                "notification sent but not marked delivered: it may be sent again"
            );
        }
        Err(error) => {
            metrics::counter!("vigil_notifications_failed_attempts_total").increment(1);
            let retry_at = (attempts < settings.max_attempts).then(|| {
                Utc::now()
                    + chrono::TimeDelta::from_std(settings.backoff(attempts)).unwrap_or_default()
            });
            if retry_at.is_none() {
                tracing::warn!(id = row.id, alert = row.alert_id, channel = row.channel_id, attempts, error = %error, "notification given up");
            } else {
                tracing::info!(id = row.id, alert = row.alert_id, channel = row.channel_id, attempts, error = %error, "notification not delivered: will retry");
            }
            if let Err(err) = outbox::attempt_failed(db, row.id, &error, retry_at).await {
                tracing::warn!(error = %err, id = row.id, "cannot record a failed notification");
            }
        }
    }
}

/// Sends one message through a channel.
pub async fn deliver(
    client: &reqwest::Client,
    kind: &str,
    config: &Stored,
    facts: &Facts,
    timeout: Duration,
) -> Result<(), String> {
    match kind {
        "webhook" | "slack" => {
            let url = config.url.as_deref().ok_or("the channel has no URL")?;
            let body = if kind == "slack" {
                message::slack_payload(facts)
            } else {
                message::json_payload(facts)
            };
            webhook::send(client, url, &body).await
        }
        "email" => email::send(config, facts, timeout).await,
        other => Err(format!("unknown channel kind `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = Settings::default();
        let secs: Vec<u64> = (1..=11).map(|n| s.backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(s.backoff(1000).as_secs(), 300);
    }
}
