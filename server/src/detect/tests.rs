//! Hand-checkable cases pinning the documented semantics of each rule kind: the expected
//! alerts follow from the timestamps written in each test.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::engine::{Engine, OpKind};
use super::{Detection, Settings};
use crate::ingest::EventRow;
use crate::parse::ParsedEvent;
use crate::store::rule;

pub(super) fn at(secs: i64) -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::seconds(secs)
}

/// A failed SSH login from `ip` at `secs` seconds after 10:00.
fn failed(ip: &str, secs: i64) -> EventRow {
    let mut ev = ParsedEvent::raw("Failed password");
    ev.timestamp = Some(at(secs));
    ev.source_ip = Some(ip.into());
    ev.user_name = Some("root".into());
    ev.event_action = Some("ssh_login".into());
    ev.event_outcome = Some("failure".into());
    EventRow::new(ev, "raw".into(), at(secs), "test".into())
}

fn accepted(ip: &str, secs: i64) -> EventRow {
    let mut row = failed(ip, secs);
    row.event_outcome = Some("success".into());
    row
}

pub(super) fn model(id: i32, kind: &str, definition: serde_json::Value) -> rule::Model {
    rule::Model {
        id,
        name: format!("rule {id}"),
        description: None,
        kind: kind.into(),
        severity: "high".into(),
        definition,
        enabled: true,
        created_by: None,
        created_at: at(-3600),
        updated_at: at(-3600),
        builtin_key: None,
        tags: None,
        false_positives: None,
        suppress_secs: None,
    }
}

fn brute_force(threshold: u64, window: i64) -> Engine {
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(
        1,
        "threshold",
        json!({
            "query": "event_action:ssh_login event_outcome:failure",
            "group_by": ["source_ip"],
            "window_secs": window,
            "threshold": threshold,
        }),
    ));
    engine
}

/// Feeds batches in order, applying each (as after a commit); returns every batch's output.
fn run(engine: &mut Engine, batches: Vec<Vec<EventRow>>) -> Vec<(OpKind, String, u64, Vec<i64>)> {
    let mut next = 1;
    let mut out = Vec::new();
    for rows in batches {
        let det: Detection = engine.evaluate(next, &rows);
        next += rows.len() as i64;
        for (_, op) in &det.ops {
            out.push((op.kind, op.key.text.clone(), op.count, op.evidence.clone()));
        }
        engine.apply(det);
    }
    out
}

#[test]
fn threshold_counts_both_window_edges() {
    // Five failures exactly 300 s apart end to end: 0 and 300 are in the same window.
    let mut engine = brute_force(5, 300);
    let rows = [0, 75, 150, 225, 300]
        .iter()
        .map(|&s| failed("203.0.113.9", s))
        .collect();
    let out = run(&mut engine, vec![rows]);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0, OpKind::Raise);
    assert_eq!(out[0].1, "source_ip=203.0.113.9");
    assert_eq!(out[0].2, 5);
    assert_eq!(out[0].3, vec![1, 2, 3, 4, 5]);

    // One second more and the first falls out: no alert.
    let mut engine = brute_force(5, 300);
    let rows = [0, 75, 150, 225, 301]
        .iter()
        .map(|&s| failed("203.0.113.9", s))
        .collect();
    assert!(run(&mut engine, vec![rows]).is_empty());
}

#[test]
fn threshold_fires_once_then_extends_within_its_window() {
    let mut engine = brute_force(3, 60);
    // Fires at 20 s (third failure); 30 s and 80 s (<= 20 + 60) join; 81 s starts afresh.
    let batches = vec![
        vec![failed("198.51.100.7", 0), failed("198.51.100.7", 10)],
        vec![failed("198.51.100.7", 20), failed("198.51.100.7", 30)],
        vec![failed("198.51.100.7", 80), failed("198.51.100.7", 81)],
        vec![failed("198.51.100.7", 82), failed("198.51.100.7", 83)],
    ];
    let out = run(&mut engine, batches);
    let kinds: Vec<(OpKind, u64)> = out.iter().map(|o| (o.0, o.2)).collect();
    // Batch 2: raise (3 events) merged with the extend at 30 s; batch 3: extend at 80;
    // batch 4: 81, 82, 83 reach 3 again and raise.
    assert_eq!(
        kinds,
        vec![(OpKind::Raise, 4), (OpKind::Extend, 1), (OpKind::Raise, 3)]
    );
    assert_eq!(out[2].3, vec![6, 7, 8]);
}

