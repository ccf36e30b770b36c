//! OpenSSH server (`sshd`, `sshd-session`) messages: logins, invalid users, preauth disconnects,
//! negotiation failures and the PAM lines sshd forwards.
//!
//! User names and the text after `ssh2:` are attacker-controlled, so peers are anchored on the
//! shape that follows them (` port N sshN` then the end or `:`), never on the first `from`.

use super::pam;
use crate::parse::{ParsedEvent, scan};

pub(crate) fn parse(ev: &mut ParsedEvent, msg: &str) {
    let mut m = msg.trim_end();
    // Solaris prefixes `[ID 800047 auth.info] `.
    if m.starts_with("[ID ")
        && let Some(end) = m.find("] ")
    {
        ev.set("syslog.msgid", &m[1..end]);
        m = &m[end + 2..];
    }
    if let Some(rest) = m.strip_prefix("error: ") {
        ev.level = Some("error".to_owned());
        m = rest;
    } else if let Some(rest) = m.strip_prefix("fatal: ") {
        ev.level = Some("critical".to_owned());
        m = rest;
    }
    if let Some(rest) = m.strip_suffix("[preauth]") {
        ev.set("ssh.preauth", true);
        m = rest.trim_end();
    }
    if pam::looks_like(m) {
        pam::parse(ev, "sshd", m);
        return;
    }
    if let Some(rest) = m.strip_prefix("PAM ")
        && pam::parse_summary(ev, rest)
    {
        return;
    }
    if !known(ev, m) {
        // Unknown wording: still record the peer when the message names one.
        if let Some(p) = from_peer(m) {
            p.apply(ev);
        }
    }
}

