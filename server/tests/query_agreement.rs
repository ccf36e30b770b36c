//! The query language's two back ends agree: random events (mixed case, non-ASCII, trailing
//! spaces, empty strings, NULLs, numbers as text, IPv4 and IPv6, JSON keys present and absent)
//! are stored, random queries select them in SQL and in memory, and both select the same ids,
//! on SQLite and on MariaDB.

use crate::common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value as Json, json};

use app::model::events::{Event, EventFlag};
use app::query::{
    Bound, Column, Expr, Field, IpNet, Match, Matcher, Pattern, Piece, Range, Scalar, Value,
};
use server::ingest::row::{EventRow, insert_statements};
use server::store::bronze_event_data::{Column as Col, Entity};
use server::store::event_query;

use common::TestDb;

backend_suite!(sql_and_memory_select_the_same_events);

/// Rounds of fresh events, and random queries per round.
const ROUNDS: usize = 2;
const EVENTS: usize = 80;
const QUERIES: u32 = 300;

const TEXTS: &[&str] = &[
    "alice",
    "Alice",
    "ALICE",
    "alice ",
    " alice",
    "",
    "Émile",
    "émile",
    "ÉMILE",
    "straße",
    "STRASSE",
    "web-1",
    "WEB-1",
    "web-10",
    "100%",
    "a_b",
    "a!b",
    "O'Brien",
    "x\"y",
    r"back\slash",
    "42",
    "0042",
    "-7",
    "3.5",
    "true",
    "TRUE",
    "ünïcödé ✓",
    "tab\there",
    "日本語",
    "ss",
    "ß",
    "login failed",
    "Login FAILED for bob",
];

const IPS: &[&str] = &[
    "10.0.0.1",
    "10.1.2.3",
    "10.15.255.255",
    "10.16.0.0",
    "100.1.2.3",
    "192.168.1.130",
    "8.8.8.8",
    "0.0.0.0",
    "255.255.255.255",
    "::",
    "::1",
    "2001:db8::1",
    "2001:db8:ff12::1",
    "2001:db8:fe00::1",
    "2001:db8:0:1::5",
    "2001:db8::1:0:0:5",
    "fe80::1",
    "febf:1::",
    "fec0::1",
    "1::",
    "1:0:0:5:6::",
    "ff::1",
    "100::1",
];

const BLOCKS: &[&str] = &[
    "10.0.0.0/8",
    "10.0.0.0/12",
    "10.1.2.3",
    "192.168.1.128/30",
    "0.0.0.0/0",
    "100.0.0.0/7",
    "::/0",
    "::1",
    "2001:db8::/32",
    "2001:db8:ff00::/40",
    "2001:db8:0:1::/64",
    "fe80::/10",
    "::/8",
    "1::/16",
    "1:0:0:5::/64",
    "2001:db8::/127",
];

const KEYS: &[&str] = &[
    "status",
    "Status",
    "http.response.status_code",
    "a-b",
    "user_agent.original",
    "x@y",
];

const NUMBERS: &[f64] = &[
    -7.0, 0.0, 1.0, 3.5, 22.0, 42.0, 404.0, 499.0, 1024.0, 65535.0,
];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn text() -> impl Strategy<Value = String> + Clone {
    prop::sample::select(TEXTS).prop_map(str::to_string)
}

/// Canonical address text, as the pipeline stores it: listed ones and random zero-heavy IPv6.
fn ip() -> impl Strategy<Value = String> {
    let group = prop_oneof![3 => Just(0u16), 1 => Just(1u16), 1 => any::<u16>()];
    prop_oneof![
        3 => prop::sample::select(IPS).prop_map(str::to_string),
        1 => prop::array::uniform8(group).prop_map(|g| IpAddr::V6(Ipv6Addr::from(g)).to_canonical().to_string()),
    ]
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> + Clone {
    (
        -2i64 * 86_400..2 * 86_400,
        prop::sample::select(&[0i64, 250_000, 999_999][..]),
    )
        .prop_map(|(s, us)| {
            base() + Duration::seconds(s / 3_600 * 3_600) + Duration::microseconds(us)
        })
}

fn json_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => text().prop_map(Json::from),
        2 => prop::sample::select(&[-7i64, 0, 42, 404, 499, 500][..]).prop_map(Json::from),
        1 => prop::sample::select(&[3.5, -0.25, 404.0][..]).prop_map(Json::from),
        1 => any::<bool>().prop_map(Json::from),
        1 => Just(Json::Null),
        1 => Just(json!([1, "a"])),
        1 => Just(json!({"a": 1})),
    ]
}