#[test]
fn repeated_messages_count_their_repeats() {
    let mut engine = brute_force(5, 300);
    let mut repeated = failed("192.0.2.1", 10);
    repeated.repeat_count = 4;
    let out = run(
        &mut engine,
        vec![vec![failed("192.0.2.1", 0)], vec![repeated]],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].2, 5);
}

#[test]
fn late_events_complete_windows_or_are_dropped() {
    let mut engine = brute_force(3, 60);
    // 100 and 150 seen first; 95 arrives late: the window [150 - 60, 150] = [90, 150] now
    // holds 95, 100 and 150, and the rule fires (at 150).
    let out = run(
        &mut engine,
        vec![
            vec![failed("192.0.2.2", 100), failed("192.0.2.2", 150)],
            vec![failed("192.0.2.2", 95)],
        ],
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].2, 3);
    // Evidence in event-time order: the late event (id 3) first.
    assert_eq!(out[0].3, vec![3, 1, 2]);

    // An event more than a window older than the newest is not counted.
    let mut engine = brute_force(2, 60);
    let out = run(
        &mut engine,
        vec![
            vec![failed("192.0.2.3", 200)],
            vec![failed("192.0.2.3", 139)],
        ],
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn keys_are_separate_and_events_without_the_key_do_not_count() {
    let mut engine = brute_force(2, 60);
    let mut keyless = failed("x", 1);
    keyless.source_ip = None;
    let out = run(
        &mut engine,
        vec![vec![
            failed("192.0.2.4", 0),
            failed("192.0.2.5", 1),
            keyless.clone(),
            keyless,
        ]],
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn evaluation_is_tentative_until_applied() {
    let mut engine = brute_force(2, 60);
    let rows = vec![failed("192.0.2.6", 0)];
    // Evaluated twice (a retried commit) without applying: still one event counted.
    let _ = engine.evaluate(1, &rows);
    let _ = engine.evaluate(1, &rows);
    assert_eq!(engine.live_keys(1), 0);
    let out = run(&mut engine, vec![rows, vec![failed("192.0.2.6", 5)]]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].2, 2);
}

#[test]
fn distinct_counts_each_value_once() {
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(
        1,
        "threshold",
        json!({
            "query": "event_outcome:failure",
            "group_by": ["source_ip"],
            "distinct": "user_name",
            "window_secs": 60,
            "threshold": 3,
        }),
    ));
    let user = |name: &str, s: i64| {
        let mut r = failed("192.0.2.7", s);
        r.user_name = Some(name.into());
        r
    };
    let out = run(
        &mut engine,
        vec![vec![user("a", 0), user("a", 1), user("b", 2), user("b", 3)]],
    );
    assert!(out.is_empty());
    let out = run(&mut engine, vec![vec![user("c", 4)]]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].2, 3);
}

#[test]
fn the_key_cap_evicts_the_oldest_keys() {
    let mut engine = Engine::new(Settings {
        max_keys_per_rule: 10,
        ..Settings::default()
    });
    engine.add_rule(&model(
        1,
        "threshold",
        json!({"query": "event_outcome:failure", "group_by": ["source_ip"], "window_secs": 600, "threshold": 2}),
    ));
    let rows: Vec<EventRow> = (0..25).map(|i| failed(&format!("10.0.0.{i}"), i)).collect();
    let _ = run(&mut engine, vec![rows]);
    assert!(engine.live_keys(1) <= 10, "{}", engine.live_keys(1));
    // The newest key is still live: its second failure fires.
    let out = run(&mut engine, vec![vec![failed("10.0.0.24", 30)]]);
    assert_eq!(out.len(), 1);
    // The oldest was evicted: its second failure starts a new count.
    let out = run(&mut engine, vec![vec![failed("10.0.0.0", 31)]]);
    assert!(out.is_empty());
}

