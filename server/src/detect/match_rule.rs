//! `match` rules: every event the query selects raises an alert for its group key, or adds to
//! the key's alert while that alert is not resolved (the store deduplicates by rule and key).

use super::engine::{AlertOp, Event, OpKind};
use super::group::GroupKey;
use app::query::Matcher;

pub struct MatchRule {
    pub matcher: Matcher,
}

impl MatchRule {
    pub fn matches(&self, ev: &Event) -> bool {
        self.matcher.matches(ev.row)
    }

    pub fn on_event(&self, ev: &Event, key: &GroupKey, out: &mut Vec<AlertOp>) {
        let t = ev.row.timestamp;
        let n = u64::from(ev.row.repeat_count.max(1));
        out.push(AlertOp::new(OpKind::Raise, key, t, t, n, vec![ev.id]));
    }
}
