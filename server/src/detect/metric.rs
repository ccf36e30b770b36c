//! `metric` rules: a numeric field of one group key's samples (by default per host) compared
//! with a value, firing when `consecutive` samples in a row satisfy the comparison.
//!
//! Semantics (the README's "Detection" section says the same for users):
//! - A sample is an event the rule's query selects (every event when it has none) whose field
//!   holds a finite number (a JSON number or a numeric string). Events without one are not
//!   samples: they neither extend nor break a run.
//! - Samples are taken in event time. A sample older than the key's last sample cannot be placed
//!   in the run: it is ignored and `vigil_detect_late_events_total` counts it.
//! - A satisfying sample extends the key's run; one that does not satisfy ends it (run 0).
//! - The alert fires at the sample that makes the run `consecutive` long, with the run's
//!   samples as evidence. While the run goes on, each further satisfying sample adds to the
//!   alert (count, last seen, evidence). After the run ends, the next full run raises again
//!   (adding to the alert if it is still unresolved).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{AlertOp, Event, OpKind};
use super::group::{GroupKey, value_of};
use app::query::{Field, Matcher};

/// The comparison of a sample with the rule's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    pub const NAMES: [(&'static str, Op); 4] = [
        ("gt", Op::Gt),
        ("gte", Op::Gte),
        ("lt", Op::Lt),
        ("lte", Op::Lte),
    ];

    pub fn parse(s: &str) -> Option<Op> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, op)| *op)
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::Lt => "<",
            Op::Lte => "<=",
        }
    }

    pub fn holds(self, sample: f64, value: f64) -> bool {
        match self {
            Op::Gt => sample > value,
            Op::Gte => sample >= value,
            Op::Lt => sample < value,
            Op::Lte => sample <= value,
        }
    }
}

pub struct Metric {
    /// Which events are samples; `None` takes every event holding the field.
    pub filter: Option<Matcher>,
    pub field: Field,
    pub op: Op,
    pub value: f64,
    pub consecutive: u64,
}

/// One key's state: the current run and the last sample's time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct MetricState {
    /// How many samples in a row satisfied the comparison.
    pub run: u64,
    /// The time of the run's first sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<DateTime<Utc>>,
    /// The ids of the run's samples until it fires (at most `consecutive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<i64>,
    /// The last sample's time.
    pub newest: Option<DateTime<Utc>>,
}

impl MetricState {
    /// A key without a run holds nothing that could fire.
    pub fn expired(&self) -> bool {
        self.run == 0
    }
}

impl Metric {
    /// The sample's value, `None` when the event holds no finite number in the field.
    fn sample(&self, ev: &Event) -> Option<f64> {
        let text = value_of(ev.row, &self.field)?;
        text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
    }

    pub fn matches(&self, ev: &Event) -> bool {
        self.filter.as_ref().is_none_or(|m| m.matches(ev.row)) && self.sample(ev).is_some()
    }

    /// Feeds one sample of `key` into its state.
    pub fn on_event(
        &self,
        ev: &Event,
        key: &GroupKey,
        st: &mut MetricState,
        out: &mut Vec<AlertOp>,
    ) {
        let Some(x) = self.sample(ev) else {
            return;
        };
        let t = ev.row.timestamp;
        if st.newest.is_some_and(|n| t < n) {
            metrics::counter!("vigil_detect_late_events_total").increment(1);
            return;
        }
        st.newest = Some(t);
        if !self.op.holds(x, self.value) {
            *st = MetricState {
                newest: st.newest,
                ..MetricState::default()
            };
            return;
        }
        st.run += 1;
        if st.run == 1 {
            st.first = Some(t);
        }
        if st.run > self.consecutive {
            out.push(AlertOp::new(OpKind::Extend, key, t, t, 1, vec![ev.id]));
            return;
        }
        st.ids.push(ev.id);
        if st.run == self.consecutive {
            let first = st.first.unwrap_or(t);
            let mut op = AlertOp::new(
                OpKind::Raise,
                key,
                first,
                t,
                st.run,
                std::mem::take(&mut st.ids),
            );
            op.summary = Some(format!(
                "{} {} {} for {} consecutive samples (last {x})",
                self.field.name(),
                self.op.symbol(),
                self.value,
                self.consecutive
            ));
            out.push(op);
        }
    }
}
