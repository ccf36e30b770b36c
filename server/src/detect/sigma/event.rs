//! A Vigil event seen through Sigma's eyes: Sigma field names resolved against an [`EventRow`]
//! without copying it.
//!
//! # Field mapping
//!
//! | Sigma field | Vigil event |
//! |---|---|
//! | `c-ip`, `clientip`, `ClientIP`, `src_ip`, `SourceIp` | `source_ip` |
//! | `cs-username` | `user_name` |
//! | `cs-method` | `fields["http.request.method"]` |
//! | `cs-uri-query`, `cs-uri` | `fields["url.original"]`, the whole request target (path and query) |
//! | `cs-uri-stem` | `fields["url.original"]` up to the first `?` |
//! | `sc-status` | `fields["http.response.status_code"]` (a number) |
//! | `sc-bytes` | `fields["http.response.body.bytes"]` |
//! | `cs-referer` | `fields["http.request.referrer"]` (absent when the log says `-`) |
//! | `cs-user-agent` | `fields["user_agent.original"]` (absent when the log says `-`) |
//! | `cs-version` | `fields["http.version"]` |
//! | `cs-host` | `fields["url.domain"]` |
//! | `s-computername`, `hostname`, `Hostname`, `Computer` | `host` |
//! | `USER` (sudo) | `fields["user.target.name"]` |
//! | `COMMAND`, `CommandLine` | `fields["process.command_line"]` |
//! | `PWD` | `fields["process.working_directory"]` |
//! | `TTY` | `fields["sudo.tty"]` |
//! | `User`, `pam_user` | `user_name` |
//! | `pam_rhost` | `source_ip`, else `fields["source.address"]` |
//! | `pam_message` | a PAM line's text after `pam_x(service:type): ` up to the first `;` |
//! | `ProcessName`, `Image` | `process` |
//! | `ProcessId` | `pid` |
//!
//! SigmaHQ's web rules put path indicators (`/mgmt/tm/util/bash`, `../../../etc/`) in
//! `cs-uri-query`, so `cs-uri-query` is the whole request target as access logs write it, as
//! Sigma back ends for Apache and nginx logs do. Vigil's own column names (`host`, `source_ip`,
//! `user_name`, `event_action`, `event_outcome`, `process`, `message`, `raw`, `parser`, …) and
//! every key of the event's JSON `fields` (`url.original`, also as `fields.url.original`) work
//! as Sigma field names too.
//!
//! Keywords (values without a field) search the raw line, the whole text as it was received,
//! as grep-style Sigma back ends search log files.

use std::borrow::Cow;

use app::query::Field;
use rsigma_eval::event::{Event, EventValue};
use serde_json::Value;

use crate::ingest::EventRow;

/// The Vigil field (as rule definitions and queries name it) that a Sigma field reads, for a
/// correlation's `group-by` and counted field; the same mapping as the table above. `None`
/// for the Sigma fields computed from the message (`cs-uri-stem`, `pam_message`), which a
/// group key cannot read. `pam_rhost` groups by `source_ip` alone (without the
/// `source.address` fallback the detection uses).
pub fn vigil_field(sigma: &str) -> Option<String> {
    let name = match sigma {
        "c-ip" | "clientip" | "ClientIP" | "src_ip" | "SourceIp" | "pam_rhost" => "source_ip",
        "cs-username" | "User" | "pam_user" => "user_name",
        "cs-method" => "fields.http.request.method",
        "cs-uri-query" | "cs-uri" => "fields.url.original",
        "sc-status" => "fields.http.response.status_code",
        "sc-bytes" => "fields.http.response.body.bytes",
        "cs-referer" => "fields.http.request.referrer",
        "cs-user-agent" => "fields.user_agent.original",
        "cs-version" => "fields.http.version",
        "cs-host" => "fields.url.domain",
        "s-computername" | "hostname" | "Hostname" | "Computer" => "host",
        "USER" => "fields.user.target.name",
        "COMMAND" | "CommandLine" => "fields.process.command_line",
        "PWD" => "fields.process.working_directory",
        "TTY" => "fields.sudo.tty",
        "ProcessName" | "Image" => "process",
        "ProcessId" => "pid",
        "cs-uri-stem" | "pam_message" => return None,
        other if other.starts_with("fields.") || Field::resolve(other).is_ok() => other,
        other => return Some(format!("fields.{other}")),
    };
    Some(name.to_string())
}