#[test]
fn sequence_needs_its_steps_in_order_within_the_span() {
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(
        1,
        "sequence",
        json!({
            "first": "event_action:ssh_login event_outcome:failure",
            "first_count": 3,
            "then": "event_action:ssh_login event_outcome:success",
            "within_secs": 600,
            "group_by": ["source_ip"],
        }),
    ));
    let ip = "203.0.113.50";
    // Success after only two failures: nothing. A third failure, then success at 600 s after
    // the first: all inside [0, 600], fires with four events.
    let out = run(
        &mut engine,
        vec![
            vec![failed(ip, 0), failed(ip, 10), accepted(ip, 20)],
            vec![failed(ip, 30), accepted(ip, 600)],
        ],
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].3, vec![1, 2, 4, 5]);
    // The failures were used up: another success does not fire.
    let out = run(&mut engine, vec![vec![accepted(ip, 601)]]);
    assert!(out.is_empty());

    // Success earlier in event time than the failures does not fire.
    let out = run(
        &mut engine,
        vec![vec![
            failed("192.0.2.9", 100),
            failed("192.0.2.9", 101),
            failed("192.0.2.9", 102),
            accepted("192.0.2.9", 50),
        ]],
    );
    assert!(out.is_empty(), "{out:?}");
}

/// A host-metrics sample of `host` at `secs` with CPU usage `cpu`.
fn cpu(host: &str, secs: i64, cpu: f64) -> EventRow {
    let mut ev = ParsedEvent::raw("metrics");
    ev.timestamp = Some(at(secs));
    ev.host = Some(host.into());
    ev.event_action = Some("host_metrics".into());
    ev.set("host.cpu.usage", json!(cpu));
    EventRow::new(ev, "raw".into(), at(secs), "test".into())
}

fn high_cpu(consecutive: u64) -> Engine {
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(
        1,
        "metric",
        json!({
            "query": "event_action:host_metrics",
            "field": "fields.host.cpu.usage",
            "op": "gt",
            "value": 90,
            "consecutive": consecutive,
        }),
    ));
    engine
}

