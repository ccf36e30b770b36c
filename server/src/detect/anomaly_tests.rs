//! Hand-checkable cases pinning the documented semantics of `anomaly` rules. Buckets are one
//! minute long and start on the minute (10:00:00 is bucket 0 of these tests); the expected
//! alerts follow from the counts written in each test.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

use super::Detection;
use super::Settings;
use super::anomaly::{Anomaly, AnomalyState, Direction};
use super::engine::{Engine, KeyEntry, OpKind, StateChange};
use super::state::Stored;
use super::tests::{at, model};
use crate::ingest::EventRow;
use crate::parse::ParsedEvent;

/// An event of `host` at `secs` seconds after 10:00.
fn ev(host: &str, secs: i64) -> EventRow {
    let mut e = ParsedEvent::raw("session opened");
    e.timestamp = Some(at(secs));
    e.host = Some(host.into());
    EventRow::new(e, "raw".into(), at(secs), "test".into())
}

/// `n` events of `host` in minute `minute`.
fn bucket(host: &str, minute: i64, n: usize) -> Vec<EventRow> {
    (0..n)
        .map(|i| ev(host, minute * 60 + (i % 60) as i64))
        .collect()
}

/// A host-metrics sample of `host` in minute `minute` with CPU usage `cpu`.
fn sample(host: &str, minute: i64, cpu: f64) -> EventRow {
    let t = at(minute * 60 + 30);
    let mut e = ParsedEvent::raw("metrics");
    e.timestamp = Some(t);
    e.host = Some(host.into());
    e.set("host.cpu.usage", json!(cpu));
    EventRow::new(e, "raw".into(), t, "test".into())
}

type Op = (OpKind, String, u64, Vec<i64>);

/// An engine with one anomaly rule, fed batch by batch with ids counting on from 1; every
/// batch is applied, as after its commit.
struct Feed {
    engine: Engine,
    next: i64,
    /// Each key's last state change, as the writer would have stored it.
    stored: HashMap<String, Option<KeyEntry>>,
}

impl Feed {
    fn new(definition: Value) -> Self {
        let mut engine = Engine::new(Settings::default());
        engine.add_rule(&model(1, "anomaly", definition));
        Self {
            engine,
            next: 1,
            stored: HashMap::new(),
        }
    }

    /// One batch; its alert operations.
    fn batch(&mut self, rows: Vec<EventRow>) -> Vec<Op> {
        let det: Detection = self.engine.evaluate(self.next, &rows);
        self.next += rows.len() as i64;
        let ops = det
            .ops
            .iter()
            .map(|(_, op)| (op.kind, op.key.text.clone(), op.count, op.evidence.clone()))
            .collect();
        for change in &det.changes {
            self.stored
                .insert(change.key_text.clone(), change.entry.clone());
        }
        self.engine.apply(det);
        ops
    }

    /// Each row as a batch of its own; the operations with the id of the event behind them.
    fn each(&mut self, rows: Vec<EventRow>) -> Vec<(i64, Op)> {
        let mut out = Vec::new();
        for row in rows {
            let id = self.next;
            out.extend(self.batch(vec![row]).into_iter().map(|op| (id, op)));
        }
        out
    }
}

fn rate(extra: Value) -> Value {
    let mut def = json!({"group_by": ["host"], "bucket_secs": 60, "baseline_buckets": 4, "k": 4});
    def.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    def
}

/// Minutes 0 to 3 with 8, 12, 8 and 12 events of host web-01 (ids 1 to 40): mean 10,
/// standard deviation 2, so with k = 4 a bucket fires above 10 + 8 = 18 events.
fn baseline_8_12(feed: &mut Feed) {
    for (minute, n) in [(0, 8), (1, 12), (2, 8), (3, 12)] {
        assert_eq!(feed.batch(bucket("web-01", minute, n)), vec![]);
    }
}

fn raise(count: u64, ids: impl IntoIterator<Item = i64>) -> Op {
    (
        OpKind::Raise,
        "host=web-01".into(),
        count,
        ids.into_iter().collect(),
    )
}

fn extend(id: i64) -> Op {
    (OpKind::Extend, "host=web-01".into(), 1, vec![id])
}

#[test]
fn a_burst_fires_once_at_the_event_that_crosses_the_limit() {
    let mut feed = Feed::new(rate(json!({})));
    baseline_8_12(&mut feed);
    // Minute 4: 100 events, ids 41 to 140. The 19th (id 59) is the first above 18.
    let out = feed.each(bucket("web-01", 4, 100));
    let mut want = vec![(59, raise(19, 41..=59))];
    want.extend((60..=140).map(|id| (id, extend(id))));
    assert_eq!(out, want);
    // Minute 5 closes the burst (it fired already) and its 10 events are ordinary against a
    // baseline of 12, 8, 12, 100.
    assert_eq!(feed.each(bucket("web-01", 5, 10)), vec![]);
}

