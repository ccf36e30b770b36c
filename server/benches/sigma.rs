//! Sigma detection alone on one core (`cargo bench -p server --bench sigma`): every staged
//! SigmaHQ rule loaded, a mixed stream of real corpus lines (sshd, sudo, cron, account tools,
//! syslog, Apache and nginx access and error logs, Suricata, Zeek, Cowrie) parsed by the real
//! parser, each event tested against the rules.
//!
//! Three ways are measured: every rule checking the event's logsource itself; the rule set's
//! index that works out the event's kinds once and hands it only to the rules of those kinds;
//! and that index followed by one Aho-Corasick pass over the literals each rule needs.
//! Before criterion's own runs, a timed pass over `VIGIL_BENCH_EVENTS` events (default
//! 1000000, the corpus repeated) prints events per second for each.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput};

use server::detect::sigma::{self, SigmaRuleSet};
use server::ingest::EventRow;
use server::parse::{ParseContext, ParserKind, parse_line, sanitize};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// Every line of the log files in the vendored corpus, as the ingest pipeline's rows.
fn stream() -> Vec<EventRow> {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut files = Vec::new();
    for dir in ["auth", "syslog", "web", "network"] {
        for e in std::fs::read_dir(corpus().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if !p.extension().is_some_and(|x| x == "csv" || x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut rows = Vec::new();
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let (text, bits) = sanitize(l);
            let ev = parse_line(ParserKind::Auto, &text, &ParseContext::new(now));
            let mut row = EventRow::new(ev, text.into_owned(), now, "bench".into());
            row.flags |= bits;
            rows.push(row);
        }
    }
    rows
}

type Eval = fn(&SigmaRuleSet, &EventRow, &mut Vec<usize>);

fn by_logsource(set: &SigmaRuleSet, row: &EventRow, out: &mut Vec<usize>) {
    set.matching_by_logsource(row, out);
}

fn screened(set: &SigmaRuleSet, row: &EventRow, out: &mut Vec<usize>) {
    set.matching(row, out);
}

fn unindexed(set: &SigmaRuleSet, row: &EventRow, out: &mut Vec<usize>) {
    set.matching_unindexed(row, out);
}

/// Evaluates `events` events, cycling over the stream; returns events per second and matches.
fn timed(set: &SigmaRuleSet, rows: &[EventRow], events: usize, eval: Eval) -> (f64, usize) {
    let mut out = Vec::new();
    let mut matches = 0;
    let start = Instant::now();
    for row in rows.iter().cycle().take(events) {
        out.clear();
        eval(set, black_box(row), &mut out);
        matches += out.len();
    }
    let secs = start.elapsed().as_secs_f64();
    (events as f64 / secs, matches)
}

fn main() {
    let imports = sigma::import_dir(&corpus().join("sigma")).expect("the rule folder reads");
    let files = imports.len();
    let refused: usize = imports.iter().map(|f| f.refused.len()).sum();
    let set = SigmaRuleSet::new(imports.into_iter().flat_map(|f| f.rules).collect());
    let rows = stream();
    let events: usize = std::env::var("VIGIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "{} rules from {files} files ({refused} refused); stream of {} real corpus events, {events} evaluated per run, one core",
        set.len(),
        rows.len()
    );
    let unscreened: Vec<&str> = set
        .rules()
        .iter()
        .filter(|r| r.literals().is_none())
        .map(|r| r.info.title.as_str())
        .collect();
    println!(
        "{} of {} rules name literals for the screen; always run: {unscreened:?}",
        set.len() - unscreened.len(),
        set.len()
    );
    for (name, eval) in [
        ("every rule checks its logsource", unindexed as Eval),
        ("rules indexed by logsource", by_logsource as Eval),
        (
            "by logsource, then Aho-Corasick over required literals",
            screened as Eval,
        ),
    ] {
        let (rate, matches) = timed(&set, &rows, events, eval);
        println!("sigma: {name}: {rate:.0} events/s ({matches} matches)");
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
        .configure_from_args();
    let mut group = c.benchmark_group("sigma");
    group.throughput(Throughput::Elements(rows.len() as u64));
    for (name, eval) in [
        ("unindexed", unindexed as Eval),
        ("by_logsource", by_logsource as Eval),
        ("by_logsource_and_literals", screened as Eval),
    ] {
        group.bench_function(name, |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for row in &rows {
                    out.clear();
                    eval(&set, black_box(row), &mut out);
                }
            })
        });
    }
    group.finish();
    c.final_summary();
}
