//! No line panics or breaks an event's promises, under any parser kind and in every parser
//! directly; the sanitizer keeps what it was given; a Zeek file loses no record.

use std::borrow::Cow;

use proptest::prelude::*;

use super::{check_event, config, ctx, json_object, soup};
use crate::parse::sanitize::{MAX_LINE_BYTES, cap, sanitize};
use crate::parse::{
    ParsedEvent, ParserKind, ZeekState, apache_access, apache_error, cef, cowrie, flags, json, kv,
    nginx_error, parse_bytes, parse_line, program, suricata, syslog3164, syslog5424, zeek,
};

/// Line openings that send the rest of a line to each parser and program parser.
const HEADERS: &[&str] = &[
    "",
    "<13>Oct 11 22:14:15 host sshd[12]: ",
    "Dec 10 06:55:46 LabSZ sshd[24200]: ",
    "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 5 - [a b=\"c\"] ",
    "<86>1 - - sudo - - - ",
    "Oct 11 22:14:15 h su: ",
    "Oct 11 22:14:15 h CRON[1]: ",
    "Oct 11 22:14:15 h systemd-logind[1]: ",
    "Oct 11 22:14:15 h useradd[1]: ",
    "Oct 11 22:14:15 h passwd[1]: ",
    "Oct 11 22:14:15 h vsftpd: pam_unix(vsftpd:auth): ",
    "Oct 11 22:14:15 h sshd(pam_unix)[1]: ",
    "Oct 11 22:14:15 h nginx: ",
    "Oct 11 22:14:15 h httpd[1]: ",
    "Apr  2 17:51:32 <4.6> pancake sshd[55628]: ",
    "<134>Feb 18 20:53:31 fw CEF:0|",
    "CEF:0|Vendor|Product|1.0|100|Name|5|",
    "[Sun Dec 04 04:47:44 2005] [error] ",
    "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] ",
    "2011/11/11 11:11:11 [error] 1234#0: *1 ",
    "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"",
    "::1 - bob [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" ",
    "level=info ",
    "2023-11-14T00:20:42.738197+01:00 myserver ",
    "message repeated 3 times: [ ",
];

/// Tags that route a syslog message to each program parser, and some that route nowhere.
const PROGRAMS: &[&str] = &[
    "sshd",
    "sshd-session",
    "sudo",
    "su",
    "CRON",
    "cron",
    "crond",
    "systemd-logind",
    "nginx",
    "httpd",
    "apache",
    "apache2",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupmod",
    "groupdel",
    "passwd",
    "chpasswd",
    "chage",
    "gpasswd",
    "newusers",
    "sshd(pam_unix)",
    "login",
    "vsftpd",
    "postfix/smtpd",
    "httpd/vhost",
    "kernel",
];

/// Invalid UTF-8 whose replacement character is no longer than it is.
const SHORT_INVALID: &[&[u8]] = &[b"\xF0\x9F\x98", b"\xE2\x82", b"\xFF"];

/// A header followed by token soup: most of these break somewhere inside a parser.
fn near_miss() -> impl Strategy<Value = String> {
    (prop::sample::select(HEADERS), soup()).prop_map(|(h, rest)| format!("{h}{rest}"))
}

