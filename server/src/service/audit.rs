//! The audit trail: every security-relevant action goes to `audit_log` and, as an event, into
//! `bronze_event_data`, so Vigil's own rules can alert on attacks against Vigil itself.
//! [`begin`] and [`record`] are the only ways either is written, and both evaluate the events on
//! the detection engine. Every stored value is capped in length, since
//! much of it comes from unauthenticated callers; session ids stay in `audit_log` (readable with
//! `audit.read`) and never reach the event.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use hashlink::LruCache;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Set,
    TransactionTrait,
};
use serde_json::{Value, json};
use tokio::sync::OwnedMutexGuard;

use crate::detect::{Detection, Engine, SharedEngine};
use crate::ingest::EventRow;
use crate::ingest::row::insert_statements;
use crate::store::audit_log;

/// The `source` of the events the audit trail writes; reading them needs `audit.read`.
pub const SOURCE: &str = "vigil";

/// Longest stored name, target or string inside details, in characters (the columns are
/// `VARCHAR(255)` on MariaDB).
pub const MAX_TEXT: usize = 255;
/// Longest list kept inside details.
const MAX_ITEMS: usize = 64;
/// Deepest nesting kept inside details.
const MAX_DEPTH: usize = 4;

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// One audited action.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<i32>,
    pub actor_name: Option<String>,
    pub source_ip: Option<String>,
    /// A stable verb such as `login`, `logout`, `refresh_reuse`, `user_create`.
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub details: Value,
    /// The session the action concerns: kept in `audit_log` only, never in the event.
    pub session: Option<String>,
}

impl AuditEntry {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Self {
            actor_id: None,
            actor_name: None,
            source_ip: None,
            action,
            target: None,
            outcome,
            details: json!({}),
            session: None,
        }
    }

    /// An entry for an action the signed-in `user` took.
    pub fn by(
        user: &app::model::auth::CurrentUser,
        action: &'static str,
        outcome: Outcome,
    ) -> Self {
        Self::new(action, outcome)
            .actor(Some(user.id), user.username.clone())
            .from_ip(user.source_ip.clone())
    }

    pub fn actor(mut self, id: Option<i32>, name: impl Into<String>) -> Self {
        self.actor_id = id;
        self.actor_name = Some(name.into());
        self
    }

    pub fn from_ip(mut self, ip: Option<String>) -> Self {
        self.source_ip = ip;
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    fn category(&self) -> &'static str {
        match self.action {
            "login" | "login_throttled" | "logout" | "refresh" | "refresh_reuse"
            | "token_rejected" => "authentication",
            _ => "iam",
        }
    }
}

/// `text` cut to at most `max` characters.
pub fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// `value` with every string capped, lists shortened and deep nesting cut off.
fn cap_json(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) => Value::String(cap(s, MAX_TEXT)),
        Value::Array(items) if depth < MAX_DEPTH => Value::Array(
            items
                .iter()
                .take(MAX_ITEMS)
                .map(|v| cap_json(v, depth + 1))
                .collect(),
        ),
        Value::Object(map) if depth < MAX_DEPTH => Value::Object(
            map.iter()
                .take(MAX_ITEMS)
                .map(|(k, v)| (cap(k, MAX_TEXT), cap_json(v, depth + 1)))
                .collect(),
        ),
        Value::Array(_) | Value::Object(_) => Value::Null,
        other => other.clone(),
    }
}

/// How long [`begin`] waits for the detection engine, which the ingest writer holds while it
/// stores a batch (and while it retries an unreachable database). Past it the record fails, and
/// so does the action it describes: nothing goes unrecorded.
pub const ENGINE_WAIT: Duration = Duration::from_secs(10);

/// A transaction whose audit records are evaluated by detection like the ingest writer's
/// batches: the engine is held from before the transaction begins until after it commits (the
/// writer's order, so neither waits on the other's database locks), the records are written
/// with the alerts and state changes they cause just before the commit, and those changes reach
/// the engine only once committed. Dropped without [`Audited::commit`], nothing is written.
pub struct Audited {
    engine: OwnedMutexGuard<Engine>,
    txn: DatabaseTransaction,
    pending: Vec<AuditEntry>,
}

/// Takes the detection engine, then begins a transaction on `db`.
pub async fn begin(db: &DatabaseConnection, engine: &SharedEngine) -> Result<Audited, DbErr> {
    let mut engine = tokio::time::timeout(ENGINE_WAIT, engine.clone().lock_owned())
        .await
        .map_err(|_| DbErr::Custom("the detection engine is busy".into()))?;
    if let Err(err) = engine.refresh(db).await {
        tracing::warn!(error = %err, "cannot read the rules: detection keeps the rules it has");
    }
    Ok(Audited {
        engine,
        txn: db.begin().await?,
        pending: Vec::new(),
    })
}

