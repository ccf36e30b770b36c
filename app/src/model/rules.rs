//! Detection rules as the UI and API see them, and the rule use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::notifications::RuleChannel;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleView {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    /// `match`, `threshold`, `sequence`, `sigma`, `metric` or `anomaly`.
    pub kind: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The kind's definition (see the README's "Detection" section).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub definition: serde_json::Value,
    pub enabled: bool,
    /// MITRE ATT&CK tags, e.g. `attack.t1110`.
    pub tags: Vec<String>,
    pub false_positives: Option<String>,
    /// After an alert is resolved, the same rule and key raise no new alert for this many
    /// seconds (of event time).
    pub suppress_secs: Option<i64>,
    /// The built-in pack's name for the rule; absent for rules users wrote.
    pub builtin_key: Option<String>,
    /// The channels the rule's new alerts are sent to.
    #[serde(default)]
    pub channels: Vec<RuleChannel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `match`, `threshold`, `sequence`, `sigma`, `metric` or `anomaly`.
    pub kind: String,
    pub severity: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub definition: serde_json::Value,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub false_positives: Option<String>,
    /// 1 s to 7 days; absent for no suppression.
    #[serde(default)]
    pub suppress_secs: Option<i64>,
    /// The channels the rule's new alerts are sent to, each from a minimum severity up.
    #[serde(default)]
    pub channels: Vec<RuleChannel>,
}

fn yes() -> bool {
    true
}

/// `PATCH /api/v1/rules/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// A new definition of the rule's kind.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub definition: Option<serde_json::Value>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub false_positives: Option<String>,
    /// 1 s to 7 days, or 0 to remove the suppression.
    #[serde(default)]
    pub suppress_secs: Option<i64>,
    /// Replaces the rule's channels (`[]` removes them all).
    #[serde(default)]
    pub channels: Option<Vec<RuleChannel>>,
}

/// Filters for `GET /api/v1/rules`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The rule use cases: reading needs `rules.read`, changes `rules.write`.
#[async_trait]
pub trait RulesService: Send + Sync {
    async fn list_rules(
        &self,
        user: &CurrentUser,
        query: RuleQuery,
    ) -> Result<Vec<RuleView>, AppError>;
    async fn get_rule(&self, user: &CurrentUser, id: i32) -> Result<RuleView, AppError>;
    async fn create_rule(&self, user: &CurrentUser, new: NewRule) -> Result<RuleView, AppError>;
    async fn update_rule(
        &self,
        user: &CurrentUser,
        id: i32,
        update: RuleUpdate,
    ) -> Result<RuleView, AppError>;
    async fn delete_rule(&self, user: &CurrentUser, id: i32) -> Result<(), AppError>;
}

/// One line of the rules page: the rule and what it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: RuleView,
    pub alerts: u64,
    pub unresolved: u64,
    pub last_fired: Option<DateTime<Utc>>,
}

/// The kinds the rule editor writes; the others are changed through the API.
pub const EDITOR_KINDS: [&str; 4] = ["match", "threshold", "sequence", "sigma"];

/// The rule editor's fields as its URL and forms carry them: all text, empty when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleDraft {
    /// The id of the saved rule being edited; empty for a new rule.
    pub rule: String,
    pub name: String,
    pub description: String,
    /// `match`, `threshold`, `sequence` or `sigma`.
    pub kind: String,
    pub severity: String,
    /// Comma-separated ATT&CK tags.
    pub tags: String,
    /// `match` and `threshold`: the query.
    pub query: String,
    /// Comma-separated fields.
    pub group_by: String,
    /// `threshold`.
    pub window_secs: String,
    pub threshold: String,
    pub distinct: String,
    /// `sequence`.
    pub first: String,
    pub then: String,
    pub within_secs: String,
    /// `sigma`: the YAML.
    pub yaml: String,
    /// The backtest's range: `24h`, `7d`, `30d` or `365d`, unless `from` and `to` are given.
    pub range: String,
    pub from: String,
    pub to: String,
}

