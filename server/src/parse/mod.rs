//! Log line parsers: pure functions that turn one line of text into a [`ParsedEvent`], one file
//! per format, with cheap per-line auto-detection.
//!
//! # Flow
//!
//! Sources hand raw bytes to [`sanitize`] (lossy UTF-8, 64 KiB cap, trailing `\r`), then call
//! [`parse_line`] with the source's [`ParserKind`]; [`parse_bytes`] does both. Zeek TSV logs need
//! their header lines, so files of that kind go through a per-file [`ZeekState`] instead.
//! Parsing never fails: a line no parser recognises comes back with parser `"raw"` and the line
//! as its message; a line that looks like a format but breaks midway keeps what was parsed, sets
//! [`flags::PARSE_ERROR`] and keeps the whole line as its message.
//!
//! # Vocabulary
//!
//! `event_category` follows ECS `event.category`: `authentication`, `session`, `iam`, `process`,
//! `web`, `network`, `intrusion_detection`, `host`.
//!
//! `event_action` values, by the parser that emits them:
//!
//! | action | emitted for |
//! |---|---|
//! | `ssh_login` | sshd `Accepted`/`Failed <method> for …` (outcome success/failure, `ssh.method` = password, publickey, keyboard-interactive/pam, none, hostbased…); Cowrie `login.success`/`login.failed`; Zeek ssh.log with `auth_success` |
//! | `ssh_invalid_user` | sshd `Invalid user U from IP`, `input_userauth_request: invalid user U` |
//! | `ssh_user_not_allowed` | sshd `User U [from IP] not allowed because …` (`ssh.reason`) |
//! | `ssh_root_login_refused` | sshd `ROOT LOGIN REFUSED FROM IP` |
//! | `ssh_max_auth_attempts` | sshd `maximum authentication attempts exceeded`, `Disconnecting[ …]: Too many authentication failures` |
//! | `ssh_disconnect` | sshd `Disconnected from`, `Connection closed by`, `Connection reset by`, `Received disconnect from` (`ssh.disconnect_code`, `ssh.preauth`) |
//! | `ssh_connection` | sshd `Connection from IP port P on IP port P`; Cowrie `session.connect` |
//! | `ssh_negotiation_failed` | sshd `Unable to negotiate`, `Did not receive identification string`, `Bad protocol version identification`, `banner exchange`, `ssh_dispatch_run_fatal`, `kex_exchange_identification` |
//! | `ssh_timeout` | sshd `Timeout before authentication` |
//! | `ssh_reverse_mapping_failed` | sshd `reverse mapping checking getaddrinfo … POSSIBLE BREAK-IN ATTEMPT!`, `Address IP maps to …` |
//! | `ssh_refused_connect` | sshd (tcp wrappers) `refused connect from` |
//! | `pam_auth_failure` | `pam_unix(S:auth): authentication failure; … rhost= user=` for any service, `PAM N more authentication failures` (`pam.more_failures`), sshd `error: PAM: Authentication failure for U from H` |
//! | `pam_check_pass` | `pam_unix(S:auth): check pass; user unknown` |
//! | `pam_max_retries` | `PAM service(S) ignoring max retries; N > M` |
//! | `session_opened` / `session_closed` | `pam_unix(S:session): session opened for user U by V(uid=N)` / `closed` |
//! | `session_created` / `session_removed` | systemd-logind `New session N of user U.` / `Removed session N.` |
//! | `password_changed` | `pam_unix(S:chauthtok): password changed for U`, passwd |
//! | `sudo` | sudo command lines (failure when `N incorrect password attempts`, `command not allowed`, `NOT in sudoers`) |
//! | `su` | su `Successful su for T by U`, `FAILED su`, `'su T' failed for U`, `+ tty U:T` |
//! | `user_created` / `user_modified` / `user_deleted` / `group_created` / `group_modified` / `group_deleted` / `user_added_to_group` | useradd, usermod, userdel, groupadd, groupmod, groupdel |
//! | `cron_command` | CRON `(U) CMD (command)` |
//! | `http_request` | Apache/nginx access logs (outcome failure for status >= 400) |
//! | `http_error` | Apache and nginx error-log lines at level error or worse |
//! | `http_auth_failure` | Apache/nginx basic/digest auth failures (`user U not found`, `password mismatch`) |
//! | `suricata_<event_type>` | Suricata eve.json (`suricata_alert`, `suricata_flow`, `suricata_dns`…) |
//! | `cowrie_<eventid tail>` | other Cowrie events, e.g. `cowrie_command_input` |
//! | `host_metrics` | host metrics JSON |
//! | `zeek_<path>` / `zeek_notice` | Zeek TSV logs other than ssh.log |
//!
//! JSON and logfmt lines that carry their own `action`/`event_type` keep that value verbatim, as
//! CEF keeps the device's `act`.
//!
//! # Timestamps
//!
//! RFC 3164 style timestamps carry no year. The year is the year of
//! [`ParseContext::reference_time`] (seen in `default_offset`), unless that puts the instant more
//! than a day after the reference, in which case it is the previous year (a December line read in
//! January); such events carry [`flags::TIMESTAMP_INFERRED`]. Timestamps without a zone (BSD
//! syslog, Apache and nginx error logs) are read in [`ParseContext::default_offset`]. `None`
//! means the line had no usable time and the caller falls back to `received_at`.
//!
//! # Repeats
//!
//! `message repeated N times: [ inner ]` (rsyslog's repeat reduction) becomes ONE event parsed
//! from `inner`, with `repeat_count = N` and `message` left as the whole summary. The stored row
//! stands for N occurrences; detection must count `repeat_count`, not rows. Every other event has
//! `repeat_count = 1`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;

