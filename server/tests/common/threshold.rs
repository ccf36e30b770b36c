//! The README's threshold semantics written out plainly, for tests to compute expected alerts
//! from raw lines without the engine: for events in time order, an address fires at the first
//! event `x` whose window `[x − window, x]` holds at least `threshold` (by weight); matches up
//! to `x + window` join that alert; after it counting starts afresh, and later firings add to
//! the same unresolved alert.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};

/// One key's events still in a window, and the end of its fired alert's window.
type KeyState = (VecDeque<(DateTime<Utc>, u64)>, Option<DateTime<Utc>>);

/// Per key: (the earliest event of the first firing window, the alert's event count).
pub fn expected_alerts(
    events: &[(DateTime<Utc>, String, u64)],
    window_secs: i64,
    threshold: u64,
) -> BTreeMap<String, (DateTime<Utc>, u64)> {
    let window = TimeDelta::seconds(window_secs);
    let mut state: BTreeMap<&str, KeyState> = BTreeMap::new();
    let mut alerts: BTreeMap<String, (DateTime<Utc>, u64)> = BTreeMap::new();
    for (t, key, w) in events {
        let (t, w) = (*t, *w);
        let (held, until) = state.entry(key).or_default();
        if let Some(u) = *until {
            if t <= u {
                alerts.get_mut(key).unwrap().1 += w;
                continue;
            }
            *until = None;
            held.clear();
        }
        held.push_back((t, w));
        while held.front().is_some_and(|(ts, _)| *ts < t - window) {
            held.pop_front();
        }
        let sum: u64 = held.iter().map(|(_, w)| w).sum();
        if sum >= threshold {
            let first = held.front().unwrap().0;
            alerts.entry(key.clone()).or_insert((first, 0)).1 += sum;
            *until = Some(t + window);
            held.clear();
        }
    }
    alerts
}