/// Records `entry` on a transaction of its own, evaluated by detection.
pub async fn record(
    db: &DatabaseConnection,
    engine: &SharedEngine,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    let mut txn = begin(db, engine).await?;
    txn.record(entry);
    txn.commit().await
}

impl Audited {
    /// Queues `entry`: it is written, with its detection, when the transaction commits.
    pub fn record(&mut self, entry: AuditEntry) {
        self.pending.push(entry);
    }

    /// Ends the transaction without writing anything.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Writes the queued records and their detection, commits, and hands the detection to
    /// the engine.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Audited {
            mut engine,
            txn,
            pending,
        } = self;
        let (detection, alerts) = write(&txn, pending, &mut engine).await?;
        txn.commit().await?;
        if !detection.ops.is_empty() {
            crate::alerting::notify::wake();
        }
        engine.apply(detection);
        engine.published(alerts);
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Audited {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Inserts the entries' audit records and events, evaluates the events and stores the
/// resulting detection, returning it for [`Engine::apply`] once committed, with the ids of the
/// alerts it changed.
async fn write(
    txn: &DatabaseTransaction,
    entries: Vec<AuditEntry>,
    engine: &mut Engine,
) -> Result<(Detection, Vec<i64>), DbErr> {
    if entries.is_empty() {
        return Ok((Detection::default(), Vec::new()));
    }
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        rows.push(write_record(txn, entry).await?);
    }
    let id = crate::ingest::ids::reserve_in(txn, rows.len()).await?;
    let detection = engine.evaluate(id, &rows);
    for stmt in insert_statements(txn.get_database_backend(), &rows, id) {
        txn.execute_raw(stmt).await?;
    }
    crate::ingest::rollup::add(txn, &rows).await?;
    let alerts = crate::detect::store(txn, &detection).await?;
    Ok((detection, alerts))
}

