//! Ingestion: every source (watched directory, syslog, the REST API, `vigil ingest`) hands raw
//! lines to one pipeline.
//!
//! ```text
//! source ──Submission──▶ parse stage (own thread) ──Parsed──▶ writer ──▶ one transaction:
//!                          parse::parse_bytes, then          reserve ids,   events + alerts +
//!                          each EventHook (enrich)           detect         detector state +
//!                                                                           checkpoints
//! ```
//!
//! Detection runs in the writer, not as a hook: it needs the events' ids (for evidence) and
//! its output (alerts, state) must join the batch's transaction.
//!
//! Both channels are bounded, so a slow database slows the sources down instead of filling
//! memory. A [`Submission`] may carry a [`CheckpointMark`] (how far into a file its lines reach)
//! and an acknowledgement channel; the writer stores the mark in the same transaction as the
//! events and answers the acknowledgement after the commit. That is what makes file ingestion
//! exactly-once across crashes: after a restart a file resumes at its last committed offset.
//! The writer also numbers its transactions in a checkpoint of its own, so when a commit fails
//! with an unknown outcome (the connection dropped mid-commit) it can tell whether the batch
//! was stored before it retries, and nothing is stored twice.

pub mod checkpoint;
pub mod event_feed;
pub mod ids;
pub mod rollup;
pub mod row;
mod stage;
pub mod syslog;
pub mod tail;
pub mod watch;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::config::IngestConfig;
use crate::parse::{ParserKind, ZeekState};

pub use checkpoint::CheckpointMark;
pub use row::EventRow;
pub use stage::EventHook;

/// A registered source: its `sources` row id and its name (stored in every event's `source`).
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub id: i32,
    pub name: Arc<str>,
}

/// One raw line and what the source knows about it.
#[derive(Debug, Clone)]
pub struct RawLine {
    /// The line without its terminator.
    pub bytes: Vec<u8>,
    pub received_at: DateTime<Utc>,
    /// Fields the source adds to the event, e.g. the syslog sender's address.
    pub extra: Option<Map<String, Value>>,
}

impl RawLine {
    pub fn new(bytes: Vec<u8>, received_at: DateTime<Utc>) -> Self {
        Self {
            bytes,
            received_at,
            extra: None,
        }
    }
}

/// Why a submission was not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("the ingest pipeline has stopped")]
    Closed,
}

/// Lines from one source, in order, with the checkpoint they reach.
pub struct Submission {
    pub source: SourceRef,
    pub parser: ParserKind,
    /// The reference for inferring the year of RFC 3164 timestamps: the file's modification
    /// time for files; `None` uses each line's receive time.
    pub reference_time: Option<DateTime<Utc>>,
    pub lines: Vec<RawLine>,
    pub checkpoint: Option<CheckpointMark>,
    /// Fields added to every event of the submission (e.g. the file path), besides each line's
    /// own [`RawLine::extra`].
    pub fields: Option<Arc<Map<String, Value>>>,
    /// Zeek TSV files carry their column layout in header lines: one state per file.
    pub zeek: Option<Arc<std::sync::Mutex<ZeekState>>>,
    /// Answered once the lines (and the checkpoint) are committed.
    pub ack: Option<oneshot::Sender<Result<(), IngestError>>>,
}

impl Submission {
    pub fn new(source: SourceRef, parser: ParserKind, lines: Vec<RawLine>) -> Self {
        Self {
            source,
            parser,
            reference_time: None,
            lines,
            checkpoint: None,
            fields: None,
            zeek: None,
            ack: None,
        }
    }

    /// Adds `fields` to every event of the submission.
    pub fn with_fields(mut self, fields: Map<String, Value>) -> Self {
        self.fields = Some(Arc::new(fields));
        self
    }
}

/// The sending side of the pipeline, cheap to clone.
#[derive(Clone)]
pub struct IngestHandle {
    /// Shared by every clone, so that [`Self::close`] ends intake for all of them.
    tx: Arc<std::sync::Mutex<Option<mpsc::Sender<Submission>>>>,
    db: DatabaseConnection,
    paused: Arc<AtomicBool>,
    stopped: tokio::sync::watch::Receiver<bool>,
    /// Sources already registered by this process, by name.
    sources: Arc<std::sync::Mutex<std::collections::HashMap<String, SourceRef>>>,
    /// The writer's detection engine, which the audit trail evaluates its events on too.
    engine: crate::detect::SharedEngine,
    /// Alerts changed by committed detections and triage, for the alert stream.
    alert_feed: crate::alerting::AlertFeed,
    /// Events as the writer commits them, for the live tail.
    event_feed: event_feed::EventFeed,
}

