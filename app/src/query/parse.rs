//! The parser: text to [`Expr`], by recursive descent over the characters.
//!
//! Reading is context-sensitive: a bare word ends at `:` (which makes it a field name), while a
//! value after `field:` may itself contain colons (`2001:db8::/32`, `2026-05-01T10:00:00Z`).

use super::ast::{Bound, Expr, Match, Pattern, Piece, Range, Value};
use super::fields::{Column, Field, FieldError};
use super::value::{self, Token};
use super::{MAX_DEPTH, MAX_QUERY_BYTES, QueryError};

/// Parses a query. Errors carry the character position where reading stopped.
pub fn parse(src: &str) -> Result<Expr, QueryError> {
    if src.len() > MAX_QUERY_BYTES {
        return Err(QueryError::new(
            0,
            format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Err(p.error(p.pos, "the query is empty"));
    }
    let expr = p.or(None)?;
    p.skip_ws();
    match p.peek() {
        None => Ok(expr),
        Some(')') => Err(p.error(p.pos, "unbalanced ')'")),
        Some(_) => Err(p.error(p.pos, "expected AND, OR or the end of the query")),
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    depth: usize,
}

/// Characters that end a word in any context.
fn ends_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

impl<'a> Parser<'a> {
    fn error(&self, at: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(self.src[..at].chars().count(), message)
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// Whether the keyword `kw` (uppercase, a whole word) is next.
    fn at_keyword(&self, kw: &str) -> bool {
        let rest = &self.src[self.pos..];
        rest.starts_with(kw) && rest[kw.len()..].chars().next().is_none_or(ends_value)
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let at = self.at_keyword(kw);
        if at {
            self.pos += kw.len();
        }
        at
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(self.pos, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// `and ("OR" and)*`; `field` is the default field inside `field:( … )`.
    fn or(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and(field)?];
        loop {
            self.skip_ws();
            if !self.eat_keyword("OR") {
                break;
            }
            self.skip_ws();
            parts.push(self.and(field)?);
        }
        Ok(combine(parts, Expr::Or))
    }

    /// `not (["AND"] not)*`: adjacent terms are joined by AND.
    fn and(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        let mut parts = vec![self.not(field)?];
        loop {
            self.skip_ws();
            if self.eat_keyword("AND") {
                self.skip_ws();
            } else if self.at_end() || self.peek() == Some(')') || self.at_keyword("OR") {
                break;
            }
            parts.push(self.not(field)?);
        }
        Ok(combine(parts, Expr::And))
    }

    fn not(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        if self.eat_keyword("NOT") {
            self.enter()?;
            self.skip_ws();
            let inner = self.not(field)?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary(field)
    }

    fn primary(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        match self.peek() {
            None => Err(self.error(self.pos, "expected a term")),
            Some('(') => self.group(field),
            Some(')') => Err(self.error(self.pos, "expected a term before ')'")),
            Some(_) if self.at_keyword("AND") || self.at_keyword("OR") => {
                Err(self.error(self.pos, "expected a term before the operator"))
            }
            Some('"') => {
                let start = self.pos;
                let text = self.phrase()?;
                self.term(field, Token::Phrase(text), start)
            }
            Some(_) => self.word_or_field(field),
        }
    }

    /// `( or )`, keeping the default field.
    fn group(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        let open = self.pos;
        self.bump();
        self.enter()?;
        self.skip_ws();
        let inner = self.or(field)?;
        self.skip_ws();
        if self.bump() != Some(')') {
            let at = if self.at_end() { open } else { self.pos };
            let what = if self.at_end() {
                "unclosed '('"
            } else {
                "expected ')'"
            };
            return Err(self.error(at, what));
        }
        self.depth -= 1;
        Ok(inner)
    }

    /// A bare word, or `name:` followed by a value.
    fn word_or_field(&mut self, field: Option<&Field>) -> Result<Expr, QueryError> {
        let start = self.pos;
        let (pattern, escaped) = self.word(|c| ends_value(c) || c == ':')?;
        if self.peek() != Some(':') {
            return self.term(field, Token::Word(pattern), start);
        }
        let src = self.src;
        let name = &src[start..self.pos];
        if escaped || name.is_empty() {
            return Err(self.error(start, "expected a field name before ':'"));
        }
        let resolved = Field::resolve(name).map_err(|e| match e {
            FieldError::Unknown => self.error(start, format!("unknown field {name:?}")),
            FieldError::BadKey => self.error(
                start,
                "a key under fields. is made of letters, digits and _ . - @",
            ),
        })?;
        self.bump(); // ':'
        self.value(resolved)
    }

    /// The value after `field:`.
    fn value(&mut self, field: Field) -> Result<Expr, QueryError> {
        let start = self.pos;
        match self.peek() {
            None => Err(self.error(start, "expected a value after ':'")),
            Some(c) if c.is_whitespace() || c == ')' => {
                Err(self.error(start, "expected a value after ':'"))
            }
            Some('(') => self.group(Some(&field)),
            Some('"') => {
                let text = self.phrase()?;
                self.term(Some(&field), Token::Phrase(text), start)
            }
            Some('>' | '<') => self.comparison(field),
            Some('[' | '{') => self.range(field),
            Some(_) => {
                let (pattern, _) = self.word(ends_value)?;
                self.term(Some(&field), Token::Word(pattern), start)
            }
        }
    }

    fn term(&self, field: Option<&Field>, token: Token, start: usize) -> Result<Expr, QueryError> {
        let field = field.cloned().unwrap_or(Field::Column(Column::Message));
        let value = value::interpret(&field, token).map_err(|m| self.error(start, m))?;
        Ok(Expr::Match(Match { field, value }))
    }

    /// `>x`, `>=x`, `<x`, `<=x`.
    fn comparison(&mut self, field: Field) -> Result<Expr, QueryError> {
        let greater = self.bump() == Some('>');
        let inclusive = self.peek() == Some('=');
        if inclusive {
            self.bump();
        }
        let start = self.pos;
        let bound = match self.bound_token(ends_value)? {
            Some(token) => value::bound(&field, token).map_err(|m| self.error(start, m))?,
            None => return Err(self.error(start, "expected a number or a time to compare with")),
        };
        let bound = Bound {
            value: bound,
            inclusive,
        };
        let range = if greater {
            Range {
                lower: Some(bound),
                upper: None,
            }
        } else {
            Range {
                lower: None,
                upper: Some(bound),
            }
        };
        Ok(Expr::Match(Match {
            field,
            value: Value::Range(range),
        }))
    }

    /// `[a TO b]`, with `{`/`}` for exclusive ends and `*` for an open end.
    fn range(&mut self, field: Field) -> Result<Expr, QueryError> {
        let open = self.pos;
        let lower_inclusive = self.bump() == Some('[');
        self.skip_ws();
        let ends = |c: char| ends_value(c) || c == ']' || c == '}';
        let start = self.pos;
        let lower = self.bound_token(ends)?;
        let lower = lower
            .map(|t| value::bound(&field, t).map_err(|m| self.error(start, m)))
            .transpose()?;
        self.skip_ws();
        if !self.eat_keyword("TO") {
            return Err(self.error(self.pos, "expected TO in the range"));
        }
        self.skip_ws();
        let start = self.pos;
        let upper = self.bound_token(ends)?;
        let upper = upper
            .map(|t| value::bound(&field, t).map_err(|m| self.error(start, m)))
            .transpose()?;
        self.skip_ws();
        let upper_inclusive = match self.bump() {
            Some(']') => true,
            Some('}') => false,
            _ => return Err(self.error(start, "expected ']' or '}' to close the range")),
        };
        if lower.is_none() && upper.is_none() {
            return Err(self.error(open, "a range needs at least one bound"));
        }
        let range = Range {
            lower: lower.map(|value| Bound {
                value,
                inclusive: lower_inclusive,
            }),
            upper: upper.map(|value| Bound {
                value,
                inclusive: upper_inclusive,
            }),
        };
        Ok(Expr::Match(Match {
            field,
            value: Value::Range(range),
        }))
    }

    /// A bound: a word or a phrase; `None` for an open end (`*`).
    fn bound_token(&mut self, ends: impl Fn(char) -> bool) -> Result<Option<Token>, QueryError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            return Ok(Some(Token::Phrase(self.phrase()?)));
        }
        let (pattern, _) = self.word(ends)?;
        if pattern.pieces().is_empty() {
            return Err(self.error(start, "expected a bound"));
        }
        if !pattern.has_literal() {
            return Ok(None);
        }
        if pattern.has_wildcard() {
            return Err(self.error(start, "a bound cannot hold a wildcard"));
        }
        Ok(Some(Token::Word(pattern)))
    }

    /// Characters up to one that `ends`; `\` makes the next character literal and an unescaped
    /// `*` is a wildcard. Returns the pieces and whether anything was escaped.
    fn word(&mut self, ends: impl Fn(char) -> bool) -> Result<(Pattern, bool), QueryError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut escaped = false;
        while let Some(c) = self.peek() {
            if ends(c) {
                break;
            }
            let at = self.pos;
            self.bump();
            match c {
                '\\' => {
                    escaped = true;
                    let next = self
                        .bump()
                        .ok_or_else(|| self.error(at, "nothing to escape after '\\'"))?;
                    literal.push(next);
                }
                '*' => {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    pieces.push(Piece::Any);
                }
                c => literal.push(c),
            }
        }
        pieces.push(Piece::Literal(literal));
        Ok((Pattern::new(pieces), escaped))
    }

    /// `"…"` with `\` escaping the next character; wildcards are literal inside.
    fn phrase(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(open, "unclosed '\"'")),
                Some('"') => return Ok(text),
                Some('\\') => match self.bump() {
                    Some(c) => text.push(c),
                    None => return Err(self.error(open, "unclosed '\"'")),
                },
                Some(c) => text.push(c),
            }
        }
    }
}

/// One part stands alone; a part that is itself an AND inside an AND (an OR inside an OR) is
/// flattened into the list.
fn combine(parts: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    let and = matches!(make(Vec::new()), Expr::And(_));
    let mut flat = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Expr::And(inner) if and => flat.extend(inner),
            Expr::Or(inner) if !and => flat.extend(inner),
            part => flat.push(part),
        }
    }
    make(flat)
}