/// The recognised messages; false when none matched.
fn known(ev: &mut ParsedEvent, m: &str) -> bool {
    if let Some(rest) = m.strip_prefix("Failed ") {
        return login(ev, rest, "failure");
    }
    if let Some(rest) = m.strip_prefix("Accepted ") {
        return login(ev, rest, "success");
    }
    if let Some(rest) = m.strip_prefix("Invalid user ") {
        ev.classify("authentication", "ssh_invalid_user", "failure");
        user_and_peer(ev, rest);
        return true;
    }
    if let Some(user) = m.strip_prefix("input_userauth_request: invalid user ") {
        ev.classify("authentication", "ssh_invalid_user", "failure");
        set_user(ev, user);
        return true;
    }
    if let Some(rest) = m.strip_prefix("User ")
        && let Some((who, reason)) = rest.split_once(" not allowed because ")
    {
        ev.classify("authentication", "ssh_user_not_allowed", "failure");
        ev.set("ssh.reason", reason);
        match who.rsplit_once(" from ") {
            Some((user, host)) => {
                set_user(ev, user);
                scan::set_source(ev, host);
            }
            None => set_user(ev, who),
        }
        return true;
    }
    if let Some(rest) = m.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        ev.classify("authentication", "ssh_root_login_refused", "failure");
        ev.user_name = Some("root".to_owned());
        peer_at(ev, rest);
        return true;
    }
    if let Some(rest) = m.strip_prefix("maximum authentication attempts exceeded for ") {
        ev.classify("authentication", "ssh_max_auth_attempts", "failure");
        user_and_peer(ev, rest);
        return true;
    }
    if let Some(rest) = m.strip_prefix("Disconnecting: Too many authentication failures") {
        ev.classify("authentication", "ssh_max_auth_attempts", "failure");
        if let Some(user) = rest.strip_prefix(" for ") {
            set_user(ev, user);
        }
        return true;
    }
    for prefix in [
        "Disconnected from ",
        "Connection closed by ",
        "Connection reset by ",
    ] {
        if let Some(rest) = m.strip_prefix(prefix) {
            ev.classify("authentication", "ssh_disconnect", "unknown");
            disconnect_peer(ev, rest);
            return true;
        }
    }
    if let Some(rest) = m.strip_prefix("Disconnecting ") {
        let (peer, reason) = match rest.find(": ") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, ""),
        };
        if reason.starts_with("Too many authentication failures") {
            ev.classify("authentication", "ssh_max_auth_attempts", "failure");
        } else {
            ev.classify("authentication", "ssh_disconnect", "unknown");
        }
        if !reason.is_empty() {
            ev.set("ssh.reason", reason);
        }
        disconnect_peer(ev, peer);
        return true;
    }
    if let Some(rest) = m.strip_prefix("Received disconnect from ") {
        ev.classify("authentication", "ssh_disconnect", "unknown");
        received_disconnect(ev, rest);
        return true;
    }
    if let Some(rest) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
        ev.classify("network", "ssh_reverse_mapping_failed", "failure");
        if let Some((name, tail)) = rest.split_once(" [")
            && let Some((ip, _)) = tail.split_once(']')
        {
            scan::set_source(ev, ip);
            ev.set("source.domain", name);
        }
        return true;
    }
    if let Some(rest) = m.strip_prefix("Address ")
        && let Some((ip, tail)) = rest.split_once(" maps to ")
        && tail.contains("POSSIBLE BREAK-IN ATTEMPT")
    {
        ev.classify("network", "ssh_reverse_mapping_failed", "failure");
        scan::set_source(ev, ip);
        if let Some((name, _)) = tail.split_once(',') {
            ev.set("source.domain", name);
        }
        return true;
    }
    if let Some(rest) = m.strip_prefix("Connection from ") {
        ev.classify("network", "ssh_connection", "unknown");
        let tail = peer_at(ev, rest);
        if let Some(local) = tail.strip_prefix(" on ") {
            let (host, after) = scan::token(local);
            scan::set_destination(ev, host);
            ev.destination_port = after
                .strip_prefix("port ")
                .and_then(|p| scan::port(scan::token(p).0));
        }
        return true;
    }
    if let Some(rest) = m.strip_prefix("Unable to negotiate with ") {
        ev.classify("network", "ssh_negotiation_failed", "failure");
        let tail = peer_at(ev, rest);
        if let Some(reason) = tail.strip_prefix(": ") {
            ev.set("ssh.reason", reason);
        }
        return true;
    }
    for prefix in [
        "Did not receive identification string",
        "Bad protocol version identification",
        "banner exchange: ",
        "ssh_dispatch_run_fatal: ",
        "kex_exchange_identification: ",
        "Unable to negotiate",
    ] {
        if m.starts_with(prefix) {
            ev.classify("network", "ssh_negotiation_failed", "failure");
            if let Some(p) = from_peer(m) {
                p.apply(ev);
            }
            return true;
        }
    }
    if let Some(rest) = m.strip_prefix("Timeout before authentication for ") {
        ev.classify("authentication", "ssh_timeout", "failure");
        peer_at(ev, rest.strip_prefix("connection from ").unwrap_or(rest));
        return true;
    }
    if let Some(rest) = m.strip_prefix("refused connect from ") {
        ev.classify("network", "ssh_refused_connect", "failure");
        // `name (ip)`: the name part is client-supplied, the parenthesised address is not.
        let ip = rest
            .rsplit_once(" (")
            .and_then(|(_, ip)| ip.strip_suffix(')'))
            .unwrap_or(rest);
        scan::set_source(ev, ip);
        return true;
    }
    if let Some(rest) = m.strip_prefix("PAM: ")
        && let Some((_, who)) = rest.split_once(" for ")
    {
        // `error: PAM: Authentication failure for [illegal user ]U from H [via X]`
        ev.classify("authentication", "pam_auth_failure", "failure");
        user_and_peer(ev, who);
        return true;
    }
    if let Some(rest) = m.strip_prefix("Starting session: ")
        && let Some((_, who)) = rest.split_once(" for ")
    {
        ev.classify("session", "session_opened", "success");
        user_and_peer(ev, who);
        return true;
    }
    false
}

/// `<method> for [invalid user ]U from H port P sshN[: info]`.
fn login(ev: &mut ParsedEvent, rest: &str, outcome: &str) -> bool {
    let Some((method, who)) = rest.split_once(" for ") else {
        return false;
    };
    if method.contains(' ') {
        return false;
    }
    ev.classify("authentication", "ssh_login", outcome);
    ev.set("ssh.method", method);
    user_and_peer(ev, who);
    true
}

/// `[invalid user |illegal user ]U from H[ port P][ sshN][: info]`.
fn user_and_peer(ev: &mut ParsedEvent, who: &str) {
    let who = match who
        .strip_prefix("invalid user ")
        .or_else(|| who.strip_prefix("illegal user "))
    {
        Some(rest) => {
            ev.set("ssh.invalid_user", true);
            rest
        }
        None => who,
    };
    match from_peer(who) {
        Some(p) => {
            set_user(ev, p.before);
            p.apply(ev);
        }
        None => set_user(ev, who),
    }
}

fn set_user(ev: &mut ParsedEvent, user: &str) {
    if !user.is_empty() {
        ev.user_name = Some(user.to_owned());
    }
}