impl IngestHandle {
    /// Queues a submission, waiting while the pipeline is full (back-pressure).
    pub async fn submit(&self, sub: Submission) -> Result<(), IngestError> {
        let tx = self.sender()?;
        tx.send(sub).await.map_err(|_| IngestError::Closed)
    }

    /// Queues a submission and waits until it is committed.
    pub async fn submit_and_wait(&self, mut sub: Submission) -> Result<(), IngestError> {
        let (tx, rx) = oneshot::channel();
        sub.ack = Some(tx);
        self.submit(sub).await?;
        rx.await.map_err(|_| IngestError::Closed)?
    }

    /// The same as [`Self::submit`] from a thread outside the runtime.
    pub fn blocking_submit(&self, sub: Submission) -> Result<(), IngestError> {
        self.sender()?
            .blocking_send(sub)
            .map_err(|_| IngestError::Closed)
    }

    fn sender(&self) -> Result<mpsc::Sender<Submission>, IngestError> {
        self.tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(IngestError::Closed)
    }

    /// Ends intake for every clone of this handle: later submissions answer
    /// [`IngestError::Closed`], and once the submissions already made are stored the writer
    /// stops (see [`Self::stopped`]), even while background tasks still hold handles.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// True while the writer cannot reach the database and is retrying.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Finds or creates the `sources` row named `name` (once per process and name).
    pub async fn source(
        &self,
        name: &str,
        kind: &str,
        config: Value,
    ) -> Result<SourceRef, sea_orm::DbErr> {
        if let Some(found) = self.known_source(name) {
            return Ok(found);
        }
        let found = checkpoint::register_source(&self.db, name, kind, config).await?;
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), found.clone());
        Ok(found)
    }

    fn known_source(&self, name: &str) -> Option<SourceRef> {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The detection engine the writer evaluates every stored batch on.
    pub fn engine(&self) -> &crate::detect::SharedEngine {
        &self.engine
    }

    /// The alert stream's feed, which the writer publishes every committed alert change on.
    pub fn alert_feed(&self) -> &crate::alerting::AlertFeed {
        &self.alert_feed
    }

    /// The live tail's feed, which the writer publishes every committed event on.
    pub fn event_feed(&self) -> &event_feed::EventFeed {
        &self.event_feed
    }

    /// Resolves once the writer has stored everything and stopped, which happens when every
    /// handle is gone or one was closed. Holds no handle itself.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + use<> {
        let mut rx = self.stopped.clone();
        async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}

/// How many submissions may wait for the parse stage, and parsed batches for the writer.
const QUEUE_DEPTH: usize = 8;

impl IngestHandle {
    /// Starts the parse stage and the writer on `db`; they run until every handle is gone.
    pub fn start(db: DatabaseConnection, config: &IngestConfig) -> Self {
        Self::start_with_hooks(db, config, Vec::new())
    }

    /// Like [`Self::start`], running `hooks` (enrichment, detection) on every parsed batch,
    /// in the given order, before it is stored.
    pub fn start_with_hooks(
        db: DatabaseConnection,
        config: &IngestConfig,
        hooks: Vec<Arc<dyn EventHook>>,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Submission>(QUEUE_DEPTH);
        let (parsed_tx, parsed_rx) = mpsc::channel(QUEUE_DEPTH);
        let paused = Arc::new(AtomicBool::new(false));
        stage::spawn(rx, parsed_tx, hooks);
        let (stopped_tx, stopped) = tokio::sync::watch::channel(false);
        let settings = writer::Settings {
            batch_size: config.batch_size,
            flush_interval: config.flush_interval,
        };
        let writer_db = db.clone();
        let writer_paused = paused.clone();
        let alert_feed =
            crate::alerting::AlertFeed::start(db.clone(), config.detect.alert_stream_capacity);
        let engine = Arc::new(tokio::sync::Mutex::new(
            crate::detect::Engine::new(config.detect).with_feed(alert_feed.clone()),
        ));
        let writer_engine = Some(engine.clone());
        let event_feed = event_feed::EventFeed::new();
        let writer_feed = event_feed.clone();
        tokio::spawn(async move {
            writer::run(
                writer_db,
                parsed_rx,
                settings,
                writer_paused,
                writer_engine,
                writer_feed,
            )
            .await;
            let _ = stopped_tx.send(true);
        });
        Self {
            tx: Arc::new(std::sync::Mutex::new(Some(tx))),
            db,
            paused,
            stopped,
            sources: Default::default(),
            engine,
            alert_feed,
            event_feed,
        }
    }
}
