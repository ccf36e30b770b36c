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

#[derive(Debug, Clone)]
pub struct GroupBy {
    fields: Vec<(String, Field)>,
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
        let fields = names
            .iter()
            .map(|n| field("definition.group_by", n).map(|f| (n.clone(), f)))
            .collect::<Result<_, _>>()?;
        Ok(Self { fields })
    }

    /// The event's key, or `None` when it lacks one of the fields: such an event belongs to
    /// no group and is not counted.
    pub fn key(&self, ev: &impl EventFields) -> Option<GroupKey> {
        let mut text = String::new();
        let mut fields = Vec::with_capacity(self.fields.len());
        for (name, f) in &self.fields {
            let value = value_of(ev, f)?;
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

    /// `template` with each `{field}` replaced by the key's value of that field.
    pub fn render(&self, template: &str) -> String {
        let mut out = template.to_string();
        for (k, v) in &self.fields {
            out = out.replace(&format!("{{{k}}}"), v);
        }
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
