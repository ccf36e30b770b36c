//! The writer: collects parsed submissions into batches and stores each batch, with the
//! checkpoints it reaches, in one transaction. While the database is unreachable it keeps the
//! batch, retries with backoff and reports itself paused.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::checkpoint::{self, CheckpointMark};
use super::ids;
use super::row::insert_statements;
use super::stage::Parsed;
use super::{EventRow, IngestError};
use crate::detect::{Detection, Engine, SharedEngine};

pub struct Settings {
    pub batch_size: usize,
    pub flush_interval: Duration,
}

/// The writer's own checkpoint: its transaction counter, so an unknown commit outcome can be
/// settled by reading it back. Each writer (a `serve` and a concurrent `vigil ingest`, say) has
/// a counter of its own, named at random when it starts.
const WRITER_SOURCE: &str = "vigil-writer";

#[derive(Default)]
struct Batch {
    rows: Vec<EventRow>,
    marks: HashMap<(i32, String), CheckpointMark>,
    acks: Vec<oneshot::Sender<Result<(), IngestError>>>,
}

impl Batch {
    fn add(&mut self, parsed: Parsed) {
        self.rows.extend(parsed.rows);
        if let Some(mark) = parsed.checkpoint {
            // Submissions of one file arrive in order: the later mark covers the earlier.
            self.marks
                .insert((mark.source_id, mark.fingerprint.clone()), mark);
        }
        self.acks.extend(parsed.ack);
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.marks.is_empty() && self.acks.is_empty()
    }
}

pub async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Parsed>,
    settings: Settings,
    paused: Arc<AtomicBool>,
    engine: Option<SharedEngine>,
    feed: super::event_feed::EventFeed,
) {
    let mut seq = Sequence::new();
    let mut open = true;
    while open {
        // Wait for the first submission of a batch, then fill it until it is full or the
        // flush interval has passed.
        let mut batch = Batch::default();
        match rx.recv().await {
            Some(p) => batch.add(p),
            None => break,
        }
        let deadline = Instant::now() + settings.flush_interval;
        while batch.rows.len() < settings.batch_size {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(p)) => batch.add(p),
                Ok(None) => {
                    open = false;
                    break;
                }
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        // The audit trail evaluates its events on the same engine: the lock spans evaluation,
        // commit and apply.
        let mut guard = match &engine {
            Some(engine) => Some(engine.lock().await),
            None => None,
        };
        store(&db, &mut seq, batch, &paused, guard.as_deref_mut(), &feed).await;
    }
}

