//! The parsed form of a query. Values are already checked against their field's kind, so both
//! back ends only ever see tests that make sense.

use chrono::{DateTime, NaiveDate, Utc};

use super::fields::Field;
use super::ip::IpNet;
use crate::model::events::EventFlag;

/// A query: tests on fields combined with AND, OR and NOT.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every part holds (at least two parts; never directly inside another `And`).
    And(Vec<Expr>),
    /// Some part holds (at least two parts; never directly inside another `Or`).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Match(Match),
}

/// One test on one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub field: Field,
    pub value: Value,
}

/// What a field is tested for.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `field:*`: the field has a value (not NULL, not a missing or JSON `null` key).
    Present,
    /// Text compared whole (contained, for `message` and `raw`), ASCII letters ignoring case.
    /// On a `fields.` key it also matches a JSON number equal to it and a JSON boolean spelled
    /// the same.
    Text(String),
    /// Text with `*` wildcards, matched against the whole value (anywhere in `message` and
    /// `raw`); always holds at least one wildcard and one literal character.
    Pattern(Pattern),
    /// An address or a CIDR block, on `source_ip` and `destination_ip`.
    Address(IpNet),
    /// A flag that is set, on `flags`.
    Flag(EventFlag),
    /// Equal to a number or an instant, or within a day.
    Equals(Scalar),
    /// Within bounds: `>x`, `<=x`, `[a TO b]`, `{a TO *]`…
    Range(Range),
}

/// A number, an instant, or a whole day (UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Number(f64),
    Time(DateTime<Utc>),
    Day(NaiveDate),
}

/// Bounds of a range; at least one is present.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: Scalar,
    pub inclusive: bool,
}

/// A wildcard pattern: literal runs separated by `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Any,
}

impl Pattern {
    /// Normalises `pieces`: adjacent literals merge and runs of `*` collapse to one.
    pub fn new(pieces: impl IntoIterator<Item = Piece>) -> Self {
        let mut out: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (out.last_mut(), piece) {
                (_, Piece::Literal(s)) if s.is_empty() => {}
                (Some(Piece::Literal(last)), Piece::Literal(s)) => last.push_str(&s),
                (Some(Piece::Any), Piece::Any) => {}
                (_, piece) => out.push(piece),
            }
        }
        Self { pieces: out }
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    pub fn has_wildcard(&self) -> bool {
        self.pieces.contains(&Piece::Any)
    }

    pub fn has_literal(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Literal(_)))
    }

    /// The text of a pattern without wildcards.
    pub fn literal(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.as_str(),
                Piece::Any => "",
            })
            .collect()
    }
}

/// A day as the instants `[start, end)`.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    (start, start + chrono::Duration::days(1))
}

impl Range {
    /// The range as instants, a day standing for all of it: `>=d` is from its start, `>d` from
    /// its end, `<=d` up to its end, `<d` up to its start.
    pub fn time_bounds(&self) -> (Option<TimeBound>, Option<TimeBound>) {
        let lower = self.lower.and_then(|b| match b.value {
            Scalar::Time(t) => Some(TimeBound {
                at: t,
                inclusive: b.inclusive,
            }),
            Scalar::Day(d) => {
                let (start, end) = day_bounds(d);
                Some(TimeBound {
                    at: if b.inclusive { start } else { end },
                    inclusive: true,
                })
            }
            Scalar::Number(_) => None,
        });
        let upper = self.upper.and_then(|b| match b.value {
            Scalar::Time(t) => Some(TimeBound {
                at: t,
                inclusive: b.inclusive,
            }),
            Scalar::Day(d) => {
                let (start, end) = day_bounds(d);
                Some(TimeBound {
                    at: if b.inclusive { end } else { start },
                    inclusive: false,
                })
            }
            Scalar::Number(_) => None,
        });
        (lower, upper)
    }

    /// The range as numbers.
    pub fn number_bounds(&self) -> (Option<NumberBound>, Option<NumberBound>) {
        let num = |b: Option<Bound>| match b {
            Some(Bound {
                value: Scalar::Number(n),
                inclusive,
            }) => Some((n, inclusive)),
            _ => None,
        };
        (num(self.lower), num(self.upper))
    }
}

/// One end of a numeric range: the value and whether it is included.
pub type NumberBound = (f64, bool);

/// One end of a range of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    pub at: DateTime<Utc>,
    pub inclusive: bool,
}
