//! Alerts: what detection raises, deduplicated per rule and group key while unresolved, with
//! capped evidence and a history of every change.

pub mod notify;
pub mod store;

/// The most evidence rows (event links) stored for one alert: the first events that raised or
/// joined it. The alert's `event_count` keeps counting beyond it.
pub const EVIDENCE_CAP: usize = 100;

/// Alert statuses, in the order of a typical triage.
pub const STATUSES: [&str; 5] = [
    "open",
    "acknowledged",
    "in_progress",
    "resolved",
    "false_positive",
];
