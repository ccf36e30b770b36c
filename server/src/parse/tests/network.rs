//! Network sensor corpora: Suricata eve.json and Zeek TSV logs.

use super::{ctx_at, lines, parse_all};
use crate::parse::{ParserKind, ZeekState, flags};

const EVE: &str = include_str!("../../../tests/fixtures/corpus/network/suricatalog_eve-2.json");
const CONN: &str = include_str!("../../../tests/fixtures/corpus/network/zeek_conn.log");
const SSH: &str = include_str!("../../../tests/fixtures/corpus/network/zed-sample-data_ssh.log");
const NOTICE: &str =
    include_str!("../../../tests/fixtures/corpus/network/zed-sample-data_notice.log");

#[test]
fn suricata_eve() {
    let ctx = ctx_at("2024-01-01T00:00:00Z");
    let evs = parse_all(ParserKind::Auto, EVE, &ctx);
    assert_eq!(evs.len(), 2401);
    for ev in &evs {
        assert_eq!(ev.parser, "suricata");
        assert_eq!(ev.flags, 0);
        assert!(ev.timestamp.is_some());
        if ev.event_action.as_deref() != Some("suricata_stats") {
            assert!(
                ev.source_ip.is_some() && ev.destination_ip.is_some(),
                "{}",
                ev.message
            );
        }
    }
    let alerts: Vec<_> = evs
        .iter()
        .filter(|e| e.event_action.as_deref() == Some("suricata_alert"))
        .collect();
    assert_eq!(alerts.len(), 118);
    for alert in &alerts {
        assert_eq!(alert.event_category.as_deref(), Some("intrusion_detection"));
        assert!(alert.fields["rule.name"].is_string());
        assert!(alert.fields["rule.id"].is_u64());
        assert!(alert.level.is_some());
        assert_eq!(alert.message, alert.fields["rule.name"].as_str().unwrap());
    }
    let dns = evs
        .iter()
        .filter(|e| e.event_action.as_deref() == Some("suricata_dns"))
        .count();
    assert_eq!(dns, 936);
}

/// Runs a Zeek file through one state and checks each record against its own columns.
fn zeek(text: &str, path: &str) -> Vec<crate::parse::ParsedEvent> {
    let ctx = ctx_at("2024-01-01T00:00:00Z");
    let mut state = ZeekState::new();
    let mut events = Vec::new();
    let records: Vec<&str> = lines(text)
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .collect();
    for line in lines(text) {
        if let Some(ev) = state.feed(line, &ctx) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(ev.parser, "zeek");
            assert_eq!(ev.flags & flags::PARSE_ERROR, 0, "{line}");
            assert_eq!(ev.source_ip.as_deref(), Some(cols[2]));
            assert_eq!(ev.source_port, cols[3].parse().ok());
            assert_eq!(ev.destination_ip.as_deref(), Some(cols[4]));
            assert_eq!(ev.destination_port, cols[5].parse().ok());
            let ts = ev.timestamp.unwrap();
            assert_eq!(
                ts.timestamp().to_string(),
                cols[0].split('.').next().unwrap()
            );
            events.push(ev);
        }
    }
    assert_eq!(state.path(), path);
    assert_eq!(events.len(), records.len());
    events
}

#[test]
fn zeek_conn() {
    let evs = zeek(CONN, "conn");
    assert_eq!(evs.len(), 5);
    assert_eq!(evs[0].fields["zeek.conn.history"], "ShAdfFa");
    assert_eq!(evs[0].fields["zeek.conn.resp_bytes"], 342);
    assert_eq!(evs[0].fields["network.protocol"], "ftp-data");
    assert_eq!(evs[4].fields["zeek.conn.duration"], 38.055625);
}

#[test]
fn zeek_ssh() {
    let evs = zeek(SSH, "ssh");
    let failures = lines(SSH)
        .iter()
        .filter(|l| !l.starts_with('#') && l.split('\t').nth(7) == Some("F"))
        .count();
    let got = evs
        .iter()
        .filter(|e| e.event_action.as_deref() == Some("ssh_login"))
        .filter(|e| e.event_outcome.as_deref() == Some("failure"))
        .count();
    assert_eq!(got, failures);
    assert!(failures > 0);
    assert_eq!(evs[0].fields["zeek.ssh.client"], "SSH-2.0-OpenSSH_7.6");
}

#[test]
fn zeek_notice() {
    let evs = zeek(NOTICE, "notice");
    assert!(evs.len() > 100);
    for ev in &evs {
        assert_eq!(ev.event_category.as_deref(), Some("intrusion_detection"));
        assert!(ev.fields["rule.name"].as_str().unwrap().contains("::"));
    }
    assert_eq!(
        evs[0].message,
        "SSL certificate validation failed with (unable to get local issuer certificate)"
    );
}
