//! The engine: the enabled rules, compiled, with the live state of every group key.
//!
//! The writer calls [`Engine::evaluate`] on each batch once the batch's event ids are
//! reserved. Evaluation does not change the engine: it works on copies of the keys it touches
//! and returns a [`Detection`] (alert operations and state changes) that the writer stores in
//! the batch's transaction. Only after that transaction commits does the writer hand the
//! detection back to [`Engine::apply`]. A failed or retried commit therefore never counts an
//! event twice, and after a crash the state loaded from `detector_state` matches the events
//! that were stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::anomaly::{Anomaly, AnomalyState, Direction};
use super::definition::{self, Definition};
use super::group::{GroupBy, GroupKey};
use super::match_rule::MatchRule;
use super::metric::{Metric, MetricState, Op};
use super::sequence::{Sequence, SequenceState};
use super::sigma_rule::{Correlated, SigmaMatch};
use super::temporal::{Temporal, TemporalState};
use super::threshold::{Filter, Threshold, ThresholdState};
use super::{RuleKind, Settings};
use crate::alerting::AlertFeed;
use crate::ingest::EventRow;
use crate::store::{detector_state, rule};

pub use super::output::{
    AlertOp, Detection, Event, KeyEntry, KeyState, OpKind, RuleMeta, StateChange,
};

enum Detector {
    Match(MatchRule),
    Threshold(Threshold),
    Sequence(Sequence),
    Sigma(SigmaMatch),
    Metric(Metric),
    Anomaly(Anomaly),
    Temporal(Temporal),
}

impl Detector {
    fn matches(&self, ev: &Event) -> bool {
        match self {
            Self::Match(d) => d.matches(ev),
            Self::Threshold(d) => d.matches(ev),
            Self::Sequence(d) => d.matches(ev),
            Self::Sigma(d) => d.matches(ev),
            Self::Metric(d) => d.matches(ev),
            Self::Anomaly(d) => d.matches(ev),
            Self::Temporal(d) => d.matches(ev),
        }
    }

    fn fresh(&self) -> Option<KeyState> {
        match self {
            Self::Match(_) | Self::Sigma(_) => None,
            Self::Threshold(_) => Some(KeyState::Threshold(ThresholdState::default())),
            Self::Sequence(_) => Some(KeyState::Sequence(SequenceState::default())),
            Self::Metric(_) => Some(KeyState::Metric(MetricState::default())),
            Self::Anomaly(_) => Some(KeyState::Anomaly(AnomalyState::default())),
            Self::Temporal(_) => Some(KeyState::Temporal(TemporalState::default())),
        }
    }

    fn expired(&self, state: &KeyState, watermark: DateTime<Utc>) -> bool {
        match (self, state) {
            (Self::Threshold(d), KeyState::Threshold(s)) => s.expired(watermark, d.window),
            (Self::Sequence(d), KeyState::Sequence(s)) => s.expired(watermark, d.within),
            (Self::Metric(_), KeyState::Metric(s)) => s.expired(),
            (Self::Anomaly(d), KeyState::Anomaly(s)) => d.expired(s, watermark),
            (Self::Temporal(d), KeyState::Temporal(s)) => s.expired(watermark, d.timespan),
            _ => true,
        }
    }

    fn on_event(&self, ev: &Event, entry: &mut KeyEntry, out: &mut Vec<AlertOp>) {
        match (self, &mut entry.state) {
            (Self::Threshold(d), KeyState::Threshold(s)) => d.on_event(ev, &entry.key, s, out),
            (Self::Sequence(d), KeyState::Sequence(s)) => d.on_event(ev, &entry.key, s, out),
            (Self::Metric(d), KeyState::Metric(s)) => d.on_event(ev, &entry.key, s, out),
            (Self::Anomaly(d), KeyState::Anomaly(s)) => d.on_event(ev, &entry.key, s, out),
            (Self::Temporal(d), KeyState::Temporal(s)) => d.on_event(ev, &entry.key, s, out),
            _ => {}
        }
        entry.last_event_id = ev.id;
    }
}

struct LiveRule {
    meta: Arc<RuleMeta>,
    group: GroupBy,
    detector: Detector,
    keys: HashMap<String, KeyEntry>,
    watermark: Option<DateTime<Utc>>,
    last_sweep: Instant,
}

/// How often keys that can no longer fire are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How often the rules are read again (hot reload).
const RELOAD_EVERY: Duration = Duration::from_secs(1);

pub struct Engine {
    rules: Vec<LiveRule>,
    settings: Settings,
    loaded_at: Option<Instant>,
    /// Where alerts changed by a committed detection are announced.
    feed: Option<AlertFeed>,
}

