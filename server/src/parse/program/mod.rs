//! Parsers for the MSG part of syslog lines, chosen by the syslog program name (the tag), plus
//! rsyslog's `message repeated N times: [ … ]` unwrapping.

use super::{ParseContext, ParsedEvent, apache_access, apache_error, cef, nginx_error};

mod cron;
mod logind;
mod pam;
mod shadow;
mod sshd;
mod su;
mod sudo;

/// Fills `ev` (which holds the syslog header) from the message. `program` is the tag or APP-NAME.
/// Returns a different event only when the message is a whole log format of its own (CEF, a web
/// server log line), keeping the syslog header's host, time and process.
pub(crate) fn dispatch(
    mut ev: ParsedEvent,
    program: Option<&str>,
    msg: &str,
    ctx: &ParseContext,
) -> ParsedEvent {
    msg.clone_into(&mut ev.message);
    if msg.starts_with("CEF:") {
        return embed(cef::parse(msg, ctx), ev);
    }
    let Some(program) = program else {
        return ev;
    };
    // Old Linux-PAM wrote the module into the tag: `sshd(pam_unix)[123]: authentication failure`.
    let (name, pam_tag) = match program.strip_suffix("(pam_unix)") {
        Some(base) => (base, true),
        None => (program, false),
    };
    ev.process = Some(name.to_owned());
    let body = match repeated(msg) {
        Some((n, inner)) => {
            ev.repeat_count = n;
            inner
        }
        None => msg,
    };
    if pam_tag {
        ev.parser = "pam";
        pam::parse_body(&mut ev, name, body);
        return ev;
    }
    // `postfix/smtpd`, `httpd/vhost`: the family decides the parser.
    let family = name.split('/').next().unwrap_or(name);
    match family {
        "sshd" | "sshd-session" => {
            ev.parser = "sshd";
            sshd::parse(&mut ev, body);
        }
        "sudo" => {
            ev.parser = "sudo";
            sudo::parse(&mut ev, body);
        }
        "su" => {
            ev.parser = "su";
            su::parse(&mut ev, body);
        }
        "CRON" | "cron" | "crond" => {
            ev.parser = "cron";
            cron::parse(&mut ev, body);
        }
        "systemd-logind" => {
            ev.parser = "systemd-logind";
            logind::parse(&mut ev, body);
        }
        "nginx" | "httpd" | "apache" | "apache2" => return web(ev, body, ctx),
        other => {
            if let Some(parser) = shadow::parser_name(other) {
                ev.parser = parser;
                shadow::parse(&mut ev, body);
            } else if pam::looks_like(body) {
                ev.parser = "pam";
                pam::parse(&mut ev, other, body);
            }
        }
    }
    ev
}

/// `message repeated N times: [ inner]` → (N, inner).
fn repeated(msg: &str) -> Option<(u32, &str)> {
    let rest = msg.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(' ')?;
    let n: u32 = n.parse().ok()?;
    let inner = rest.strip_prefix("times: [")?.strip_suffix(']')?;
    Some((n, inner.trim()))
}

/// A web server that logs through syslog (pfSense, `error_log syslog:`) sends whole log lines.
fn web(outer: ParsedEvent, body: &str, ctx: &ParseContext) -> ParsedEvent {
    let inner = if nginx_error::looks_like(body) {
        nginx_error::parse(body, ctx)
    } else if apache_error::looks_like(body) {
        apache_error::parse(body, ctx)
    } else if apache_access::looks_like(body) {
        apache_access::parse(body, ctx)
    } else if body.starts_with('[') {
        apache_error::parse_untimed(body)
    } else {
        return outer;
    };
    embed(inner, outer)
}

/// The inner event with what the syslog header knew and the inner format did not.
fn embed(mut inner: ParsedEvent, outer: ParsedEvent) -> ParsedEvent {
    inner.timestamp = inner.timestamp.or(outer.timestamp);
    inner.host = inner.host.or(outer.host);
    inner.process = inner.process.or(outer.process);
    inner.pid = inner.pid.or(outer.pid);
    inner.level = inner.level.or(outer.level);
    inner.flags |= outer.flags;
    for (k, v) in outer.fields {
        inner.fields.entry(k).or_insert(v);
    }
    inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_summary_unwraps() {
        assert_eq!(
            repeated(
                "message repeated 5 times: [ Failed password for root from 1.2.3.4 port 1 ssh2]"
            ),
            Some((5, "Failed password for root from 1.2.3.4 port 1 ssh2"))
        );
        assert_eq!(repeated("message repeated x times: [ a]"), None);
        assert_eq!(repeated("last message repeated 11 times"), None);
    }

    #[test]
    fn repeat_sets_count_and_keeps_the_summary_as_message() {
        let ctx = ParseContext::new(chrono::Utc::now());
        let msg = "message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]";
        let ev = dispatch(ParsedEvent::new("syslog3164", ""), Some("sshd"), msg, &ctx);
        assert_eq!(ev.repeat_count, 3);
        assert_eq!(ev.message, msg);
        assert_eq!(ev.event_action.as_deref(), Some("ssh_login"));
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    }

    #[test]
    fn old_pam_tag() {
        let ctx = ParseContext::new(chrono::Utc::now());
        let ev = dispatch(
            ParsedEvent::new("syslog3164", ""),
            Some("sshd(pam_unix)"),
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
            &ctx,
        );
        assert_eq!(ev.parser, "pam");
        assert_eq!(ev.process.as_deref(), Some("sshd"));
        assert_eq!(ev.source_ip.as_deref(), Some("218.188.2.4"));
        assert_eq!(ev.event_action.as_deref(), Some("pam_auth_failure"));
    }

    #[test]
    fn unknown_program_keeps_the_syslog_parser() {
        let ctx = ParseContext::new(chrono::Utc::now());
        let ev = dispatch(
            ParsedEvent::new("syslog3164", ""),
            Some("kernel"),
            "hello",
            &ctx,
        );
        assert_eq!(ev.parser, "syslog3164");
        assert_eq!(ev.process.as_deref(), Some("kernel"));
        assert_eq!(ev.event_action, None);
    }
}