#[test]
fn a_bucket_at_the_limit_does_not_fire() {
    let mut feed = Feed::new(rate(json!({})));
    baseline_8_12(&mut feed);
    assert_eq!(feed.each(bucket("web-01", 4, 18)), vec![]);
    assert_eq!(feed.each(bucket("web-01", 5, 1)), vec![]);
}

#[test]
fn nothing_fires_before_the_warm_up() {
    // Three closed buckets (8, 12, 8) and a burst: the baseline of four is not warm yet.
    let stream = || {
        [(0, 8), (1, 12), (2, 8), (3, 100)]
            .into_iter()
            .flat_map(|(minute, n)| bucket("web-01", minute, n))
            .collect::<Vec<_>>()
    };
    let mut feed = Feed::new(rate(json!({})));
    assert_eq!(feed.each(stream()), vec![]);

    // With a warm-up of 3 the same burst fires: mean 28/3, σ = √(32/9) ≈ 1.886, limit ≈ 7.54,
    // so at the 17th event of minute 3 (ids 29 on: id 45).
    let mut feed = Feed::new(rate(json!({"warmup_buckets": 3})));
    let out = feed.each(stream());
    assert_eq!(out[0], (45, raise(17, 29..=45)));
    assert_eq!(out.len(), 1 + 83);
}

#[test]
fn a_flat_baseline_fires_only_past_the_floor() {
    let flat = |feed: &mut Feed| {
        for minute in 0..4 {
            assert_eq!(feed.batch(bucket("web-01", minute, 10)), vec![]);
        }
    };
    // σ = 0 and the default floor of 1: 11 events (mean + 1) do not fire…
    let mut feed = Feed::new(rate(json!({})));
    flat(&mut feed);
    assert_eq!(feed.each(bucket("web-01", 4, 11)), vec![]);
    assert_eq!(feed.each(bucket("web-01", 5, 1)), vec![]);
    // …12 do, at the 12th (id 52).
    let mut feed = Feed::new(rate(json!({})));
    flat(&mut feed);
    assert_eq!(
        feed.each(bucket("web-01", 4, 12)),
        vec![(52, raise(12, 41..=52))]
    );
    // A floor of 5 waits for the 16th (id 56).
    let mut feed = Feed::new(rate(json!({"min_deviation": 5})));
    flat(&mut feed);
    assert_eq!(
        feed.each(bucket("web-01", 4, 16)),
        vec![(56, raise(16, 41..=56))]
    );
}

#[test]
fn silent_buckets_count_as_zero() {
    // 10 events in minute 0 (ids 1 to 10), then nothing until minute 4: the baseline is
    // 10, 0, 0, 0 (mean 2.5, σ = √18.75 ≈ 4.33, limit ≈ 17.32): the 20th event fires (id 30).
    let mut feed = Feed::new(rate(json!({})));
    assert_eq!(feed.batch(bucket("web-01", 0, 10)), vec![]);
    assert_eq!(
        feed.each(bucket("web-01", 4, 30))[0],
        (30, raise(20, 11..=30))
    );

    // Silent for the whole baseline (minutes 1 to 4): minute 5 starts afresh, warming up.
    let mut feed = Feed::new(rate(json!({})));
    assert_eq!(feed.batch(bucket("web-01", 0, 10)), vec![]);
    assert_eq!(feed.each(bucket("web-01", 5, 30)), vec![]);
}

#[test]
fn hosts_have_baselines_of_their_own() {
    let mut feed = Feed::new(rate(json!({})));
    baseline_8_12(&mut feed);
    // db-01's first 30 events have no baseline; web-01's 30 fire at the 19th.
    let rows: Vec<EventRow> = bucket("db-01", 4, 30)
        .into_iter()
        .chain(bucket("web-01", 4, 30))
        .collect();
    let out = feed.each(rows);
    assert_eq!(out[0], (89, raise(19, 71..=89)));
    assert!(out.iter().all(|(_, op)| op.1 == "host=web-01"), "{out:?}");
}

#[test]
fn late_events_are_not_counted() {
    let mut feed = Feed::new(rate(json!({"min_deviation": 5})));
    for minute in 0..4 {
        assert_eq!(feed.batch(bucket("web-01", minute, 10)), vec![]);
    }
    // 15 events in minute 4 (ids 41 to 55) do not pass 10 + 5; one for minute 3 (id 56)
    // arrives late and counts nowhere; the next event of minute 4 (id 57) is the 16th.
    assert_eq!(feed.each(bucket("web-01", 4, 15)), vec![]);
    assert_eq!(feed.each(vec![ev("web-01", 3 * 60 + 59)]), vec![]);
    let out = feed.each(vec![ev("web-01", 4 * 60 + 30)]);
    assert_eq!(out, vec![(57, raise(16, (41..=55).chain([57])))]);
}

#[test]
fn evidence_is_capped_but_the_count_is_not() {
    let mut feed = Feed::new(rate(json!({"min_deviation": 150})));
    baseline_8_12(&mut feed);
    // Fires above 10 + 150 at the 161st event (id 201), with the first 100 as evidence.
    let out = feed.each(bucket("web-01", 4, 161));
    assert_eq!(out, vec![(201, raise(161, 41..=140))]);
}

