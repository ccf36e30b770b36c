//! `anomaly` rules: a group key's event rate (or the mean of a numeric field) per bucket of
//! event time, compared with the key's rolling baseline, firing when it deviates by more than
//! `k` standard deviations.
//!
//! Semantics (the README's "Detection" section says the same for users):
//! - Buckets are `bucket_secs` long and aligned on the Unix epoch (bucket `floor(t / bucket_secs)`
//!   of event time `t`), so the same events always fall into the same buckets.
//! - The measure of a bucket is the count of the key's matching events in it, each weighing its
//!   `repeat_count` (without `field`), or the mean of `field` over the key's samples in it (with
//!   `field`; an event whose field holds no finite number is not a sample).
//! - A key's open bucket is the bucket of its newest event. It closes when the key sees an event
//!   in a later bucket; its measure then joins the baseline. For the event rate, the buckets in
//!   between, which had no event, join the baseline as zeros (a burst after silence is measured
//!   against a baseline that includes the silence); with `field` they hold no sample and are
//!   skipped.
//! - The baseline is the last `baseline_buckets` closed buckets: their mean and (population)
//!   standard deviation σ. A bucket deviates when its measure is more than
//!   `max(k·σ, min_deviation)` above the mean (`direction` `above`), below it (`below`), or
//!   either (`both`). The floor `min_deviation` keeps a flat baseline (σ = 0) from firing on
//!   the smallest change.
//! - Warm-up: a key fires only once its baseline holds `warmup_buckets` closed buckets (empty
//!   ones included for the rate). A key's history starts at the bucket of its first event.
//! - When: an event rate above the baseline fires at the event that takes the open bucket's
//!   count over the limit, without waiting for the bucket to end. Everything else (a rate below
//!   the baseline, any mean) is judged when the bucket closes, at the key's first event in a
//!   later bucket. Either way a bucket fires at most once; the alert's evidence is the bucket's
//!   events, and events of the bucket after the firing add to the alert.
//! - A rate `below` compares buckets that have events: a key that falls silent raises nothing
//!   (nothing happens in event time until its next event).
//! - Late events: an event older than its key's open bucket is not counted anywhere (its bucket
//!   is closed and part of the baseline already); `vigil_detect_late_events_total` counts it.
//! - A key with no event for more than `baseline_buckets` buckets after its open bucket starts
//!   afresh (its open bucket is judged first): a baseline of nothing but silence is no baseline,
//!   and the key warms up again.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::definition::{self, RuleError};
use super::engine::{AlertOp, Event, OpKind};
use super::group::{GroupKey, value_of};
use crate::alerting::EVIDENCE_CAP;
use app::query::{Field, Matcher};

/// The longest baseline an `anomaly` rule may keep, in buckets (a day of one-minute buckets).
pub const MAX_BASELINE_BUCKETS: u64 = 1440;
/// The shortest and longest `anomaly` bucket, in seconds.
pub const MIN_BUCKET_SECS: i64 = 60;
pub const MAX_BUCKET_SECS: i64 = 24 * 3600;
/// The most standard deviations an `anomaly` rule may ask for.
pub const MAX_K: f64 = 100.0;

/// `anomaly`: a group key's event rate per bucket (or the mean of a numeric `field` per bucket)
/// more than `k` standard deviations from its rolling baseline of `baseline_buckets` buckets
/// (see the module documentation for the exact semantics).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnomalyDef {
    /// Which events count; without it, every event (holding `field`, when there is one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Without it the measure is the event rate; with it, the mean of this numeric field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default = "super::definition::by_host")]
    pub group_by: Vec<String>,
    pub bucket_secs: i64,
    pub baseline_buckets: u64,
    /// Closed buckets a key needs before it may fire; by default `baseline_buckets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_buckets: Option<u64>,
    pub k: f64,
    /// The smallest deviation from the mean that fires, whatever the standard deviation.
    #[serde(default = "one_f64")]
    pub min_deviation: f64,
    /// `above` (the default), `below` or `both`.
    #[serde(default = "above")]
    pub direction: String,
    #[serde(default)]
    pub title: Option<String>,
}

impl AnomalyDef {
    pub fn warmup(&self) -> u64 {
        self.warmup_buckets.unwrap_or(self.baseline_buckets)
    }

