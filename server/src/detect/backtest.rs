//! Backtests: one rule evaluated over stored events, on the same engine code the ingest writer
//! runs, answering the alerts it would have raised.
//!
//! A fresh [`Engine`] holding only the rule reads the events of the time range in event-id
//! order (the order the writer evaluated them in), a page of [`PAGE`] rows at a time (keyset on
//! the id), evaluating each page with [`Engine::evaluate_stored`] and applying the result as the
//! writer does after a commit. The alert operations are folded as the alert store folds them
//! into a database without triage: the first `Raise` of a group key opens its alert, every later
//! operation of the key adds to it, an `Extend` without an alert does nothing (a suppression
//! window only holds back an alert of a key whose earlier alert was resolved, which never happens
//! here). The next page is read while one is evaluated. Memory stays bounded: two pages, the
//! rule's live keys (capped like the writer's) and at most [`MAX_ALERTS`] alerts of at most
//! [`EVIDENCE_CAP`] evidence ids each.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::Engine;
use super::engine::{AlertOp, OpKind, RuleMeta};
use crate::alerting::EVIDENCE_CAP;
use crate::ingest::EventRow;
use crate::store::bronze_event_data;

/// Stored events read and evaluated at a time.
pub const PAGE: u64 = 5_000;
/// The most alerts one backtest reports; past it, new group keys are counted as left out.
pub const MAX_ALERTS: usize = 10_000;

/// How far a backtest got, readable while it runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Stored events in the range (counted when the backtest starts).
    pub total: AtomicU64,
    /// Events read and evaluated so far.
    pub scanned: AtomicU64,
}

/// One alert the rule would have raised.
#[derive(Debug, Clone)]
pub struct Found {
    /// Everything the alert's operations say together: key, first and last seen, count.
    pub op: AlertOp,
    /// The evidence ids the alert store would have linked, oldest first.
    pub evidence: Vec<i64>,
}

impl Found {
    /// The first event behind the alert: the oldest of the events that raised it.
    pub fn first_event_id(&self) -> i64 {
        self.evidence.first().copied().unwrap_or_default()
    }
}

/// What a backtest found.
#[derive(Debug)]
pub struct Outcome {
    pub rule: Arc<RuleMeta>,
    /// In the order they would have been opened.
    pub alerts: Vec<Found>,
    /// Group keys whose alerts were not reported because [`MAX_ALERTS`] was reached.
    pub left_out: u64,
}

/// Runs `engine` (from [`Engine::for_rule`]) over the stored events with `from <= timestamp <
/// to`, in id order.
pub async fn run(
    db: &DatabaseConnection,
    engine: Engine,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    progress: &Progress,
) -> Result<Outcome, DbErr> {
    let rule = engine
        .only_rule()
        .cloned()
        .ok_or_else(|| DbErr::Custom("a backtest needs an engine with one rule".into()))?;
    let total = in_range(from, to).count(db).await?;
    progress.total.store(total, Ordering::Relaxed);
    let mut fold = Fold::default();
    let mut engine = Some(engine);
    // The next page is read while this one is evaluated: two pages in memory at most.
    let mut next = Some(tokio::spawn(page(db.clone(), from, to, i64::MIN)));
    while let Some(reading) = next.take() {
        let page = reading
            .await
            .map_err(|e| DbErr::Custom(format!("backtest read failed: {e}")))??;
        let Some(last) = page.last() else { break };
        let n = page.len() as u64;
        if n == PAGE {
            next = Some(tokio::spawn(self::page(db.clone(), from, to, last.id)));
        }
        // Evaluation is CPU work: off the async workers.
        let mut taken = engine.take().expect("the engine is back after each page");
        let (taken, ops) = tokio::task::spawn_blocking(move || {
            let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
            let rows: Vec<EventRow> = page.into_iter().map(stored_row).collect();
            let mut det = taken.evaluate_stored(&ids, &rows);
            let ops = std::mem::take(&mut det.ops);
            taken.apply(det);
            (taken, ops)
        })
        .await
        .map_err(|e| DbErr::Custom(format!("backtest evaluation failed: {e}")))?;
        engine = Some(taken);
        for (_, op) in ops {
            fold.add(op);
        }
        progress.scanned.fetch_add(n, Ordering::Relaxed);
    }
    Ok(Outcome {
        rule,
        alerts: fold.alerts,
        left_out: fold.left_out,
    })
}

fn in_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Select<bronze_event_data::Entity> {
    bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Timestamp.gte(from))
        .filter(bronze_event_data::Column::Timestamp.lt(to))
}

/// The range's next [`PAGE`] events after the id `after`, by id (the primary key's order, so
/// each page is a range scan however large the table).
async fn page(
    db: DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: i64,
) -> Result<Vec<bronze_event_data::Model>, DbErr> {
    in_range(from, to)
        .filter(bronze_event_data::Column::Id.gt(after))
        .order_by_asc(bronze_event_data::Column::Id)
        .limit(PAGE)
        .all(&db)
        .await
}

