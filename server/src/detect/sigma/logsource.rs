//! Which Vigil events a Sigma `logsource` stands for, so a rule only ever sees events of its
//! logsource.
//!
//! Each event gets a set of [`Kinds`] once, from its parser and process; each rule gets the set
//! its logsource accepts; the rule sees the event when the two sets meet.
//!
//! | Sigma logsource | Vigil events |
//! |---|---|
//! | `category: webserver` | access-log lines (parser `apache_access`, which also reads nginx access logs) |
//! | `service: apache` | Apache error-log lines (`apache_error`) and access-log lines |
//! | `service: nginx` | nginx error-log lines (`nginx_error`) and access-log lines |
//! | `product: linux` (no service) | every line read as syslog (parsers `syslog3164`, `syslog5424` and the program parsers `sshd`, `sudo`, `su`, `pam`, `cron`, `systemd-logind`, `useradd` …) |
//! | `product: linux`, `service: syslog` | the same as `product: linux` |
//! | `product: linux`, `service: sshd` | process `sshd` or `sshd-session` |
//! | `product: linux`, `service: sudo` | process `sudo` |
//! | `product: linux`, `service: cron` | process `cron`, `crond` or `CRON` |
//! | `product: linux`, `service: auth` | what auth.log holds: parsers `sshd`, `sudo`, `su`, `pam`, `systemd-logind`, the account tools (`useradd` …), processes `pkexec`, `polkitd`, `login`, and events of category `authentication`, `session` or `iam` |
//! | `product: linux`, `service: clamav` | process `clamd`, `freshclam` or `clamav*` |
//! | `product: linux`, `service: guacamole` | process `guacd` or `guacamole*` |
//! | `product: linux`, `service: vsftpd` | process `vsftpd` |
//!
//! Any other logsource (Windows, `category: process_creation`, …) matches no Vigil event: the
//! rule imports with a warning saying it will never fire.

use rsigma_parser::LogSource;

use crate::ingest::EventRow;

/// A set of event kinds, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kinds(u32);

impl Kinds {
    pub const NONE: Kinds = Kinds(0);
    pub const WEB_ACCESS: Kinds = Kinds(1);
    pub const APACHE_ERROR: Kinds = Kinds(1 << 1);
    pub const NGINX_ERROR: Kinds = Kinds(1 << 2);
    pub const LINUX: Kinds = Kinds(1 << 3);
    pub const SSHD: Kinds = Kinds(1 << 4);
    pub const SUDO: Kinds = Kinds(1 << 5);
    pub const CRON: Kinds = Kinds(1 << 6);
    pub const AUTH: Kinds = Kinds(1 << 7);
    pub const CLAMAV: Kinds = Kinds(1 << 8);
    pub const GUACAMOLE: Kinds = Kinds(1 << 9);
    pub const VSFTPD: Kinds = Kinds(1 << 10);
    /// Every kind above; indexes by kind have `ALL.bits() + 1` slots.
    pub const ALL: Kinds = Kinds((1 << 11) - 1);

