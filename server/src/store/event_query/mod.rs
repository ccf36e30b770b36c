//! The SQL back end of the query language: an [`Expr`] compiled to a sea-query [`Condition`] on
//! `bronze_event_data`, meaning exactly what [`app::query::Matcher`] means on SQLite and on
//! MariaDB, so no row needs checking afterwards.
//!
//! How each rule of the language is kept on both databases:
//! - ASCII-only case folding: SQLite's `LIKE` folds ASCII letters and nothing else. MariaDB's
//!   collation (`utf8mb4_general_ci`) folds every letter and ignores trailing spaces in `=`, so
//!   there the value is compared under `utf8mb4_bin` after folding its ASCII capitals with
//!   `REPLACE`, with `LIKE` (which never pads). A plain `=`/`LIKE` under the column's own
//!   collation, which matches a superset, is added where an index can use it.
//! - NOT: every leaf is TRUE or FALSE, never NULL (a NULL column or a missing JSON key makes the
//!   leaf FALSE), so `NOT` selects exactly the rows the leaf does not.
//! - Every value is bound; column names come from Vigil's own list.

mod ip;
mod json;

use sea_orm::sea_query::{Condition, Expr as SqlExpr};
use sea_orm::{DbBackend, Value as SqlValue};

use app::query::{Column, Expr, Field, Kind, Match, Pattern, Piece, Scalar, TimeBound, Value};

use ip::IpPattern;

/// The condition selecting the events `expr` matches.
pub fn condition(expr: &Expr, backend: DbBackend) -> Condition {
    match expr {
        Expr::And(parts) => parts
            .iter()
            .fold(Condition::all(), |c, p| c.add(condition(p, backend))),
        Expr::Or(parts) => parts
            .iter()
            .fold(Condition::any(), |c, p| c.add(condition(p, backend))),
        Expr::Not(inner) => Condition::all().add(condition(inner, backend)).not(),
        Expr::Match(m) => {
            let sql = leaf(m, backend);
            Condition::all().add(SqlExpr::cust_with_values(sql.text, sql.values))
        }
    }
}

/// SQL text with `?` placeholders and the values bound to them.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub values: Vec<SqlValue>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: impl Into<SqlValue>) -> &mut Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }
}

fn quoted(column: Column, backend: DbBackend) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", column.name()),
        _ => format!("\"{}\"", column.name()),
    }
}

fn leaf(m: &Match, backend: DbBackend) -> Sql {
    let mut sql = Sql::default();
    match &m.field {
        Field::Json(key) => json::leaf(&mut sql, key, &m.value, backend),
        Field::Column(c) => {
            let col = quoted(*c, backend);
            // `col IS NOT NULL AND …` is FALSE, not NULL, for a NULL column.
            if c.nullable() {
                sql.push(&col).push(" IS NOT NULL");
                if m.value == Value::Present {
                    return sql;
                }
                sql.push(" AND ");
            }
            column_leaf(&mut sql, *c, &col, &m.value, backend);
        }
    }
    sql
}

/// Writes an expression (a column, or a JSON extraction with its bound path) where it is used;
/// writing rather than pasting keeps the bound values in the order of their placeholders.
pub(crate) type Emit<'a> = &'a dyn Fn(&mut Sql);

fn column_leaf(sql: &mut Sql, c: Column, col: &str, value: &Value, backend: DbBackend) {
    let long = c.kind() == Kind::LongText;
    let expr = |sql: &mut Sql| {
        sql.push(col);
    };
    match value {
        Value::Present => {
            sql.push("1 = 1");
        }
        Value::Text(s) if long => like(sql, &expr, &contains_pattern(s), false, backend),
        Value::Text(s) => equals(sql, &expr, s, backend),
        Value::Pattern(p) if long => {
            let pieces = [Piece::Any]
                .into_iter()
                .chain(p.pieces().iter().cloned())
                .chain([Piece::Any]);
            like(sql, &expr, &Pattern::new(pieces), false, backend)
        }
        Value::Pattern(p) => like(sql, &expr, p, true, backend),
        Value::Address(net) => address(sql, col, &ip::patterns(net), backend),
        Value::Flag(flag) => {
            sql.push("(")
                .push(col)
                .push(" & ")
                .bind(i64::from(flag.bit()))
                .push(") <> 0");
        }
        Value::Equals(Scalar::Number(n)) => numbers(sql, &expr, Some((*n, true)), Some((*n, true))),
        Value::Equals(Scalar::Time(t)) => {
            sql.push(col).push(" = ").bind(*t);
        }
        Value::Equals(Scalar::Day(d)) => {
            let (start, end) = app::query::day_bounds(*d);
            let lower = TimeBound {
                at: start,
                inclusive: true,
            };
            let upper = TimeBound {
                at: end,
                inclusive: false,
            };
            times(sql, col, Some(lower), Some(upper));
        }
        Value::Range(r) if c.kind() == Kind::Time => {
            let (lower, upper) = r.time_bounds();
            times(sql, col, lower, upper);
        }
        Value::Range(r) => {
            let (lower, upper) = r.number_bounds();
            numbers(sql, &expr, lower, upper);
        }
    }
}

