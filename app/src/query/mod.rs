//! Vigil's query language, defined once for detection rules, event searches, backtests and the
//! events browser: `field:value`, phrases, bare words, `AND`/`OR`/`NOT`, wildcards, CIDR
//! blocks, comparisons and ranges (the README's "Query language" section is the reference).
//!
//! [`parse`] turns text into an [`Expr`]; its `Display` prints the canonical text, which parses
//! back to the same `Expr`. [`Matcher`] evaluates an `Expr` in memory; the server compiles the
//! same `Expr` to SQL with exactly the same meaning.

mod ast;
mod eval;
mod fields;
mod ip;
mod parse;
mod print;
mod text;
mod value;

#[cfg(test)]
mod tests;

pub use ast::{
    Bound, Expr, Match, NumberBound, Pattern, Piece, Range, Scalar, TimeBound, Value, day_bounds,
};
pub use eval::{EventFields, Matcher};
pub use fields::{Column, Field, JSON_PREFIX, Kind};
pub use ip::{IpNet, mask32, mask128};
pub use parse::parse;
pub use value::{integer_text, number, time};

/// The longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
/// How deeply parentheses and `NOT` may nest.
pub const MAX_DEPTH: usize = 32;

/// Why a query was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {position}")]
pub struct QueryError {
    /// Characters (not bytes) before the offending spot, counted from 0.
    pub position: usize,
    pub message: String,
}

impl QueryError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}
