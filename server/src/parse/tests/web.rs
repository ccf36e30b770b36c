//! Web server corpora: elastic's Apache combined log, CrowdSec's nginx probes and loghub's
//! Apache error log.

use super::{csv, ctx_at, lines, parse_all};
use crate::parse::{ParserKind, flags};

const APACHE: &str =
    include_str!("../../../tests/fixtures/corpus/web/elastic_examples_apache_logs.log");
const TRAVERSAL: &str =
    include_str!("../../../tests/fixtures/corpus/web/crowdsec_nginx-http-path-traversal.log");
const SQLI: &str =
    include_str!("../../../tests/fixtures/corpus/web/crowdsec_nginx-http-sqli-probing.log");
const XSS: &str =
    include_str!("../../../tests/fixtures/corpus/web/crowdsec_nginx-http-xss-probing.log");
const APACHE_ERROR: &str = include_str!("../../../tests/fixtures/corpus/web/loghub_Apache_2k.log");
const APACHE_ERROR_CSV: &str =
    include_str!("../../../tests/fixtures/corpus/web/loghub_Apache_2k.log_structured.csv");

/// Fields read straight from the raw line: client, method, status.
fn by_hand(line: &str) -> (&str, &str, u16) {
    let client = line.split(' ').next().unwrap();
    let mut quoted = line.split('"');
    let request = quoted.nth(1).unwrap();
    let status = quoted.next().unwrap().trim().split(' ').next().unwrap();
    (
        client,
        request.split(' ').next().unwrap(),
        status.parse().unwrap(),
    )
}

#[test]
fn elastic_apache_combined() {
    let ctx = ctx_at("2024-01-01T00:00:00Z");
    let text = lines(APACHE);
    let evs = parse_all(ParserKind::Auto, APACHE, &ctx);
    assert_eq!(evs.len(), 10_000);
    let mut failures = 0;
    let mut cut_lines = 0;
    for (line, ev) in text.iter().zip(&evs) {
        let (client, method, status) = by_hand(line);
        assert_eq!(ev.parser, "apache_access", "{line}");
        // One real line lost the closing quote of its user agent.
        let cut = !line.ends_with('"');
        assert_eq!(ev.flags, if cut { flags::PARSE_ERROR } else { 0 }, "{line}");
        cut_lines += usize::from(cut);
        assert_eq!(ev.source_ip.as_deref(), Some(client), "{line}");
        assert_eq!(ev.fields["http.request.method"], method, "{line}");
        assert_eq!(ev.fields["http.response.status_code"], status, "{line}");
        assert!(ev.fields.contains_key("url.original"), "{line}");
        let ts = ev.timestamp.unwrap().to_rfc3339();
        assert!(
            ts.starts_with("2015-05-1") || ts.starts_with("2015-05-2"),
            "{ts}"
        );
        if status >= 400 {
            failures += 1;
            assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        }
    }
    assert!(failures > 0);
    assert_eq!(cut_lines, 1);
    let with_agent = evs
        .iter()
        .filter(|e| e.fields.contains_key("user_agent.original"))
        .count();
    let dash_agent = text.iter().filter(|l| l.ends_with("\"-\"")).count();
    assert_eq!(with_agent + dash_agent, 10_000);
}

#[test]
fn crowdsec_nginx_probes() {
    let ctx = ctx_at("2024-01-01T00:00:00Z");
    for text in [TRAVERSAL, SQLI, XSS] {
        let evs = parse_all(ParserKind::Auto, text, &ctx);
        assert!(!evs.is_empty());
        for (line, ev) in lines(text).iter().zip(&evs) {
            let (_, method, status) = by_hand(line);
            assert_eq!(ev.parser, "apache_access", "{line}");
            assert_eq!(ev.flags, 0, "{line}");
            assert_eq!(ev.source_ip.as_deref(), Some("127.0.0.1"));
            assert_eq!(ev.fields["http.request.method"], method);
            assert_eq!(ev.fields["http.response.status_code"], status);
            assert_eq!(ev.fields["user_agent.original"], "curl/7.68.0");
            let url = ev.fields["url.original"].as_str().unwrap();
            assert!(url.starts_with('/') && line.contains(url), "{url}");
        }
    }
}

#[test]
fn loghub_apache_error_log_matches_its_csv() {
    let ctx = ctx_at("2024-01-01T00:00:00Z");
    let evs = parse_all(ParserKind::Auto, APACHE_ERROR, &ctx);
    let rows = csv(APACHE_ERROR_CSV);
    assert_eq!(&rows[0][..4], ["LineId", "Time", "Level", "Content"]);
    assert_eq!(evs.len(), 2000);
    assert_eq!(rows.len() - 1, evs.len());
    let mut clients = 0;
    for (ev, row) in evs.iter().zip(&rows[1..]) {
        assert_eq!(ev.parser, "apache_error", "{}", row[0]);
        assert_eq!(ev.flags, 0, "{}", row[0]);
        assert_eq!(ev.level.as_deref(), Some(row[2].as_str()), "{}", row[0]);
        let content = match row[3].strip_prefix("[client ") {
            Some(rest) => {
                let (ip, msg) = rest.split_once("] ").unwrap();
                assert_eq!(ev.source_ip.as_deref(), Some(ip));
                clients += 1;
                msg
            }
            None => row[3].as_str(),
        };
        assert_eq!(ev.message.trim_end(), content, "{}", row[0]);
        let stamp = ev
            .timestamp
            .unwrap()
            .format("%a %b %d %H:%M:%S %Y")
            .to_string();
        assert_eq!(stamp, row[1]);
    }
    assert_eq!(clients, 32);
    let errors = evs
        .iter()
        .filter(|e| e.event_action.as_deref() == Some("http_error"))
        .count();
    assert_eq!(errors, 595);
}

#[test]
fn raw_text_lines_are_never_flagged() {
    let ev = crate::parse::parse_line(
        ParserKind::Auto,
        "just some words",
        &ctx_at("2024-01-01T00:00:00Z"),
    );
    assert_eq!((ev.parser, ev.flags), ("raw", 0));
    assert_eq!(ev.flags & flags::PARSE_ERROR, 0);
}
