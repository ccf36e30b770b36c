//! Zeek (Bro) TSV logs. Their column names and types live in `#fields`/`#types` header lines,
//! so a file is read through one [`ZeekState`] that remembers the current header.

use serde_json::Value;

use super::{ParseContext, ParsedEvent, flags, scan, time};

/// Per-file header state for Zeek TSV logs. A log can re-declare its header (rotation appends a
/// new `#fields` block), so every header line updates the state.
#[derive(Debug, Clone)]
pub struct ZeekState {
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: String,
    fields: Vec<String>,
    types: Vec<String>,
}

impl Default for ZeekState {
    fn default() -> Self {
        Self {
            separator: "\t".to_owned(),
            set_separator: ",".to_owned(),
            empty_field: "(empty)".to_owned(),
            unset_field: "-".to_owned(),
            path: String::new(),
            fields: Vec::new(),
            types: Vec::new(),
        }
    }
}

impl ZeekState {
    pub fn new() -> Self {
        Self::default()
    }

    /// The log's `#path` (conn, ssh, notice…), once the header has named it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Reads one line: `None` for header, comment and blank lines, an event for a record. A
    /// record before any `#fields` line comes back flagged [`flags::PARSE_ERROR`].
    pub fn feed(&mut self, line: &str, ctx: &ParseContext) -> Option<ParsedEvent> {
        if let Some(directive) = line.strip_prefix('#') {
            self.header(directive);
            return None;
        }
        if line.trim().is_empty() {
            return None;
        }
        Some(self.record(line, ctx))
    }

    fn header(&mut self, directive: &str) {
        // `#separator` is the one directive separated by a space, since it defines the separator.
        if let Some(value) = directive.strip_prefix("separator ") {
            self.separator = unescape_hex(value.trim());
            return;
        }
        let (name, value) = directive
            .split_once(self.separator.as_str())
            .unwrap_or((directive, ""));
        let list = || {
            value
                .split(self.separator.as_str())
                .map(str::to_owned)
                .collect()
        };
        match name {
            "set_separator" => self.set_separator = unescape_hex(value),
            "empty_field" => self.empty_field = value.to_owned(),
            "unset_field" => self.unset_field = value.to_owned(),
            "path" => self.path = value.to_owned(),
            "fields" => self.fields = list(),
            "types" => self.types = list(),
            _ => {}
        }
    }

    fn record(&self, line: &str, ctx: &ParseContext) -> ParsedEvent {
        let mut ev = ParsedEvent::new("zeek", line);
        if self.fields.is_empty() {
            ev.fail(line);
            return ev;
        }
        let values: Vec<&str> = line.split(self.separator.as_str()).collect();
        let broken = values.len() != self.fields.len();
        let prefix = format!("zeek.{}.", self.path);
        for (i, (name, raw)) in self.fields.iter().zip(&values).enumerate() {
            if *raw == self.unset_field {
                continue;
            }
            let ty = self.types.get(i).map_or("string", String::as_str);
            match name.as_str() {
                "ts" => {
                    ev.timestamp = time::parse_epoch(raw)
                        .or_else(|| time::parse_iso(raw, ctx.default_offset).map(|(t, _)| t));
                }
                "id.orig_h" => scan::set_source(&mut ev, raw),
                "id.orig_p" => ev.source_port = scan::port(raw),
                "id.resp_h" => scan::set_destination(&mut ev, raw),
                "id.resp_p" => ev.destination_port = scan::port(raw),
                "uid" => ev.set("zeek.session_id", *raw),
                "proto" => ev.set("network.transport", *raw),
                "service" => ev.set("network.protocol", *raw),
                _ => {
                    let value = self.typed(ty, raw);
                    ev.fields.insert(format!("{prefix}{name}"), value);
                }
            }
        }
        self.classify(&mut ev);
        if broken {
            ev.fail(line);
        }
        ev
    }

