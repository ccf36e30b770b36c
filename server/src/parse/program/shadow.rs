//! shadow-utils account management: useradd, usermod, userdel, groupadd, groupmod, groupdel,
//! passwd, chpasswd, chage, gpasswd.

use super::pam;
use crate::parse::ParsedEvent;

/// The parser name for a shadow-utils program, or `None` for any other program.
pub(crate) fn parser_name(program: &str) -> Option<&'static str> {
    Some(match program {
        "useradd" => "useradd",
        "usermod" => "usermod",
        "userdel" => "userdel",
        "groupadd" => "groupadd",
        "groupmod" => "groupmod",
        "groupdel" => "groupdel",
        "passwd" => "passwd",
        "chpasswd" => "chpasswd",
        "chage" => "chage",
        "gpasswd" => "gpasswd",
        "newusers" => "newusers",
        _ => return None,
    })
}

pub(crate) fn parse(ev: &mut ParsedEvent, body: &str) {
    let body = body.trim();
    if pam::looks_like(body) {
        let program = ev.parser;
        pam::parse(ev, program, body);
        return;
    }
    if let Some(rest) = body.strip_prefix("new user: ") {
        ev.classify("iam", "user_created", "success");
        pairs(ev, rest);
    } else if let Some(rest) = body.strip_prefix("new group: ") {
        ev.classify("iam", "group_created", "success");
        pairs(ev, rest);
    } else if let Some(rest) = body.strip_prefix("group added to ") {
        ev.classify("iam", "group_created", "success");
        if let Some((file, rest)) = rest.split_once(": ") {
            ev.set("file.path", file);
            pairs(ev, rest);
        }
    } else if let Some(user) = body.strip_prefix("failed adding user ") {
        ev.classify("iam", "user_created", "failure");
        user_from(ev, user);
    } else if let Some(user) = body.strip_prefix("delete user ") {
        ev.classify("iam", "user_deleted", "success");
        user_from(ev, user);
    } else if let Some(rest) = body
        .strip_prefix("removed group ")
        .or_else(|| body.strip_prefix("removed shadow group "))
    {
        ev.classify("iam", "group_deleted", "success");
        group_from(ev, rest);
    } else if let Some(rest) = body.strip_prefix("group ")
        && rest.contains("' removed")
    {
        ev.classify("iam", "group_deleted", "success");
        group_from(ev, rest);
    } else if let Some(rest) = body.strip_prefix("add ")
        && let Some((user, group)) = rest.split_once(" to ")
    {
        ev.classify("iam", "user_added_to_group", "success");
        user_from(ev, user);
        group_from(
            ev,
            group
                .trim_start_matches("shadow ")
                .trim_start_matches("group "),
        );
    } else if let Some(rest) = body
        .strip_prefix("change user ")
        .or_else(|| body.strip_prefix("lock user "))
        .or_else(|| body.strip_prefix("unlock user "))
        .or_else(|| body.strip_prefix("changed password expiry for "))
    {
        ev.classify("iam", "user_modified", "success");
        user_from(ev, rest.trim_start_matches("name "));
    } else if let Some(rest) = body.strip_prefix("group changed in ") {
        ev.classify("iam", "group_modified", "success");
        ev.set("group.change", rest);
    } else if let Some(rest) = body.strip_prefix("password for ")
        && let Some((user, by)) = rest.split_once(" changed by ")
    {
        ev.classify("iam", "password_changed", "success");
        user_from(ev, user);
        ev.set("passwd.by_user", by.trim_matches('\''));
    }
}

/// `name=U, UID=1001, GID=1001, home=/home/u, shell=/bin/bash, from=/dev/pts/0`
fn pairs(ev: &mut ParsedEvent, rest: &str) {
    let group_only = ev.event_action.as_deref() != Some("user_created");
    for pair in rest.split(", ") {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = v.trim();
        match k {
            "name" if group_only => ev.set("group.name", v),
            "name" => ev.user_name = Some(v.to_owned()),
            "UID" => ev.set("user.id", v),
            "GID" => ev.set("group.id", v),
            "home" => ev.set("user.home", v),
            "shell" => ev.set("user.shell", v),
            "from" => ev.set("useradd.from", v),
            other => ev.set(&format!("useradd.{}", other.to_ascii_lowercase()), v),
        }
    }
}