/// Borrows an [`EventRow`] and answers Sigma field lookups on it.
#[derive(Debug, Clone, Copy)]
pub struct SigmaEvent<'a> {
    row: &'a EventRow,
}

impl<'a> SigmaEvent<'a> {
    pub fn new(row: &'a EventRow) -> Self {
        Self { row }
    }

    fn json(&self, key: &str) -> Option<EventValue<'a>> {
        self.row.fields.get(key).map(EventValue::from)
    }

    fn text(value: Option<&'a str>) -> Option<EventValue<'a>> {
        value.map(|s| EventValue::Str(Cow::Borrowed(s)))
    }

    fn url(&self) -> Option<&'a str> {
        self.row.fields.get("url.original").and_then(Value::as_str)
    }

    /// `pam_unix(sshd:auth): authentication failure; logname= …` gives `authentication failure`.
    /// Old Linux-PAM put the module in the tag (`sshd(pam_unix)[1]: authentication failure; …`),
    /// so a PAM event without the prefix gives its message up to the first `;`.
    fn pam_message(&self) -> Option<&'a str> {
        let msg = self.row.message.as_str();
        let text = match msg.find("pam_").map(|at| &msg[at..]) {
            Some(rest) => match rest.split_once("): ") {
                Some((head, text)) if head.contains('(') => text,
                _ => return None,
            },
            None if self.row.parser == "pam" => msg,
            None => return None,
        };
        Some(text.split(';').next().unwrap_or(text).trim())
    }
}