    fn typed(&self, ty: &str, raw: &str) -> Value {
        let container = ty.starts_with("set[") || ty.starts_with("vector[");
        if raw == self.empty_field {
            return if container {
                Value::Array(Vec::new())
            } else {
                Value::String(String::new())
            };
        }
        if container {
            return raw
                .split(self.set_separator.as_str())
                .map(|s| Value::String(s.to_owned()))
                .collect();
        }
        let number = match ty {
            "count" | "port" => raw.parse::<u64>().ok().map(Value::from),
            "int" => raw.parse::<i64>().ok().map(Value::from),
            "double" | "interval" | "time" => raw.parse::<f64>().ok().map(Value::from),
            "bool" => match raw {
                "T" => Some(Value::Bool(true)),
                "F" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        number.unwrap_or_else(|| Value::String(raw.to_owned()))
    }

    fn classify(&self, ev: &mut ParsedEvent) {
        let path = self.path.as_str();
        match path {
            "ssh" => match ev.fields.get("zeek.ssh.auth_success") {
                Some(Value::Bool(ok)) => {
                    let outcome = if *ok { "success" } else { "failure" };
                    ev.classify("authentication", "ssh_login", outcome);
                }
                _ => ev.classify("network", "zeek_ssh", "unknown"),
            },
            "notice" => {
                ev.classify("intrusion_detection", "zeek_notice", "unknown");
                if let Some(Value::String(note)) = ev.fields.get("zeek.notice.note").cloned() {
                    ev.set("rule.name", note);
                }
                if let Some(Value::String(msg)) = ev.fields.get("zeek.notice.msg").cloned() {
                    ev.message = msg;
                }
                // Notices about a host rather than a connection carry src/dst instead of id.*.
                if ev.source_ip.is_none()
                    && let Some(Value::String(src)) = ev.fields.get("zeek.notice.src").cloned()
                {
                    scan::set_source(ev, &src);
                }
                return;
            }
            _ => {
                let action = format!("zeek_{}", if path.is_empty() { "log" } else { path });
                ev.classify("network", &action, "unknown");
            }
        }
        let peer = |ip: &Option<String>, port: Option<u16>| match (ip, port) {
            (Some(ip), Some(p)) => format!("{ip}:{p}"),
            (Some(ip), None) => ip.clone(),
            _ => "-".to_owned(),
        };
        ev.message = format!(
            "{} {} -> {}",
            if path.is_empty() { "zeek" } else { path },
            peer(&ev.source_ip, ev.source_port),
            peer(&ev.destination_ip, ev.destination_port)
        );
    }
}

/// Zeek writes separators as `\x09`.
fn unescape_hex(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        match rest
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(byte) if byte.is_ascii() => {
                out.push(byte as char);
                rest = &rest[i + 4..];
            }
            _ => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `parse_line` with [`super::ParserKind::Zeek`]: a single line cannot be read without the
/// file's header, so it comes back flagged; sources of this kind use [`ZeekState`].
pub(crate) fn parse_headerless(line: &str) -> ParsedEvent {
    let mut ev = ParsedEvent::new("zeek", line);
    ev.flags |= flags::PARSE_ERROR;
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\tlocal_orig\ttunnel_parents\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tbool\tset[string]";

    fn state() -> (ZeekState, ParseContext) {
        let ctx = ParseContext::new(Utc::now());
        let mut st = ZeekState::new();
        for line in HEADER.lines() {
            assert!(st.feed(line, &ctx).is_none());
        }
        (st, ctx)
    }

    #[test]
    fn conn_record() {
        let (mut st, ctx) = state();
        assert_eq!(st.path(), "conn");
        let ev = st
            .feed("1329843175.736107\tCjh\t141.142.220.235\t37604\t199.233.217.249\t56666\ttcp\t0.112432\t-\t(empty)", &ctx)
            .unwrap();
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2012-02-21T16:52:55.736107+00:00"
        );
        assert_eq!(ev.source_ip.as_deref(), Some("141.142.220.235"));
        assert_eq!(ev.source_port, Some(37604));
        assert_eq!(ev.destination_ip.as_deref(), Some("199.233.217.249"));
        assert_eq!(ev.destination_port, Some(56666));
        assert_eq!(ev.fields["network.transport"], "tcp");
        assert_eq!(ev.fields["zeek.conn.duration"], 0.112432);
        assert_eq!(ev.fields["zeek.conn.tunnel_parents"], Value::Array(vec![]));
        assert!(!ev.fields.contains_key("zeek.conn.local_orig"));
        assert_eq!(ev.event_action.as_deref(), Some("zeek_conn"));
        assert_eq!(
            ev.message,
            "conn 141.142.220.235:37604 -> 199.233.217.249:56666"
        );
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn wrong_column_count_is_flagged() {
        let (mut st, ctx) = state();
        let line = "1329843175.736107\tCjh\t1.2.3.4";
        let ev = st.feed(line, &ctx).unwrap();
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
        // Found by `parse::props`: the summary replaced the line a broken record must keep.
        assert_eq!(ev.message, line);
    }

    #[test]
    fn record_before_header() {
        let ctx = ParseContext::new(Utc::now());
        let ev = ZeekState::new().feed("1\t2", &ctx).unwrap();
        assert_eq!(ev.flags, flags::PARSE_ERROR);
        assert!(ZeekState::new().feed("", &ctx).is_none());
        assert_eq!(parse_headerless("x").flags, flags::PARSE_ERROR);
    }

    #[test]
    fn hex_unescape() {
        assert_eq!(unescape_hex("\\x09"), "\t");
        assert_eq!(unescape_hex("a\\x2cb\\xzz"), "a,b\\xzz");
    }
}