mod apache_access;
mod apache_error;
mod cef;
mod cowrie;
mod json;
mod kv;
mod nginx_error;
mod program;
mod sanitize;
mod scan;
mod suricata;
mod syslog3164;
mod syslog5424;
mod time;
mod zeek;

#[cfg(test)]
mod props;
#[cfg(test)]
pub(crate) use props::config as props_config;
#[cfg(test)]
pub(crate) mod tests;

pub use sanitize::{MAX_LINE_BYTES, looks_binary, sanitize};
pub use zeek::ZeekState;

/// What a parser needs to know beyond the line itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseContext {
    pub received_at: DateTime<Utc>,
    /// Reference instant for inferring the missing year of RFC 3164 timestamps: the file's mtime when reading files, else the receive time.
    pub reference_time: DateTime<Utc>,
    /// Fixed offset assumed for timestamps that carry no zone (default UTC).
    pub default_offset: FixedOffset,
}

impl ParseContext {
    /// A context for a line received at `received_at`, which is also the year reference; zone-less
    /// timestamps are taken as UTC.
    pub fn new(received_at: DateTime<Utc>) -> Self {
        Self {
            received_at,
            reference_time: received_at,
            default_offset: FixedOffset::east_opt(0).expect("zero offset is valid"),
        }
    }
}

/// One parsed log line. Field names follow ECS where one exists.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ParsedEvent {
    /// `None` means the line carried no usable time; the caller uses `received_at`.
    pub timestamp: Option<DateTime<Utc>>,
    /// `host.name`
    pub host: Option<String>,
    /// `source.ip`, always a valid `std::net::IpAddr` in canonical text form; IPv4-mapped IPv6
    /// addresses are reduced to IPv4. A non-IP peer goes to `fields["source.address"]` (and
    /// `source.domain` when it looks like a host name).
    pub source_ip: Option<String>,
    pub source_port: Option<u16>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<u16>,
    /// `user.name`
    pub user_name: Option<String>,
    /// ECS `event.category`, see the module docs.
    pub event_category: Option<String>,
    /// `event.action`, see the vocabulary in the module docs.
    pub event_action: Option<String>,
    /// `"success"`, `"failure"` or `"unknown"`.
    pub event_outcome: Option<String>,
    /// `log.level`: emergency, alert, critical, error, warning, notice, info, debug.
    pub level: Option<String>,
    /// `process.name`
    pub process: Option<String>,
    pub pid: Option<i64>,
    /// The human message; for syslog the MSG part.
    pub message: String,
    /// Everything else, with ECS-like dotted names where one exists.
    pub fields: serde_json::Map<String, Value>,
    /// Bits from [`flags`].
    pub flags: u32,
    /// 1 normally; N for `message repeated N times: [ … ]`.
    pub repeat_count: u32,
    /// Which parser produced the event: for syslog lines the program parser that read the
    /// message (`sshd`, `sudo`, `su`, `pam`, `cron`, `systemd-logind`, and `useradd`, `usermod`,
    /// `userdel`, `groupadd`, `groupmod`, `groupdel`, `passwd`, `chpasswd`, `chage`, `gpasswd`,
    /// `newusers`), else `syslog3164`/`syslog5424`; then `apache_access`, `apache_error`,
    /// `nginx_error`, `json`, `suricata`, `cowrie`, `cef`, `kv`, `zeek`, `raw`. A web server or
    /// CEF payload inside syslog reports the payload's parser.
    pub parser: &'static str,
}

