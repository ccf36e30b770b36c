//! The in-memory back end: a query compiled once into a [`Matcher`] that tests events through
//! the small [`EventFields`] trait.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::ast::{Expr, Match, Range, Scalar, TimeBound, Value, day_bounds};
use super::fields::{Column, Field, Kind};
use super::ip::IpNet;
use super::text::{self, Glob};
use super::value::{integer_text, number};
use crate::model::events::Event;

/// Read access to an event's values, by column and by `fields` key.
pub trait EventFields {
    /// Text, free text and address columns; `None` when the column is NULL.
    fn text(&self, column: Column) -> Option<&str>;
    /// Integer columns and `flags`.
    fn integer(&self, column: Column) -> Option<i64>;
    /// `timestamp` and `received_at`.
    fn time(&self, column: Column) -> Option<DateTime<Utc>>;
    /// A key of the JSON `fields` map.
    fn json(&self, key: &str) -> Option<&Json>;
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Matcher {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `message:*` and other tests that hold for every event.
    Always,
    Present(Column),
    Equals(Column, String),
    Contains(Column, String),
    Like(Column, Glob),
    Address(Column, IpNet),
    Numbers(Column, Numbers),
    Flag(u32),
    Times(Column, Option<TimeBound>, Option<TimeBound>),
    Json(String, JsonTest),
}

#[derive(Debug, Clone)]
enum JsonTest {
    Present,
    /// A string equal to the text, a number equal to it, or a boolean spelled like it.
    Text {
        text: String,
        number: Option<f64>,
        boolean: Option<bool>,
    },
    Like(Glob),
    /// A number, or a string holding an integer, within the bounds.
    Numbers(Numbers),
}

/// Numeric bounds, each `(value, inclusive)`.
#[derive(Debug, Clone, Copy)]
struct Numbers {
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
}

impl Numbers {
    fn equal(n: f64) -> Self {
        Self {
            lower: Some((n, true)),
            upper: Some((n, true)),
        }
    }

    fn of(range: &Range) -> Self {
        let (lower, upper) = range.number_bounds();
        Self { lower, upper }
    }

    fn contains(&self, n: f64) -> bool {
        self.lower
            .is_none_or(|(b, inclusive)| if inclusive { n >= b } else { n > b })
            && self
                .upper
                .is_none_or(|(b, inclusive)| if inclusive { n <= b } else { n < b })
    }
}

impl Matcher {
    pub fn new(expr: &Expr) -> Self {
        Self {
            root: compile(expr),
        }
    }

