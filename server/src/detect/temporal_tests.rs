//! Hand-checkable cases pinning the semantics of Sigma `temporal` and `temporal_ordered`
//! correlations (see [`super::temporal`]): the expected alerts follow from the timestamps
//! written in each test. Base rule `a` matches lines containing `alpha`, `b` lines containing
//! `bravo`; the correlation groups by the client address over 60 s.

use serde_json::json;

use super::engine::{Engine, OpKind};
use super::tests::{at, model};
use super::{Detection, Settings};
use crate::ingest::EventRow;
use crate::parse::ParsedEvent;

const BASE: &str = "title: Alpha\nname: rule_a\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  k:\n    - alpha\n  condition: k\n---\ntitle: Bravo\nname: rule_b\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  k:\n    - bravo\n  condition: k\n";

fn yaml(kind: &str, rules: &[&str]) -> String {
    let list: String = rules.iter().map(|r| format!("    - {r}\n")).collect();
    format!(
        "{BASE}---\ntitle: Both\ncorrelation:\n  type: {kind}\n  rules:\n{list}  group-by:\n    - clientip\n  timespan: 60s\n"
    )
}

fn engine(kind: &str, rules: &[&str]) -> Engine {
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(
        7,
        "sigma",
        json!({"yaml": yaml(kind, rules), "correlation": 0}),
    ));
    engine
}

/// An sshd line with `word` in it from `ip` at `secs` seconds after 10:00.
fn line(word: &str, ip: &str, secs: i64) -> EventRow {
    let text = format!("sshd[1]: {word} from {ip}");
    let mut ev = ParsedEvent::new("sshd", &text);
    ev.timestamp = Some(at(secs));
    ev.process = Some("sshd".into());
    ev.source_ip = Some(ip.into());
    EventRow::new(ev, text, at(secs), "test".into())
}

/// Feeds one event per batch, ids from 1; returns (kind, key, count, evidence) per operation.
fn run(engine: &mut Engine, rows: Vec<EventRow>) -> Vec<(OpKind, String, u64, Vec<i64>)> {
    let mut out = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let det: Detection = engine.evaluate(i as i64 + 1, &[row]);
        for (_, op) in &det.ops {
            out.push((op.kind, op.key.text.clone(), op.count, op.evidence.clone()));
        }
        engine.apply(det);
    }
    out
}

const IP: &str = "203.0.113.9";

#[test]
fn temporal_fires_when_every_rule_matched_within_the_timespan_in_any_order() {
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    // b at 0, a at 60: exactly one timespan apart, both ends included: fires at event 2.
    let out = run(&mut e, vec![line("bravo", IP, 0), line("alpha", IP, 60)]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, OpKind::Raise);
    assert_eq!(out[0].1, format!("source_ip={IP}"));
    assert_eq!((out[0].2, out[0].3.clone()), (2, vec![1, 2]));

    // a at 0, b at 61: one second too far apart, nothing.
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    assert!(run(&mut e, vec![line("alpha", IP, 0), line("bravo", IP, 61)]).is_empty());

    // Another address's b does not complete this address's window.
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    let out = run(
        &mut e,
        vec![line("alpha", IP, 0), line("bravo", "198.51.100.1", 5)],
    );
    assert!(out.is_empty());
}

#[test]
fn temporal_evidence_is_the_latest_match_of_each_rule_and_they_are_used_up() {
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    let out = run(
        &mut e,
        vec![
            line("alpha", IP, 0),   // 1
            line("alpha", IP, 10),  // 2
            line("bravo", IP, 20),  // 3: fires with a@10 and b@20; window open until 80
            line("alpha", IP, 50),  // 4: adds to the alert
            line("bravo", IP, 80),  // 5: adds (80 is the window's end, included)
            line("alpha", IP, 81),  // 6: afresh; nothing held from before
            line("bravo", IP, 141), // 7: a@81, b@141: 60 s, fires again
        ],
    );
    let got: Vec<(OpKind, u64, Vec<i64>)> = out.into_iter().map(|o| (o.0, o.2, o.3)).collect();
    assert_eq!(
        got,
        [
            (OpKind::Raise, 2, vec![2, 3]),
            (OpKind::Extend, 1, vec![4]),
            (OpKind::Extend, 1, vec![5]),
            (OpKind::Raise, 2, vec![6, 7]),
        ]
    );
}

#[test]
fn an_event_matching_every_rule_fires_temporal_alone_but_not_temporal_ordered() {
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    let out = run(&mut e, vec![line("alpha bravo", IP, 0)]);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].2, out[0].3.clone()), (1, vec![1]));

    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    assert!(run(&mut e, vec![line("alpha bravo", IP, 0)]).is_empty());
}

#[test]
fn temporal_ordered_needs_the_listed_order_in_event_time() {
    // b then a: wrong order, nothing; then a at 30 and b at 40 (a@30 < b@40): fires at b.
    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    let out = run(
        &mut e,
        vec![
            line("bravo", IP, 0),  // 1
            line("alpha", IP, 20), // 2: a after b, not the order
            line("bravo", IP, 40), // 3: a@20 then b@40: fires
        ],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0, out[0].2, out[0].3.clone()),
        (OpKind::Raise, 2, vec![2, 3])
    );

    // Listed the other way round, b must come first: b@0 then a@20 fires at event 2.
    let mut e = engine("temporal_ordered", &["rule_b", "rule_a"]);
    let out = run(&mut e, vec![line("bravo", IP, 0), line("alpha", IP, 20)]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].3, vec![1, 2]);

    // Same second: the order they were stored in counts. a stored first, then b: fires.
    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    let out = run(&mut e, vec![line("alpha", IP, 5), line("bravo", IP, 5)]);
    assert_eq!(out.len(), 1);
    // b stored first, then a, same second: not in order.
    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    assert!(run(&mut e, vec![line("bravo", IP, 5), line("alpha", IP, 5)]).is_empty());
}

#[test]
fn temporal_ordered_window_is_inclusive_and_late_events_are_placed_at_their_time() {
    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    let out = run(&mut e, vec![line("alpha", IP, 100), line("bravo", IP, 160)]);
    assert_eq!(out.len(), 1, "60 s apart is inside a 60 s timespan");

    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    assert!(run(&mut e, vec![line("alpha", IP, 100), line("bravo", IP, 161)]).is_empty());

    // A late a (time 120, stored after b at 150) still precedes b in event time: fires.
    let mut e = engine("temporal_ordered", &["rule_a", "rule_b"]);
    let out = run(&mut e, vec![line("bravo", IP, 150), line("alpha", IP, 120)]);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].3,
        vec![2, 1],
        "evidence by event time: a@120 (id 2), b@150"
    );

    // An a more than a timespan older than the newest match of its key is not held.
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    let out = run(
        &mut e,
        vec![
            line("bravo", IP, 200),
            line("bravo", IP, 300),
            line("alpha", IP, 200),
        ],
    );
    assert!(out.is_empty(), "a@200 is late: newest is 300, timespan 60");
}

#[test]
fn state_survives_persistence_as_json() {
    let mut e = engine("temporal", &["rule_a", "rule_b"]);
    let det = e.evaluate(1, &[line("alpha", IP, 0)]);
    assert_eq!(det.changes.len(), 1);
    let entry = det.changes[0].entry.clone().expect("key kept");
    let text = serde_json::to_value(&entry.state).unwrap();
    assert_eq!(text["kind"], "temporal");
    let back: super::engine::KeyState = serde_json::from_value(text).unwrap();
    assert_eq!(back, entry.state);
}
