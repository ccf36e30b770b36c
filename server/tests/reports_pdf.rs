//! PDF reports over a real auth.log (elastic/examples, Apache-2.0, vendored in
//! `fixtures/corpus` with its licence), read back with `pdftotext` (poppler-utils; `make test`
//! installs it): the totals and top addresses are counted here from the raw lines, plainly,
//! not taken from Vigil. The first page is rendered with `pdftoppm` into the build's temporary
//! directory for a person to look at.

use crate::common;

use std::collections::HashMap;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::json;

use common::TestDb;
use common::reports::{create_and_wait, download};
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;

backend_suite!(
    summary_pdf_holds_the_totals_of_the_raw_lines,
    alert_pdf_lists_the_brute_force_alerts_with_contents
);

const LOG: &str = include_str!("fixtures/corpus/auth/elastic_examples_auth.log");
/// The file has no year; read as of this instant, its lines fall in March and April 2026.
const REFERENCE: &str = "2026-12-01T00:00:00Z";

/// SSH sign-ins of the log: (successes, failures, attempts per source address), one per
/// `Accepted|Failed <method> for … from <ip> port` line of sshd, `message repeated` lines
/// counted once (they are one event).
fn sign_ins(log: &str) -> (u64, u64, HashMap<String, u64>) {
    let (mut ok, mut failed, mut by_ip) = (0, 0, HashMap::new());
    for line in log.lines() {
        if !line[16..].contains(" sshd[") {
            continue;
        }
        let Some((_, msg)) = line.split_once("]: ") else {
            continue;
        };
        let msg = match msg.strip_prefix("message repeated ") {
            Some(rest) => rest.split_once(" times: [ ").unwrap().1,
            None => msg,
        };
        let accepted = msg.starts_with("Accepted ");
        if !accepted && !msg.starts_with("Failed ") {
            continue;
        }
        let Some((head, tail)) = msg.split_once(" from ") else {
            continue;
        };
        // `<verb> <method> for …`: the method is one word.
        let method_ok = head
            .split_once(' ')
            .and_then(|(_, rest)| rest.split_once(" for "))
            .is_some_and(|(method, _)| !method.contains(' '));
        if !method_ok || !tail.contains(" port ") {
            continue;
        }
        let ip = tail.split(' ').next().unwrap().to_string();
        if accepted {
            ok += 1;
        } else {
            failed += 1;
        }
        *by_ip.entry(ip).or_insert(0) += 1;
    }
    (ok, failed, by_ip)
}

fn pdftotext(pdf: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils; `make poppler` installs it)");
    assert!(out.status.success());
    // Pages end with a form feed; one space between words, so the test does not depend on
    // column widths.
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\u{c}')
        .map(|page| {
            page.lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\u{c}")
}

/// Stores the log's lines as `vigil serve` would (parsed, detected, committed).
async fn ingest(db: &TestDb) {
    let source = db
        .state
        .service()
        .ingest()
        .source("corpus", "test", json!({}))
        .await
        .unwrap();
    let reference: DateTime<Utc> = REFERENCE.parse().unwrap();
    let lines: Vec<&str> = LOG.lines().collect();
    for chunk in lines.chunks(700) {
        let raw = chunk
            .iter()
            .map(|l| RawLine::new(l.as_bytes().to_vec(), reference))
            .collect();
        let mut sub = Submission::new(source.clone(), ParserKind::Syslog, raw);
        sub.reference_time = Some(reference);
        db.state
            .service()
            .ingest()
            .submit_and_wait(sub)
            .await
            .unwrap();
    }
}

/// Writes `body` to a file and reads it back with pdftotext.
fn pdf_text(body: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, body).unwrap();
    pdftotext(&pdf)
}

