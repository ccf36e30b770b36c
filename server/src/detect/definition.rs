//! A rule's `definition` JSON, checked once when a rule is written and compiled when the engine
//! loads it. A bad definition is refused with a [`RuleError`] naming the field and the problem.

use app::query::{Field, Matcher};
use serde::{Deserialize, Serialize};

use super::RuleKind;
pub use super::anomaly::AnomalyDef;
use super::group::GroupBy;
pub use super::sigma_rule::SigmaDef;

/// The shortest and longest window, `within` span or suppression, in seconds.
pub const MIN_WINDOW_SECS: i64 = 1;
pub const MAX_WINDOW_SECS: i64 = 7 * 24 * 3600;
/// The largest threshold or count a rule may ask for.
pub const MAX_THRESHOLD: u64 = 1_000_000;
/// The most fields a rule may group by.
pub const MAX_GROUP_BY: usize = 8;

/// Why a definition was refused: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

impl RuleError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `match`: every event the query selects raises (or adds to) an alert for its group key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatchDef {
    pub query: String,
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The alert title; `{field}` is replaced by the group key's value of `field`.
    #[serde(default)]
    pub title: Option<String>,
}

/// `threshold`: at least `threshold` matching events (or distinct values of `distinct`) for one
/// group key within `window_secs` of event time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThresholdDef {
    pub query: String,
    #[serde(default)]
    pub group_by: Vec<String>,
    pub window_secs: i64,
    pub threshold: u64,
    /// Counts distinct values of this field instead of events.
    #[serde(default)]
    pub distinct: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// `sequence`: `first_count` events matching `first`, then one matching `then`, for the same
/// group key, all within `within_secs` of event time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SequenceDef {
    pub first: String,
    #[serde(default = "one")]
    pub first_count: u64,
    pub then: String,
    pub within_secs: i64,
    pub group_by: Vec<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// The longest run of samples a `metric` rule may ask for.
pub const MAX_CONSECUTIVE: u64 = 1000;

/// `metric`: `consecutive` samples in a row of one group key (by default per host) whose numeric
/// `field` compares with `value` by `op` (`gt`, `gte`, `lt`, `lte`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    /// Which events are samples; without it, every event holding `field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub field: String,
    pub op: String,
    pub value: f64,
    #[serde(default = "one")]
    pub consecutive: u64,
    #[serde(default = "by_host")]
    pub group_by: Vec<String>,
    #[serde(default)]
    pub title: Option<String>,
}

pub(super) fn by_host() -> Vec<String> {
    vec!["host".to_string()]
}

fn one() -> u64 {
    1
}

/// A checked definition of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Match(MatchDef),
    Threshold(ThresholdDef),
    Sequence(SequenceDef),
    Sigma(SigmaDef),
    Metric(MetricDef),
    Anomaly(AnomalyDef),
}

impl Definition {
    /// Reads and checks `value` as a definition of `kind`.
    pub fn parse(kind: RuleKind, value: &serde_json::Value) -> Result<Self, RuleError> {
        fn read<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, RuleError> {
            serde_json::from_value(v.clone())
                .map_err(|e| RuleError::new("definition", e.to_string()))
        }
        let def = match kind {
            RuleKind::Match => Self::Match(read(value)?),
            RuleKind::Threshold => Self::Threshold(read(value)?),
            RuleKind::Sequence => Self::Sequence(read(value)?),
            RuleKind::Sigma => Self::Sigma(read(value)?),
            RuleKind::Metric => Self::Metric(read(value)?),
            RuleKind::Anomaly => Self::Anomaly(read(value)?),
        };
        def.check()?;
        Ok(def)
    }

    pub fn kind(&self) -> RuleKind {
        match self {
            Self::Match(_) => RuleKind::Match,
            Self::Threshold(_) => RuleKind::Threshold,
            Self::Sequence(_) => RuleKind::Sequence,
            Self::Sigma(_) => RuleKind::Sigma,
            Self::Metric(_) => RuleKind::Metric,
            Self::Anomaly(_) => RuleKind::Anomaly,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Match(d) => serde_json::to_value(d),
            Self::Threshold(d) => serde_json::to_value(d),
            Self::Sequence(d) => serde_json::to_value(d),
            Self::Sigma(d) => serde_json::to_value(d),
            Self::Metric(d) => serde_json::to_value(d),
            Self::Anomaly(d) => serde_json::to_value(d),
        }
        .unwrap_or_default()
    }

