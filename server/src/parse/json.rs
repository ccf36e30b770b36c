//! JSON lines: detects Suricata eve.json, Cowrie and host-metrics shapes, and maps the common
//! keys of any other JSON log onto the event, keeping the rest in `fields`.

use serde_json::{Map, Value};

use super::{
    ParseContext, ParsedEvent, cowrie, level_from_severity, normalize_level, scan, suricata, time,
};

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let map = match serde_json::from_str::<Map<String, Value>>(line) {
        Ok(map) => map,
        Err(_) => {
            let mut ev = ParsedEvent::new("json", line);
            ev.fail(line);
            return ev;
        }
    };
    if map.contains_key("event_type")
        && ["src_ip", "dest_ip", "flow_id", "in_iface"]
            .iter()
            .any(|k| map.contains_key(*k))
        || map.get("event_type").and_then(Value::as_str) == Some("stats")
    {
        return suricata::from_map(map, line, ctx);
    }
    if map
        .get("eventid")
        .and_then(Value::as_str)
        .is_some_and(|id| id.starts_with("cowrie."))
    {
        return cowrie::from_map(map, line, ctx);
    }
    let mut ev = ParsedEvent::new("json", line);
    if map.contains_key("cpu_usage") || map.contains_key("memory_usage") {
        metrics(&mut ev, map, ctx);
    } else {
        generic(&mut ev, map, ctx);
    }
    ev
}

/// Removes and returns the first of `keys` present.
pub(crate) fn take(map: &mut Map<String, Value>, keys: &[&str]) -> Option<Value> {
    keys.iter().find_map(|k| map.remove(*k))
}

/// Like [`take`] for text; numbers are rendered, other types are left in place.
pub(crate) fn take_str(map: &mut Map<String, Value>, keys: &[&str]) -> Option<String> {
    for k in keys {
        match map.get(*k) {
            Some(Value::String(_)) => {
                if let Some(Value::String(s)) = map.remove(*k) {
                    return Some(s);
                }
            }
            Some(Value::Number(n)) => {
                let s = n.to_string();
                map.remove(*k);
                return Some(s);
            }
            _ => {}
        }
    }
    None
}

pub(crate) fn take_port(map: &mut Map<String, Value>, keys: &[&str]) -> Option<u16> {
    take_str(map, keys).and_then(|p| scan::port(&p))
}

/// A timestamp value: ISO 8601 text, or epoch seconds / milliseconds as a number.
pub(crate) fn timestamp(v: &Value, ctx: &ParseContext) -> Option<chrono::DateTime<chrono::Utc>> {
    match v {
        Value::String(s) => time::parse_iso(s, ctx.default_offset)
            .map(|(t, _)| t)
            .or_else(|| time::parse_epoch(s)),
        Value::Number(n) => {
            let f = n.as_f64()?;
            // Seconds until the year 5138; beyond that it must be milliseconds.
            if f.abs() < 1e11 {
                chrono::DateTime::from_timestamp(f.trunc() as i64, (f.fract() * 1e9) as u32)
            } else {
                time::from_epoch_millis(f as i64)
            }
        }
        _ => None,
    }
}

pub(crate) fn generic(ev: &mut ParsedEvent, mut map: Map<String, Value>, ctx: &ParseContext) {
    if let Some(ts) = take(
        &mut map,
        &["@timestamp", "timestamp", "time", "ts", "datetime"],
    ) {
        ev.timestamp = timestamp(&ts, ctx);
        if ev.timestamp.is_none() {
            map.insert("timestamp".to_owned(), ts);
        }
    }
    ev.host = match take(&mut map, &["host", "hostname", "host.name", "hostName"]) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(mut o)) => o.remove("name").and_then(|n| n.as_str().map(str::to_owned)),
        Some(other) => {
            map.insert("host".to_owned(), other);
            None
        }
        None => None,
    };
    let src = [
        "source_ip",
        "src_ip",
        "client_ip",
        "source.ip",
        "srcip",
        "src",
        "clientip",
        "remote_addr",
        "ip",
    ];
    if let Some(ip) = take_str(&mut map, &src) {
        scan::set_source(ev, &ip);
    }
    ev.source_port = take_port(
        &mut map,
        &["source_port", "src_port", "sport", "srcport", "source.port"],
    );
    let dst = [
        "destination_ip",
        "dest_ip",
        "dst_ip",
        "destination.ip",
        "dstip",
        "dst",
    ];
    if let Some(ip) = take_str(&mut map, &dst) {
        scan::set_destination(ev, &ip);
    }
    ev.destination_port = take_port(
        &mut map,
        &[
            "destination_port",
            "dest_port",
            "dst_port",
            "dport",
            "destination.port",
        ],
    );
    ev.user_name = match take(
        &mut map,
        &["username", "user", "user_name", "user.name", "login"],
    ) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Object(mut o)) => o.remove("name").and_then(|n| n.as_str().map(str::to_owned)),
        Some(other) => {
            map.insert("user".to_owned(), other);
            None
        }
        None => None,
    };
    ev.level = match take(
        &mut map,
        &["level", "severity", "log.level", "loglevel", "lvl"],
    ) {
        Some(Value::String(s)) => Some(normalize_level(&s)),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n < 8) => {
            Some(level_from_severity(n.as_u64().unwrap_or(7) as u8).to_owned())
        }
        Some(other) => {
            map.insert("level".to_owned(), other);
            None
        }
        None => None,
    };
    if let Some(msg) = take_str(&mut map, &["message", "msg"]) {
        ev.message = msg;
    }
    ev.event_action = take_str(&mut map, &["action", "event_type", "event.action"]);
    ev.event_category = take_str(&mut map, &["category", "event.category"]);
    for key in ["status", "outcome", "result", "event.outcome"] {
        if let Some(Value::String(s)) = map.get(key)
            && let Some(outcome) = outcome_word(s)
        {
            ev.event_outcome = Some(outcome.to_owned());
            map.remove(key);
            break;
        }
    }
    if ev.event_category.is_none()
        && let Some(action) = &ev.event_action
        && ["login", "logon", "auth", "password"]
            .iter()
            .any(|w| action.contains(w))
    {
        ev.event_category = Some("authentication".to_owned());
    }
    ev.process = take_str(&mut map, &["process", "program", "appname", "process.name"]);
    ev.pid = take_str(&mut map, &["pid", "process.pid"]).and_then(|p| p.parse().ok());
    ev.fields = map;
}