impl RuleDraft {
    /// The editor's fields of a saved rule; `None` for a kind the editor does not write.
    pub fn from_rule(rule: &RuleView) -> Option<RuleDraft> {
        use serde_json::Value;
        if !EDITOR_KINDS.contains(&rule.kind.as_str()) {
            return None;
        }
        let d = &rule.definition;
        let text = |k: &str| match d.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let list = |k: &str| match d.get(k) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        Some(RuleDraft {
            rule: rule.id.to_string(),
            name: rule.name.clone(),
            description: rule.description.clone().unwrap_or_default(),
            kind: rule.kind.clone(),
            severity: rule.severity.clone(),
            tags: rule.tags.join(", "),
            query: text("query"),
            group_by: list("group_by"),
            window_secs: text("window_secs"),
            threshold: text("threshold"),
            distinct: text("distinct"),
            first: text("first"),
            then: text("then"),
            within_secs: text("within_secs"),
            yaml: text("yaml"),
            ..Default::default()
        })
    }

    /// The rule's definition with the fields the editor shows for its kind taken from this
    /// draft; what the editor does not show (an alert title, a sequence's `first_count`, the
    /// index of a Sigma file's rule) is kept as it was.
    pub fn to_new_rule_over(&self, current: &serde_json::Value) -> Result<NewRule, String> {
        let mut rule = self.to_new_rule()?;
        let edited: &[&str] = match self.kind.as_str() {
            "match" => &["query", "group_by"],
            "threshold" => &["query", "group_by", "window_secs", "threshold", "distinct"],
            "sequence" => &["first", "then", "within_secs", "group_by"],
            _ => &["yaml"],
        };
        let mut merged = current.as_object().cloned().unwrap_or_default();
        merged.retain(|k, v| !edited.contains(&k.as_str()) && !v.is_null());
        if let serde_json::Value::Object(fields) = rule.definition {
            merged.extend(fields);
        }
        rule.definition = serde_json::Value::Object(merged);
        Ok(rule)
    }

    /// The rule to backtest or create, or what is wrong with the fields, naming them.
    pub fn to_new_rule(&self) -> Result<NewRule, String> {
        use serde_json::{Map, Value, json};
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        };
        let number = |field: &str, value: &str| -> Result<i64, String> {
            value
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{field}: {:?} is not a whole number", value.trim()))
        };
        let required = |field: &str, value: &str| {
            text(value).ok_or_else(|| format!("{field}: required for a {} rule", self.kind))
        };
        let name = text(&self.name).ok_or("name: required")?;
        let mut def = Map::new();
        match self.kind.as_str() {
            "match" | "threshold" => {
                def.insert("query".into(), json!(required("query", &self.query)?));
                let group_by = list(&self.group_by);
                if !group_by.is_empty() {
                    def.insert("group_by".into(), json!(group_by));
                }
                if self.kind == "threshold" {
                    def.insert(
                        "window_secs".into(),
                        json!(number("window_secs", &self.window_secs)?),
                    );
                    def.insert(
                        "threshold".into(),
                        json!(number("threshold", &self.threshold)?),
                    );
                    if let Some(d) = text(&self.distinct) {
                        def.insert("distinct".into(), json!(d));
                    }
                }
            }
            "sequence" => {
                def.insert("first".into(), json!(required("first", &self.first)?));
                def.insert("then".into(), json!(required("then", &self.then)?));
                def.insert(
                    "within_secs".into(),
                    json!(number("within_secs", &self.within_secs)?),
                );
                def.insert("group_by".into(), json!(list(&self.group_by)));
            }
            "sigma" => {
                def.insert("yaml".into(), json!(required("yaml", &self.yaml)?));
            }
            other => {
                return Err(format!(
                    "kind: {other:?} is not one of match, threshold, sequence, sigma"
                ));
            }
        }
        Ok(NewRule {
            name,
            description: text(&self.description),
            kind: self.kind.clone(),
            severity: text(&self.severity).unwrap_or_else(|| "medium".into()),
            definition: Value::Object(def),
            enabled: false,
            tags: list(&self.tags),
            false_positives: None,
            suppress_secs: None,
            channels: vec![],
        })
    }
}

/// A saved rule in the editor: the rule, its draft (from the rule, or the one being tried;
/// `None` for a kind the editor does not write) and the draft's backtest when one was asked
/// for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleEdit {
    pub rule: RuleView,
    pub draft: Option<RuleDraft>,
    pub preview: Option<RulePreview>,
}

/// A backtest of a draft, as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePreview {
    /// What is wrong with the draft or the range, in words.
    pub problem: Option<String>,
    pub job: Option<super::backtest::BacktestJob>,
}

#[cfg(test)]
mod draft_tests {
    use super::*;

