//! su's log lines in their distribution-specific wordings, plus the PAM lines it writes.

use super::pam;
use crate::parse::ParsedEvent;

pub(crate) fn parse(ev: &mut ParsedEvent, body: &str) {
    let body = body.trim();
    if pam::looks_like(body) {
        pam::parse(ev, "su", body);
        return;
    }
    // (outcome, user, target, tty)
    let parsed = if let Some(rest) = body.strip_prefix("Successful su for ") {
        by(rest).map(|(t, u)| ("success", u, t, None))
    } else if let Some(rest) = body.strip_prefix("FAILED su for ") {
        by(rest).map(|(t, u)| ("failure", u, t, None))
    } else if let Some(rest) = body.strip_prefix("+ ").or_else(|| body.strip_prefix("- ")) {
        // util-linux: `+ /dev/pts/0 user:target`
        let outcome = if body.starts_with('+') {
            "success"
        } else {
            "failure"
        };
        rest.split_once(' ').and_then(|(tty, pair)| {
            pair.split_once(':')
                .map(|(u, t)| (outcome, u, t, Some(tty)))
        })
    } else if let Some(rest) = body.strip_prefix("'su ") {
        // RFC 3164's example: `'su root' failed for lonvick on /dev/pts/8`
        rest.split_once("' failed for ").and_then(|(target, tail)| {
            tail.split_once(" on ")
                .map(|(u, tty)| ("failure", u, target, Some(tty)))
        })
    } else {
        // RHEL: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`
        let (outcome, rest) = match body.strip_prefix("FAILED SU ") {
            Some(rest) => ("failure", rest),
            None => ("success", body),
        };
        rest.strip_prefix("(to ")
            .and_then(|r| r.split_once(") "))
            .and_then(|(target, tail)| {
                tail.split_once(" on ")
                    .map(|(u, tty)| (outcome, u, target, Some(tty)))
            })
    };
    if let Some((outcome, user, target, tty)) = parsed {
        ev.classify("authentication", "su", outcome);
        ev.user_name = Some(user.to_owned());
        ev.set("user.target.name", target);
        if let Some(tty) = tty {
            ev.set("su.tty", tty);
        }
    }
}

/// `target by user`
fn by(rest: &str) -> Option<(&str, &str)> {
    rest.split_once(" by ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new("su", body);
        parse(&mut ev, body);
        ev
    }

    fn who(ev: &ParsedEvent) -> (&str, &str, &str) {
        (
            ev.event_outcome.as_deref().unwrap(),
            ev.user_name.as_deref().unwrap(),
            ev.fields["user.target.name"].as_str().unwrap(),
        )
    }

    #[test]
    fn wordings() {
        assert_eq!(
            who(&run("Successful su for root by ubuntu")),
            ("success", "ubuntu", "root")
        );
        assert_eq!(
            who(&run("FAILED su for root by eve")),
            ("failure", "eve", "root")
        );
        assert_eq!(
            who(&run("+ /dev/pts/1 ubuntu:root")),
            ("success", "ubuntu", "root")
        );
        assert_eq!(
            who(&run("- /dev/pts/1 eve:root")),
            ("failure", "eve", "root")
        );
        assert_eq!(
            who(&run("'su root' failed for lonvick on /dev/pts/8")),
            ("failure", "lonvick", "root")
        );
        assert_eq!(
            who(&run("(to root) alice on pts/0")),
            ("success", "alice", "root")
        );
        assert_eq!(
            who(&run("FAILED SU (to root) eve on pts/0")),
            ("failure", "eve", "root")
        );
    }

    #[test]
    fn pam_and_unknown() {
        let ev = run("pam_unix(su:session): session opened for user root by ubuntu(uid=1000)");
        assert_eq!(ev.event_action.as_deref(), Some("session_opened"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(run("hello").event_action, None);
    }
}