impl Event for SigmaEvent<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        let row = self.row;
        match path {
            "c-ip" | "clientip" | "ClientIP" | "src_ip" | "SourceIp" | "source_ip" => {
                Self::text(row.source_ip.as_deref())
            }
            "cs-username" | "User" | "pam_user" | "user_name" => {
                Self::text(row.user_name.as_deref())
            }
            "cs-method" => self.json("http.request.method"),
            "cs-uri-query" | "cs-uri" => Self::text(self.url()),
            "cs-uri-stem" => Self::text(self.url().map(|u| u.split('?').next().unwrap_or(u))),
            "sc-status" => self.json("http.response.status_code"),
            "sc-bytes" => self.json("http.response.body.bytes"),
            "cs-referer" => self.json("http.request.referrer"),
            "cs-user-agent" => self.json("user_agent.original"),
            "cs-version" => self.json("http.version"),
            "cs-host" => self.json("url.domain"),
            "s-computername" | "hostname" | "Hostname" | "Computer" | "host" => {
                Self::text(row.host.as_deref())
            }
            "USER" => self.json("user.target.name"),
            "COMMAND" | "CommandLine" => self.json("process.command_line"),
            "PWD" => self.json("process.working_directory"),
            "TTY" => self.json("sudo.tty"),
            "pam_rhost" => {
                Self::text(row.source_ip.as_deref()).or_else(|| self.json("source.address"))
            }
            "pam_message" => Self::text(self.pam_message()),
            "ProcessName" | "Image" | "process" => Self::text(row.process.as_deref()),
            "ProcessId" | "pid" => row.pid.map(EventValue::Int),
            "destination_ip" => Self::text(row.destination_ip.as_deref()),
            "source_port" => row.source_port.map(|p| EventValue::Int(p.into())),
            "destination_port" => row.destination_port.map(|p| EventValue::Int(p.into())),
            "event_category" => Self::text(row.event_category.as_deref()),
            "event_action" => Self::text(row.event_action.as_deref()),
            "event_outcome" => Self::text(row.event_outcome.as_deref()),
            "level" => Self::text(row.level.as_deref()),
            "message" => Self::text(Some(&row.message)),
            "raw" => Self::text(Some(&row.raw)),
            "parser" => Self::text(Some(row.parser)),
            "source" => Self::text(Some(&row.source)),
            other => self
                .json(other)
                .or_else(|| other.strip_prefix("fields.").and_then(|k| self.json(k))),
        }
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        pred(&self.row.raw)
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        vec![Cow::Borrowed(self.row.raw.as_str())]
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(&self.row.raw);
    }

    fn to_json(&self) -> Value {
        let row = self.row;
        let mut out = serde_json::Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                out.insert(k.to_owned(), v);
            }
        };
        let s = |v: &Option<String>| v.clone().map(Value::String);
        put("timestamp", Some(Value::String(row.timestamp.to_rfc3339())));
        put("host", s(&row.host));
        put("source_ip", s(&row.source_ip));
        put("source_port", row.source_port.map(Value::from));
        put("destination_ip", s(&row.destination_ip));
        put("destination_port", row.destination_port.map(Value::from));
        put("user_name", s(&row.user_name));
        put("event_category", s(&row.event_category));
        put("event_action", s(&row.event_action));
        put("event_outcome", s(&row.event_outcome));
        put("level", s(&row.level));
        put("process", s(&row.process));
        put("pid", row.pid.map(Value::from));
        put("message", Some(Value::String(row.message.clone())));
        put("raw", Some(Value::String(row.raw.clone())));
        put("parser", Some(Value::String(row.parser.to_owned())));
        put("fields", Some(Value::Object(row.fields.clone())));
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::parse::{ParseContext, ParserKind, parse_line};

    fn row(line: &str) -> EventRow {
        let now = Utc::now();
        let ev = parse_line(ParserKind::Auto, line, &ParseContext::new(now));
        EventRow::new(ev, line.to_owned(), now, "test".into())
    }

    fn text(ev: &SigmaEvent<'_>, field: &str) -> Option<String> {
        ev.get_field(field)
            .and_then(|v| v.as_str().map(|s| s.into_owned()))
    }

    #[test]
    fn web_fields_come_from_the_access_line() {
        // elastic_examples_apache_logs.log, line 1
        let r = row(
            r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png?x=1 HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh)""#,
        );
        let ev = SigmaEvent::new(&r);
        assert_eq!(text(&ev, "c-ip").as_deref(), Some("83.149.9.216"));
        assert_eq!(text(&ev, "clientip").as_deref(), Some("83.149.9.216"));
        assert_eq!(text(&ev, "cs-method").as_deref(), Some("GET"));
        assert_eq!(
            text(&ev, "cs-uri-stem").as_deref(),
            Some("/presentations/logstash-monitorama-2013/images/kibana-search.png")
        );
        assert!(
            text(&ev, "cs-uri-query")
                .unwrap()
                .ends_with("kibana-search.png?x=1")
        );
        assert_eq!(
            ev.get_field("sc-status").and_then(|v| v.as_i64()),
            Some(200)
        );
        assert_eq!(
            text(&ev, "cs-user-agent").as_deref(),
            Some("Mozilla/5.0 (Macintosh)")
        );
        assert_eq!(text(&ev, "fields.http.version").as_deref(), Some("1.1"));
        assert!(ev.get_field("cs-host").is_none());
    }

    #[test]
    fn pam_message_is_the_text_after_the_module() {
        // loghub_Linux_2k.log
        let r = row(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        );
        let ev = SigmaEvent::new(&r);
        assert_eq!(
            text(&ev, "pam_message").as_deref(),
            Some("authentication failure")
        );
        assert_eq!(text(&ev, "pam_rhost").as_deref(), Some("218.188.2.4"));
        assert_eq!(text(&ev, "ProcessName").as_deref(), Some("sshd"));
    }
}
