//! The canonical text of a query: explicit `AND`, canonical field names, quoted text. Parsing
//! the printed text gives back the same [`Expr`].

use std::fmt::{self, Display, Formatter, Write};

use chrono::SecondsFormat;

use super::ast::{Bound, Expr, Match, Pattern, Piece, Range, Scalar, Value};
use super::fields::{Column, Field};

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(parts) => join(f, parts, " OR ", |e| matches!(e, Expr::Or(_))),
            Expr::And(parts) => join(f, parts, " AND ", |e| {
                matches!(e, Expr::Or(_) | Expr::And(_))
            }),
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                parenthesized(f, inner, matches!(**inner, Expr::And(_) | Expr::Or(_)))
            }
            Expr::Match(m) => m.fmt(f),
        }
    }
}

fn join(
    f: &mut Formatter<'_>,
    parts: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        parenthesized(f, part, needs_parens(part))?;
    }
    Ok(())
}

fn parenthesized(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for Match {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // Text searches of the message print as bare words and phrases.
        let bare = self.field == Field::Column(Column::Message)
            && matches!(self.value, Value::Text(_) | Value::Pattern(_));
        if !bare {
            write!(f, "{}:", self.field.name())?;
        }
        match &self.value {
            Value::Present => f.write_char('*'),
            Value::Text(s) => quoted(f, s),
            Value::Pattern(p) => pattern(f, p),
            Value::Address(net) => write!(f, "{net}"),
            Value::Flag(flag) => f.write_str(flag.as_str()),
            Value::Equals(s) => scalar(f, s),
            Value::Range(r) => range(f, r),
        }
    }
}

fn quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// A wildcard pattern as a word, every character with a meaning of its own escaped. (A pattern
/// always holds a `*`, so it never reads as a keyword.)
fn pattern(f: &mut Formatter<'_>, p: &Pattern) -> fmt::Result {
    for piece in p.pieces() {
        match piece {
            Piece::Any => f.write_char('*')?,
            Piece::Literal(s) => {
                for c in s.chars() {
                    let special = c.is_whitespace()
                        || matches!(
                            c,
                            '\\' | '"' | '(' | ')' | '*' | '[' | ']' | '{' | '}' | '<' | '>' | ':'
                        );
                    if special {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
            }
        }
    }
    Ok(())
}

fn scalar(f: &mut Formatter<'_>, s: &Scalar) -> fmt::Result {
    match s {
        Scalar::Number(n) => write!(f, "{n}"),
        Scalar::Time(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Scalar::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
    }
}

fn range(f: &mut Formatter<'_>, r: &Range) -> fmt::Result {
    let side = |f: &mut Formatter<'_>, b: &Option<Bound>| match b {
        Some(b) => scalar(f, &b.value),
        None => f.write_char('*'),
    };
    match (&r.lower, &r.upper) {
        (Some(lo), None) => {
            f.write_str(if lo.inclusive { ">=" } else { ">" })?;
            scalar(f, &lo.value)
        }
        (None, Some(hi)) => {
            f.write_str(if hi.inclusive { "<=" } else { "<" })?;
            scalar(f, &hi.value)
        }
        _ => {
            let open = r.lower.as_ref().is_none_or(|b| b.inclusive);
            let close = r.upper.as_ref().is_none_or(|b| b.inclusive);
            f.write_char(if open { '[' } else { '{' })?;
            side(f, &r.lower)?;
            f.write_str(" TO ")?;
            side(f, &r.upper)?;
            f.write_char(if close { ']' } else { '}' })
        }
    }
}