/// The first `'quoted'` word, else the first word.
fn quoted(s: &str) -> &str {
    match s.strip_prefix('\'').and_then(|r| r.split_once('\'')) {
        Some((q, _)) => q,
        None => s.split([' ', ',']).next().unwrap_or(s),
    }
}

fn user_from(ev: &mut ParsedEvent, s: &str) {
    let user = quoted(s.trim());
    if !user.is_empty() {
        ev.user_name = Some(user.to_owned());
    }
}

fn group_from(ev: &mut ParsedEvent, s: &str) {
    let group = quoted(s.trim());
    if !group.is_empty() {
        ev.set("group.name", group);
    }
    if let Some((_, owner)) = s.split_once(" owned by ") {
        ev.user_name = Some(quoted(owner).to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(program: &'static str, body: &str) -> ParsedEvent {
        let mut ev = ParsedEvent::new(program, body);
        parse(&mut ev, body);
        ev
    }

    #[test]
    fn useradd_new_user_and_group() {
        let ev = run(
            "useradd",
            "new user: name=elastic_user_0, UID=1001, GID=1002, home=/home/elastic_user_0, shell=/bin/bash",
        );
        assert_eq!(ev.event_action.as_deref(), Some("user_created"));
        assert_eq!(ev.event_category.as_deref(), Some("iam"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_0"));
        assert_eq!(ev.fields["user.id"], "1001");
        assert_eq!(ev.fields["group.id"], "1002");
        assert_eq!(ev.fields["user.shell"], "/bin/bash");
        let ev = run("useradd", "new group: name=elastic_user_0, GID=1002");
        assert_eq!(ev.event_action.as_deref(), Some("group_created"));
        assert_eq!(ev.fields["group.name"], "elastic_user_0");
        assert_eq!(ev.user_name, None);
    }

    #[test]
    fn groupadd() {
        let ev = run(
            "groupadd",
            "group added to /etc/group: name=elastic_users, GID=1001",
        );
        assert_eq!(ev.event_action.as_deref(), Some("group_created"));
        assert_eq!(ev.fields["file.path"], "/etc/group");
        assert_eq!(ev.fields["group.id"], "1001");
        let ev = run(
            "groupadd",
            "group added to /etc/gshadow: name=elastic_users",
        );
        assert_eq!(ev.fields["group.name"], "elastic_users");
    }

    #[test]
    fn failures_and_changes() {
        let ev = run(
            "useradd",
            "failed adding user 'elastic_user_9', data deleted",
        );
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_9"));
        let ev = run("usermod", "add 'alice' to shadow group 'sudo'");
        assert_eq!(ev.event_action.as_deref(), Some("user_added_to_group"));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.fields["group.name"], "sudo");
        let ev = run(
            "usermod",
            "change user 'alice' shell from '/bin/sh' to '/bin/bash'",
        );
        assert_eq!(ev.event_action.as_deref(), Some("user_modified"));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        let ev = run("userdel", "removed group 'alice' owned by 'alice'");
        assert_eq!(ev.event_action.as_deref(), Some("group_deleted"));
        let ev = run("userdel", "delete user 'alice'");
        assert_eq!(ev.event_action.as_deref(), Some("user_deleted"));
        let ev = run("passwd", "password for 'alice' changed by 'root'");
        assert_eq!(ev.event_action.as_deref(), Some("password_changed"));
        assert_eq!(ev.fields["passwd.by_user"], "root");
    }

    #[test]
    fn chpasswd_pam() {
        let ev = run(
            "chpasswd",
            "pam_unix(chpasswd:chauthtok): password changed for elastic_user_1",
        );
        assert_eq!(ev.event_action.as_deref(), Some("password_changed"));
        assert_eq!(ev.user_name.as_deref(), Some("elastic_user_1"));
        assert_eq!(ev.fields["pam.service"], "chpasswd");
    }

    #[test]
    fn names() {
        assert_eq!(parser_name("groupadd"), Some("groupadd"));
        assert_eq!(parser_name("sshd"), None);
    }
}