    pub fn matches(&self, event: &impl EventFields) -> bool {
        eval(&self.root, event)
    }
}

fn compile(expr: &Expr) -> Node {
    match expr {
        Expr::And(parts) => Node::And(parts.iter().map(compile).collect()),
        Expr::Or(parts) => Node::Or(parts.iter().map(compile).collect()),
        Expr::Not(inner) => Node::Not(Box::new(compile(inner))),
        Expr::Match(Match {
            field: Field::Json(key),
            value,
        }) => Node::Json(key.clone(), json_test(value)),
        Expr::Match(Match {
            field: Field::Column(c),
            value,
        }) => column_test(*c, value),
    }
}

fn column_test(c: Column, value: &Value) -> Node {
    let long = c.kind() == Kind::LongText;
    match value {
        Value::Present if c.nullable() => Node::Present(c),
        Value::Present => Node::Always,
        Value::Text(s) if long => Node::Contains(c, s.clone()),
        Value::Text(s) => Node::Equals(c, s.clone()),
        Value::Pattern(p) if long => Node::Like(c, Glob::new(p).unanchored()),
        Value::Pattern(p) => Node::Like(c, Glob::new(p)),
        Value::Address(net) => Node::Address(c, *net),
        Value::Flag(flag) => Node::Flag(flag.bit()),
        Value::Equals(Scalar::Number(n)) => Node::Numbers(c, Numbers::equal(*n)),
        Value::Equals(Scalar::Time(t)) => {
            let at = TimeBound {
                at: *t,
                inclusive: true,
            };
            Node::Times(c, Some(at), Some(at))
        }
        Value::Equals(Scalar::Day(d)) => {
            let (start, end) = day_bounds(*d);
            Node::Times(
                c,
                Some(TimeBound {
                    at: start,
                    inclusive: true,
                }),
                Some(TimeBound {
                    at: end,
                    inclusive: false,
                }),
            )
        }
        Value::Range(r) if c.kind() == Kind::Time => {
            let (lower, upper) = r.time_bounds();
            Node::Times(c, lower, upper)
        }
        Value::Range(r) => Node::Numbers(c, Numbers::of(r)),
    }
}

fn json_test(value: &Value) -> JsonTest {
    match value {
        Value::Text(s) => JsonTest::Text {
            text: s.clone(),
            number: number(s),
            boolean: ["true", "false"]
                .into_iter()
                .find(|b| b.eq_ignore_ascii_case(s))
                .map(|b| b == "true"),
        },
        Value::Pattern(p) => JsonTest::Like(Glob::new(p)),
        Value::Range(r) => JsonTest::Numbers(Numbers::of(r)),
        // The parser gives `fields.` keys nothing else.
        _ => JsonTest::Present,
    }
}

fn eval(node: &Node, ev: &impl EventFields) -> bool {
    match node {
        Node::And(parts) => parts.iter().all(|n| eval(n, ev)),
        Node::Or(parts) => parts.iter().any(|n| eval(n, ev)),
        Node::Not(inner) => !eval(inner, ev),
        Node::Always => true,
        Node::Present(c) => match c.kind() {
            Kind::Integer | Kind::Flags => ev.integer(*c).is_some(),
            Kind::Time => ev.time(*c).is_some(),
            _ => ev.text(*c).is_some(),
        },
        Node::Equals(c, s) => ev.text(*c).is_some_and(|v| text::equals(v, s)),
        Node::Contains(c, s) => ev.text(*c).is_some_and(|v| text::contains(v, s)),
        Node::Like(c, glob) => ev.text(*c).is_some_and(|v| glob.matches(v)),
        Node::Address(c, net) => ev.text(*c).is_some_and(|v| net.matches_text(v)),
        Node::Numbers(c, n) => ev.integer(*c).is_some_and(|v| n.contains(v as f64)),
        Node::Flag(bit) => ev
            .integer(Column::Flags)
            .is_some_and(|v| v & i64::from(*bit) != 0),
        Node::Times(c, lower, upper) => ev.time(*c).is_some_and(|t| {
            lower.is_none_or(|b| if b.inclusive { t >= b.at } else { t > b.at })
                && upper.is_none_or(|b| if b.inclusive { t <= b.at } else { t < b.at })
        }),
        Node::Json(key, test) => ev.json(key).is_some_and(|v| json_matches(test, v)),
    }
}

fn json_matches(test: &JsonTest, v: &Json) -> bool {
    match (test, v) {
        (JsonTest::Present, v) => !v.is_null(),
        (JsonTest::Text { text: t, .. }, Json::String(s)) => text::equals(s, t),
        (JsonTest::Text { number, .. }, Json::Number(n)) => {
            number.is_some_and(|x| n.as_f64() == Some(x))
        }
        (JsonTest::Text { boolean, .. }, Json::Bool(b)) => *boolean == Some(*b),
        (JsonTest::Like(glob), Json::String(s)) => glob.matches(s),
        (JsonTest::Numbers(range), Json::Number(n)) => {
            n.as_f64().is_some_and(|x| range.contains(x))
        }
        (JsonTest::Numbers(range), Json::String(s)) => {
            integer_text(s).is_some_and(|x| range.contains(x))
        }
        _ => false,
    }
}

impl EventFields for Event {
    fn text(&self, column: Column) -> Option<&str> {
        match column {
            Column::Host => self.host.as_deref(),
            Column::SourceIp => self.source_ip.as_deref(),
            Column::DestinationIp => self.destination_ip.as_deref(),
            Column::UserName => self.user_name.as_deref(),
            Column::EventCategory => self.event_category.as_deref(),
            Column::EventAction => self.event_action.as_deref(),
            Column::EventOutcome => self.event_outcome.as_deref(),
            Column::Level => self.level.as_deref(),
            Column::Process => self.process.as_deref(),
            Column::Message => Some(&self.message),
            Column::Raw => Some(&self.raw),
            Column::Parser => Some(&self.parser),
            Column::Source => Some(&self.source),
            _ => None,
        }
    }

    fn integer(&self, column: Column) -> Option<i64> {
        match column {
            Column::SourcePort => self.source_port.map(i64::from),
            Column::DestinationPort => self.destination_port.map(i64::from),
            Column::Pid => self.pid,
            Column::Flags => Some(i64::from(self.flags)),
            Column::RepeatCount => Some(i64::from(self.repeat_count)),
            _ => None,
        }
    }

    fn time(&self, column: Column) -> Option<DateTime<Utc>> {
        match column {
            Column::Timestamp => Some(self.timestamp),
            Column::ReceivedAt => Some(self.received_at),
            _ => None,
        }
    }

    fn json(&self, key: &str) -> Option<&Json> {
        self.fields.get(key)
    }
}