/// Runs `line` through every kind and every parser entry point.
fn every_parser(line: &str) -> Result<(), TestCaseError> {
    let ctx = ctx();
    for kind in ParserKind::ALL {
        check_event(line, &parse_line(kind, line, &ctx))?;
    }
    let direct: [fn(&str, &crate::parse::ParseContext) -> ParsedEvent; 8] = [
        syslog3164::parse,
        syslog5424::parse,
        apache_access::parse,
        apache_error::parse,
        nginx_error::parse,
        json::parse,
        cef::parse,
        kv::parse,
    ];
    for parse in direct {
        check_event(line, &parse(line, &ctx))?;
    }
    check_event(line, &apache_error::parse_untimed(line))?;
    check_event(line, &zeek::parse_headerless(line))?;
    for program in PROGRAMS.iter().copied().map(Some).chain([None]) {
        let header = ParsedEvent::new("syslog3164", "");
        let ev = program::dispatch(header, program, line, &ctx);
        // A program parser reads the MSG part only, so a broken one keeps that part.
        check_event(line, &ev)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let ctx = ctx();
        let (text, _) = sanitize(&bytes);
        for kind in ParserKind::ALL {
            let ev = parse_bytes(kind, &bytes, &ctx);
            check_event(&text, &ev)?;
        }
    }

    #[test]
    fn arbitrary_text_never_panics(line in ".{0,300}") {
        every_parser(&line)?;
    }

    #[test]
    fn near_misses_never_panic(line in near_miss()) {
        every_parser(&line)?;
    }

    #[test]
    fn json_shapes_never_panic(map in json_object()) {
        let line = serde_json::to_string(&map).expect("a map serialises");
        let ctx = ctx();
        for kind in [ParserKind::Auto, ParserKind::Json] {
            let ev = parse_line(kind, &line, &ctx);
            prop_assert_eq!(ev.flags & flags::PARSE_ERROR, 0, "a JSON object is never broken");
            check_event(&line, &ev)?;
        }
        check_event(&line, &suricata::from_map(map.clone(), &line, &ctx))?;
        check_event(&line, &cowrie::from_map(map, &line, &ctx))?;
    }

    /// Every Zeek line that is not a header, comment or blank line is one event, in order.
    #[test]
    fn zeek_files_lose_no_record(
        lines in prop::collection::vec(
            prop_oneof![
                prop::sample::select(&[
                    "#separator \\x09", "#separator ,", "#separator \\x", "#set_separator\t,",
                    "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn", "#path\tssh",
                    "#path\tnotice", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p",
                    "#fields\tts\tauth_success\tid.orig_h\tnote\tmsg", "#types\ttime\tstring",
                    "#close\t2024", "#", "", "   ",
                ][..]).prop_map(str::to_owned),
                prop::collection::vec(
                    prop_oneof![
                        prop::sample::select(&["1700000000.123456", "-", "(empty)", "T", "F",
                            "1.2.3.4", "22", "a,b", "SSH::Password_Guessing", "x\\x09y"][..])
                            .prop_map(str::to_owned),
                        ".{0,6}",
                    ],
                    1..8,
                ).prop_map(|fields| fields.join("\t")),
            ],
            0..16,
        )
    ) {
        let ctx = ctx();
        let mut state = ZeekState::new();
        for line in &lines {
            let header_or_blank = line.starts_with('#') || line.trim().is_empty();
            match state.feed(line, &ctx) {
                Some(ev) => {
                    prop_assert!(!header_or_blank, "{:?} became an event", line);
                    check_event(line, &ev)?;
                }
                None => prop_assert!(header_or_blank, "the record {:?} was lost", line),
            }
        }
    }

    /// Text that fits is kept exactly, flagged only for control characters.
    #[test]
    fn sanitize_keeps_text_that_fits(line in ".{0,200}") {
        prop_assume!(!line.ends_with('\r'));
        let (text, bits) = sanitize(line.as_bytes());
        prop_assert!(matches!(text, Cow::Borrowed(_)));
        prop_assert_eq!(&text, &line);
        let control = line.bytes().any(|c| (c < 0x20 && c != b'\t') || c == 0x7f);
        prop_assert_eq!(bits, if control { flags::CONTROL_CHARS } else { 0 });
    }

    /// Whatever the bytes, the text is within the cap and is the start of their lossy decoding.
    #[test]
    fn sanitize_keeps_a_prefix_of_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_sanitized(&bytes)?;
    }

    /// The same around the cap, where a multi-byte character may be cut in half.
    #[test]
    fn sanitize_cuts_long_lines_faithfully(
        head in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..6),
            // Invalid sequences whose replacement character is no longer than they are.
            (prop::sample::select(SHORT_INVALID), 0usize..4)
                .prop_map(|(bad, pad)| [bad, &b"Axyz"[..pad + 1]].concat()),
        ],
        fill in prop::sample::select(&["a", "é", "☃", "𝄞"][..]),
        len in (MAX_LINE_BYTES - 6)..(MAX_LINE_BYTES + 6),
        tail in prop::collection::vec(any::<u8>(), 0..6),
    ) {
        let mut bytes = head;
        while bytes.len() < len {
            bytes.extend_from_slice(fill.as_bytes());
        }
        bytes.extend(tail);
        check_sanitized(&bytes)?;
    }
}

fn check_sanitized(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (text, bits) = sanitize(bytes);
    let body = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let whole = String::from_utf8_lossy(body);
    prop_assert!(text.len() <= MAX_LINE_BYTES);
    prop_assert!(
        whole.starts_with(text.as_ref()),
        "the kept text is not the start of the line"
    );
    prop_assert_eq!(bits & flags::TRUNCATED != 0, text.len() < whole.len());
    // Invalid bytes within the kept part are flagged; a character the cap cut in half is not.
    let cut = body.len() > MAX_LINE_BYTES;
    let kept_invalid = std::str::from_utf8(&body[..body.len().min(MAX_LINE_BYTES)])
        .err()
        .is_some_and(|e| e.error_len().is_some() || !cut);
    prop_assert_eq!(bits & flags::INVALID_UTF8 != 0, kept_invalid);
    prop_assert!(cap(&text).is_none());
    Ok(())
}
