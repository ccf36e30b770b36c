//! `sequence` rules: at least `first_count` events matching `first`, then an event matching
//! `then`, for the same group key, all within `within` of event time.
//!
//! Semantics: an event matching `then` at time `t` fires when at least `first_count` `first`
//! events of its key have times in `[t - within, t]` (both ends included); the alert's evidence
//! is those events and the `then` event, and they are used up (the next alert needs new `first`
//! events). Order is event time: a `then` event earlier than the `first` events does not fire,
//! and a `first` event that arrives after a `then` event does not look back for it. An event
//! matching both queries is taken as `then` first, then as `first`. Only the latest
//! `first_count` `first` events of a key are kept, which is all a decision needs.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{AlertOp, Event, OpKind};
use super::group::GroupKey;
use app::query::Matcher;

pub struct Sequence {
    pub first: Matcher,
    pub first_count: u64,
    pub then: Matcher,
    pub within: TimeDelta,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SequenceState {
    /// `first` events: (time, id), by time.
    pub firsts: Vec<(DateTime<Utc>, i64)>,
    pub newest: Option<DateTime<Utc>>,
}

impl SequenceState {
    pub fn expired(&self, watermark: DateTime<Utc>, within: TimeDelta) -> bool {
        self.newest.is_none_or(|n| n < watermark - within)
    }
}

impl Sequence {
    pub fn matches(&self, ev: &Event) -> bool {
        self.first.matches(ev.row) || self.then.matches(ev.row)
    }

    pub fn on_event(
        &self,
        ev: &Event,
        key: &GroupKey,
        st: &mut SequenceState,
        out: &mut Vec<AlertOp>,
    ) {
        let t = ev.row.timestamp;
        st.newest = Some(st.newest.map_or(t, |n| n.max(t)));
        if self.then.matches(ev.row) {
            let from = t - self.within;
            let inside: Vec<(DateTime<Utc>, i64)> = st
                .firsts
                .iter()
                .copied()
                .filter(|(ts, _)| *ts >= from && *ts <= t)
                .collect();
            if inside.len() as u64 >= self.first_count {
                let mut ids: Vec<i64> = inside.iter().map(|(_, id)| *id).collect();
                ids.push(ev.id);
                let mut op =
                    AlertOp::new(OpKind::Raise, key, inside[0].0, t, ids.len() as u64, ids);
                op.summary = Some(format!(
                    "{} matching events then one more within {} s",
                    inside.len(),
                    self.within.num_seconds()
                ));
                out.push(op);
                st.firsts.retain(|(ts, _)| *ts > t);
                return;
            }
        }
        if self.first.matches(ev.row) {
            let at = st.firsts.partition_point(|(ts, _)| *ts <= t);
            st.firsts.insert(at, (t, ev.id));
            let horizon = st.newest.unwrap_or(t) - self.within;
            st.firsts.retain(|(ts, _)| *ts >= horizon);
            let keep = self.first_count.max(1) as usize;
            if st.firsts.len() > keep {
                st.firsts.drain(..st.firsts.len() - keep);
            }
        }
    }
}