impl Engine {
    pub fn new(settings: Settings) -> Self {
        Self {
            rules: Vec::new(),
            settings,
            loaded_at: None,
            feed: None,
        }
    }

    /// Announces committed alert changes on `feed` (see [`Self::published`]).
    pub fn with_feed(mut self, feed: AlertFeed) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Hands the ids of alerts a committed detection opened or changed (what
    /// [`super::store`] answered) to the alert stream. Never waits.
    pub fn published(&self, alerts: Vec<i64>) {
        if let Some(feed) = &self.feed {
            feed.changed(alerts);
        }
    }

    /// Reads the rules again when the last read is older than a second: rules added, edited,
    /// enabled or disabled take effect with the next batch after that. A rule that is new or
    /// changed starts from its stored state written since its last change.
    pub async fn refresh(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if self.loaded_at.is_some_and(|t| t.elapsed() < RELOAD_EVERY) {
            return Ok(());
        }
        let models = rule::Entity::find()
            .filter(rule::Column::Enabled.eq(true))
            .all(db)
            .await?;
        let mut old: HashMap<i32, LiveRule> =
            self.rules.drain(..).map(|r| (r.meta.id, r)).collect();
        for model in models {
            if let Some(live) = old.remove(&model.id)
                && live.meta.updated_at == model.updated_at
            {
                self.rules.push(live);
                continue;
            }
            match compile(&model) {
                Ok(mut live) => {
                    load_state(db, &mut live).await?;
                    tracing::info!(rule = %model.name, keys = live.keys.len(), "rule loaded");
                    self.rules.push(live);
                }
                Err(err) => {
                    tracing::warn!(rule = %model.name, error = %err, "rule not loaded");
                }
            }
        }
        self.loaded_at = Some(Instant::now());
        metrics::gauge!("vigil_detect_rules").set(self.rules.len() as f64);
        Ok(())
    }

    /// An engine holding only `model` (enabled or not), with no stored state and no reload:
    /// what a backtest evaluates stored events on.
    pub fn for_rule(
        settings: Settings,
        model: &rule::Model,
    ) -> Result<Self, definition::RuleError> {
        Ok(Self {
            rules: vec![compile(model)?],
            settings,
            loaded_at: Some(Instant::now()),
            feed: None,
        })
    }

    /// The rule an engine made by [`Self::for_rule`] holds.
    pub fn only_rule(&self) -> Option<&Arc<RuleMeta>> {
        self.rules.first().map(|r| &r.meta)
    }

    /// Evaluates a batch whose events have the ids `first_id..`, without changing the engine.
    pub fn evaluate(&mut self, first_id: i64, rows: &[EventRow]) -> Detection {
        self.evaluate_with(rows, |i| first_id + i as i64)
    }

    /// Evaluates stored events, `ids[i]` being the id of `rows[i]`, as [`Self::evaluate`]
    /// does a batch (a backtest reads stored events, whose ids need not be consecutive).
    pub fn evaluate_stored(&mut self, ids: &[i64], rows: &[EventRow]) -> Detection {
        assert_eq!(ids.len(), rows.len(), "one id per row");
        self.evaluate_with(rows, |i| ids[i])
    }

    fn evaluate_with(&mut self, rows: &[EventRow], id_of: impl Fn(usize) -> i64) -> Detection {
        let mut det = Detection::default();
        let cap = self.settings.max_keys_per_rule.max(1);
        for rule in &mut self.rules {
            let mut ops = Vec::new();
            let mut overlay: HashMap<String, Option<KeyEntry>> = HashMap::new();
            let mut live = rule.keys.len();
            let mut watermark = rule.watermark;
            for (i, row) in rows.iter().enumerate() {
                let ev = Event { id: id_of(i), row };
                if !rule.detector.matches(&ev) {
                    continue;
                }
                let Some(key) = rule.group.key(row) else {
                    continue;
                };
                watermark = watermark.max(Some(row.timestamp));
                if let Detector::Match(d) = &rule.detector {
                    d.on_event(&ev, &key, &mut ops);
                    continue;
                }
                if let Detector::Sigma(d) = &rule.detector {
                    d.on_event(&ev, &key, &mut ops);
                    continue;
                }
                let exists = match overlay.get(&key.text) {
                    Some(e) => e.is_some(),
                    None => rule.keys.contains_key(&key.text),
                };
                if !exists {
                    if live >= cap {
                        live -= evict_oldest(&rule.keys, &mut overlay);
                    }
                    live += 1;
                }
                let slot = overlay
                    .entry(key.text.clone())
                    .or_insert_with(|| rule.keys.get(&key.text).cloned());
                let entry = slot.get_or_insert_with(|| KeyEntry {
                    key: key.clone(),
                    state: rule.detector.fresh().expect("stateful rule"),
                    last_event_id: 0,
                });
                rule.detector.on_event(&ev, entry, &mut ops);
            }
            if let Some(wm) = watermark
                && rule.last_sweep.elapsed() >= SWEEP_EVERY
            {
                rule.last_sweep = Instant::now();
                sweep(rule, wm, &mut overlay);
            }
            if let Some(wm) = watermark {
                det.watermarks.push((rule.meta.id, wm));
            }
            for (key_text, entry) in overlay {
                if entry.is_none() && !rule.keys.contains_key(&key_text) {
                    continue;
                }
                det.changes.push(StateChange {
                    rule_id: rule.meta.id,
                    key_text,
                    entry,
                });
            }
            // One operation per alert and batch.
            let mut merged: Vec<AlertOp> = Vec::new();
            let mut at: HashMap<String, usize> = HashMap::new();
            for op in ops {
                match at.get(&op.key.text) {
                    Some(&i) => merged[i].merge(op),
                    None => {
                        at.insert(op.key.text.clone(), merged.len());
                        merged.push(op);
                    }
                }
            }
            det.ops
                .extend(merged.into_iter().map(|op| (rule.meta.clone(), op)));
        }
        det
    }

    /// Applies a detection whose batch was committed.
    pub fn apply(&mut self, det: Detection) {
        let mut by_id: HashMap<i32, &mut LiveRule> =
            self.rules.iter_mut().map(|r| (r.meta.id, r)).collect();
        for change in det.changes {
            let Some(rule) = by_id.get_mut(&change.rule_id) else {
                continue;
            };
            match change.entry {
                Some(entry) => {
                    rule.keys.insert(change.key_text, entry);
                }
                None => {
                    rule.keys.remove(&change.key_text);
                }
            }
        }
        for (id, wm) in det.watermarks {
            if let Some(rule) = by_id.get_mut(&id) {
                rule.watermark = rule.watermark.max(Some(wm));
            }
        }
        let keys: usize = self.rules.iter().map(|r| r.keys.len()).sum();
        metrics::gauge!("vigil_detect_live_keys").set(keys as f64);
    }

    /// Adds a rule without reading the database, for tests.
    #[cfg(test)]
    pub(crate) fn add_rule(&mut self, model: &rule::Model) {
        self.rules.push(compile(model).expect("test rule compiles"));
        self.loaded_at = Some(Instant::now());
    }

    /// The live keys of the rule named `id`, for tests and metrics.
    pub fn live_keys(&self, id: i32) -> usize {
        self.rules
            .iter()
            .find(|r| r.meta.id == id)
            .map_or(0, |r| r.keys.len())
    }
}

/// At the cap, the oldest tenth of a rule's keys (by newest event time) make room for new ones;
/// `vigil_detect_keys_evicted_total` counts them. Returns how many were evicted.
fn evict_oldest(
    committed: &HashMap<String, KeyEntry>,
    overlay: &mut HashMap<String, Option<KeyEntry>>,
) -> usize {
    let mut all: Vec<(Option<DateTime<Utc>>, String)> = committed
        .iter()
        .filter(|(k, _)| !overlay.contains_key(*k))
        .map(|(k, e)| (e.newest(), k.clone()))
        .chain(
            overlay
                .iter()
                .filter_map(|(k, e)| e.as_ref().map(|e| (e.newest(), k.clone()))),
        )
        .collect();
    all.sort();
    let n = (all.len() / 10).max(1).min(all.len());
    for (_, k) in all.into_iter().take(n) {
        overlay.insert(k, None);
    }
    metrics::counter!("vigil_detect_keys_evicted_total", "reason" => "cap").increment(n as u64);
    n
}

/// Drops the keys that cannot fire any more.
fn sweep(
    rule: &LiveRule,
    watermark: DateTime<Utc>,
    overlay: &mut HashMap<String, Option<KeyEntry>>,
) {
    let mut gone = Vec::new();
    for (k, e) in &rule.keys {
        if !overlay.contains_key(k) && rule.detector.expired(&e.state, watermark) {
            gone.push(k.clone());
        }
    }
    for (k, e) in overlay.iter() {
        if let Some(e) = e
            && rule.detector.expired(&e.state, watermark)
        {
            gone.push(k.clone());
        }
    }
    metrics::counter!("vigil_detect_keys_evicted_total", "reason" => "expired")
        .increment(gone.len() as u64);
    for k in gone {
        overlay.insert(k, None);
    }
}

fn compile(model: &rule::Model) -> Result<LiveRule, definition::RuleError> {
    let kind: RuleKind = model.kind.parse().map_err(|_| {
        definition::RuleError::new("kind", format!("unknown kind `{}`", model.kind))
    })?;
    let def = Definition::parse(kind, &model.definition)?;
    let mut group_by = def.group_by().to_vec();
    let secs = TimeDelta::seconds;
    let detector = match &def {
        Definition::Match(d) => Detector::Match(MatchRule {
            matcher: definition::query("definition.query", &d.query)?,
        }),
        Definition::Threshold(d) => Detector::Threshold(Threshold {
            filter: Filter::Query(definition::query("definition.query", &d.query)?),
            window: secs(d.window_secs),
            threshold: d.threshold,
            distinct: d
                .distinct
                .as_deref()
                .map(|f| definition::field("definition.distinct", f))
                .transpose()?,
        }),
        Definition::Sequence(d) => Detector::Sequence(Sequence {
            first: definition::query("definition.first", &d.first)?,
            first_count: d.first_count,
            then: definition::query("definition.then", &d.then)?,
            within: secs(d.within_secs),
        }),
        // A correlation runs over its base rules' matches, grouped by the Vigil fields its
        // Sigma `group-by` maps to.
        Definition::Sigma(d) if d.correlation.is_some() => {
            let c = d.compile_correlation()?;
            group_by = c.group_by;
            match c.detector {
                Correlated::Count(t) => Detector::Threshold(t),
                Correlated::Temporal(t) => Detector::Temporal(t),
            }
        }
        Definition::Metric(d) => Detector::Metric(Metric {
            filter: d
                .query
                .as_deref()
                .map(|q| definition::query("definition.query", q))
                .transpose()?,
            field: definition::field("definition.field", &d.field)?,
            op: Op::parse(&d.op).ok_or_else(|| {
                definition::RuleError::new("definition.op", format!("unknown op `{}`", d.op))
            })?,
            value: d.value,
            consecutive: d.consecutive,
        }),
        Definition::Anomaly(d) => Detector::Anomaly(Anomaly {
            filter: d
                .query
                .as_deref()
                .map(|q| definition::query("definition.query", q))
                .transpose()?,
            field: d
                .field
                .as_deref()
                .map(|f| definition::field("definition.field", f))
                .transpose()?,
            field_name: d.field.clone().unwrap_or_default(),
            bucket_secs: d.bucket_secs,
            baseline: d.baseline_buckets as usize,
            warmup: d.warmup() as usize,
            k: d.k,
            min_deviation: d.min_deviation,
            direction: Direction::parse(&d.direction).ok_or_else(|| {
                definition::RuleError::new(
                    "definition.direction",
                    format!("unknown direction `{}`", d.direction),
                )
            })?,
        }),
        Definition::Sigma(d) => Detector::Sigma(SigmaMatch {
            rule: Box::new(d.compile()?),
        }),
    };
    let group = GroupBy::new(&group_by)?;
    let title = def.title().map(str::to_string).unwrap_or_else(|| {
        let fields: Vec<String> = group_by.iter().map(|f| format!("{{{f}}}")).collect();
        if fields.is_empty() {
            model.name.clone()
        } else {
            format!("{}: {}", model.name, fields.join(" "))
        }
    });
    Ok(LiveRule {
        meta: Arc::new(RuleMeta {
            id: model.id,
            name: model.name.clone(),
            severity: model.severity.clone(),
            tags: model.tags.clone(),
            title,
            suppress: model.suppress_secs.map(TimeDelta::seconds),
            updated_at: model.updated_at,
        }),
        group,
        detector,
        keys: HashMap::new(),
        watermark: None,
        last_sweep: Instant::now(),
    })
}

/// Loads a rule's stored state written since the rule last changed (older rows belong to an
/// earlier definition and are ignored).
async fn load_state(db: &impl ConnectionTrait, live: &mut LiveRule) -> Result<(), DbErr> {
    if matches!(live.detector, Detector::Match(_) | Detector::Sigma(_)) {
        return Ok(());
    }
    let rows = detector_state::Entity::find()
        .filter(detector_state::Column::RuleId.eq(live.meta.id))
        .filter(detector_state::Column::UpdatedAt.gte(live.meta.updated_at))
        .all(db)
        .await?;
    for row in rows {
        let Ok(stored) = serde_json::from_value::<super::state::Stored>(row.state) else {
            tracing::warn!(rule = live.meta.id, key = %row.key_text, "unreadable detector state ignored");
            continue;
        };
        let entry = KeyEntry {
            key: GroupKey {
                text: row.key_text.clone(),
                fields: stored.fields,
            },
            state: stored.state,
            last_event_id: row.last_event_id,
        };
        live.watermark = live.watermark.max(entry.newest());
        live.keys.insert(row.key_text, entry);
    }
    Ok(())
}