/// A peer found after ` from `: the text before it, the host, the port and what follows.
struct Peer<'a> {
    before: &'a str,
    host: &'a str,
    port: Option<u16>,
    protocol: Option<&'a str>,
    info: Option<&'a str>,
}

impl Peer<'_> {
    fn apply(&self, ev: &mut ParsedEvent) {
        scan::set_source(ev, self.host);
        ev.source_port = self.port;
        if let Some(protocol) = self.protocol {
            ev.set("ssh.protocol", protocol);
        }
        if let Some(info) = self.info.filter(|i| !i.is_empty()) {
            ev.set("ssh.auth_info", info);
        }
    }
}

/// The first ` from H[ port P][ sshN]` that is followed by the end, `:` or ` via `; failing that
/// the last ` from H`. Taking the first well-formed one defeats user names like
/// `x from 10.0.0.1 port 1 ssh2`, whose fake peer is followed by more text.
fn from_peer(s: &str) -> Option<Peer<'_>> {
    let mut last = None;
    let mut search = 0;
    while let Some(i) = s[search..].find(" from ").map(|i| i + search) {
        search = i + 1;
        let after = &s[i + 6..];
        let (host, mut tail) = match after.find(' ') {
            Some(j) => (&after[..j], &after[j..]),
            None => (after, ""),
        };
        let host = host.trim_end_matches(':');
        if host.is_empty() {
            continue;
        }
        let mut port = None;
        if let Some((p, t)) = scan::after_port(tail) {
            port = Some(p);
            tail = t;
        }
        let mut protocol = None;
        if let Some(t) = tail
            .strip_prefix(" ssh1")
            .or_else(|| tail.strip_prefix(" ssh2"))
        {
            protocol = Some(&tail[1..5]);
            tail = t;
        }
        let peer = Peer {
            before: &s[..i],
            host,
            port,
            protocol,
            info: tail.strip_prefix(':').map(str::trim),
        };
        if tail.is_empty() || tail.starts_with(':') || tail.starts_with(" via ") {
            return Some(peer);
        }
        last = Some(peer);
    }
    last
}

/// `H[ port P]…` at the start of `s`; returns what follows the port.
fn peer_at<'a>(ev: &mut ParsedEvent, s: &'a str) -> &'a str {
    let end = s.find([' ', ',']).unwrap_or(s.len());
    scan::set_source(ev, s[..end].trim_end_matches(':'));
    match scan::after_port(&s[end..]) {
        Some((p, tail)) => {
            ev.source_port = Some(p);
            tail
        }
        None => &s[end..],
    }
}

/// `[invalid |authenticating ]user U H port P`, `H port P` or `H`. The peer is anchored at the
/// end because the user name may contain spaces and addresses.
fn disconnect_peer(ev: &mut ParsedEvent, s: &str) {
    let s = s.trim_end();
    let (head, host) = match s.rfind(" port ") {
        Some(i) if scan::port(&s[i + 6..]).is_some() => {
            ev.source_port = scan::port(&s[i + 6..]);
            let head = &s[..i];
            match head.rfind(' ') {
                Some(j) => (&head[..j], &head[j + 1..]),
                None => ("", head),
            }
        }
        _ => match s.rfind(' ') {
            Some(j) => (&s[..j], &s[j + 1..]),
            None => ("", s),
        },
    };
    scan::set_source(ev, host);
    let user = if let Some(u) = head.strip_prefix("invalid user ") {
        ev.set("ssh.invalid_user", true);
        Some(u)
    } else {
        head.strip_prefix("authenticating user ")
            .or_else(|| head.strip_prefix("user "))
    };
    if let Some(user) = user {
        set_user(ev, user);
    } else if head == "invalid user" {
        // `Connection closed by invalid user  1.2.3.4 port 1`: an empty user name.
        ev.set("ssh.invalid_user", true);
    }
}

/// `H port P:N: reason` or `H: N: reason`.
fn received_disconnect(ev: &mut ParsedEvent, s: &str) {
    let tail = peer_at(ev, s);
    let tail = match tail.strip_prefix(':') {
        Some(t) => t,
        // peer_at stopped at the space after `H:`
        None => tail,
    };
    if let Some((code, rest)) = scan::leading_number(tail.trim_start()) {
        ev.set("ssh.disconnect_code", code);
        let reason = rest.trim_start_matches(':').trim();
        if !reason.is_empty() {
            ev.set("ssh.reason", reason);
        }
    }
}

#[cfg(test)]
#[path = "sshd_tests.rs"]
mod tests;