/// Maps free-text status words to `event.outcome`.
pub(crate) fn outcome_word(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "failed" | "failure" | "fail" | "denied" | "rejected" | "blocked" | "error" | "invalid" => {
            Some("failure")
        }
        "success" | "succeeded" | "successful" | "ok" | "accepted" | "allowed" | "passed" => {
            Some("success")
        }
        "unknown" => Some("unknown"),
        _ => None,
    }
}

/// `{timestamp, host, cpu_usage, memory_usage: {used, total, percent}, threats: […]}`
fn metrics(ev: &mut ParsedEvent, mut map: Map<String, Value>, ctx: &ParseContext) {
    ev.event_category = Some("host".to_owned());
    ev.event_action = Some("host_metrics".to_owned());
    if let Some(ts) = take(&mut map, &["timestamp", "@timestamp", "time"]) {
        ev.timestamp = timestamp(&ts, ctx);
    }
    ev.host = take_str(&mut map, &["host", "hostname"]);
    if let Some(cpu) = map.remove("cpu_usage") {
        ev.set("host.cpu.usage", cpu);
    }
    match map.remove("memory_usage") {
        Some(Value::Object(mem)) => {
            for (k, v) in mem {
                ev.set(&format!("host.memory.{k}"), v);
            }
        }
        Some(other) => ev.set("host.memory.usage", other),
        None => {}
    }
    if let Some(threats) = map.remove("threats") {
        ev.set("threats", threats);
    }
    ev.fields.extend(map);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::flags;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        parse(line, &ParseContext::new(Utc::now()))
    }

    #[test]
    fn generic_shape_with_event_type() {
        let ev = run(
            r#"{"timestamp":"2024-03-01T10:00:00Z","source_ip":"10.0.0.5","event_type":"login_failed","level":"WARN","message":"bad password","extra":1}"#,
        );
        assert_eq!(ev.parser, "json");
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(ev.source_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.event_action.as_deref(), Some("login_failed"));
        assert_eq!(ev.event_category.as_deref(), Some("authentication"));
        assert_eq!(ev.level.as_deref(), Some("warning"));
        assert_eq!(ev.message, "bad password");
        assert_eq!(ev.fields["extra"], 1);
        assert!(!ev.fields.contains_key("source_ip"));
    }

    #[test]
    fn action_status_shape() {
        let ev = run(
            r#"{"source_ip":"192.168.1.10","username":"admin","action":"login","status":"failed","timestamp":1709287200}"#,
        );
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T10:00:00+00:00"
        );
        let ev = run(
            r#"{"source_ip":"192.168.1.10","username":"admin","action":"login","status":"success"}"#,
        );
        assert_eq!(ev.event_outcome.as_deref(), Some("success"));
        let ev = run(r#"{"status":"pending"}"#);
        assert_eq!(ev.event_outcome, None);
        assert_eq!(ev.fields["status"], "pending");
    }

    #[test]
    fn ecs_nested_host_and_user() {
        let ev = run(
            r#"{"@timestamp":"2024-03-01T10:00:00.5+01:00","host":{"name":"web1"},"user":{"name":"bob"},"msg":"hi","pid":42}"#,
        );
        assert_eq!(ev.host.as_deref(), Some("web1"));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.message, "hi");
        assert_eq!(ev.pid, Some(42));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T09:00:00.500+00:00"
        );
    }

    #[test]
    fn host_metrics() {
        let ev = run(
            r#"{"timestamp":"2024-03-01T10:00:00Z","host":"db1","cpu_usage":93.5,"memory_usage":{"used":7.5,"total":8,"percent":93.7},"threats":["cryptominer"]}"#,
        );
        assert_eq!(ev.event_category.as_deref(), Some("host"));
        assert_eq!(ev.event_action.as_deref(), Some("host_metrics"));
        assert_eq!(ev.host.as_deref(), Some("db1"));
        assert_eq!(ev.fields["host.cpu.usage"], 93.5);
        assert_eq!(ev.fields["host.memory.used"], 7.5);
        assert_eq!(ev.fields["host.memory.total"], 8);
        assert_eq!(ev.fields["host.memory.percent"], 93.7);
        assert_eq!(ev.fields["threats"][0], "cryptominer");
    }

    #[test]
    fn broken_json_is_flagged() {
        let line = r#"{"a": 1, "b": "#;
        let ev = run(line);
        assert_eq!(ev.parser, "json");
        assert_eq!(ev.flags, flags::PARSE_ERROR);
        assert_eq!(ev.message, line);
        assert_eq!(run("[1,2]").flags, flags::PARSE_ERROR);
    }

    #[test]
    fn message_defaults_to_the_line() {
        let line = r#"{"foo":"bar"}"#;
        assert_eq!(run(line).message, line);
    }
}