    pub fn title(&self) -> Option<&str> {
        match self {
            Self::Match(d) => d.title.as_deref(),
            Self::Threshold(d) => d.title.as_deref(),
            Self::Sequence(d) => d.title.as_deref(),
            Self::Sigma(d) => d.title.as_deref(),
            Self::Metric(d) => d.title.as_deref(),
            Self::Anomaly(d) => d.title.as_deref(),
        }
    }

    pub fn group_by(&self) -> &[String] {
        match self {
            Self::Match(d) => &d.group_by,
            Self::Threshold(d) => &d.group_by,
            Self::Sequence(d) => &d.group_by,
            Self::Sigma(_) => &[],
            Self::Metric(d) => &d.group_by,
            Self::Anomaly(d) => &d.group_by,
        }
    }

    fn check(&self) -> Result<(), RuleError> {
        GroupBy::new(self.group_by())?;
        match self {
            Self::Match(d) => {
                query("definition.query", &d.query)?;
            }
            Self::Threshold(d) => {
                query("definition.query", &d.query)?;
                window("definition.window_secs", d.window_secs)?;
                count("definition.threshold", d.threshold)?;
                if let Some(f) = &d.distinct {
                    field("definition.distinct", f)?;
                }
            }
            Self::Sequence(d) => {
                query("definition.first", &d.first)?;
                query("definition.then", &d.then)?;
                window("definition.within_secs", d.within_secs)?;
                count("definition.first_count", d.first_count)?;
                if d.group_by.is_empty() {
                    return Err(RuleError::new(
                        "definition.group_by",
                        "a sequence needs at least one field that ties its steps together",
                    ));
                }
            }
            Self::Sigma(d) => {
                d.check()?;
            }
            Self::Metric(d) => {
                if let Some(q) = &d.query {
                    query("definition.query", q)?;
                }
                field("definition.field", &d.field)?;
                if super::metric::Op::parse(&d.op).is_none() {
                    return Err(RuleError::new(
                        "definition.op",
                        format!("unknown op `{}`: one of gt, gte, lt, lte", d.op),
                    ));
                }
                if !d.value.is_finite() {
                    return Err(RuleError::new(
                        "definition.value",
                        "must be a finite number",
                    ));
                }
                if !(1..=MAX_CONSECUTIVE).contains(&d.consecutive) {
                    return Err(RuleError::new(
                        "definition.consecutive",
                        format!(
                            "{} is out of range: between 1 and {MAX_CONSECUTIVE}",
                            d.consecutive
                        ),
                    ));
                }
            }
            Self::Anomaly(d) => d.check()?,
        }
        Ok(())
    }
}

/// Compiles a query, naming the position of its first error.
pub fn query(name: &str, text: &str) -> Result<Matcher, RuleError> {
    let expr = app::query::parse(text)
        .map_err(|e| RuleError::new(name, format!("{} at position {}", e.message, e.position)))?;
    Ok(Matcher::new(&expr))
}

pub(super) fn field(name: &str, text: &str) -> Result<Field, RuleError> {
    Field::resolve(text).map_err(|_| RuleError::new(name, format!("unknown field `{text}`")))
}

fn window(name: &str, secs: i64) -> Result<(), RuleError> {
    if (MIN_WINDOW_SECS..=MAX_WINDOW_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(RuleError::new(
            name,
            format!(
                "{secs} is out of range: between {MIN_WINDOW_SECS} and {MAX_WINDOW_SECS} seconds"
            ),
        ))
    }
}

