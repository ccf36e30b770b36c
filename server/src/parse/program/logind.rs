//! systemd-logind session bookkeeping: `New session N of user U.`, `Removed session N.`

use crate::parse::ParsedEvent;

pub(crate) fn parse(ev: &mut ParsedEvent, body: &str) {
    let body = body.trim_end().trim_end_matches('.');
    if let Some(rest) = body.strip_prefix("New session ")
        && let Some((id, user)) = rest.split_once(" of user ")
    {
        ev.classify("session", "session_created", "success");
        ev.set("session.id", id);
        ev.user_name = Some(user.to_owned());
    } else if let Some(id) = body.strip_prefix("Removed session ") {
        ev.classify("session", "session_removed", "success");
        ev.set("session.id", id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new("systemd-logind", body);
        parse(&mut ev, body);
        ev
    }

    #[test]
    fn sessions() {
        let ev = run("New session 12 of user elastic_user_7.");
        assert_eq!(ev.event_action.as_deref(), Some("session_created"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_7"));
        assert_eq!(ev.fields["session.id"], "12");
        let ev = run("Removed session c3.");
        assert_eq!(ev.event_action.as_deref(), Some("session_removed"));
        assert_eq!(ev.fields["session.id"], "c3");
        assert_eq!(run("New seat seat0.").event_action, None);
    }
}