/// `col >= ? AND col < ?`, each bound present.
fn times(sql: &mut Sql, col: &str, lower: Option<TimeBound>, upper: Option<TimeBound>) {
    let mut first = true;
    for (bound, strict, loose) in [(lower, " > ", " >= "), (upper, " < ", " <= ")] {
        if let Some(b) = bound {
            if !first {
                sql.push(" AND ");
            }
            first = false;
            sql.push(col)
                .push(if b.inclusive { loose } else { strict })
                .bind(b.at);
        }
    }
    if first {
        sql.push("1 = 1");
    }
}

/// `expr >= ? AND expr < ?` for numeric bounds `(value, inclusive)`; equal bounds are `=`.
pub(crate) fn numbers(
    sql: &mut Sql,
    expr: Emit,
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
) {
    if let (Some((a, true)), Some((b, true))) = (lower, upper)
        && a == b
    {
        expr(sql);
        sql.push(" = ").bind(a);
        return;
    }
    let mut first = true;
    for (bound, strict, loose) in [(lower, " > ", " >= "), (upper, " < ", " <= ")] {
        if let Some((at, inclusive)) = bound {
            if !first {
                sql.push(" AND ");
            }
            first = false;
            expr(sql);
            sql.push(if inclusive { loose } else { strict }).bind(at);
        }
    }
    if first {
        sql.push("1 = 1");
    }
}

/// Whole-value equality, ASCII letters folded.
fn equals(sql: &mut Sql, expr: Emit, s: &str, backend: DbBackend) {
    let exact = Pattern::new([Piece::Literal(s.to_string())]);
    match backend {
        // Without ASCII letters, `=` is already exact (and uses the index).
        DbBackend::Sqlite if !s.bytes().any(|b| b.is_ascii_alphabetic()) => {
            expr(sql);
            sql.push(" = ").bind(s);
        }
        DbBackend::MySql => {
            // A superset under the column's collation, for the index.
            expr(sql);
            sql.push(" = ").bind(s).push(" AND ");
            like(sql, expr, &exact, false, backend);
        }
        _ => like(sql, expr, &exact, false, backend),
    }
}

/// `LIKE` with the language's folding; `prefilter` adds the index-friendly superset on MariaDB
/// when the pattern starts with a literal.
pub(crate) fn like(sql: &mut Sql, expr: Emit, p: &Pattern, prefilter: bool, backend: DbBackend) {
    let pattern = like_pattern(p);
    match backend {
        DbBackend::MySql => {
            if prefilter && matches!(p.pieces().first(), Some(Piece::Literal(_))) {
                expr(sql);
                sql.push(" LIKE ")
                    .bind(pattern.clone())
                    .push(" ESCAPE '!' AND ");
            }
            // ASCII capitals lowered and every other character kept: MariaDB's `LOWER` would
            // also lower `É`.
            sql.push(&"REPLACE(".repeat(26));
            expr(sql);
            sql.push(" COLLATE utf8mb4_bin");
            for c in b'A'..=b'Z' {
                let (upper, lower) = (c as char, c.to_ascii_lowercase() as char);
                sql.push(&format!(", '{upper}', '{lower}')"));
            }
            sql.push(" LIKE ")
                .bind(pattern.to_ascii_lowercase())
                .push(" ESCAPE '!'");
        }
        _ => {
            expr(sql);
            sql.push(" LIKE ").bind(pattern).push(" ESCAPE '!'");
        }
    }
}

/// The `LIKE` text of a pattern: `*` becomes `%`; `%`, `_` and the escape `!` are escaped.
/// `!` is the escape because a backslash is itself an escape in MariaDB string literals.
fn like_pattern(p: &Pattern) -> String {
    let mut out = String::new();
    for piece in p.pieces() {
        match piece {
            Piece::Any => out.push('%'),
            Piece::Literal(s) => {
                for c in s.chars() {
                    if matches!(c, '%' | '_' | '!') {
                        out.push('!');
                    }
                    out.push(c);
                }
            }
        }
    }
    out
}

fn contains_pattern(s: &str) -> Pattern {
    Pattern::new([Piece::Any, Piece::Literal(s.to_string()), Piece::Any])
}

/// Any of the address patterns.
fn address(sql: &mut Sql, col: &str, patterns: &[IpPattern], backend: DbBackend) {
    sql.push("(");
    for (i, p) in patterns.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ");
        }
        match p {
            IpPattern::Equals(s) => {
                sql.push(col).push(" = ").bind(s.clone());
            }
            IpPattern::StartsWith(s) => {
                sql.push(col).push(" LIKE ").bind(format!("{s}%"));
            }
            IpPattern::Shape(toks, colons) => {
                sql.push("(");
                match backend {
                    DbBackend::MySql => sql.push(col).push(" REGEXP ").bind(ip::regex_text(toks)),
                    _ => sql.push(col).push(" GLOB ").bind(ip::glob_text(toks)),
                };
                if let Some(n) = colons {
                    sql.push(" AND LENGTH(")
                        .push(col)
                        .push(") - LENGTH(REPLACE(")
                        .push(col)
                        .push(", ':', '')) = ")
                        .bind(*n as i64);
                }
                sql.push(")");
            }
        }
    }
    sql.push(")");
}

#[cfg(test)]
mod tests;