    pub fn meets(self, other: Kinds) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bits, for indexing rules by kind.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for Kinds {
    type Output = Kinds;
    fn bitor(self, rhs: Kinds) -> Kinds {
        Kinds(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Kinds {
    fn bitor_assign(&mut self, rhs: Kinds) {
        self.0 |= rhs.0;
    }
}

/// Parsers that read the account tools (shadow-utils) in syslog.
const ACCOUNT_PARSERS: [&str; 11] = [
    "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "passwd", "chpasswd",
    "chage", "gpasswd", "newusers",
];

/// Parsers whose events were read from a syslog line.
fn from_syslog(parser: &str) -> bool {
    matches!(
        parser,
        "syslog3164" | "syslog5424" | "sshd" | "sudo" | "su" | "pam" | "cron" | "systemd-logind"
    ) || ACCOUNT_PARSERS.contains(&parser)
}

/// The kinds of one event.
pub fn event_kinds(row: &EventRow) -> Kinds {
    let mut kinds = match row.parser {
        "apache_access" => return Kinds::WEB_ACCESS,
        "apache_error" => return Kinds::APACHE_ERROR,
        "nginx_error" => return Kinds::NGINX_ERROR,
        p if from_syslog(p) => Kinds::LINUX,
        _ => return Kinds::NONE,
    };
    let process = row.process.as_deref().unwrap_or("");
    match process {
        "sshd" | "sshd-session" => kinds |= Kinds::SSHD,
        "sudo" => kinds |= Kinds::SUDO,
        "cron" | "crond" | "CRON" => kinds |= Kinds::CRON,
        "clamd" | "freshclam" => kinds |= Kinds::CLAMAV,
        "guacd" => kinds |= Kinds::GUACAMOLE,
        "vsftpd" => kinds |= Kinds::VSFTPD,
        p if p.starts_with("clamav") => kinds |= Kinds::CLAMAV,
        p if p.starts_with("guacamole") => kinds |= Kinds::GUACAMOLE,
        _ => {}
    }
    let auth_parser = matches!(
        row.parser,
        "sshd" | "sudo" | "su" | "pam" | "systemd-logind"
    ) || ACCOUNT_PARSERS.contains(&row.parser);
    let auth_process = matches!(process, "pkexec" | "polkitd" | "login");
    let auth_category = matches!(
        row.event_category.as_deref(),
        Some("authentication" | "session" | "iam")
    );
    if auth_parser || auth_process || auth_category {
        kinds |= Kinds::AUTH;
    }
    kinds
}

/// The kinds of event a rule's logsource accepts; empty when Vigil has no such events.
pub fn rule_kinds(ls: &LogSource) -> Kinds {
    let lower = |v: &Option<String>| v.as_deref().map(str::to_ascii_lowercase);
    let (category, product, service) =
        (lower(&ls.category), lower(&ls.product), lower(&ls.service));
    match (category.as_deref(), product.as_deref(), service.as_deref()) {
        (Some("webserver"), _, _) => Kinds::WEB_ACCESS,
        (Some(_), _, _) => Kinds::NONE,
        (None, None | Some("apache"), Some("apache")) => Kinds::APACHE_ERROR | Kinds::WEB_ACCESS,
        (None, None | Some("nginx"), Some("nginx")) => Kinds::NGINX_ERROR | Kinds::WEB_ACCESS,
        (None, Some("linux"), None | Some("syslog")) => Kinds::LINUX,
        (None, Some("linux"), Some(service)) => match service {
            "sshd" => Kinds::SSHD,
            "sudo" => Kinds::SUDO,
            "cron" => Kinds::CRON,
            "auth" => Kinds::AUTH,
            "clamav" => Kinds::CLAMAV,
            "guacamole" => Kinds::GUACAMOLE,
            "vsftpd" => Kinds::VSFTPD,
            _ => Kinds::NONE,
        },
        _ => Kinds::NONE,
    }
}

/// `category: webserver`, `product: linux / service: sshd`: how reports name a logsource.
pub fn describe(ls: &LogSource) -> String {
    let parts: Vec<String> = [
        ("category", &ls.category),
        ("product", &ls.product),
        ("service", &ls.service),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
    .collect();
    if parts.is_empty() {
        "an empty logsource".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::parse::{ParseContext, ParserKind, parse_line};

    fn kinds(line: &str) -> Kinds {
        let now = Utc::now();
        let ev = parse_line(ParserKind::Auto, line, &ParseContext::new(now));
        event_kinds(&EventRow::new(ev, line.to_owned(), now, "test".into()))
    }

    fn ls(category: Option<&str>, product: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            category: category.map(Into::into),
            product: product.map(Into::into),
            service: service.map(Into::into),
            ..LogSource::default()
        }
    }

    #[test]
    fn events_get_the_kinds_of_their_log() {
        // loghub_OpenSSH_2k.log, line 1
        let sshd = kinds(
            "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
        );
        assert!(sshd.meets(Kinds::SSHD) && sshd.meets(Kinds::LINUX) && sshd.meets(Kinds::AUTH));
        assert!(!sshd.meets(Kinds::SUDO | Kinds::WEB_ACCESS));
        // elastic_examples_auth.log
        let cron = kinds(
            "Mar 27 13:17:01 ip-172-31-27-153 CRON[7788]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
        );
        assert!(cron.meets(Kinds::CRON) && !cron.meets(Kinds::SSHD));
        let web = kinds(
            r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 203023 "-" "-""#,
        );
        assert_eq!(web, Kinds::WEB_ACCESS);
        assert_eq!(kinds(r#"{"a":1}"#), Kinds::NONE);
    }

    #[test]
    fn every_kind_is_within_all() {
        for k in [
            Kinds::WEB_ACCESS,
            Kinds::APACHE_ERROR,
            Kinds::NGINX_ERROR,
            Kinds::LINUX,
            Kinds::SSHD,
            Kinds::SUDO,
            Kinds::CRON,
            Kinds::AUTH,
            Kinds::CLAMAV,
            Kinds::GUACAMOLE,
            Kinds::VSFTPD,
        ] {
            assert_eq!(k.bits() & Kinds::ALL.bits(), k.bits());
        }
    }

    #[test]
    fn logsources_map_to_kinds() {
        assert_eq!(
            rule_kinds(&ls(Some("webserver"), None, None)),
            Kinds::WEB_ACCESS
        );
        assert_eq!(
            rule_kinds(&ls(None, Some("linux"), Some("sshd"))),
            Kinds::SSHD
        );
        assert_eq!(rule_kinds(&ls(None, Some("Linux"), None)), Kinds::LINUX);
        assert!(rule_kinds(&ls(None, None, Some("apache"))).meets(Kinds::APACHE_ERROR));
        assert!(rule_kinds(&ls(Some("process_creation"), Some("windows"), None)).is_empty());
        assert!(rule_kinds(&ls(None, Some("linux"), Some("auditd"))).is_empty());
        assert_eq!(
            describe(&ls(None, Some("linux"), Some("sshd"))),
            "product: linux, service: sshd"
        );
    }
}