fn event() -> impl Strategy<Value = EventRow> {
    let opt_text = || prop::option::weighted(0.75, text());
    // `level` and `event_outcome` hold 16 characters.
    let short = || {
        prop::option::weighted(
            0.75,
            text().prop_filter("fits", |t| t.chars().count() <= 16),
        )
    };
    let port = || {
        prop::option::of(prop::sample::select(
            &[0, 22, 80, 443, 1023, 1024, 65535][..],
        ))
    };
    (
        (
            instant(),
            instant(),
            opt_text(),
            prop::option::of(ip()),
            port(),
        ),
        (
            prop::option::of(ip()),
            port(),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        (
            short(),
            short(),
            opt_text(),
            prop::option::of(prop::sample::select(&[1i64, 42, 4242][..])),
        ),
        (
            text(),
            text(),
            text(),
            prop::sample::select(&["raw", "sshd", "json"][..]),
        ),
        (
            prop::sample::select(&["api", "Vigil", "vigil ", "émile"][..]),
            0u32..32,
            prop::sample::select(&[1u32, 2, 100][..]),
        ),
        prop::collection::btree_map(prop::sample::select(KEYS), json_value(), 0..4),
    )
        .prop_map(|(a, b, c, d, e, fields)| EventRow {
            timestamp: a.0,
            received_at: a.1,
            host: a.2,
            source_ip: a.3,
            source_port: a.4,
            destination_ip: b.0,
            destination_port: b.1,
            user_name: b.2,
            event_category: b.3,
            event_action: b.4,
            event_outcome: c.0,
            level: c.1,
            process: c.2,
            pid: c.3,
            message: format!("{} {}", d.0, d.1),
            raw: d.2,
            parser: d.3,
            source: e.0.into(),
            flags: e.1,
            repeat_count: e.2,
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Map<_, _>>(),
        })
}

/// A pattern made from a text: `*` before, after, both, or in its middle.
fn pattern() -> impl Strategy<Value = Pattern> {
    (text(), 0..4usize).prop_map(|(t, how)| {
        let t = if t.is_empty() { "a".to_string() } else { t };
        let lit = |s: &str| Piece::Literal(s.to_string());
        let pieces = match how {
            0 => vec![lit(&t), Piece::Any],
            1 => vec![Piece::Any, lit(&t)],
            2 => vec![Piece::Any, lit(&t), Piece::Any],
            _ => {
                let mid = t
                    .char_indices()
                    .nth(t.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                let (a, b) = t.split_at(mid);
                let (a, b) = (
                    if a.is_empty() { "x" } else { a },
                    if b.is_empty() { "y" } else { b },
                );
                vec![lit(a), Piece::Any, lit(b)]
            }
        };
        Pattern::new(pieces)
    })
}

fn range(scalar: impl Strategy<Value = Scalar> + Clone) -> impl Strategy<Value = Value> {
    let bound = (scalar, any::<bool>()).prop_map(|(value, inclusive)| Bound { value, inclusive });
    (prop::option::of(bound.clone()), prop::option::of(bound))
        .prop_filter("a bound", |(l, u)| l.is_some() || u.is_some())
        .prop_map(|(lower, upper)| Value::Range(Range { lower, upper }))
}

fn number() -> impl Strategy<Value = Scalar> + Clone {
    prop::sample::select(NUMBERS).prop_map(Scalar::Number)
}

fn time_scalar() -> impl Strategy<Value = Scalar> + Clone {
    prop_oneof![
        instant().prop_map(Scalar::Time),
        (-2i64..=2).prop_map(|d| Scalar::Day(
            NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() + Duration::days(d)
        )),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let text_columns = prop::sample::select(
        &[
            Column::Host,
            Column::UserName,
            Column::EventCategory,
            Column::EventAction,
            Column::EventOutcome,
            Column::Level,
            Column::Process,
            Column::Parser,
            Column::Source,
            Column::Message,
            Column::Raw,
        ][..],
    );
    let text_value = prop_oneof![
        3 => text().prop_map(Value::Text),
        2 => pattern().prop_map(Value::Pattern),
        1 => Just(Value::Present),
    ];
    let address = prop_oneof![
        3 => prop::sample::select(BLOCKS).prop_map(|b| Value::Address(IpNet::parse(b).unwrap())),
        2 => (ip(), 0u8..=128).prop_map(|(ip, p)| {
            let max = if ip.contains(':') { 128 } else { 32 };
            Value::Address(IpNet::parse(&format!("{ip}/{}", p.min(max))).unwrap())
        }),
        1 => prop::sample::select(&["10.*", "2001:db8:*", "*::1", "*.1*"][..]).prop_map(|p| {
            Value::Pattern(Pattern::new(p.split_inclusive('*').flat_map(|s| match s.strip_suffix('*') {
                Some(lit) => vec![Piece::Literal(lit.into()), Piece::Any],
                None => vec![Piece::Literal(s.into())],
            })))
        }),
        1 => Just(Value::Present),
    ];
    let integer = prop_oneof![
        2 => number().prop_map(Value::Equals),
        3 => range(number()),
        1 => Just(Value::Present),
    ];
    let flags = prop_oneof![
        2 => prop::sample::select(&EventFlag::ALL[..]).prop_map(Value::Flag),
        1 => (0u32..32).prop_map(|n| Value::Equals(Scalar::Number(n.into()))),
        1 => range(number()),
    ];
    let time = prop_oneof![
        2 => time_scalar().prop_map(Value::Equals),
        3 => range(time_scalar()),
    ];
    let json_text = prop_oneof![
        3 => text().prop_map(Value::Text),
        2 => prop::sample::select(&["404", "404.0", "42", "-7", "3.5", "true", "False", "0"][..]).prop_map(|s| Value::Text(s.into())),
        2 => pattern().prop_map(Value::Pattern),
        3 => range(number()),
        1 => Just(Value::Present),
    ];
    let col = |c: Column, v: Value| {
        Expr::Match(Match {
            field: Field::Column(c),
            value: v,
        })
    };
    prop_oneof![
        4 => (text_columns, text_value).prop_map(move |(c, v)| col(c, v)),
        2 => (prop::sample::select(&[Column::SourceIp, Column::DestinationIp][..]), address).prop_map(move |(c, v)| col(c, v)),
        2 => (prop::sample::select(&[Column::SourcePort, Column::DestinationPort, Column::Pid, Column::RepeatCount][..]), integer).prop_map(move |(c, v)| col(c, v)),
        1 => flags.prop_map(move |v| col(Column::Flags, v)),
        2 => (prop::sample::select(&[Column::Timestamp, Column::ReceivedAt][..]), time).prop_map(move |(c, v)| col(c, v)),
        3 => (prop::sample::select([KEYS, &["missing"]].concat()), json_text).prop_map(|(k, v)| {
            Expr::Match(Match { field: Field::Json(k.to_string()), value: v })
        }),
    ]
}

fn query() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

async fn sql_and_memory_select_the_same_events(db: TestDb) {
    let conn = db.state.service().db().clone();
    let backend = conn.get_database_backend();
    let config = Config {
        cases: QUERIES,
        failure_persistence: None,
        ..Config::default()
    };
    for round in 0..ROUNDS {
        // A runner counts its cases: a fresh one per round.
        let mut runner = TestRunner::new(config.clone());
        conn.execute_unprepared("DELETE FROM bronze_event_data")
            .await
            .unwrap();
        let rows: Vec<EventRow> = (0..EVENTS)
            .map(|_| event().new_tree(&mut runner).unwrap().current())
            .collect();
        for stmt in insert_statements(backend, &rows, 1) {
            conn.execute_raw(stmt).await.unwrap();
        }
        let stored: Vec<Event> = Entity::find()
            .all(&conn)
            .await
            .unwrap()
            .into_iter()
            .map(Event::from)
            .collect();
        assert_eq!(stored.len(), EVENTS);

        let handle = tokio::runtime::Handle::current();
        // Queries that told events apart (selected some but not all).
        let selective = std::sync::atomic::AtomicU32::new(0);
        let result = runner.run(&query(), |generated| {
            // The query goes through its text, so the parser and printer are in the loop.
            let text = generated.to_string();
            let expr = app::query::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{text:?} does not parse: {e}")))?;
            prop_assert_eq!(app::query::parse(&expr.to_string()), Ok(expr.clone()));
            let matcher = Matcher::new(&expr);
            let in_memory: BTreeSet<i64> = stored
                .iter()
                .filter(|e| matcher.matches(*e))
                .map(|e| e.id)
                .collect();
            let by_row: BTreeSet<usize> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| matcher.matches(*r))
                .map(|(i, _)| i)
                .collect();
            let by_sql: BTreeSet<i64> = tokio::task::block_in_place(|| {
                handle.block_on(
                    Entity::find()
                        .select_only()
                        .column(Col::Id)
                        .filter(event_query::condition(&expr, backend))
                        .into_tuple::<i64>()
                        .all(&conn),
                )
            })
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?
            .into_iter()
            .collect();
            let differ: Vec<&Event> = stored
                .iter()
                .filter(|e| in_memory.contains(&e.id) != by_sql.contains(&e.id))
                .collect();
            prop_assert!(
                differ.is_empty(),
                "{} on {:?}: memory {:?}, SQL {:?}, differing events {:#?}",
                text,
                backend,
                in_memory,
                by_sql,
                differ
            );
            if !by_sql.is_empty() && by_sql.len() < stored.len() {
                selective.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            // Rows before storing and events read back answer alike (ids follow insert order).
            prop_assert_eq!(by_row.len(), in_memory.len(), "{}", text);
            Ok(())
        });
        if let Err(e) = result {
            panic!("round {round} on {backend:?}: {e}");
        }
        // Queries that select nothing or everything would prove little.
        let selective = selective.into_inner();
        eprintln!("round {round} on {backend:?}: {selective} of {QUERIES} queries were selective");
        assert!(
            selective >= QUERIES / 3,
            "only {selective} selective queries"
        );
    }
}