/// Bits for [`ParsedEvent::flags`].
/// The bits of an event's `flags`, as [`EventFlag`](app::model::events::EventFlag) defines them.
pub mod flags {
    use app::model::events::EventFlag;

    /// The line was longer than [`super::MAX_LINE_BYTES`] and was cut.
    pub const TRUNCATED: u32 = EventFlag::Truncated.bit();
    /// The bytes were not valid UTF-8 and were decoded lossily.
    pub const INVALID_UTF8: u32 = EventFlag::InvalidUtf8.bit();
    /// The line looked like a known format but broke midway.
    pub const PARSE_ERROR: u32 = EventFlag::ParseError.bit();
    /// The year of the timestamp was guessed (RFC 3164 style timestamps carry none).
    pub const TIMESTAMP_INFERRED: u32 = EventFlag::TimestampInferred.bit();
    /// NUL or other control characters besides tab are present (kept; escaped at display).
    pub const CONTROL_CHARS: u32 = EventFlag::ControlChars.bit();
}

impl ParsedEvent {
    pub(crate) fn new(parser: &'static str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            repeat_count: 1,
            parser,
            ..Self::default()
        }
    }

    /// A line nothing recognised.
    pub fn raw(line: &str) -> Self {
        Self::new("raw", line)
    }

    pub(crate) fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_owned(), value.into());
    }

    pub(crate) fn classify(&mut self, category: &str, action: &str, outcome: &str) {
        self.event_category = Some(category.to_owned());
        self.event_action = Some(action.to_owned());
        self.event_outcome = Some(outcome.to_owned());
    }

    /// Marks a line that broke midway: flagged, and the whole line kept as the message.
    pub(crate) fn fail(&mut self, line: &str) {
        self.flags |= flags::PARSE_ERROR;
        line.clone_into(&mut self.message);
    }
}

/// Which parser a source uses; `Auto` detects per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParserKind {
    Auto,
    Syslog,
    Apache,
    Json,
    Cef,
    Kv,
    Zeek,
    Raw,
}

impl ParserKind {
    pub const ALL: [ParserKind; 8] = [
        Self::Auto,
        Self::Syslog,
        Self::Apache,
        Self::Json,
        Self::Cef,
        Self::Kv,
        Self::Zeek,
        Self::Raw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Syslog => "syslog",
            Self::Apache => "apache",
            Self::Json => "json",
            Self::Cef => "cef",
            Self::Kv => "kv",
            Self::Zeek => "zeek",
            Self::Raw => "raw",
        }
    }
}