fn count(name: &str, n: u64) -> Result<(), RuleError> {
    if (1..=MAX_THRESHOLD).contains(&n) {
        Ok(())
    } else {
        Err(RuleError::new(
            name,
            format!("{n} is out of range: between 1 and {MAX_THRESHOLD}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bad_definitions_name_their_problem() {
        let err = Definition::parse(
            RuleKind::Threshold,
            &json!({"query": "a AND (b", "window_secs": 60, "threshold": 5}),
        )
        .unwrap_err();
        assert_eq!(err.field, "definition.query");
        assert!(err.message.contains("position"), "{err}");

        let err = Definition::parse(
            RuleKind::Threshold,
            &json!({"query": "a", "window_secs": 0, "threshold": 5}),
        )
        .unwrap_err();
        assert_eq!(err.field, "definition.window_secs");

        let err = Definition::parse(
            RuleKind::Match,
            &json!({"query": "a", "group_by": ["nope"]}),
        )
        .unwrap_err();
        assert_eq!(err.field, "definition.group_by");

        let err = Definition::parse(RuleKind::Match, &json!({"query": "a", "x": 1})).unwrap_err();
        assert!(err.message.contains("unknown field"), "{err}");

        let metric = |extra: serde_json::Value| {
            let mut def = json!({"field": "fields.host.cpu.usage", "op": "gt", "value": 90});
            def.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Definition::parse(RuleKind::Metric, &def)
        };
        assert_eq!(
            metric(json!({"op": "eq"})).unwrap_err().field,
            "definition.op"
        );
        assert_eq!(
            metric(json!({"field": "no such"})).unwrap_err().field,
            "definition.field"
        );
        assert_eq!(
            metric(json!({"consecutive": 0})).unwrap_err().field,
            "definition.consecutive"
        );
        assert_eq!(
            metric(json!({"consecutive": 1001})).unwrap_err().field,
            "definition.consecutive"
        );
        assert_eq!(
            metric(json!({"query": "a AND ("})).unwrap_err().field,
            "definition.query"
        );
        let ok = metric(json!({})).unwrap();
        assert_eq!(ok.group_by(), ["host".to_string()]);

        assert!(
            Definition::parse(
                RuleKind::Sequence,
                &json!({"first": "a", "then": "b", "within_secs": 60, "group_by": ["source_ip"]})
            )
            .is_ok()
        );
    }

    #[test]
    fn anomaly_definitions_name_their_problem() {
        let anomaly = |extra: serde_json::Value| {
            let mut def = json!({"bucket_secs": 300, "baseline_buckets": 12, "k": 4});
            def.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Definition::parse(RuleKind::Anomaly, &def)
        };
        let field = |extra| anomaly(extra).unwrap_err().field;
        assert_eq!(field(json!({"bucket_secs": 59})), "definition.bucket_secs");
        assert_eq!(
            field(json!({"bucket_secs": 86401})),
            "definition.bucket_secs"
        );
        assert_eq!(
            field(json!({"baseline_buckets": 1})),
            "definition.baseline_buckets"
        );
        assert_eq!(
            field(json!({"baseline_buckets": 1441})),
            "definition.baseline_buckets"
        );
        assert_eq!(
            field(json!({"warmup_buckets": 13})),
            "definition.warmup_buckets"
        );
        assert_eq!(
            field(json!({"warmup_buckets": 1})),
            "definition.warmup_buckets"
        );
        assert_eq!(field(json!({"k": 0})), "definition.k");
        assert_eq!(field(json!({"k": -1})), "definition.k");
        assert_eq!(field(json!({"k": 101})), "definition.k");
        assert_eq!(
            field(json!({"min_deviation": -0.5})),
            "definition.min_deviation"
        );
        assert_eq!(field(json!({"direction": "up"})), "definition.direction");
        assert_eq!(field(json!({"field": "no such"})), "definition.field");
        assert_eq!(field(json!({"query": "a AND ("})), "definition.query");
        assert_eq!(field(json!({"group_by": ["nope"]})), "definition.group_by");
        let err = anomaly(json!({"bucket_secs": 59})).unwrap_err();
        assert!(err.message.contains("between 60 and 86400"), "{err}");

        let Definition::Anomaly(ok) = anomaly(json!({})).unwrap() else {
            panic!("an anomaly definition");
        };
        assert_eq!(ok.group_by, ["host".to_string()]);
        assert_eq!(ok.warmup(), 12);
        assert_eq!(ok.min_deviation, 1.0);
        assert_eq!(ok.direction, "above");
        assert!(
            anomaly(
                json!({"field": "fields.host.cpu.usage", "direction": "both", "warmup_buckets": 2})
            )
            .is_ok()
        );
    }
}
