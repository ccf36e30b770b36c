//! Cowrie SSH/telnet honeypot JSON events: login attempts map onto the same `ssh_login` action
//! as sshd so one brute-force rule covers both.

use serde_json::{Map, Value};

use super::json::{take_port, take_str, timestamp};
use super::{ParseContext, ParsedEvent, scan};

pub(crate) fn from_map(mut map: Map<String, Value>, line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("cowrie", line);
    let eventid = take_str(&mut map, &["eventid"]).unwrap_or_default();
    if let Some(ts) = map.remove("timestamp") {
        ev.timestamp = timestamp(&ts, ctx);
    }
    if let Some(ip) = take_str(&mut map, &["src_ip"]) {
        scan::set_source(&mut ev, &ip);
    }
    ev.source_port = take_port(&mut map, &["src_port"]);
    if let Some(ip) = take_str(&mut map, &["dst_ip"]) {
        scan::set_destination(&mut ev, &ip);
    }
    ev.destination_port = take_port(&mut map, &["dst_port"]);
    ev.host = take_str(&mut map, &["sensor"]);
    ev.user_name = take_str(&mut map, &["username"]);
    if let Some(msg) = take_str(&mut map, &["message"]) {
        ev.message = msg;
    }
    let (category, action, outcome) = match eventid.as_str() {
        "cowrie.login.success" => ("authentication", "ssh_login".to_owned(), "success"),
        "cowrie.login.failed" => ("authentication", "ssh_login".to_owned(), "failure"),
        "cowrie.session.connect" => ("network", "ssh_connection".to_owned(), "unknown"),
        "cowrie.command.input" | "cowrie.command.failed" => {
            ("process", eventid.replace('.', "_"), "unknown")
        }
        other => ("network", other.replace('.', "_"), "unknown"),
    };
    ev.classify(category, &action, outcome);
    if let Some(input) = map.get("input").and_then(Value::as_str) {
        ev.set("process.command_line", input.to_owned());
    }
    ev.set("cowrie.eventid", eventid);
    for (k, v) in map {
        ev.fields.insert(format!("cowrie.{k}"), v);
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        crate::parse::json::parse(line, &ParseContext::new(Utc::now()))
    }

    #[test]
    fn login_failed() {
        let ev = run(
            r#"{"eventid":"cowrie.login.failed","username":"root","password":"123456","message":"login attempt [root/123456] failed","sensor":"hp1","timestamp":"2026-08-13T00:00:35.1Z","src_ip":"137.184.154.9","src_port":37416,"session":"2a5e755afa79"}"#,
        );
        assert_eq!(ev.parser, "cowrie");
        assert_eq!(ev.event_action.as_deref(), Some("ssh_login"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(ev.source_ip.as_deref(), Some("137.184.154.9"));
        assert_eq!(ev.host.as_deref(), Some("hp1"));
        assert_eq!(ev.fields["cowrie.session"], "2a5e755afa79");
        assert_eq!(ev.message, "login attempt [root/123456] failed");
    }

    #[test]
    fn command_and_connect() {
        let ev = run(r#"{"eventid":"cowrie.command.input","input":"uname -a","src_ip":"1.2.3.4"}"#);
        assert_eq!(ev.event_action.as_deref(), Some("cowrie_command_input"));
        assert_eq!(ev.fields["process.command_line"], "uname -a");
        let ev = run(r#"{"eventid":"cowrie.session.connect","src_ip":"1.2.3.4","dst_port":2222}"#);
        assert_eq!(ev.event_action.as_deref(), Some("ssh_connection"));
        assert_eq!(ev.destination_port, Some(2222));
    }
}
