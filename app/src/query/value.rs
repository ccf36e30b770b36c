//! Reading a value as its field's kind: text, an address, a number, an instant or a day.

use chrono::{DateTime, NaiveDate, Utc};

use super::ast::{Pattern, Scalar, Value};
use super::fields::{Field, Kind};
use super::ip::IpNet;
use crate::model::events::EventFlag;

/// A value as written: a word (which may hold wildcards) or a quoted phrase (which never does).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Word(Pattern),
    Phrase(String),
}

/// The kind a field is read as: `fields.` keys are text that may also be compared as numbers.
fn kind(field: &Field) -> Option<Kind> {
    match field {
        Field::Column(c) => Some(c.kind()),
        Field::Json(_) => None,
    }
}

/// The test `field:token` stands for.
pub(crate) fn interpret(field: &Field, token: Token) -> Result<Value, String> {
    let text = match token {
        Token::Word(p) if !p.has_literal() => return Ok(Value::Present),
        Token::Word(p) if p.has_wildcard() => {
            return match kind(field) {
                None | Some(Kind::Text | Kind::LongText | Kind::Address) => Ok(Value::Pattern(p)),
                Some(_) => Err(format!(
                    "wildcards apply only to text; {} is not text",
                    field.name()
                )),
            };
        }
        Token::Word(p) => p.literal(),
        Token::Phrase(s) => s,
    };
    match kind(field) {
        None | Some(Kind::Text | Kind::LongText) => Ok(Value::Text(text)),
        Some(Kind::Address) => IpNet::parse(text.trim())
            .map(Value::Address)
            .map_err(|e| format!("expected an IP address or CIDR block: {e}")),
        Some(Kind::Integer) => number(&text)
            .map(|n| Value::Equals(Scalar::Number(n)))
            .ok_or_else(|| format!("expected a number for {}", field.name())),
        Some(Kind::Flags) => {
            if let Some(flag) = EventFlag::ALL.into_iter().find(|f| f.as_str() == text) {
                return Ok(Value::Flag(flag));
            }
            number(&text)
                .map(|n| Value::Equals(Scalar::Number(n)))
                .ok_or_else(|| {
                    let names: Vec<&str> = EventFlag::ALL.iter().map(|f| f.as_str()).collect();
                    format!("expected a flag ({}) or a number", names.join(", "))
                })
        }
        Some(Kind::Time) => time(&text).map(Value::Equals),
    }
}

/// One bound of a comparison or range.
pub(crate) fn bound(field: &Field, token: Token) -> Result<Scalar, String> {
    let text = match token {
        Token::Word(p) => p.literal(),
        Token::Phrase(s) => s,
    };
    match kind(field) {
        None | Some(Kind::Integer | Kind::Flags) => number(&text)
            .map(Scalar::Number)
            .ok_or_else(|| format!("expected a number to compare {} with", field.name())),
        Some(Kind::Time) => time(&text),
        Some(Kind::Text | Kind::LongText | Kind::Address) => Err(format!(
            "comparisons apply to numbers and times; {} is text",
            field.name()
        )),
    }
}

/// The numbers a query may hold: an optional `-`, at most 15 digits, and optionally `.` and at
/// most 15 more digits. Within these limits every number converts exactly to and from `f64`
/// text, so a printed query reads back the same.
pub fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let ok = |s: &str| (1..=15).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(int) || !frac.is_none_or(ok) {
        return None;
    }
    text.parse().ok()
}

/// Whether `text` is an integer as the comparisons read text: an optional `-` and 1 to 15
/// digits. (Text such as `12ms`, `1e3` or `3.5` is not compared as a number.)
pub fn integer_text(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok().map(|n| n as f64)
    } else {
        None
    }
}

/// An RFC 3339 instant (`2026-05-01T10:00:00Z`) or a day (`2026-05-01`, UTC).
pub fn time(text: &str) -> Result<Scalar, String> {
    let b = text.as_bytes();
    let day_shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if day_shaped && let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Scalar::Day(day));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        if (0..=9999).contains(&chrono::Datelike::year(&t)) {
            return Ok(Scalar::Time(t));
        }
    }
    Err(format!(
        "{text:?} is neither a day such as 2026-05-01 nor an RFC 3339 instant such as \
         2026-05-01T10:00:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_bounded_digits() {
        assert_eq!(number("1024"), Some(1024.0));
        assert_eq!(number("-3.25"), Some(-3.25));
        assert_eq!(number("123456789012345"), Some(123456789012345.0));
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e3",
            "0x10",
            "1234567890123456",
            "+1",
            "1.2.3",
        ] {
            assert_eq!(number(bad), None, "{bad:?}");
        }
        assert_eq!(integer_text("-42"), Some(-42.0));
        for bad in ["4.2", "", "-", " 42", "42 ", "1234567890123456"] {
            assert_eq!(integer_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_are_days_or_instants() {
        assert_eq!(
            time("2026-05-01"),
            Ok(Scalar::Day(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()))
        );
        let Ok(Scalar::Time(t)) = time("2026-05-01T12:30:00+02:00") else {
            panic!("an instant");
        };
        assert_eq!(t.to_rfc3339(), "2026-05-01T10:30:00+00:00");
        for bad in ["2026-5-1", "2026-02-30", "yesterday", "2026-05-01T10:00:00"] {
            assert!(time(bad).is_err(), "{bad:?}");
        }
    }
}