/// Retries `step` with backoff until it succeeds, reporting the pipeline paused meanwhile.
async fn retry<T, F, Fut>(paused: &AtomicBool, rows: usize, mut step: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, DbErr>>,
{
    let mut backoff = Duration::from_millis(100);
    loop {
        match step().await {
            Ok(v) => return v,
            Err(err) => {
                if !paused.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %err, rows, "cannot store events: ingestion paused, retrying");
                    metrics::gauge!("vigil_ingest_paused").set(1.0);
                } else {
                    tracing::debug!(error = %err, "retry failed");
                }
                metrics::counter!("vigil_ingest_write_errors_total").increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Stores a batch, retrying until it is committed; then answers its acknowledgements.
///
/// The batch's event ids are reserved first and detection runs once on them; the detection's
/// alerts and state changes go into the batch's transaction and reach the engine only after
/// the commit, so retries never count an event twice.
async fn store(
    db: &DatabaseConnection,
    seq: &mut Sequence,
    batch: Batch,
    paused: &AtomicBool,
    mut engine: Option<&mut Engine>,
    feed: &super::event_feed::EventFeed,
) {
    let n = batch.rows.len();
    let first_id = if n == 0 {
        0
    } else {
        retry(paused, n, || ids::reserve(db, n)).await
    };
    let detection = match engine.as_deref_mut() {
        Some(engine) if n > 0 => {
            if let Err(err) = engine.refresh(db).await {
                tracing::warn!(error = %err, "cannot read the rules: detection keeps the rules it has");
            }
            engine.evaluate(first_id, &batch.rows)
        }
        _ => Detection::default(),
    };
    let mut backoff = Duration::from_millis(100);
    // After a failed commit nobody knows whether it reached the database; the transaction
    // counter tells, once the database answers again.
    let mut uncertain = false;
    loop {
        let attempt = async {
            let writer = seq.ensure(db).await?;
            let name = seq.name.clone();
            let next = seq.value + 1;
            if uncertain
                && checkpoint::committed(db, writer, &name)
                    .await?
                    .is_some_and(|n| n >= next)
            {
                tracing::warn!("a commit reported as failed had been stored: not writing it again");
                // The alerts it changed are not known: the stream's clients see them with
                // their next change or when they read the alerts again.
                return Ok((next, Vec::new()));
            }
            uncertain = true;
            commit(db, &batch, first_id, &detection, writer, &name, next)
                .await
                .map(|alerts| (next, alerts))
        };
        match attempt.await {
            Ok((next, alerts)) => {
                seq.value = next;
                if paused.swap(false, Ordering::Relaxed) {
                    tracing::info!("database reachable again: ingestion resumed");
                    metrics::gauge!("vigil_ingest_paused").set(0.0);
                }
                count(&batch.rows);
                feed.publish(first_id, &batch.rows);
                if !detection.ops.is_empty() {
                    // Alerts may have queued notifications: deliver them now.
                    crate::alerting::notify::wake();
                }
                if let Some(engine) = engine {
                    engine.apply(detection);
                    engine.published(alerts);
                }
                for ack in batch.acks {
                    let _ = ack.send(Ok(()));
                }
                return;
            }
            Err(err) => {
                if !paused.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %err, rows = batch.rows.len(), "cannot store events: ingestion paused, retrying");
                    metrics::gauge!("vigil_ingest_paused").set(1.0);
                } else {
                    tracing::debug!(error = %err, "retry failed");
                }
                metrics::counter!("vigil_ingest_write_errors_total").increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn commit(
    db: &DatabaseConnection,
    batch: &Batch,
    first_id: i64,
    detection: &Detection,
    writer: i32,
    name: &str,
    next: u64,
) -> Result<Vec<i64>, DbErr> {
    let txn = db.begin().await?;
    for stmt in insert_statements(db.get_database_backend(), &batch.rows, first_id) {
        txn.execute_raw(stmt).await?;
    }
    super::rollup::add(&txn, &batch.rows).await?;
    let alerts = crate::detect::store(&txn, detection).await?;
    for mark in batch.marks.values() {
        checkpoint::upsert(&txn, mark).await?;
    }
    checkpoint::upsert(
        &txn,
        &CheckpointMark {
            source_id: writer,
            fingerprint: name.to_string(),
            path: String::new(),
            offset: next,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(alerts)
}

fn count(rows: &[EventRow]) {
    let mut by: HashMap<(&str, &'static str), u64> = HashMap::new();
    for row in rows {
        *by.entry((&row.source, row.parser)).or_default() += 1;
    }
    for ((source, parser), n) in by {
        metrics::counter!("vigil_ingest_events_total", "source" => source.to_string(), "parser" => parser)
            .increment(n);
    }
}

/// The writer's transaction counter.
struct Sequence {
    source: Option<i32>,
    name: String,
    value: u64,
}

/// Counters of writers that stopped this long ago are removed.
const STALE_COUNTERS: chrono::TimeDelta = chrono::TimeDelta::days(2);

impl Sequence {
    fn new() -> Self {
        Self {
            source: None,
            name: format!("transactions:{:032x}", rand::random::<u128>()),
            value: 0,
        }
    }

    async fn ensure(&mut self, db: &DatabaseConnection) -> Result<i32, DbErr> {
        if let Some(id) = self.source {
            return Ok(id);
        }
        let source = checkpoint::register_source(
            db,
            WRITER_SOURCE,
            "internal",
            serde_json::json!({ "description": "transaction counters of the ingest writers" }),
        )
        .await?;
        checkpoint::prune_older(db, source.id, chrono::Utc::now() - STALE_COUNTERS).await?;
        self.source = Some(source.id);
        Ok(source.id)
    }
}