    fn saved(kind: &str, definition: serde_json::Value) -> RuleView {
        let now = Utc::now();
        RuleView {
            id: 7,
            name: "SSH brute force".into(),
            description: None,
            kind: kind.into(),
            severity: "high".into(),
            definition,
            enabled: true,
            tags: vec!["attack.t1110".into(), "attack.credential_access".into()],
            false_positives: None,
            suppress_secs: None,
            builtin_key: None,
            channels: vec![],
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_saved_rule_fills_the_editor_and_keeps_what_it_does_not_show() {
        let def = serde_json::json!({"query": "event_outcome:failure", "group_by": ["source_ip|source.domain"],
            "window_secs": 300, "threshold": 5, "distinct": null, "title": "Brute force from {source_ip}"});
        let rule = saved("threshold", def);
        let d = RuleDraft::from_rule(&rule).unwrap();
        assert_eq!(d.rule, "7");
        assert_eq!(
            (
                d.query.as_str(),
                d.group_by.as_str(),
                d.window_secs.as_str()
            ),
            ("event_outcome:failure", "source_ip|source.domain", "300")
        );
        assert_eq!(d.threshold, "5");
        assert_eq!(d.distinct, "");
        assert_eq!(d.tags, "attack.t1110, attack.credential_access");
        let edited = RuleDraft {
            threshold: "8".into(),
            group_by: "".into(),
            ..d
        };
        let rule = edited.to_new_rule_over(&rule.definition).unwrap();
        assert_eq!(
            rule.definition,
            serde_json::json!({"query": "event_outcome:failure", "window_secs": 300, "threshold": 8,
                "title": "Brute force from {source_ip}"})
        );
        assert!(RuleDraft::from_rule(&saved("metric", serde_json::json!({}))).is_none());
    }

    #[test]
    fn a_sigma_rule_edits_its_yaml_and_keeps_its_index() {
        let rule = saved("sigma", serde_json::json!({"yaml": "title: a", "index": 1}));
        let d = RuleDraft::from_rule(&rule).unwrap();
        assert_eq!(d.yaml, "title: a");
        let changed = RuleDraft {
            yaml: "title: b".into(),
            ..d
        };
        assert_eq!(
            changed
                .to_new_rule_over(&rule.definition)
                .unwrap()
                .definition,
            serde_json::json!({"yaml": "title: b", "index": 1})
        );
    }

    fn draft(kind: &str) -> RuleDraft {
        RuleDraft {
            name: " Many failures ".into(),
            kind: kind.into(),
            severity: "high".into(),
            tags: "attack.t1110, attack.credential_access,".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_threshold_draft_becomes_its_definition() {
        let d = RuleDraft {
            query: "event_outcome:failure".into(),
            group_by: "source_ip, user_name".into(),
            window_secs: "300".into(),
            threshold: " 5".into(),
            ..draft("threshold")
        };
        let rule = d.to_new_rule().unwrap();
        assert_eq!(rule.name, "Many failures");
        assert!(!rule.enabled);
        assert_eq!(rule.tags, ["attack.t1110", "attack.credential_access"]);
        assert_eq!(
            rule.definition,
            serde_json::json!({"query": "event_outcome:failure", "group_by": ["source_ip", "user_name"],
                "window_secs": 300, "threshold": 5})
        );
    }

    #[test]
    fn missing_or_unreadable_fields_are_named() {
        assert_eq!(
            draft("threshold").to_new_rule().unwrap_err(),
            "query: required for a threshold rule"
        );
        let d = RuleDraft {
            query: "x".into(),
            window_secs: "five".into(),
            ..draft("threshold")
        };
        assert_eq!(
            d.to_new_rule().unwrap_err(),
            "window_secs: \"five\" is not a whole number"
        );
        assert_eq!(
            RuleDraft {
                name: "".into(),
                ..draft("match")
            }
            .to_new_rule()
            .unwrap_err(),
            "name: required"
        );
        assert!(
            draft("anomaly")
                .to_new_rule()
                .unwrap_err()
                .starts_with("kind:")
        );
        let seq = RuleDraft {
            first: "a".into(),
            then: "b".into(),
            within_secs: "60".into(),
            group_by: "host".into(),
            ..draft("sequence")
        };
        assert_eq!(
            seq.to_new_rule().unwrap().definition,
            serde_json::json!({"first": "a", "then": "b", "within_secs": 60, "group_by": ["host"]})
        );
    }
}