    pub(super) fn check(&self) -> Result<(), RuleError> {
        if let Some(q) = &self.query {
            definition::query("definition.query", q)?;
        }
        if let Some(f) = &self.field {
            definition::field("definition.field", f)?;
        }
        if !(MIN_BUCKET_SECS..=MAX_BUCKET_SECS).contains(&self.bucket_secs) {
            return Err(RuleError::new(
                "definition.bucket_secs",
                format!(
                    "{} is out of range: between {MIN_BUCKET_SECS} and {MAX_BUCKET_SECS} seconds",
                    self.bucket_secs
                ),
            ));
        }
        if !(2..=MAX_BASELINE_BUCKETS).contains(&self.baseline_buckets) {
            return Err(RuleError::new(
                "definition.baseline_buckets",
                format!(
                    "{} is out of range: between 2 and {MAX_BASELINE_BUCKETS}",
                    self.baseline_buckets
                ),
            ));
        }
        if !(2..=self.baseline_buckets).contains(&self.warmup()) {
            return Err(RuleError::new(
                "definition.warmup_buckets",
                format!(
                    "{} is out of range: between 2 and baseline_buckets ({})",
                    self.warmup(),
                    self.baseline_buckets
                ),
            ));
        }
        if !(self.k.is_finite() && self.k > 0.0 && self.k <= MAX_K) {
            return Err(RuleError::new(
                "definition.k",
                format!("{} is out of range: above 0 and at most {MAX_K}", self.k),
            ));
        }
        if !(self.min_deviation.is_finite() && self.min_deviation >= 0.0) {
            return Err(RuleError::new(
                "definition.min_deviation",
                "must be a finite number, 0 or more",
            ));
        }
        if Direction::parse(&self.direction).is_none() {
            return Err(RuleError::new(
                "definition.direction",
                format!(
                    "unknown direction `{}`: one of above, below, both",
                    self.direction
                ),
            ));
        }
        Ok(())
    }
}

fn one_f64() -> f64 {
    1.0
}

fn above() -> String {
    "above".to_string()
}

/// Which side of the baseline fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Above,
    Below,
    Both,
}

impl Direction {
    pub const NAMES: [(&'static str, Direction); 3] = [
        ("above", Direction::Above),
        ("below", Direction::Below),
        ("both", Direction::Both),
    ];

    pub fn parse(s: &str) -> Option<Direction> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, d)| *d)
    }

    fn above(self) -> bool {
        matches!(self, Direction::Above | Direction::Both)
    }

    fn below(self) -> bool {
        matches!(self, Direction::Below | Direction::Both)
    }
}

pub struct Anomaly {
    /// Which events count; `None` takes every event (holding `field`, when there is one).
    pub filter: Option<Matcher>,
    /// `None`: the measure is the event rate; `Some`: the mean of this field.
    pub field: Option<Field>,
    /// The field's name as the rule wrote it, for the summary.
    pub field_name: String,
    pub bucket_secs: i64,
    pub baseline: usize,
    pub warmup: usize,
    pub k: f64,
    pub min_deviation: f64,
    pub direction: Direction,
}

/// One key's state: the baseline and the open bucket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AnomalyState {
    /// The measures of the last closed buckets, oldest first (at most `baseline_buckets`).
    pub baseline: VecDeque<f64>,
    /// The open bucket's number (event time / `bucket_secs`, rounded down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<i64>,
    /// The open bucket's events (by weight) or samples.
    #[serde(default)]
    pub n: u64,
    /// The sum of the open bucket's samples (with `field`).
    #[serde(default)]
    pub sum: f64,
    /// The open bucket's event ids until it fires (at most the evidence cap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<i64>,
    /// The open bucket's earliest event time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<DateTime<Utc>>,
    /// The open bucket fired: its further events add to the alert.
    #[serde(default)]
    pub fired: bool,
    /// The key's newest event time (in its open bucket).
    pub newest: Option<DateTime<Utc>>,
}

/// A bucket found deviating: on which side, and the baseline it was judged against.
struct Verdict {
    above: bool,
    mean: f64,
    sd: f64,
    limit: f64,
    len: usize,
}

impl Anomaly {
    fn bucket_of(&self, t: DateTime<Utc>) -> i64 {
        t.timestamp().div_euclid(self.bucket_secs)
    }

    /// The event's weight and, with a field, its sample; `None` when it is not counted.
    fn weigh(&self, ev: &Event) -> Option<(u64, f64)> {
        match &self.field {
            None => Some((u64::from(ev.row.repeat_count.max(1)), 0.0)),
            Some(f) => {
                let text = value_of(ev.row, f)?;
                let x = text.trim().parse::<f64>().ok().filter(|x| x.is_finite())?;
                Some((1, x))
            }
        }
    }

    pub fn matches(&self, ev: &Event) -> bool {
        self.filter.as_ref().is_none_or(|m| m.matches(ev.row)) && self.weigh(ev).is_some()
    }

    /// True when nothing can happen with this key any more once the rule has seen events up to
    /// `watermark`: its next event starts it afresh, and its open bucket, once judged, raises
    /// nothing.
    pub fn expired(&self, st: &AnomalyState, watermark: DateTime<Utc>) -> bool {
        let Some(open) = st.bucket else {
            return true;
        };
        let silent = self.bucket_of(watermark) - open > self.baseline as i64;
        silent && (st.fired || self.judge_closed(st).is_none())
    }

