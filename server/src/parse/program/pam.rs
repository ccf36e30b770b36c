//! Linux-PAM module messages (`pam_unix(service:type): …`) as any program logs them: sshd, su,
//! sudo, cron, ftpd, chpasswd…

use crate::parse::{ParsedEvent, scan};

/// A PAM module prefix: `pam_unix(…)`, `pam_systemd(…)`, `(pam_unix)`, `pam_unix:`.
pub(crate) fn looks_like(body: &str) -> bool {
    body.starts_with("pam_") || body.starts_with("(pam_")
}

/// Strips the module prefix, records module/service/type and parses the rest. `program` is the
/// service when the prefix does not name one.
pub(crate) fn parse(ev: &mut ParsedEvent, program: &str, body: &str) {
    let (module, service, kind, rest) = split_prefix(body);
    if let Some(module) = module {
        ev.set("pam.module", module);
    }
    if let Some(kind) = kind {
        ev.set("pam.type", kind);
    }
    parse_body(ev, service.unwrap_or(program), rest);
}

/// `(module, service, type, rest)`.
fn split_prefix(body: &str) -> (Option<&str>, Option<&str>, Option<&str>, &str) {
    if let Some(rest) = body.strip_prefix('(')
        && let Some((module, rest)) = rest.split_once(')')
    {
        return (Some(module), None, None, rest.trim_start());
    }
    let end = body.find(['(', ':', ' ']).unwrap_or(body.len());
    let module = &body[..end];
    let after = &body[end..];
    if let Some(inner) = after.strip_prefix('(')
        && let Some((args, rest)) = inner.split_once("):")
    {
        let rest = rest.trim_start();
        return match args.split_once(':') {
            Some((service, kind)) => (Some(module), Some(service), Some(kind), rest),
            // `pam_unix(auth)` names the type only
            None => (Some(module), None, Some(args), rest),
        };
    }
    match after.strip_prefix(':') {
        Some(rest) => (Some(module), None, None, rest.trim_start()),
        None => (None, None, None, body),
    }
}

/// The message after the module prefix (or after an old `prog(pam_unix)` tag).
pub(crate) fn parse_body(ev: &mut ParsedEvent, service: &str, body: &str) {
    if !service.is_empty() {
        ev.set("pam.service", service);
    }
    if let Some(rest) = body.strip_prefix("authentication failure;") {
        ev.classify("authentication", "pam_auth_failure", "failure");
        auth_failure(ev, rest);
    } else if let Some(rest) = body.strip_prefix("check pass;") {
        ev.classify("authentication", "pam_check_pass", "failure");
        let rest = rest.trim();
        if let Some(user) = rest.strip_prefix("user ")
            && user != "unknown"
        {
            ev.user_name = Some(user.to_owned());
        }
    } else if let Some(rest) = body.strip_prefix("session opened for user ") {
        ev.classify("session", "session_opened", "success");
        session(ev, rest);
    } else if let Some(rest) = body.strip_prefix("session closed for user ") {
        ev.classify("session", "session_closed", "success");
        session(ev, rest);
    } else if let Some(user) = body.strip_prefix("password changed for ") {
        ev.classify("iam", "password_changed", "success");
        ev.user_name = Some(user.trim().to_owned());
    } else if let Some(rest) = body.strip_prefix("user \"")
        && let Some((user, _)) = rest.split_once("\" does not exist")
    {
        ev.classify("iam", "password_changed", "failure");
        ev.user_name = Some(user.to_owned());
    }
}

/// `PAM 5 more authentication failures; logname=… rhost=…  user=root` (sshd's summary of the
/// failures PAM swallowed) and `PAM service(sshd) ignoring max retries; 6 > 3`.
pub(crate) fn parse_summary(ev: &mut ParsedEvent, rest: &str) -> bool {
    if let Some((n, tail)) = scan::leading_number(rest)
        && let Some((_, kv)) = tail.split_once(';')
        && tail.starts_with(" more authentication failure")
    {
        ev.classify("authentication", "pam_auth_failure", "failure");
        ev.set("pam.more_failures", n);
        auth_failure(ev, kv);
        return true;
    }
    if let Some(rest) = rest.strip_prefix("service(")
        && let Some((service, tail)) = rest.split_once(')')
        && tail.contains("ignoring max retries")
    {
        ev.classify("authentication", "pam_max_retries", "failure");
        ev.set("pam.service", service);
        return true;
    }
    false
}

/// `logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root`. `user=` comes last and runs
/// to the end; `rhost` is the last one before it; `ruser` everything between `ruser=` and that.
/// Anchoring from both ends keeps user-controlled text (ruser, user) from smuggling in a second
/// `rhost=`.
fn auth_failure(ev: &mut ParsedEvent, kv: &str) {
    let (head, user) = match kv.find(" user=") {
        Some(i) => (&kv[..i], kv[i + 6..].trim()),
        None => (kv, ""),
    };
    let (head, rhost) = match head.rfind("rhost=") {
        Some(i) => (&head[..i], head[i + 6..].trim()),
        None => (head, ""),
    };
    let (head, ruser) = match head.find("ruser=") {
        Some(i) => (&head[..i], head[i + 6..].trim()),
        None => (head, ""),
    };
    for pair in head.split_ascii_whitespace() {
        if let Some((k, v)) = pair.split_once('=')
            && !v.is_empty()
            && matches!(k, "logname" | "uid" | "euid" | "tty")
        {
            ev.set(&format!("pam.{k}"), v);
        }
    }
    if !ruser.is_empty() {
        ev.set("pam.ruser", ruser);
    }
    scan::set_source(ev, rhost);
    let who = if user.is_empty() { ruser } else { user };
    if !who.is_empty() {
        ev.user_name = Some(who.to_owned());
    }
}