/// Inserts the entry's audit record and returns its event.
async fn write_record(txn: &DatabaseTransaction, entry: AuditEntry) -> Result<EventRow, DbErr> {
    let now = Utc::now();
    let actor_name = entry.actor_name.as_deref().map(|a| cap(a, MAX_TEXT));
    let target = entry.target.as_deref().map(|t| cap(t, MAX_TEXT));
    let source_ip = entry.source_ip.as_deref().map(|ip| cap(ip, 45));
    let details = cap_json(&entry.details, 0);
    let mut logged = details.clone();
    if let (Some(session), Value::Object(map)) = (&entry.session, &mut logged) {
        map.insert("session".into(), Value::String(cap(session, MAX_TEXT)));
    }
    let message = format!(
        "{} {} {}: {}",
        actor_name.as_deref().unwrap_or("-"),
        entry.action,
        target.as_deref().unwrap_or("-"),
        entry.outcome.as_str()
    );
    // Authentication events name the account they concern, when it exists.
    let user_name = actor_name.clone().or_else(|| {
        (entry.category() == "authentication")
            .then(|| target.clone())
            .flatten()
    });
    audit_log::ActiveModel {
        timestamp: Set(now),
        actor_id: Set(entry.actor_id),
        actor_name: Set(actor_name),
        source_ip: Set(source_ip.clone()),
        action: Set(entry.action.to_string()),
        target: Set(target.clone()),
        outcome: Set(entry.outcome.as_str().to_string()),
        details: Set(logged),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut fields = serde_json::Map::new();
    fields.insert("audit.target".into(), json!(target));
    fields.insert("audit.details".into(), details);
    Ok(EventRow {
        timestamp: now,
        received_at: now,
        host: None,
        source_ip,
        source_port: None,
        destination_ip: None,
        destination_port: None,
        user_name,
        event_category: Some(entry.category().to_string()),
        event_action: Some(format!("vigil_{}", entry.action)),
        event_outcome: Some(entry.outcome.as_str().to_string()),
        level: Some(
            match entry.outcome {
                Outcome::Success => "info",
                Outcome::Failure => "warning",
            }
            .to_string(),
        ),
        process: Some("vigil".to_string()),
        pid: None,
        message: message.clone(),
        raw: message,
        parser: "vigil_audit",
        source: SOURCE.into(),
        flags: 0,
        repeat_count: 1,
        fields,
    })
}

/// How often one client address gets a record of a repeated unauthenticated failure.
pub const RECORD_EVERY: Duration = Duration::from_secs(60);

/// Thins out records of failures anyone can cause at will (bogus bearer tokens, unknown
/// refresh tokens): at most one record per action and client address per [`RECORD_EVERY`],
/// carrying how many failures happened since the previous one. Bounded like the rate limiter.
pub struct RecordGate {
    seen: Mutex<LruCache<GateKey, (Instant, u64)>>,
}

/// An action and the client address it came from.
type GateKey = (&'static str, String);

impl RecordGate {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// `Some(count)` when a record is due, `count` being the failures since the previous
    /// record from `client`, this one included; `None` when this one is only counted.
    pub fn admit(&self, action: &'static str, client: &str, now: Instant) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let key = (action, client.to_string());
        match seen.get_mut(&key) {
            Some((last, pending)) if now.saturating_duration_since(*last) < RECORD_EVERY => {
                *pending += 1;
                None
            }
            Some((last, pending)) => {
                let count = *pending + 1;
                *last = now;
                *pending = 0;
                Some(count)
            }
            None => {
                seen.insert(key, (now, 0));
                Some(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_capped_by_characters() {
        assert_eq!(cap("héllo", 2), "hé");
        assert_eq!(cap("abc", 255), "abc");
        let long = "é".repeat(10_000);
        let capped = cap_json(&json!({ "reason": long, "list": vec![1; 1000] }), 0);
        assert_eq!(capped["reason"].as_str().unwrap().chars().count(), MAX_TEXT);
        assert_eq!(capped["list"].as_array().unwrap().len(), MAX_ITEMS);
        let deep = json!([[[[["too deep"]]]]]);
        assert_eq!(cap_json(&deep, 0), json!([[[[null]]]]));
    }

    #[test]
    fn repeated_failures_get_one_record_a_minute_with_their_count() {
        let gate = RecordGate::new(100);
        let t0 = Instant::now();
        assert_eq!(gate.admit("token_rejected", "a", t0), Some(1));
        for _ in 0..9 {
            assert_eq!(gate.admit("token_rejected", "a", t0), None);
        }
        assert_eq!(
            gate.admit("token_rejected", "b", t0),
            Some(1),
            "per address"
        );
        assert_eq!(gate.admit("refresh", "a", t0), Some(1), "per action");
        assert_eq!(
            gate.admit("token_rejected", "a", t0 + RECORD_EVERY),
            Some(10)
        );
        assert_eq!(gate.admit("token_rejected", "a", t0 + RECORD_EVERY), None);
    }
}

mod query {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use app::error::AppError;
    use app::model::accounts::{AuditPage, AuditQuery, AuditRecord};
    use app::model::auth::{CurrentUser, Permission};

    use crate::service::{Service, internal};
    use crate::store::audit_log;

    #[async_trait::async_trait]
    impl app::model::accounts::AuditService for Service {
        /// The audit log, newest first, one page at a time.
        async fn audit_log(
            &self,
            actor: &CurrentUser,
            q: AuditQuery,
        ) -> Result<AuditPage, AppError> {
            self.authorize(actor, Permission::AuditRead).await?;
            let limit = q.limit.unwrap_or(100);
            if !(1..=500).contains(&limit) {
                return Err(AppError::Invalid("limit must be between 1 and 500".into()));
            }
            let mut find = audit_log::Entity::find().order_by_desc(audit_log::Column::Id);
            if let Some(actor) = q.actor.filter(|a| !a.is_empty()) {
                find = find.filter(audit_log::Column::ActorName.eq(actor));
            }
            if let Some(action) = q.action.filter(|a| !a.is_empty()) {
                find = find.filter(audit_log::Column::Action.eq(action));
            }
            if let Some(outcome) = q.outcome.filter(|o| !o.is_empty()) {
                if !matches!(outcome.as_str(), "success" | "failure") {
                    return Err(AppError::Invalid(
                        "outcome must be success or failure".into(),
                    ));
                }
                find = find.filter(audit_log::Column::Outcome.eq(outcome));
            }
            if let Some(from) = q.from {
                find = find.filter(audit_log::Column::Timestamp.gte(from));
            }
            if let Some(to) = q.to {
                find = find.filter(audit_log::Column::Timestamp.lt(to));
            }
            if let Some(cursor) = q.cursor {
                find = find.filter(audit_log::Column::Id.lt(cursor));
            }
            let mut rows = find
                .limit(limit + 1)
                .all(&self.db)
                .await
                .map_err(internal)?;
            let next_cursor = if rows.len() as u64 > limit {
                rows.truncate(limit as usize);
                rows.last().map(|r| r.id)
            } else {
                None
            };
            Ok(AuditPage {
                items: rows
                    .into_iter()
                    .map(|r| AuditRecord {
                        id: r.id,
                        timestamp: r.timestamp,
                        actor: r.actor_name,
                        source_ip: r.source_ip,
                        action: r.action,
                        target: r.target,
                        outcome: r.outcome,
                        details: r.details,
                    })
                    .collect(),
                next_cursor,
            })
        }
    }
}
