//! Group keys: the values of a rule's `group_by` fields in one event, which decide which
//! counter, sequence and alert an event belongs to.

use app::query::{Column, EventFields, Field, Kind};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::definition::{MAX_GROUP_BY, RuleError, field};

/// Longest value of one group field kept in a key, in characters.
const MAX_VALUE: usize = 255;
/// The `dedup_key` column's width.
const MAX_DEDUP_KEY: usize = 255;

/// A rule's `group_by`: each entry is a field, or alternatives separated by `|`
/// (`source_ip|source.domain`): the first of them the event has.
#[derive(Debug, Clone)]
pub struct GroupBy {
    entries: Vec<Vec<(String, Field)>>,
}

/// One event's group key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    /// `source_ip=203.0.113.9`, fields joined by a space; empty when the rule groups by nothing.
    pub text: String,
    /// The fields and their values, for the alert.
    pub fields: Vec<(String, String)>,
}

impl GroupBy {
    pub fn new(names: &[String]) -> Result<Self, RuleError> {
        if names.len() > MAX_GROUP_BY {
            return Err(RuleError::new(
                "definition.group_by",
                format!("at most {MAX_GROUP_BY} fields"),
            ));
        }
        let entries = names
            .iter()
            .map(|entry| {
                entry
                    .split('|')
                    .map(|n| {
                        let n = n.trim();
                        field("definition.group_by", n).map(|f| (n.to_string(), f))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// The event's key, or `None` when it lacks one of the fields (all of an entry's
    /// alternatives): such an event belongs to no group and is not counted. The key names
    /// the alternative that supplied the value.
    pub fn key(&self, ev: &impl EventFields) -> Option<GroupKey> {
        let mut text = String::new();
        let mut fields = Vec::with_capacity(self.entries.len());
        for alternatives in &self.entries {
            let (name, value) = alternatives
                .iter()
                .find_map(|(name, f)| value_of(ev, f).map(|v| (name, v)))?;
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(name);
            text.push('=');
            text.push_str(&value);
            fields.push((name.clone(), value));
        }
        Some(GroupKey { text, fields })
    }
}

impl GroupKey {
    /// The key as stored in `alerts.dedup_key`: the text, or its hash when it is too long.
    pub fn dedup_key(&self) -> String {
        if self.text.chars().count() <= MAX_DEDUP_KEY {
            self.text.clone()
        } else {
            format!("sha256:{}", hash(&self.text))
        }
    }

    pub fn fields_json(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>(),
        )
    }

    /// `template` with each `{field}` replaced by the key's value of that field, and each
    /// `{a|b}` by the value of the first of `a`, `b` the key has. Other text, and a
    /// placeholder naming no field of the key, is kept as it is.
    pub fn render(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                rest = &rest[open..];
                break;
            };
            let inner = &after[..close];
            if inner.contains('{') {
                // `{{x}`: the first brace is text.
                out.push('{');
                rest = after;
                continue;
            }
            let value = inner.split('|').find_map(|name| {
                let name = name.trim();
                self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
            });
            match value {
                Some(v) => out.push_str(v),
                None => out.push_str(&rest[open..open + close + 2]),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// SHA-256 of `text`, in hex.
pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A field's value as text, `None` when absent.
pub fn value_of(ev: &impl EventFields, f: &Field) -> Option<String> {
    let v = match f {
        Field::Column(c) => column_text(ev, *c)?,
        Field::Json(key) => match ev.json(key)? {
            Value::Null => return None,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    Some(match v.char_indices().nth(MAX_VALUE) {
        Some((at, _)) => v[..at].to_string(),
        None => v,
    })
}

fn column_text(ev: &impl EventFields, c: Column) -> Option<String> {
    match c.kind() {
        Kind::Integer | Kind::Flags => ev.integer(c).map(|n| n.to_string()),
        Kind::Time => ev.time(c).map(|t| t.to_rfc3339()),
        Kind::Text | Kind::LongText | Kind::Address => ev.text(c).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::ingest::EventRow;
    use crate::parse::{ParseContext, ParserKind, parse_bytes};

    fn row(line: &str) -> EventRow {
        let now = Utc.with_ymd_and_hms(2005, 12, 31, 0, 0, 0).unwrap();
        let ev = parse_bytes(ParserKind::Auto, line.as_bytes(), &ParseContext::new(now));
        EventRow::new(ev, line.into(), now, "test".into())
    }

    fn group(names: &[&str]) -> GroupBy {
        GroupBy::new(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn alternatives_take_the_first_field_the_event_has() {
        let by = group(&["source_ip|source.domain"]);
        let ip = row(
            "Feb 25 14:34:10 belka sshd[31602]: Failed password for root from 194.117.26.69 port 50273 ssh2",
        );
        let name = row(
            "Feb 25 14:34:11 belka sshd[31607]: User root from example.com not allowed because not listed in AllowUsers",
        );
        let key = by.key(&ip).unwrap();
        assert_eq!(key.text, "source_ip=194.117.26.69");
        let key = by.key(&name).unwrap();
        assert_eq!(key.text, "source.domain=example.com");
        assert_eq!(
            key.fields,
            [("source.domain".to_string(), "example.com".to_string())]
        );
        // Without the alternative, the host-name source belongs to no group.
        assert!(group(&["source_ip"]).key(&name).is_none());
    }

    #[test]
    fn an_unknown_alternative_is_refused() {
        let err = GroupBy::new(&["source_ip|nope".to_string()]).unwrap_err();
        assert_eq!(err.field, "definition.group_by");
        assert!(err.message.contains("`nope`"), "{}", err.message);
    }

    #[test]
    fn render_fills_plain_and_alternative_placeholders() {
        let key = GroupKey {
            text: "source.domain=example.com user_name=root".into(),
            fields: vec![
                ("source.domain".into(), "example.com".into()),
                ("user_name".into(), "root".into()),
            ],
        };
        assert_eq!(
            key.render("From {source_ip|source.domain} as {user_name}"),
            "From example.com as root"
        );
        assert_eq!(
            key.render("{host} {x|y} {unclosed"),
            "{host} {x|y} {unclosed"
        );
        assert_eq!(key.render("{} {{user_name}}"), "{} {root}");
    }
}
