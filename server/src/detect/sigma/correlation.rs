//! Sigma correlation rules as specifications the detection engine evaluates, and the
//! translation of the deprecated `condition: selection | count(field) by group > N` syntax into
//! them.

use std::time::Duration;

use rsigma_parser::{ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType};
use yaml_serde::{Mapping, Value};

use super::RuleInfo;

/// The correlation types Vigil evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationKind {
    /// At least/most N matching events per group within the timespan.
    EventCount,
    /// N distinct values of a field per group within the timespan.
    ValueCount,
    /// Events of the referenced rules all occur within the timespan, in any order.
    Temporal,
    /// As `Temporal`, in the order the rules are listed.
    TemporalOrdered,
}

impl CorrelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventCount => "event_count",
            Self::ValueCount => "value_count",
            Self::Temporal => "temporal",
            Self::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A comparison in a correlation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Lt,
    Lte,
    Gt,
    Gte,
    Eq,
    Neq,
}

impl Compare {
    pub fn holds(self, count: u64, value: u64) -> bool {
        match self {
            Self::Lt => count < value,
            Self::Lte => count <= value,
            Self::Gt => count > value,
            Self::Gte => count >= value,
            Self::Eq => count == value,
            Self::Neq => count != value,
        }
    }

    fn from_parser(op: ConditionOperator) -> Self {
        match op {
            ConditionOperator::Lt => Self::Lt,
            ConditionOperator::Lte => Self::Lte,
            ConditionOperator::Gt => Self::Gt,
            ConditionOperator::Gte => Self::Gte,
            ConditionOperator::Eq => Self::Eq,
            ConditionOperator::Neq => Self::Neq,
        }
    }
}

/// When a correlation fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Every comparison holds for the count: of events (`event_count`), of distinct values of
    /// `field` (`value_count`), or of distinct referenced rules that matched (temporal kinds).
    Count {
        predicates: Vec<(Compare, u64)>,
        field: Option<String>,
    },
    /// A boolean expression over the referenced rules' names (temporal kinds only), as written.
    Expression(String),
}

impl Condition {
    /// Whether `count` satisfies a `Count` condition; an expression answers `false`.
    pub fn holds(&self, count: u64) -> bool {
        match self {
            Self::Count { predicates, .. } => predicates.iter().all(|(op, v)| op.holds(count, *v)),
            Self::Expression(_) => false,
        }
    }
}

/// A correlation rule ready for the engine: which base rules feed it, how events are grouped,
/// over how long, and when it fires.
#[derive(Debug, Clone)]
pub struct CorrelationSpec {
    pub info: RuleInfo,
    pub kind: CorrelationKind,
    /// The base rules, by Sigma `id` or `name`, as the rule lists them.
    pub rules: Vec<String>,
    /// Sigma field names (resolved like detection fields, see `event`).
    pub group_by: Vec<String>,
    pub timespan: Duration,
    pub condition: Condition,
    /// Whether the base rules also raise alerts of their own (Sigma `generate`, default false).
    pub generate: bool,
    /// Set when the rule was written in the deprecated `count()` syntax and translated.
    pub translated_from_count: bool,
}

impl CorrelationSpec {
    /// The spec for a parsed correlation rule, or why Vigil cannot evaluate it.
    pub(super) fn from_rule(rule: &CorrelationRule, info: RuleInfo) -> Result<Self, String> {
        let kind = match rule.correlation_type {
            CorrelationType::EventCount => CorrelationKind::EventCount,
            CorrelationType::ValueCount => CorrelationKind::ValueCount,
            CorrelationType::Temporal => CorrelationKind::Temporal,
            CorrelationType::TemporalOrdered => CorrelationKind::TemporalOrdered,
            other => {
                return Err(format!(
                    "correlation type {} is not supported (supported: event_count, value_count, temporal, temporal_ordered)",
                    other.as_str()
                ));
            }
        };
        if rule.rules.is_empty() {
            return Err("correlation lists no rules".into());
        }
        if rule.timespan.seconds == 0 {
            return Err(format!("timespan {} is empty", rule.timespan.original));
        }
        let condition = match &rule.condition {
            CorrelationCondition::Threshold {
                predicates, field, ..
            } => Condition::Count {
                predicates: predicates
                    .iter()
                    .map(|(op, v)| (Compare::from_parser(*op), *v))
                    .collect(),
                field: field.as_ref().and_then(|f| f.first().cloned()),
            },
            CorrelationCondition::Extended(expr) => Condition::Expression(expr.to_string()),
        };
        if kind == CorrelationKind::ValueCount
            && !matches!(&condition, Condition::Count { field: Some(_), .. })
        {
            return Err("value_count needs a condition field".into());
        }
        Ok(Self {
            info,
            kind,
            rules: rule.rules.clone(),
            group_by: rule.group_by.clone(),
            timespan: Duration::from_secs(rule.timespan.seconds),
            condition,
            generate: rule.generate,
            translated_from_count: false,
        })
    }
}

/// What the deprecated aggregation in a detection condition says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LegacyCount {
    /// The condition before the `|`.
    pub base: String,
    /// `count(field)`: distinct values of the field; `count()`: events.
    pub field: Option<String>,
    pub group_by: Vec<String>,
    pub op: Compare,
    pub value: u64,
}

/// Reads `selection | count(field) by a, b > 3`; `None` when the condition has no aggregation;
/// an error when it has one Vigil cannot translate.
pub(super) fn parse_legacy_count(condition: &str) -> Option<Result<LegacyCount, String>> {
    let (base, agg) = condition.split_once('|')?;
    Some(legacy_aggregation(base.trim(), agg.trim()).ok_or_else(|| {
        format!(
            "cannot translate the deprecated aggregation `{}`",
            agg.trim()
        )
    }))
}