async fn alert_pdf_lists_the_brute_force_alerts_with_contents(db: TestDb) {
    server::detect::builtin::seed(db.state.service().db())
        .await
        .unwrap();
    ingest(&db).await;
    let expected = common::threshold::expected_alerts(&common::auth_log::failures(LOG), 300, 5);
    assert!(expected.len() >= 10, "{expected:?}");
    let token = db.token("ana", &["analyst"]).await;
    let view = create_and_wait(
        &db,
        &token,
        json!({ "kind": "alerts", "format": "pdf",
                "from": "2026-03-01T00:00:00Z", "to": "2026-05-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let (_, ct, _, body) = download(&db, &token, view["id"].as_i64().unwrap()).await;
    assert_eq!(ct, "application/pdf");
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("report-alerts-{}.pdf", db.backend)),
        &body,
    )
    .unwrap();
    let text = pdf_text(&body);
    let pages: Vec<&str> = text.split('\u{c}').collect();
    assert!(pages[0].contains("Alert report"));
    assert!(pages[1].contains("Contents"), "{}", pages[1]);
    // Every brute-force alert the raw lines call for is listed (their order is the alerts').
    for ip in expected.keys() {
        assert!(
            text.contains(&format!("SSH brute force from {ip} ")),
            "alert for {ip} in {text}"
        );
    }
    // The alerts table's header is on every page the table reaches: a table row is a line
    // `<id> <severity> <status> …`.
    let is_row = |l: &str| {
        let w: Vec<&str> = l.split(' ').collect();
        w.len() > 3
            && w[0].parse::<u64>().is_ok()
            && ["low", "medium", "high", "critical"].contains(&w[1])
            && [
                "open",
                "acknowledged",
                "in_progress",
                "resolved",
                "false_positive",
            ]
            .contains(&w[2])
    };
    let header = "ID Severity Status Title Rule Events Last seen";
    let table_pages: Vec<&&str> = pages.iter().filter(|p| p.lines().any(is_row)).collect();
    assert!(!table_pages.is_empty(), "{text}");
    for page in table_pages {
        assert!(page.contains(header), "no header on {page}");
    }
}

async fn summary_pdf_holds_the_totals_of_the_raw_lines(db: TestDb) {
    ingest(&db).await;
    let (ok, failed, by_ip) = sign_ins(LOG);
    let mut top: Vec<(String, u64)> = by_ip.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(ok > 100 && failed > 500, "{ok} {failed}");

    let token = db.token("ana", &["analyst"]).await;
    let view = create_and_wait(
        &db,
        &token,
        json!({
            "kind": "summary", "format": "pdf", "name": "SSH sign-ins, spring 2026",
            "from": "2026-03-01T00:00:00Z", "to": "2026-05-01T00:00:00Z",
            "filters": { "q": "event_action:ssh_login" }
        }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let id = view["id"].as_i64().unwrap();
    let (status, ct, cd, body) = download(&db, &token, id).await;
    assert_eq!(status, http::StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(cd.ends_with(&format!("-{id}.pdf\"")), "{cd}");
    assert!(body.starts_with(b"%PDF-"));

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("summary.pdf");
    std::fs::write(&pdf, &body).unwrap();
    let text = pdftotext(&pdf);
    let pages: Vec<&str> = text.split('\u{c}').collect();
    // The title page, then numbered pages.
    assert!(pages[0].contains("Executive summary"), "{}", pages[0]);
    assert!(pages[0].contains("SSH sign-ins, spring 2026"));
    assert!(pages[0].contains("2026-03-01 00:00 UTC"));
    assert!(pages[0].contains("event_action:ssh_login"));
    let numbered = pages.iter().filter(|p| p.contains("Page ")).count();
    assert!(numbered >= 1, "{text}");
    assert!(
        text.contains(&format!("Events {}", fmt(ok + failed))),
        "{text}"
    );
    assert!(
        text.contains(&format!("Successful sign-ins {}", fmt(ok))),
        "{text}"
    );
    assert!(
        text.contains(&format!("Failed sign-ins {}", fmt(failed))),
        "{text}"
    );
    for (ip, n) in top.iter().take(3) {
        assert!(
            text.contains(&format!("{ip} {}", fmt(*n))),
            "{ip} {n} in {text}"
        );
    }

    // The first page as an image, kept where a person can look at it.
    let png = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-summary-{}", db.backend));
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let png = png.with_extension("png");
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    std::fs::copy(&pdf, png.with_extension("pdf")).unwrap();
}

fn fmt(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