    /// Feeds one counted event of `key` into its state.
    pub fn on_event(
        &self,
        ev: &Event,
        key: &GroupKey,
        st: &mut AnomalyState,
        out: &mut Vec<AlertOp>,
    ) {
        let Some((weight, x)) = self.weigh(ev) else {
            return;
        };
        let t = ev.row.timestamp;
        let b = self.bucket_of(t);
        match st.bucket {
            Some(open) if b < open => {
                metrics::counter!("vigil_detect_late_events_total").increment(1);
                return;
            }
            Some(open) if b > open => self.close(key, st, b, out),
            _ => {}
        }
        st.bucket = Some(b);
        st.newest = Some(st.newest.map_or(t, |n| n.max(t)));
        st.first = Some(st.first.map_or(t, |f| f.min(t)));
        st.n += weight;
        st.sum += x;
        if st.fired {
            out.push(AlertOp::new(OpKind::Extend, key, t, t, weight, vec![ev.id]));
            return;
        }
        if st.ids.len() < EVIDENCE_CAP {
            st.ids.push(ev.id);
        }
        // An event rate only grows within its bucket: it may fire before the bucket ends.
        if self.field.is_none()
            && self.direction.above()
            && let Some(v) = self.verdict(&st.baseline, st.n as f64)
            && v.above
        {
            self.raise(key, st, v, out);
        }
    }

    /// Closes the open bucket on the key's first event in bucket `next`: judges it (unless it
    /// fired already) and moves it into the baseline, with the empty buckets in between.
    fn close(&self, key: &GroupKey, st: &mut AnomalyState, next: i64, out: &mut Vec<AlertOp>) {
        let open = st.bucket.unwrap_or(next);
        if !st.fired
            && let Some(v) = self.judge_closed(st)
        {
            self.raise(key, st, v, out);
        }
        let gap = next - open - 1;
        if gap >= self.baseline as i64 {
            *st = AnomalyState::default();
            return;
        }
        let measure = self.measure(st);
        self.push(&mut st.baseline, measure);
        if self.field.is_none() {
            for _ in 0..gap {
                self.push(&mut st.baseline, 0.0);
            }
        }
        *st = AnomalyState {
            baseline: std::mem::take(&mut st.baseline),
            ..AnomalyState::default()
        };
    }

    /// The open bucket's verdict as a closed bucket: what was not judged while it was open.
    fn judge_closed(&self, st: &AnomalyState) -> Option<Verdict> {
        let v = self.verdict(&st.baseline, self.measure(st))?;
        // A rate above the baseline fired (or not) while the bucket was open.
        let judged_open = self.field.is_none() && v.above;
        (!judged_open).then_some(v)
    }

    fn measure(&self, st: &AnomalyState) -> f64 {
        match self.field {
            None => st.n as f64,
            Some(_) => st.sum / st.n.max(1) as f64,
        }
    }

    fn push(&self, baseline: &mut VecDeque<f64>, x: f64) {
        if baseline.len() == self.baseline {
            baseline.pop_front();
        }
        baseline.push_back(x);
    }

    /// Whether `x` deviates from `baseline` on a side the rule watches, once warmed up.
    fn verdict(&self, baseline: &VecDeque<f64>, x: f64) -> Option<Verdict> {
        let len = baseline.len();
        if len < self.warmup || len == 0 {
            return None;
        }
        let mean = baseline.iter().sum::<f64>() / len as f64;
        let var = baseline
            .iter()
            .map(|b| (b - mean) * (b - mean))
            .sum::<f64>()
            / len as f64;
        let sd = var.sqrt();
        let limit = (self.k * sd).max(self.min_deviation);
        let verdict = |above| Verdict {
            above,
            mean,
            sd,
            limit,
            len,
        };
        if self.direction.above() && x - mean > limit {
            Some(verdict(true))
        } else if self.direction.below() && mean - x > limit {
            Some(verdict(false))
        } else {
            None
        }
    }

    /// Raises the open bucket's alert, its events so far as evidence.
    fn raise(&self, key: &GroupKey, st: &mut AnomalyState, v: Verdict, out: &mut Vec<AlertOp>) {
        let first = st.first.unwrap_or_default();
        let last = st.newest.unwrap_or(first);
        let mut op = AlertOp::new(
            OpKind::Raise,
            key,
            first,
            last,
            st.n,
            std::mem::take(&mut st.ids),
        );
        let start = DateTime::<Utc>::from_timestamp(st.bucket.unwrap_or(0) * self.bucket_secs, 0)
            .unwrap_or_default();
        let measure = match self.field {
            None => format!("{} events", st.n),
            Some(_) => format!(
                "mean {} {:.2} over {} samples",
                self.field_name,
                self.measure(st),
                st.n
            ),
        };
        let (side, bound) = if v.above {
            ("above", v.mean + v.limit)
        } else {
            ("below", v.mean - v.limit)
        };
        op.summary = Some(format!(
            "{measure} in the {} s bucket from {} ({side} {bound:.2}: baseline mean {:.2}, \
             standard deviation {:.2} over {} buckets)",
            self.bucket_secs,
            start.format("%Y-%m-%d %H:%M:%S UTC"),
            v.mean,
            v.sd,
            v.len
        ));
        out.push(op);
        st.fired = true;
    }
}