fn legacy_aggregation(base: &str, agg: &str) -> Option<LegacyCount> {
    let rest = agg.strip_prefix("count")?.trim_start().strip_prefix('(')?;
    let (field, rest) = rest.split_once(')')?;
    let field = field.trim();
    let rest = rest.trim();
    let (group, cmp) = match rest.strip_prefix("by ") {
        Some(r) => {
            let at = r.find(['<', '>', '='])?;
            (r[..at].trim(), r[at..].trim())
        }
        None => ("", rest),
    };
    let (op, value) = [
        (">=", Compare::Gte),
        ("<=", Compare::Lte),
        ("==", Compare::Eq),
        ("!=", Compare::Neq),
        (">", Compare::Gt),
        ("<", Compare::Lt),
        ("=", Compare::Eq),
    ]
    .iter()
    .find_map(|(text, op)| cmp.strip_prefix(text).map(|v| (*op, v.trim())))?;
    let group_by: Vec<String> = group
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    if base.is_empty() || group_by.iter().any(|g| g.contains(' ')) {
        return None;
    }
    Some(LegacyCount {
        base: base.to_owned(),
        field: (!field.is_empty()).then(|| field.to_owned()),
        group_by,
        op,
        value: value.parse().ok()?,
    })
}

/// A legacy document rewritten as a plain detection rule, with the aggregation set aside.
pub(super) struct Translated {
    /// The YAML of the base rule: the original with the aggregation and `timeframe` removed and
    /// a `name` the correlation refers to.
    pub base_yaml: String,
    pub base_name: String,
    pub count: LegacyCount,
    pub timeframe: Duration,
}

/// Rewrites a document whose condition uses the deprecated aggregation; `None` when it does not.
pub(super) fn translate_legacy(doc: &Value, index: usize) -> Option<Result<Translated, String>> {
    let detection = doc.as_mapping()?.get("detection")?.as_mapping()?;
    let condition = detection.get("condition")?.as_str()?;
    let count = match parse_legacy_count(condition)? {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    Some(rewrite(doc, detection, count, index))
}

fn rewrite(
    doc: &Value,
    detection: &Mapping,
    count: LegacyCount,
    index: usize,
) -> Result<Translated, String> {
    let timeframe = detection
        .get("timeframe")
        .and_then(Value::as_str)
        .ok_or("the deprecated count() aggregation needs a detection timeframe")?;
    let span = rsigma_parser::Timespan::parse(timeframe).map_err(|e| e.to_string())?;
    let mut doc = doc.clone();
    let map = doc.as_mapping_mut().ok_or("document is not a mapping")?;
    let base_name = match map.get("id").and_then(Value::as_str) {
        Some(id) => format!("{id}-events"),
        None => format!("legacy-count-{index}-events"),
    };
    map.insert("name".into(), Value::String(base_name.clone()));
    let title = map
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("untitled");
    let title = format!("{title} (matching events)");
    map.insert("title".into(), Value::String(title));
    // The base rule is new: the original id belongs to the correlation.
    map.remove("id");
    let det = map
        .get_mut("detection")
        .and_then(Value::as_mapping_mut)
        .ok_or("detection is not a mapping")?;
    det.remove("timeframe");
    det.insert("condition".into(), Value::String(count.base.clone()));
    let base_yaml = yaml_serde::to_string(&doc).map_err(|e| e.to_string())?;
    Ok(Translated {
        base_yaml,
        base_name,
        count,
        timeframe: Duration::from_secs(span.seconds),
    })
}

impl Translated {
    /// The correlation the aggregation stands for.
    pub(super) fn spec(&self, info: RuleInfo) -> CorrelationSpec {
        let kind = match self.count.field {
            Some(_) => CorrelationKind::ValueCount,
            None => CorrelationKind::EventCount,
        };
        CorrelationSpec {
            info,
            kind,
            rules: vec![self.base_name.clone()],
            group_by: self.count.group_by.clone(),
            timespan: self.timeframe,
            condition: Condition::Count {
                predicates: vec![(self.count.op, self.count.value)],
                field: self.count.field.clone(),
            },
            generate: false,
            translated_from_count: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_aggregations_read_as_written() {
        let c = parse_legacy_count("selection | count(pam_user) by pam_rhost > 3")
            .unwrap()
            .unwrap();
        assert_eq!(c.base, "selection");
        assert_eq!(c.field.as_deref(), Some("pam_user"));
        assert_eq!(c.group_by, ["pam_rhost"]);
        assert_eq!((c.op, c.value), (Compare::Gt, 3));
        let c = parse_legacy_count("sel and not f | count() by clientip, host >= 10")
            .unwrap()
            .unwrap();
        assert_eq!(c.base, "sel and not f");
        assert_eq!(c.field, None);
        assert_eq!(c.group_by, ["clientip", "host"]);
        assert_eq!((c.op, c.value), (Compare::Gte, 10));
        assert!(parse_legacy_count("selection").is_none());
        let bad = parse_legacy_count("selection | near other").unwrap();
        assert!(bad.unwrap_err().contains("near other"));
        assert!(
            parse_legacy_count("s | count() by x > many")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn comparisons_hold_as_named() {
        let c = Condition::Count {
            predicates: vec![(Compare::Gte, 3), (Compare::Lt, 5)],
            field: None,
        };
        assert!(!c.holds(2));
        assert!(c.holds(3) && c.holds(4));
        assert!(!c.holds(5));
    }
}