#[test]
fn metric_fires_at_the_nth_consecutive_sample() {
    let mut engine = high_cpu(3);
    // Ids 1, 2 satisfy; 3 fires with the run 1..=3 as evidence. 90 is not above 90.
    let out = run(
        &mut engine,
        vec![
            vec![cpu("a", 0, 95.0), cpu("a", 10, 91.5)],
            vec![cpu("a", 20, 90.1)],
        ],
    );
    assert_eq!(
        out,
        vec![(OpKind::Raise, "host=a".into(), 3, vec![1, 2, 3])]
    );

    let mut engine = high_cpu(3);
    let out = run(
        &mut engine,
        vec![vec![
            cpu("a", 0, 95.0),
            cpu("a", 10, 95.0),
            cpu("a", 20, 90.0),
        ]],
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn metric_a_lower_sample_resets_the_run() {
    let mut engine = high_cpu(3);
    // 95, 96, then 50 resets; 91, 92 make a run of two only; host b's two samples are its own.
    // Ids: 1 a95, 2 a96, 3 b95 | 4 a50, 5 a91, 6 b95 | 7 a92 | 8 a93.
    let out = run(
        &mut engine,
        vec![
            vec![cpu("a", 0, 95.0), cpu("a", 10, 96.0), cpu("b", 10, 95.0)],
            vec![cpu("a", 20, 50.0), cpu("a", 30, 91.0), cpu("b", 20, 95.0)],
            vec![cpu("a", 40, 92.0)],
            vec![cpu("a", 50, 93.0)],
        ],
    );
    // Only the third in a row after the reset fires, with the run 5, 7, 8.
    assert_eq!(
        out,
        vec![(OpKind::Raise, "host=a".into(), 3, vec![5, 7, 8])]
    );
}

#[test]
fn metric_repeats_while_open_add_to_the_alert() {
    let mut engine = high_cpu(2);
    let out = run(
        &mut engine,
        vec![
            vec![cpu("a", 0, 95.0), cpu("a", 10, 95.0)],
            vec![cpu("a", 20, 97.0)],
            vec![cpu("a", 30, 99.0)],
            // Ends the run; the next two raise again.
            vec![cpu("a", 40, 10.0)],
            vec![cpu("a", 50, 95.0), cpu("a", 60, 95.0)],
        ],
    );
    assert_eq!(
        out,
        vec![
            (OpKind::Raise, "host=a".into(), 2, vec![1, 2]),
            (OpKind::Extend, "host=a".into(), 1, vec![3]),
            (OpKind::Extend, "host=a".into(), 1, vec![4]),
            (OpKind::Raise, "host=a".into(), 2, vec![6, 7]),
        ]
    );
}

/// The built-in SSH brute-force rule as seeded.
fn builtin_brute_force() -> Engine {
    let b = super::builtin::PACK
        .iter()
        .find(|b| b.key == "ssh_brute_force")
        .unwrap();
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(1, "threshold", (b.definition)()));
    engine
}

/// A real sshd line, parsed as the pipeline does, with the year of `at(0)`.
fn sshd(line: &str) -> EventRow {
    use crate::parse::{ParseContext, ParserKind, parse_bytes};
    let ev = parse_bytes(
        ParserKind::Auto,
        line.as_bytes(),
        &ParseContext::new(at(86_400)),
    );
    EventRow::new(ev, line.into(), at(0), "test".into())
}

#[test]
fn brute_force_from_a_host_name_is_grouped_by_it() {
    let mut engine = builtin_brute_force();
    let rows: Vec<EventRow> = (0..5)
        .map(|i| {
            sshd(&format!(
                "Dec  1 10:00:0{i} belka sshd[31607]: Failed password for root from example.com port 4711{i} ssh2"
            ))
        })
        .collect();
    let det = engine.evaluate(1, &rows);
    assert_eq!(det.ops.len(), 1, "{:?}", det.ops);
    let (rule, op) = &det.ops[0];
    assert_eq!(op.kind, OpKind::Raise);
    assert_eq!(op.key.text, "source.domain=example.com");
    assert_eq!(
        op.key.render(&rule.title),
        "SSH brute force from example.com"
    );
}

#[test]
fn rejected_public_keys_are_not_guessed_passwords() {
    let mut engine = builtin_brute_force();
    let rows: Vec<EventRow> = (0..6)
        .map(|i| {
            sshd(&format!(
                "Dec  1 10:00:0{i} srv sshd[32307]: Failed publickey for git from 192.0.2.1 port 5790{i} ssh2: RSA SHA256:aC2UQe4piBfaFwr2ne0PItnl9AcHqZOYrWjDmqpOzvE"
            ))
        })
        .collect();
    assert!(engine.evaluate(1, &rows).ops.is_empty());
}

#[test]
fn known_malicious_processes_fire_on_program_and_command_line() {
    let b = super::builtin::PACK
        .iter()
        .find(|b| b.key == "known_malicious_process")
        .unwrap();
    let mut engine = Engine::new(Settings::default());
    engine.add_rule(&model(1, "match", (b.definition)()));
    let rows: Vec<EventRow> = [
        // Kinsing's dropper logging under its own name.
        "Dec  1 10:00:01 web-01 kdevtmpfsi[4242]: started",
        // XMRig started from a crontab line.
        "Dec  1 10:00:02 web-02 CRON[777]: (www-data) CMD (/tmp/.cache/XMRig -o pool.example:3333 >/dev/null 2>&1)",
        // Benign: a normal cron job and a program whose name only contains a listed one.
        "Dec  1 10:00:03 web-03 CRON[778]: (root) CMD (run-parts /etc/cron.hourly)",
        "Dec  1 10:00:04 web-04 myxmrigstats[12]: exporter up",
    ]
    .iter()
    .map(|l| sshd(l))
    .collect();
    let det = engine.evaluate(1, &rows);
    let hosts: Vec<&str> = det.ops.iter().map(|(_, op)| op.key.text.as_str()).collect();
    assert_eq!(hosts, ["host=web-01", "host=web-02"]);
    let (rule, op) = &det.ops[1];
    assert_eq!(
        op.key.render(&rule.title),
        "Known malicious process on web-02"
    );
}
