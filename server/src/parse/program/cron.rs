//! cron daemon lines: `(user) CMD (command)` and the PAM sessions cron opens.

use super::pam;
use crate::parse::ParsedEvent;

pub(crate) fn parse(ev: &mut ParsedEvent, body: &str) {
    if pam::looks_like(body) {
        pam::parse(ev, "cron", body);
        return;
    }
    let Some(rest) = body.strip_prefix('(') else {
        return;
    };
    let Some((user, rest)) = rest.split_once(") ") else {
        return;
    };
    if let Some(command) = rest.strip_prefix("CMD (") {
        ev.classify("process", "cron_command", "success");
        ev.user_name = Some(user.to_owned());
        let command = command.strip_suffix(')').unwrap_or(command);
        ev.set("process.command_line", command.trim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new("cron", body);
        parse(&mut ev, body);
        ev
    }

    #[test]
    fn command() {
        let ev = run("(root) CMD (   cd / && run-parts --report /etc/cron.hourly)");
        assert_eq!(ev.event_action.as_deref(), Some("cron_command"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(
            ev.fields["process.command_line"],
            "cd / && run-parts --report /etc/cron.hourly"
        );
    }

    #[test]
    fn session_and_other() {
        let ev = run("pam_unix(cron:session): session opened for user root by (uid=0)");
        assert_eq!(ev.event_action.as_deref(), Some("session_opened"));
        assert_eq!(ev.fields["pam.by_uid"], 0);
        assert_eq!(
            run("(CRON) info (No MTA installed, discarding output)").event_action,
            None
        );
    }
}
