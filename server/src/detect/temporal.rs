//! Sigma `temporal` and `temporal_ordered` correlations: every referenced base rule matches for
//! one group key within a timespan of event time, in any order or in the order listed.
//!
//! Semantics (the README's "Sigma rules" section says the same for users):
//! - A window ending at time `x` holds the base rules' matches of the key with times in
//!   `[x - timespan, x]`, both ends included. `temporal` fires at the first `x` (in event time)
//!   whose window holds a match of every base rule; an event that several base rules match
//!   counts for each of them. `temporal_ordered` fires at the first match of the last listed
//!   rule preceded, inside its window, by a chain of matches of the other rules in the listed
//!   order; order is event time, and events with the same time count in the order they were
//!   stored, so each rule of the chain is a different event.
//! - The alert's evidence is one match per base rule: the latest of each rule inside the window
//!   (`temporal`), or the chain (`temporal_ordered`, the latest possible one). Every match held
//!   is then used up: the next alert needs new matches.
//! - After firing at `x` the alert's window stays open until `x + timespan`: matches of any
//!   base rule with times from the alert's first match up to then add to the alert (count, last
//!   seen, evidence) instead of starting a new one. After it, matching starts afresh.
//! - Events may arrive out of order: a late match is placed at its time and may complete a
//!   window. One more than a timespan older than the newest match seen for its key is not
//!   held, and `vigil_detect_late_events_total` counts it.
//! - Per key, the latest [`HELD_PER_RULE`] matches of each base rule are held.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{AlertOp, Event, OpKind};
use super::group::GroupKey;
use super::sigma::SigmaRule;

/// How many matches of one base rule a key holds: the latest ones, which are what a window
/// ending now needs; older ones only matter for late events.
pub const HELD_PER_RULE: usize = 32;

pub struct Temporal {
    /// The base rules, in the order the correlation lists them.
    pub rules: Vec<SigmaRule>,
    pub ordered: bool,
    pub timespan: TimeDelta,
}

/// One held match: event time and id.
pub type Held = (DateTime<Utc>, i64);

/// One key's state: each base rule's held matches, by (time, id), and the open alert's window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TemporalState {
    /// `hits[i]`: the matches of base rule `i`.
    pub hits: Vec<Vec<Held>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub newest: Option<DateTime<Utc>>,
}

impl TemporalState {
    /// True when nothing can happen with this key any more once the rule has seen events up
    /// to `watermark`.
    pub fn expired(&self, watermark: DateTime<Utc>, timespan: TimeDelta) -> bool {
        let idle = self.newest.is_none_or(|n| n < watermark - timespan);
        let closed = self.fired.is_none_or(|(_, until)| until < watermark);
        idle && closed
    }
}

impl Temporal {
    pub fn matches(&self, ev: &Event) -> bool {
        self.rules.iter().any(|r| r.matches(ev.row))
    }

    pub fn on_event(
        &self,
        ev: &Event,
        key: &GroupKey,
        st: &mut TemporalState,
        out: &mut Vec<AlertOp>,
    ) {
        let t = ev.row.timestamp;
        if let Some((from, until)) = st.fired
            && t >= from
            && t <= until
        {
            out.push(AlertOp::new(OpKind::Extend, key, t, t, 1, vec![ev.id]));
            st.newest = Some(st.newest.map_or(t, |x| x.max(t)));
            return;
        }
        if let Some(newest) = st.newest
            && t < newest - self.timespan
        {
            metrics::counter!("vigil_detect_late_events_total").increment(1);
            return;
        }
        let newest = st.newest.map_or(t, |x| x.max(t));
        st.newest = Some(newest);
        st.hits.resize(self.rules.len(), Vec::new());
        if let Some((_, until)) = st.fired
            && t > until
        {
            st.fired = None;
            for hits in &mut st.hits {
                hits.retain(|(ts, _)| *ts > until);
            }
        }
        let horizon = newest - self.timespan;
        for (rule, hits) in self.rules.iter().zip(st.hits.iter_mut()) {
            if rule.matches(ev.row) {
                let at = hits.partition_point(|h| *h <= (t, ev.id));
                hits.insert(at, (t, ev.id));
            }
            hits.retain(|(ts, _)| *ts >= horizon);
            if hits.len() > HELD_PER_RULE {
                hits.drain(..hits.len() - HELD_PER_RULE);
            }
        }
        let Some((x, chosen)) = self.complete(&st.hits, t) else {
            return;
        };
        let mut ids: Vec<Held> = chosen;
        ids.sort();
        ids.dedup();
        let first = ids[0].0;
        let mut op = AlertOp::new(
            OpKind::Raise,
            key,
            first,
            x,
            ids.len() as u64,
            ids.iter().map(|(_, id)| *id).collect(),
        );
        op.window_end = Some(x + self.timespan);
        op.summary = Some(format!(
            "{} base rules matched {}within {} s",
            self.rules.len(),
            if self.ordered { "in order " } else { "" },
            self.timespan.num_seconds()
        ));
        out.push(op);
        st.fired = Some((first, x + self.timespan));
        for hits in &mut st.hits {
            hits.clear();
        }
    }

    /// The earliest window end `x` at or after `t` (and within a timespan of it) whose window
    /// is complete, with the match chosen for each rule.
    fn complete(&self, hits: &[Vec<Held>], t: DateTime<Utc>) -> Option<(DateTime<Utc>, Vec<Held>)> {
        let mut ends: Vec<Held> = if self.ordered {
            hits.last()?.clone()
        } else {
            hits.iter().flatten().copied().collect()
        };
        ends.sort();
        for end in ends {
            let x = end.0;
            if x < t || x > t + self.timespan {
                continue;
            }
            let from = x - self.timespan;
            let chosen = if self.ordered {
                chain(hits, end, from)
            } else {
                hits.iter()
                    .map(|h| {
                        h.iter()
                            .rev()
                            .find(|(ts, _)| *ts >= from && *ts <= x)
                            .copied()
                    })
                    .collect()
            };
            if let Some(chosen) = chosen {
                return Some((x, chosen));
            }
        }
        None
    }
}

/// The latest chain of matches, one per rule in order, strictly increasing in (time, id),
/// that ends with `end` (a match of the last rule) and starts at or after `from`.
fn chain(hits: &[Vec<Held>], end: Held, from: DateTime<Utc>) -> Option<Vec<Held>> {
    let mut out = vec![end];
    let mut next = end;
    for rule in hits[..hits.len() - 1].iter().rev() {
        let h = *rule.iter().rev().find(|h| **h < next && h.0 >= from)?;
        out.push(h);
        next = h;
    }
    out.reverse();
    Some(out)
}
