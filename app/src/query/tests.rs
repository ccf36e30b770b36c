//! Parser, printer and evaluator tests, with property tests for hostile and random input.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::model::events::{Event, EventFlag};

fn m(field: Field, value: Value) -> Expr {
    Expr::Match(Match { field, value })
}

fn col(c: Column, value: Value) -> Expr {
    m(Field::Column(c), value)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn msg(s: &str) -> Expr {
    col(Column::Message, text(s))
}

fn err(q: &str) -> QueryError {
    parse(q).expect_err(q)
}

#[test]
fn precedence_is_not_then_and_then_or() {
    // a OR b c  ==  a OR (b AND c);  NOT a b  ==  (NOT a) AND b
    assert_eq!(
        parse("a OR b c").unwrap(),
        Expr::Or(vec![msg("a"), Expr::And(vec![msg("b"), msg("c")])])
    );
    assert_eq!(
        parse("NOT a b").unwrap(),
        Expr::And(vec![Expr::Not(Box::new(msg("a"))), msg("b")])
    );
    assert_eq!(
        parse("(a OR b) AND c").unwrap(),
        Expr::And(vec![Expr::Or(vec![msg("a"), msg("b")]), msg("c")])
    );
    assert_eq!(
        parse("a AND (b AND c)").unwrap(),
        Expr::And(vec![msg("a"), msg("b"), msg("c")]),
        "nested ANDs flatten"
    );
    // Lowercase keywords are words.
    assert_eq!(
        parse("a or b").unwrap(),
        Expr::And(vec![msg("a"), msg("or"), msg("b")])
    );
}

#[test]
fn fields_values_and_aliases() {
    assert_eq!(
        parse("user.name:Alice").unwrap(),
        col(Column::UserName, text("Alice"))
    );
    assert_eq!(
        parse(r#"host:"web 1""#).unwrap(),
        col(Column::Host, text("web 1"))
    );
    assert_eq!(
        parse("host:web-*").unwrap(),
        col(
            Column::Host,
            Value::Pattern(Pattern::new([Piece::Literal("web-".into()), Piece::Any]))
        )
    );
    assert_eq!(parse("host:*").unwrap(), col(Column::Host, Value::Present));
    assert_eq!(
        parse(r"host:web\*1").unwrap(),
        col(Column::Host, text("web*1")),
        "an escaped star is literal"
    );
    assert_eq!(
        parse("fields.http.user_agent:*sqlmap*").unwrap(),
        m(
            Field::Json("http.user_agent".into()),
            Value::Pattern(Pattern::new([
                Piece::Any,
                Piece::Literal("sqlmap".into()),
                Piece::Any
            ]))
        )
    );
    assert_eq!(
        parse("source_ip:10.1.2.3/8").unwrap(),
        col(
            Column::SourceIp,
            Value::Address(IpNet::parse("10.0.0.0/8").unwrap())
        )
    );
    assert_eq!(
        parse("source.ip:2001:db8::/32").unwrap(),
        col(
            Column::SourceIp,
            Value::Address(IpNet::parse("2001:db8::/32").unwrap())
        )
    );
    assert_eq!(
        parse("flags:truncated").unwrap(),
        col(Column::Flags, Value::Flag(EventFlag::Truncated))
    );
    assert_eq!(
        parse("event_action:(ssh_login OR sudo)").unwrap(),
        Expr::Or(vec![
            col(Column::EventAction, text("ssh_login")),
            col(Column::EventAction, text("sudo")),
        ])
    );
}

#[test]
fn comparisons_and_ranges() {
    let range = |lower: Option<(Scalar, bool)>, upper: Option<(Scalar, bool)>| {
        Value::Range(Range {
            lower: lower.map(|(value, inclusive)| Bound { value, inclusive }),
            upper: upper.map(|(value, inclusive)| Bound { value, inclusive }),
        })
    };
    let n = Scalar::Number;
    assert_eq!(
        parse("source_port:>1024").unwrap(),
        col(Column::SourcePort, range(Some((n(1024.0), false)), None))
    );
    assert_eq!(
        parse("status:[400 TO 499]").unwrap(),
        m(
            Field::Json("http.response.status_code".into()),
            range(Some((n(400.0), true)), Some((n(499.0), true)))
        )
    );
    assert_eq!(
        parse("pid:{1 TO *]").unwrap(),
        col(Column::Pid, range(Some((n(1.0), false)), None))
    );
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    assert_eq!(
        parse("timestamp:>=2026-05-01T00:00:00Z").unwrap(),
        col(
            Column::Timestamp,
            range(Some((Scalar::Time(t), true)), None)
        )
    );
    let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    assert_eq!(
        parse("@timestamp:2026-05-01").unwrap(),
        col(Column::Timestamp, Value::Equals(Scalar::Day(day)))
    );
    assert_eq!(
        parse("pid:42").unwrap(),
        col(Column::Pid, Value::Equals(n(42.0)))
    );
}

#[test]
fn errors_name_the_position() {
    let e = err("(host:a OR b");
    assert_eq!((e.position, e.message.as_str()), (0, "unclosed '('"));
    let e = err("host:a OR b)");
    assert_eq!((e.position, e.message.as_str()), (11, "unbalanced ')'"));
    assert_eq!(err("hots:a").position, 0);
    assert!(err("hots:a").message.contains("unknown field"));
    assert_eq!(err("a AND nosuch:1").position, 6);
    assert_eq!(err("é nosuch:1").position, 2, "characters, not bytes");
    assert_eq!(err("source_port:high").position, 12);
    assert_eq!(err("source_ip:10.0.0.0/33").position, 10);
    assert_eq!(err("host:").position, 5);
    assert_eq!(err("a AND").position, 5);
    assert_eq!(err("OR a").position, 0);
    assert_eq!(err(r#"a "unclosed"#).position, 2);
    assert_eq!(err("pid:[1 TO 2").position, 10);
    assert_eq!(err("pid:[1 2]").position, 7);
    assert_eq!(err("host:>3").position, 6);
    assert_eq!(err("pid:1*").position, 4);
    assert_eq!(err("timestamp:yesterday").position, 10);
    assert_eq!(err("   ").message, "the query is empty");
    assert_eq!(err("a\\").position, 1);
    assert_eq!(err("(a").to_string(), "unclosed '(' at 0");
}

#[test]
fn hostile_input_is_refused_with_a_clear_error() {
    let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    let e = err(&deep);
    assert!(e.message.contains("nesting deeper than 32"), "{e}");
    let nots = format!("{}a", "NOT ".repeat(40));
    assert!(err(&nots).message.contains("nesting"));
    let long = "a ".repeat(MAX_QUERY_BYTES);
    assert!(err(&long).message.contains("longer than"));
    assert!(parse(&format!("{}a{}", "(".repeat(31), ")".repeat(31))).is_ok());
}

#[test]
fn printing_is_canonical() {
    for (q, printed) in [
        ("a b", r#""a" AND "b""#),
        (
            "user.name:alice OR NOT (x y)",
            r#"user_name:"alice" OR NOT ("x" AND "y")"#,
        ),
        (
            "status:[400 TO 499]",
            "fields.http.response.status_code:[400 TO 499]",
        ),
        ("pid:{1 TO 5]", "pid:{1 TO 5]"),
        ("pid:<=5", "pid:<=5"),
        ("source_ip:10.9.0.0/8", "source_ip:10.0.0.0/8"),
        (
            "timestamp:>2026-05-01T02:00:00+02:00",
            "timestamp:>2026-05-01T00:00:00Z",
        ),
        (r#"fail* "x\"y""#, r#"fail* AND "x\"y""#),
        (r"host:a\ b*", r"host:a\ b*"),
        ("(a OR b) (c OR d)", r#"("a" OR "b") AND ("c" OR "d")"#),
    ] {
        assert_eq!(parse(q).unwrap().to_string(), printed, "{q}");
    }
}

fn event() -> Event {
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    Event {
        id: 1,
        timestamp: t,
        received_at: t,
        host: Some("Web-1".into()),
        source_ip: Some("10.1.2.3".into()),
        source_port: Some(50022),
        destination_ip: Some("2001:db8:ff12::1".into()),
        destination_port: Some(22),
        user_name: Some("Émile ".into()),
        event_category: None,
        event_action: Some("ssh_login".into()),
        event_outcome: Some("failure".into()),
        level: Some("warning".into()),
        process: Some("sshd".into()),
        pid: Some(4242),
        message: "Failed password for émile from 10.1.2.3".into(),
        raw: "raw line".into(),
        parser: "sshd".into(),
        source: "api".into(),
        flags: EventFlag::Truncated.bit(),
        flag_names: vec![EventFlag::Truncated],
        repeat_count: 1,
        fields: json!({
            "http.response.status_code": 404,
            "user_agent.original": "sqlmap/1.7",
            "code": "0042",
            "debug": true,
            "nothing": null,
            "empty": "",
        })
        .as_object()
        .unwrap()
        .clone(),
    }
}

#[test]
fn the_evaluator_follows_the_documented_semantics() {
    let ev = event();
    let yes = |q: &str| assert!(Matcher::new(&parse(q).unwrap()).matches(&ev), "{q}");
    let no = |q: &str| assert!(!Matcher::new(&parse(q).unwrap()).matches(&ev), "{q}");
    yes("FAILED password");
    yes("\"failed PASSWORD\"");
    no("\"password failed\"");
    yes("message:*password*");
    yes("message:pass*for");
    no("ÉMILE");
    yes("host:web-1");
    no("host:web");
    yes("host:WEB-*");
    no("user_name:\"Émile\"");
    yes("user_name:\"Émile \"");
    no("user_name:\"émile \"");
    yes("source_ip:10.0.0.0/8");
    no("source_ip:10.0.0.0/16");
    yes("destination_ip:2001:db8:ff00::/40");
    no("destination_ip:2001:db8:fe00::/40");
    yes("source_ip:10.1.*");
    yes("source_port:>1024 AND destination_port:[1 TO 1023]");
    no("destination_port:{22 TO 23]");
    yes("status:404 status:[400 TO 499]");
    yes("status:\"404\"");
    no("status:4*");
    yes("fields.code:>=42");
    yes("fields.code:0042");
    no("fields.code:42");
    yes("fields.debug:TRUE");
    yes("fields.user_agent.original:*SQLMAP*");
    yes("fields.empty:*");
    yes("fields.empty:\"\"");
    no("fields.nothing:*");
    no("fields.missing:*");
    yes("NOT fields.missing:x");
    yes("NOT event_category:authentication");
    no("event_category:*");
    yes("flags:truncated NOT flags:parse_error");
    yes("timestamp:2026-05-01 timestamp:>=2026-05-01T10:00:00Z");
    no("timestamp:>2026-05-01");
    yes("timestamp:<=2026-05-01");
    no("timestamp:<2026-05-01");
    yes("timestamp:[2026-04-30 TO 2026-05-01]");
}

/// Fragments that random queries are assembled from: valid pieces, broken pieces and keywords.
const FRAGMENTS: &[&str] = &[
    "a",
    "Fail*",
    "*",
    "host:",
    "web-1",
    "\"x y\"",
    "\"",
    "\\",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "source_ip:",
    "10.0.0.0/8",
    "2001:db8::/32",
    "pid:",
    ">",
    ">=",
    "<",
    "[1 TO 5]",
    "{* TO 3}",
    "TO",
    "[",
    "]",
    "status:",
    "fields.a.b:",
    "timestamp:",
    "2026-05-01",
    "2026-05-01T00:00:00Z",
    "flags:",
    "truncated",
    "é",
    ":",
    "-1.5",
    "user.name:",
    "x\\ y",
    "nosuch:",
    "message:",
];

fn fragment_query() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(FRAGMENTS), prop::bool::ANY), 1..12).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(f, space)| {
                    if space {
                        format!("{f} ")
                    } else {
                        f.to_string()
                    }
                })
                .collect()
        },
    )
}

/// `expr` as the parser builds it: an AND directly inside an AND (an OR inside an OR) merged.
fn flatten(expr: Expr) -> Expr {
    let merge = |parts: Vec<Expr>, and: bool| {
        let mut out = Vec::new();
        for part in parts.into_iter().map(flatten) {
            match part {
                Expr::And(inner) if and => out.extend(inner),
                Expr::Or(inner) if !and => out.extend(inner),
                other => out.push(other),
            }
        }
        out
    };
    match expr {
        Expr::And(parts) => Expr::And(merge(parts, true)),
        Expr::Or(parts) => Expr::Or(merge(parts, false)),
        Expr::Not(inner) => Expr::Not(Box::new(flatten(*inner))),
        leaf => leaf,
    }
}

/// Random trees of every kind of test, with text full of characters that need escaping.
fn arbitrary_expr() -> impl Strategy<Value = Expr> {
    let text = "[a-zA-Zé0-9 \\\\\"()*:<>\\[\\]{}\t-]{0,6}";
    let pattern = prop::collection::vec(prop::option::of(text), 1..4).prop_map(|parts| {
        // A wildcard and a literal at least: `*` alone means "present".
        let mut pieces = vec![Piece::Any, Piece::Literal("x".into())];
        for p in parts {
            pieces.push(match p {
                Some(s) => Piece::Literal(if s.is_empty() { "x".into() } else { s }),
                None => Piece::Any,
            });
        }
        Pattern::new(pieces)
    });
    let number = (-999_999i64..999_999, 0u32..3).prop_map(|(n, d)| n as f64 / 10f64.powi(d as i32));
    let bound = (number.clone(), any::<bool>()).prop_map(|(n, inclusive)| Bound {
        value: Scalar::Number(n),
        inclusive,
    });
    let range = (prop::option::of(bound.clone()), prop::option::of(bound))
        .prop_filter("a bound", |(l, u)| l.is_some() || u.is_some())
        .prop_map(|(lower, upper)| Value::Range(Range { lower, upper }));
    let instant = (0i64..4_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| Scalar::Time(Utc.timestamp_opt(s, ns).unwrap()));
    let text_column = prop::sample::select(
        &[
            Column::Host,
            Column::Message,
            Column::Raw,
            Column::UserName,
            Column::Source,
        ][..],
    );
    let leaf = prop_oneof![
        (text_column.clone(), text).prop_map(|(c, s)| col(c, Value::Text(s))),
        (text_column, pattern.clone()).prop_map(|(c, p)| col(c, Value::Pattern(p))),
        ("[a-z_.@-]{1,8}", pattern).prop_map(|(k, p)| m(Field::Json(k), Value::Pattern(p))),
        ("[a-z_.@-]{1,8}", range.clone()).prop_map(|(k, r)| m(Field::Json(k), r)),
        range.prop_map(|r| col(Column::Pid, r)),
        number.prop_map(|n| col(Column::SourcePort, Value::Equals(Scalar::Number(n)))),
        instant.prop_map(|t| col(Column::Timestamp, Value::Equals(t))),
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| {
            let net = IpNet::parse(&format!("{}/{p}", std::net::Ipv4Addr::from(a))).unwrap();
            col(Column::SourceIp, Value::Address(net))
        }),
        (any::<u128>(), 0u8..=128).prop_map(|(a, p)| {
            let net = IpNet::parse(&format!("{}/{p}", std::net::Ipv6Addr::from(a))).unwrap();
            col(Column::DestinationIp, Value::Address(net))
        }),
        prop::sample::select(&EventFlag::ALL[..]).prop_map(|f| col(Column::Flags, Value::Flag(f))),
        Just(col(Column::Level, Value::Present)),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back_the_same(expr in arbitrary_expr()) {
        let printed = expr.to_string();
        prop_assert_eq!(parse(&printed), Ok(flatten(expr)), "{}", printed);
    }

    #[test]
    fn arbitrary_input_never_panics(q in ".{0,200}") {
        if let Err(e) = parse(&q) {
            prop_assert!(e.position <= q.chars().count());
        }
    }

    #[test]
    fn printed_queries_parse_back_the_same(q in fragment_query()) {
        if let Ok(expr) = parse(&q) {
            let printed = expr.to_string();
            let again = parse(&printed);
            prop_assert_eq!(again.as_ref(), Ok(&expr), "{} printed as {}", q, printed);
        }
    }
}
