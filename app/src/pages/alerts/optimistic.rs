//! Triage shown before the server answers, on the hydrated queue: a status change (a bulk
//! button, or `a` on the selected row) shows on the rows at once; the list read after the
//! server's answer replaces it, and a refused change is taken back (see
//! [`crate::components::optimistic_action`]). Without JavaScript the post's redirect shows
//! the stored state, so there is nothing to show early.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::alerts::{BulkTriage, TriageAlert};

/// The statuses shown ahead of the server, by alert id.
#[derive(Clone, Copy)]
pub struct Shown(RwSignal<HashMap<i64, String>>);

impl Shown {
    pub fn new() -> Self {
        Self(RwSignal::new(HashMap::new()))
    }

    /// The status to show for alert `id`, whose stored status is `stored` (tracked).
    pub fn status(&self, id: i64, stored: &str) -> String {
        self.0
            .with(|m| m.get(&id).cloned())
            .unwrap_or_else(|| stored.to_string())
    }

    fn show(&self, ids: &[i64], status: &str) {
        self.0.update(|m| {
            for id in ids {
                m.insert(*id, status.to_string());
            }
        });
    }

    /// Forgets what was shown early: the stored state is what the rows show again.
    pub fn clear(&self) {
        if self.0.with_untracked(|m| !m.is_empty()) {
            self.0.set(HashMap::new());
        }
    }
}

/// The status a bulk `act` sets, if it sets one.
pub fn bulk_status(act: &str) -> Option<&'static str> {
    match act {
        "acknowledge" => Some("acknowledged"),
        "resolve" => Some("resolved"),
        "false_positive" => Some("false_positive"),
        _ => None,
    }
}

/// Shows each status change as soon as it is sent.
pub fn follow(shown: Shown, bulk: ServerAction<BulkTriage>, triage: ServerAction<TriageAlert>) {
    Effect::new(move |_| {
        if let Some(input) = bulk.input().get()
            && let Some(status) = bulk_status(&input.act)
        {
            shown.show(&input.ids, status);
        }
    });
    Effect::new(move |_| {
        if let Some(input) = triage.input().get()
            && !input.status.trim().is_empty()
        {
            shown.show(&[input.id], input.status.trim());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_status_changes_are_shown_early() {
        assert_eq!(bulk_status("acknowledge"), Some("acknowledged"));
        assert_eq!(bulk_status("false_positive"), Some("false_positive"));
        assert_eq!(bulk_status("assign_me"), None);
        assert_eq!(bulk_status("assign"), None);
    }

    #[test]
    fn a_shown_status_stands_in_for_the_stored_one_until_cleared() {
        let owner = Owner::new();
        owner.with(|| {
            let shown = Shown::new();
            shown.show(&[3, 4], "resolved");
            assert_eq!(shown.status(3, "open"), "resolved");
            assert_eq!(shown.status(5, "open"), "open");
            shown.clear();
            assert_eq!(shown.status(3, "open"), "open");
        });
    }
}