#[test]
fn a_drop_is_judged_when_the_bucket_closes() {
    let run = |n: usize| {
        let mut feed = Feed::new(rate(json!({"direction": "below", "min_deviation": 2})));
        for minute in 0..4 {
            assert_eq!(feed.batch(bucket("web-01", minute, 10)), vec![]);
        }
        assert_eq!(feed.each(bucket("web-01", 4, n)), vec![]);
        feed.each(vec![ev("web-01", 5 * 60)])
    };
    // 7 is 3 below the mean of 10 (floor 2): the first event of minute 5 closes it and fires.
    assert_eq!(run(7), vec![(48, raise(7, 41..=47))]);
    assert_eq!(run(8), vec![]);
}

#[test]
fn a_mean_is_judged_when_the_bucket_closes() {
    let mut feed = Feed::new(json!({
        "field": "fields.host.cpu.usage",
        "bucket_secs": 60,
        "baseline_buckets": 4,
        "k": 3,
        "direction": "both",
    }));
    // One sample a minute: 18, 22, 18, 22 (ids 1 to 4): mean 20, σ 2, limit 6.
    for (minute, cpu) in [(0, 18.0), (1, 22.0), (2, 18.0), (3, 22.0)] {
        assert_eq!(feed.batch(vec![sample("web-01", minute, cpu)]), vec![]);
    }
    // Minute 4: 50 and 10 (ids 5, 6), mean 30; an event without the field is no sample.
    let minute4 = vec![
        sample("web-01", 4, 50.0),
        ev("web-01", 4 * 60 + 40),
        sample("web-01", 4, 10.0),
    ];
    assert_eq!(feed.each(minute4), vec![]);
    // Minute 5's sample (id 8) closes minute 4: 30 > 26.
    assert_eq!(
        feed.each(vec![sample("web-01", 5, 5.0)]),
        vec![(8, raise(2, [5, 7]))]
    );
    // Baseline 22, 18, 22, 30: mean 23, σ = √19 ≈ 4.36, limit ≈ 13.08; minute 5's mean of 5
    // is below 9.92 and fires when minute 6 closes it.
    assert_eq!(
        feed.each(vec![sample("web-01", 6, 20.0)]),
        vec![(9, raise(1, [8]))]
    );
}

#[test]
fn state_survives_its_stored_form() {
    let mut feed = Feed::new(rate(json!({})));
    baseline_8_12(&mut feed);
    // 10 events of minute 4 (ids 41 to 50), then a restart from the stored state.
    assert_eq!(feed.each(bucket("web-01", 4, 10)), vec![]);
    let mut restarted = Feed::new(rate(json!({})));
    restarted.next = feed.next;
    let mut det = Detection::default();
    for (key_text, entry) in &feed.stored {
        let entry = entry.clone().expect("a live key");
        let stored = Stored {
            fields: entry.key.fields.clone(),
            state: entry.state.clone(),
        };
        let text = serde_json::to_string(&stored).unwrap();
        let back: Stored = serde_json::from_str(&text).unwrap();
        assert_eq!(back.state, entry.state);
        det.changes.push(StateChange {
            rule_id: 1,
            key_text: key_text.clone(),
            entry: Some(KeyEntry {
                state: back.state,
                ..entry
            }),
        });
    }
    restarted.engine.apply(det);
    // The 9th event after the restart is the bucket's 19th: it fires with all 19.
    let out = restarted.each(bucket("web-01", 4, 9));
    assert_eq!(out, vec![(59, raise(19, 41..=59))]);
}

#[test]
fn a_key_expires_only_when_nothing_can_fire() {
    let detector = |field: Option<&str>| Anomaly {
        filter: None,
        field: field.map(|f| app::query::Field::resolve(f).unwrap()),
        field_name: field.unwrap_or_default().into(),
        bucket_secs: 60,
        baseline: 4,
        warmup: 4,
        k: 3.0,
        min_deviation: 1.0,
        direction: Direction::Above,
    };
    let state = |n: u64, sum: f64| AnomalyState {
        baseline: VecDeque::from([18.0, 22.0, 18.0, 22.0]),
        // Minute 10 after 10:00, as an epoch bucket number.
        bucket: Some(at(600).timestamp() / 60),
        n,
        sum,
        first: Some(at(600)),
        newest: Some(at(600)),
        ..AnomalyState::default()
    };
    let rate = detector(None);
    // Open bucket 10: up to bucket 14 the key's next event still joins its baseline.
    assert!(!rate.expired(&state(100, 0.0), at(14 * 60 + 59)));
    assert!(rate.expired(&state(100, 0.0), at(15 * 60)));
    // A mean is judged at the close: a pending anomaly (mean 30) keeps the key, a normal one
    // (mean 20) does not.
    let mean = detector(Some("fields.host.cpu.usage"));
    assert!(!mean.expired(&state(2, 60.0), at(15 * 60)));
    assert!(mean.expired(&state(2, 40.0), at(15 * 60)));
}