/// The alert store's folding, for a database nobody triages (see the module's description).
#[derive(Default)]
struct Fold {
    at: HashMap<String, usize>,
    alerts: Vec<Found>,
    left_out_keys: HashSet<String>,
    left_out: u64,
}

impl Fold {
    fn add(&mut self, op: AlertOp) {
        let mut ids = op.evidence.clone();
        ids.sort_unstable();
        ids.dedup();
        match self.at.get(&op.key.text) {
            Some(&i) => {
                let found = &mut self.alerts[i];
                let a = &mut found.op;
                a.count = a.count.saturating_add(op.count);
                a.first_seen = a.first_seen.min(op.first_seen);
                a.last_seen = a.last_seen.max(op.last_seen);
                a.window_end = a.window_end.max(op.window_end);
                ids.truncate(EVIDENCE_CAP.saturating_sub(found.evidence.len()));
                for id in ids {
                    if !found.evidence.contains(&id) {
                        found.evidence.push(id);
                    }
                }
            }
            None if op.kind == OpKind::Extend => {}
            None if self.alerts.len() >= MAX_ALERTS => {
                if self.left_out_keys.len() < MAX_ALERTS && self.left_out_keys.insert(op.key.text) {
                    self.left_out += 1;
                }
            }
            None => {
                ids.truncate(EVIDENCE_CAP);
                self.at.insert(op.key.text.clone(), self.alerts.len());
                self.alerts.push(Found { op, evidence: ids });
            }
        }
    }
}

/// A stored event as the writer handed it to detection.
fn stored_row(m: bronze_event_data::Model) -> EventRow {
    EventRow {
        timestamp: m.timestamp,
        received_at: m.received_at,
        host: m.host,
        source_ip: m.source_ip,
        source_port: m.source_port,
        destination_ip: m.destination_ip,
        destination_port: m.destination_port,
        user_name: m.user_name,
        event_category: m.event_category,
        event_action: m.event_action,
        event_outcome: m.event_outcome,
        level: m.level,
        process: m.process,
        pid: m.pid,
        message: m.message,
        raw: m.raw,
        parser: parser_name(&m.parser),
        source: m.source.into(),
        flags: u32::try_from(m.flags).unwrap_or_default(),
        repeat_count: u32::try_from(m.repeat_count).unwrap_or(1),
        fields: match m.fields {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
    }
}

/// Parser names are `&'static str` in [`EventRow`]; stored ones are interned, once each. Only
/// Vigil's parsers write the column, so the set stays as small as their number.
fn parser_name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = names.get(name) {
        return found;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::group::GroupKey;

    fn op(kind: OpKind, key: &str, secs: i64, count: u64, evidence: Vec<i64>) -> AlertOp {
        let at = DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap();
        AlertOp::new(
            kind,
            &GroupKey {
                text: key.into(),
                fields: Vec::new(),
            },
            at,
            at,
            count,
            evidence,
        )
    }

    #[test]
    fn operations_fold_like_the_alert_store_without_triage() {
        let mut fold = Fold::default();
        // An extension before any alert of its key opens nothing.
        fold.add(op(OpKind::Extend, "a", 0, 1, vec![1]));
        fold.add(op(OpKind::Raise, "a", 10, 5, vec![6, 2, 3, 4, 5]));
        fold.add(op(OpKind::Raise, "b", 20, 5, vec![7, 8, 9, 10, 11]));
        fold.add(op(OpKind::Extend, "a", 30, 1, vec![12]));
        fold.add(op(OpKind::Raise, "a", 40, 5, vec![12, 13, 14, 15, 16]));
        assert_eq!(fold.alerts.len(), 2);
        let a = &fold.alerts[0];
        assert_eq!(a.op.count, 11);
        assert_eq!(a.op.first_seen.timestamp(), 1_800_000_010);
        assert_eq!(a.op.last_seen.timestamp(), 1_800_000_040);
        assert_eq!(a.evidence, vec![2, 3, 4, 5, 6, 12, 13, 14, 15, 16]);
        assert_eq!(a.first_event_id(), 2);
        assert_eq!(fold.alerts[1].op.count, 5);
    }

    #[test]
    fn evidence_is_capped_and_keys_past_the_alert_cap_are_counted() {
        let mut fold = Fold::default();
        for i in 0..300 {
            fold.add(op(OpKind::Raise, "a", i, 1, vec![i]));
        }
        assert_eq!(fold.alerts[0].evidence.len(), EVIDENCE_CAP);
        assert_eq!(fold.alerts[0].op.count, 300);
        for i in 0..MAX_ALERTS as i64 + 5 {
            fold.add(op(OpKind::Raise, &format!("k{i}"), i, 1, vec![i]));
        }
        assert_eq!(fold.alerts.len(), MAX_ALERTS);
        assert_eq!(fold.left_out, 6);
    }

    #[test]
    fn parser_names_are_interned_once() {
        let a = parser_name("syslog-test-name");
        let b = parser_name(&String::from("syslog-test-name"));
        assert!(std::ptr::eq(a, b));
    }
}
