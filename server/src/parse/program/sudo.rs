//! sudo's own log lines (`U : TTY=… ; PWD=… ; USER=… ; COMMAND=…`) and the PAM lines it writes.

use super::pam;
use crate::parse::{ParsedEvent, scan};

pub(crate) fn parse(ev: &mut ParsedEvent, body: &str) {
    let body = body.trim();
    if pam::looks_like(body) {
        pam::parse(ev, "sudo", body);
        return;
    }
    let Some((user, rest)) = body.split_once(" : ") else {
        return;
    };
    // COMMAND runs to the end of the line and may itself contain ` ; `.
    let (rest, command) = match rest.find("COMMAND=") {
        Some(i) => (&rest[..i], Some(rest[i + 8..].trim())),
        None => (rest, None),
    };
    let mut outcome = "success";
    for part in rest.split(" ; ").map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("TTY", v)) => ev.set("sudo.tty", v),
            Some(("PWD", v)) => ev.set("process.working_directory", v),
            Some(("USER", v)) => ev.set("user.target.name", v),
            Some(("GROUP", v)) => ev.set("user.target.group.name", v),
            Some(("ENV", v)) => ev.set("sudo.env", v),
            _ => {
                // Anything that is not KEY=value is sudo reporting a problem.
                outcome = "failure";
                if let Some((n, tail)) = scan::leading_number(part)
                    && tail.starts_with(" incorrect password attempt")
                {
                    ev.set("sudo.incorrect_attempts", n);
                }
                ev.set("sudo.error", part);
            }
        }
    }
    if let Some(command) = command {
        ev.set("process.command_line", command);
    }
    ev.classify("process", "sudo", outcome);
    ev.user_name = Some(user.trim().to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new("sudo", body);
        parse(&mut ev, body);
        ev
    }

    #[test]
    fn command_line() {
        let ev = run(
            "  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/bin/vim /etc/a ; b",
        );
        assert_eq!(ev.event_action.as_deref(), Some("sudo"));
        assert_eq!(ev.event_outcome.as_deref(), Some("success"));
        assert_eq!(ev.user_name.as_deref(), Some("ubuntu"));
        assert_eq!(ev.fields["user.target.name"], "root");
        assert_eq!(ev.fields["process.working_directory"], "/home/ubuntu");
        assert_eq!(ev.fields["process.command_line"], "/usr/bin/vim /etc/a ; b");
        assert_eq!(ev.fields["sudo.tty"], "pts/0");
    }

    #[test]
    fn incorrect_password_attempts() {
        let ev = run(
            "alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
        );
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.fields["sudo.incorrect_attempts"], 3);
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
    }

    #[test]
    fn not_in_sudoers() {
        let ev = run("bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh");
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.fields["sudo.error"], "user NOT in sudoers");
    }

    #[test]
    fn pam_session() {
        let ev = run("pam_unix(sudo:session): session opened for user root by ubuntu(uid=0)");
        assert_eq!(ev.event_action.as_deref(), Some("session_opened"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
    }

    #[test]
    fn other_text_is_left_alone() {
        let ev = run("unable to resolve host foo");
        assert_eq!(ev.event_action, None);
    }
}