impl fmt::Display for ParserKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parser name that [`ParserKind::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownParserKind(pub String);

impl fmt::Display for UnknownParserKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown parser kind {:?} (expected auto, syslog, apache, json, cef, kv, zeek or raw)",
            self.0
        )
    }
}

impl std::error::Error for UnknownParserKind {}

impl FromStr for ParserKind {
    type Err = UnknownParserKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let kind = match lower.as_str() {
            "nginx" => Self::Apache,
            "logfmt" | "keyvalue" => Self::Kv,
            other => *Self::ALL
                .iter()
                .find(|k| k.as_str() == other)
                .ok_or_else(|| UnknownParserKind(s.to_owned()))?,
        };
        Ok(kind)
    }
}

/// Parses one line (without its line terminator). Never fails and never panics; see the module
/// docs for what comes back when the line is not understood. Lines over [`MAX_LINE_BYTES`] are
/// cut first and flagged, so a caller that skipped [`sanitize`] is still bounded.
pub fn parse_line(kind: ParserKind, line: &str, ctx: &ParseContext) -> ParsedEvent {
    let (line, extra) = match sanitize::cap(line) {
        Some(cut) => (cut, flags::TRUNCATED),
        None => (line, 0),
    };
    let mut ev = match kind {
        ParserKind::Auto => auto(line, ctx),
        ParserKind::Syslog => syslog(line, ctx),
        ParserKind::Apache => apache(line, ctx),
        ParserKind::Json => json::parse(line, ctx),
        ParserKind::Cef => cef_anywhere(line, ctx),
        ParserKind::Kv => kv::parse(line, ctx),
        ParserKind::Zeek => zeek::parse_headerless(line),
        ParserKind::Raw => ParsedEvent::raw(line),
    };
    ev.flags |= extra;
    ev
}

/// [`sanitize`] then [`parse_line`], merging the sanitizer's flags into the event.
pub fn parse_bytes(kind: ParserKind, bytes: &[u8], ctx: &ParseContext) -> ParsedEvent {
    let (line, bits): (Cow<'_, str>, u32) = sanitize(bytes);
    let mut ev = parse_line(kind, &line, ctx);
    ev.flags |= bits;
    ev
}

/// Per-line detection: looks only at the first bytes, then commits to one parser.
fn auto(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let b = line.as_bytes();
    match b.first() {
        None => ParsedEvent::raw(line),
        Some(b'{') => json::parse(line, ctx),
        Some(b'<') => syslog(line, ctx),
        Some(b'[') if apache_error::looks_like(line) => apache_error::parse(line, ctx),
        Some(b'C') if line.starts_with("CEF:") => cef::parse(line, ctx),
        Some(c) if c.is_ascii_uppercase() && time::starts_with_month(b) => {
            syslog3164::parse(line, ctx)
        }
        Some(c) if c.is_ascii_digit() && nginx_error::looks_like(line) => {
            nginx_error::parse(line, ctx)
        }
        Some(c) if c.is_ascii_digit() && syslog3164::looks_like_iso(line) => {
            syslog3164::parse(line, ctx)
        }
        _ if apache_access::looks_like(line) => apache_access::parse(line, ctx),
        _ if kv::looks_like(line) => kv::parse(line, ctx),
        _ => ParsedEvent::raw(line),
    }
}

fn syslog(line: &str, ctx: &ParseContext) -> ParsedEvent {
    if syslog5424::looks_like(line) {
        syslog5424::parse(line, ctx)
    } else {
        syslog3164::parse(line, ctx)
    }
}

fn apache(line: &str, ctx: &ParseContext) -> ParsedEvent {
    if apache_error::looks_like(line) {
        apache_error::parse(line, ctx)
    } else if nginx_error::looks_like(line) {
        nginx_error::parse(line, ctx)
    } else if apache_access::looks_like(line) {
        apache_access::parse(line, ctx)
    } else {
        let mut ev = ParsedEvent::new("apache_access", line);
        ev.flags |= flags::PARSE_ERROR;
        ev
    }
}

/// CEF may arrive bare or behind any syslog header; the syslog parsers hand a `CEF:` payload on,
/// so only a header they cannot read needs the search.
fn cef_anywhere(line: &str, ctx: &ParseContext) -> ParsedEvent {
    if line.starts_with("CEF:") {
        return cef::parse(line, ctx);
    }
    let ev = syslog(line, ctx);
    if ev.parser == "cef" {
        return ev;
    }
    match line.find("CEF:") {
        Some(at) => {
            let mut ev = cef::parse(&line[at..], ctx);
            ev.message = line.to_owned();
            ev
        }
        None => {
            let mut ev = ParsedEvent::new("cef", line);
            ev.flags |= flags::PARSE_ERROR;
            ev
        }
    }
}

/// Maps a syslog severity (0-7) to `log.level`.
pub(crate) fn level_from_severity(severity: u8) -> &'static str {
    match severity {
        0 => "emergency",
        1 => "alert",
        2 => "critical",
        3 => "error",
        4 => "warning",
        5 => "notice",
        6 => "info",
        _ => "debug",
    }
}

/// Normalises the level words that Apache, nginx, JSON and logfmt logs use.
pub(crate) fn normalize_level(word: &str) -> String {
    let lower = word.trim().to_ascii_lowercase();
    let known = match lower.as_str() {
        "emerg" | "emergency" | "panic" | "fatal" => "emergency",
        "alert" => "alert",
        "crit" | "critical" => "critical",
        "err" | "error" | "eror" => "error",
        "warn" | "warning" => "warning",
        "notice" => "notice",
        "info" | "information" | "informational" => "info",
        "debug" | "dbug" | "trace" => "debug",
        _ if lower.starts_with("trace") => "debug",
        _ => return lower,
    };
    known.to_owned()
}
