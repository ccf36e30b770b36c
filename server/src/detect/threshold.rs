//! `threshold` rules: at least N matching events (or N distinct values of a field) for one group
//! key within a window of event time.
//!
//! Semantics (the README's "Detection" section says the same for users):
//! - The window ending at an event at time `x` holds the matching events of the key with times
//!   in `[x - window, x]`, both ends included.
//! - Each event weighs its `repeat_count` (at least 1), so "message repeated 4 times" counts 4.
//!   In distinct mode each value counts once, at its latest occurrence.
//! - The alert fires at the first event (in event time) whose window reaches the threshold. Its
//!   window stays open until `x + window`: matches with times up to then add to the alert
//!   (count, last seen, evidence) instead of counting towards a new one. After it, counting
//!   starts afresh.
//! - Events may arrive out of order. A late event is placed at its time and may complete a
//!   window that ends at a later event already seen. An event more than one window older than
//!   the newest event seen for its key cannot be placed (what it would join has been evicted):
//!   it is not counted, and `vigil_detect_late_events_total` counts it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{AlertOp, Event, OpKind};
use super::group::{GroupKey, value_of};
use super::sigma::SigmaRule;
use app::query::{Field, Matcher};

/// Which events a threshold counts.
pub enum Filter {
    /// Those the rule's query selects.
    Query(Matcher),
    /// Those any of these Sigma rules matches: a Sigma `event_count` or `value_count`
    /// correlation counts the matches of the base rules it references.
    Sigma(Vec<SigmaRule>),
}

pub struct Threshold {
    pub filter: Filter,
    pub window: TimeDelta,
    pub threshold: u64,
    pub distinct: Option<Field>,
}

/// One matching event held in a key's window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hit {
    pub ts: DateTime<Utc>,
    pub id: i64,
    /// Its weight (`repeat_count`), 1 in distinct mode.
    pub n: u64,
    /// The distinct field's value, in distinct mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<String>,
}

/// One key's state: the matching events still inside a window, by time, and the open alert's
/// window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ThresholdState {
    pub hits: Vec<Hit>,
    /// The fired alert's window `[from, until]`: matches in it add to the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub newest: Option<DateTime<Utc>>,
}

impl ThresholdState {
    /// True when nothing can happen with this key any more once the rule has seen events up
    /// to `watermark`.
    pub fn expired(&self, watermark: DateTime<Utc>, window: TimeDelta) -> bool {
        let idle = self.newest.is_none_or(|n| n < watermark - window);
        let closed = self.fired.is_none_or(|(_, until)| until < watermark);
        idle && closed
    }
}

impl Threshold {
    pub fn matches(&self, ev: &Event) -> bool {
        match &self.filter {
            Filter::Query(m) => m.matches(ev.row),
            Filter::Sigma(rules) => rules.iter().any(|r| r.matches(ev.row)),
        }
    }

    /// Feeds one matching event of `key` into its state.
    pub fn on_event(
        &self,
        ev: &Event,
        key: &GroupKey,
        st: &mut ThresholdState,
        out: &mut Vec<AlertOp>,
    ) {
        let t = ev.row.timestamp;
        let (n, v) = match &self.distinct {
            Some(f) => match value_of(ev.row, f) {
                Some(v) => (1, Some(v)),
                // Without the counted field the event counts for nothing.
                None => return,
            },
            None => (u64::from(ev.row.repeat_count.max(1)), None),
        };
        if let Some((from, until)) = st.fired
            && t >= from
            && t <= until
        {
            out.push(AlertOp::new(OpKind::Extend, key, t, t, n, vec![ev.id]));
            st.newest = Some(st.newest.map_or(t, |x| x.max(t)));
            return;
        }
        if let Some(newest) = st.newest
            && t < newest - self.window
        {
            metrics::counter!("vigil_detect_late_events_total").increment(1);
            return;
        }
        let newest = st.newest.map_or(t, |x| x.max(t));
        st.newest = Some(newest);
        if let Some((_, until)) = st.fired
            && t > until
        {
            st.fired = None;
            st.hits.retain(|h| h.ts > until);
        }
        if let Some(v) = &v {
            // Distinct mode: a value counts once, at its latest occurrence.
            if let Some(at) = st.hits.iter().position(|h| h.v.as_ref() == Some(v)) {
                if st.hits[at].ts > t {
                    return;
                }
                st.hits.remove(at);
            }
        }
        let at = st.hits.partition_point(|h| h.ts <= t);
        st.hits.insert(
            at,
            Hit {
                ts: t,
                id: ev.id,
                n,
                v,
            },
        );
        let horizon = newest - self.window;
        st.hits.retain(|h| h.ts >= horizon);
        self.check(key, st, t, out);
    }

    /// Fires at the earliest window that holds `t`'s event and reaches the threshold.
    fn check(
        &self,
        key: &GroupKey,
        st: &mut ThresholdState,
        t: DateTime<Utc>,
        out: &mut Vec<AlertOp>,
    ) {
        let hits = &st.hits;
        let mut start = 0;
        let mut sum: u64 = 0;
        for end in 0..hits.len() {
            sum += hits[end].n;
            while hits[start].ts < hits[end].ts - self.window {
                sum -= hits[start].n;
                start += 1;
            }
            if hits[end].ts < t || hits[end].ts > t + self.window || sum < self.threshold {
                continue;
            }
            // Fired at hits[end]; later hits already held (late arrivals) join the alert.
            let fired_at = hits[end].ts;
            let taken: Vec<&Hit> = hits[start..].iter().collect();
            let count: u64 = taken.iter().map(|h| h.n).sum();
            let first = taken[0].ts;
            let last = taken.iter().map(|h| h.ts).max().unwrap_or(fired_at);
            let mut op = AlertOp::new(
                OpKind::Raise,
                key,
                first,
                last,
                count,
                taken.iter().map(|h| h.id).collect(),
            );
            op.window_end = Some(fired_at + self.window);
            op.summary = Some(match &self.distinct {
                Some(f) => format!(
                    "{count} distinct {} within {} s (threshold {})",
                    f.name(),
                    self.window.num_seconds(),
                    self.threshold
                ),
                None => format!(
                    "{count} events within {} s (threshold {})",
                    self.window.num_seconds(),
                    self.threshold
                ),
            });
            out.push(op);
            st.fired = Some((first, fired_at + self.window));
            st.hits.clear();
            return;
        }
    }
}