/// `U by V(uid=N)`, `U(uid=N) by V(uid=M)`, `root by (uid=0)` or just `U`.
fn session(ev: &mut ParsedEvent, rest: &str) {
    let (user, by) = match rest.split_once(" by ") {
        Some((u, b)) => (u, Some(b)),
        None => (rest, None),
    };
    let user = user.split_once("(uid=").map_or(user, |(u, _)| u).trim();
    if !user.is_empty() {
        ev.user_name = Some(user.to_owned());
    }
    if let Some(by) = by {
        let (name, uid) = match by.split_once("(uid=") {
            Some((n, u)) => (n, u.trim_end_matches(')')),
            None => (by, ""),
        };
        if !name.is_empty() {
            ev.set("pam.by_user", name);
        }
        if let Ok(uid) = uid.parse::<i64>() {
            ev.set("pam.by_uid", uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(program: &str, body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new("pam", body);
        parse(&mut ev, program, body);
        ev
    }

    #[test]
    fn auth_failure_with_user() {
        let ev = run(
            "sshd",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.33.63.160 user=workshop",
        );
        assert_eq!(ev.event_action.as_deref(), Some("pam_auth_failure"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.source_ip.as_deref(), Some("5.33.63.160"));
        assert_eq!(ev.user_name.as_deref(), Some("workshop"));
        assert_eq!(ev.fields["pam.service"], "sshd");
        assert_eq!(ev.fields["pam.type"], "auth");
        assert_eq!(ev.fields["pam.tty"], "ssh");
        assert_eq!(ev.fields["pam.uid"], "0");
    }

    #[test]
    fn injected_rhost_in_ruser_and_user() {
        let ev = run(
            "daemon",
            "pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(ev.user_name.as_deref(), Some("test rhost=192.0.2.151"));
        let ev = run(
            "daemon",
            "pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=192.0.2.2 user=test rhost=192.0.2.152",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.2"));
        assert_eq!(ev.user_name.as_deref(), Some("test rhost=192.0.2.152"));
    }

    #[test]
    fn hostname_rhost_and_old_prefix() {
        let ev = run(
            "vsftpd",
            "(pam_unix) authentication failure; logname= uid=0 euid=0 tty=ftp ruser=an8767 rhost=www.google.com",
        );
        assert_eq!(ev.source_ip, None);
        assert_eq!(ev.fields["source.domain"], "www.google.com");
        assert_eq!(ev.user_name.as_deref(), Some("an8767"));
        assert_eq!(ev.fields["pam.service"], "vsftpd");
    }

    #[test]
    fn sessions() {
        let ev = run(
            "sudo",
            "pam_unix(sudo:session): session opened for user root by ubuntu(uid=0)",
        );
        assert_eq!(ev.event_action.as_deref(), Some("session_opened"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(ev.fields["pam.by_user"], "ubuntu");
        assert_eq!(ev.fields["pam.by_uid"], 0);
        let ev = run(
            "cron",
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        );
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert!(!ev.fields.contains_key("pam.by_user"));
        let ev = run(
            "cron",
            "pam_unix(cron:session): session closed for user root",
        );
        assert_eq!(ev.event_action.as_deref(), Some("session_closed"));
        assert_eq!(ev.event_category.as_deref(), Some("session"));
    }

    #[test]
    fn chauthtok() {
        let ev = run(
            "chpasswd",
            "pam_unix(chpasswd:chauthtok): password changed for elastic_user_3",
        );
        assert_eq!(ev.event_action.as_deref(), Some("password_changed"));
        assert_eq!(ev.event_category.as_deref(), Some("iam"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_3"));
        let ev = run(
            "chpasswd",
            "pam_unix(chpasswd:chauthtok): user \"elastic_user_$login_count\" does not exist in /etc/passwd",
        );
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_$login_count"));
    }

    #[test]
    fn summaries() {
        let mut ev = ParsedEvent::new("sshd", "");
        assert!(parse_summary(
            &mut ev,
            "5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
        ));
        assert_eq!(ev.fields["pam.more_failures"], 5);
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
        let mut ev = ParsedEvent::new("sshd", "");
        assert!(parse_summary(
            &mut ev,
            "service(sshd) ignoring max retries; 6 > 3"
        ));
        assert_eq!(ev.event_action.as_deref(), Some("pam_max_retries"));
        assert!(!parse_summary(
            &mut ParsedEvent::new("sshd", ""),
            "something else"
        ));
    }

    #[test]
    fn unknown_pam_message_only_records_the_prefix() {
        let ev = run(
            "su",
            "pam_systemd(su:session): Cannot create session: Already running in a session",
        );
        assert_eq!(ev.event_action, None);
        assert_eq!(ev.fields["pam.module"], "pam_systemd");
        assert_eq!(ev.fields["pam.type"], "session");
    }
}
