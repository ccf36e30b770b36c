//! `sigma` rules: a Sigma detection rule, kept as the YAML it was imported from and compiled
//! with [`super::sigma`] when the rule is written and when the engine loads it. Like a `match`
//! rule, every matching event raises an alert, or adds to the rule's alert while that alert is
//! not resolved.

use serde::{Deserialize, Serialize};

use super::RuleError;
use super::engine::{AlertOp, Event, OpKind};
use super::group::GroupKey;
use super::sigma::{self, SigmaRule};

/// The definition of a `sigma` rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SigmaDef {
    /// The Sigma YAML, as imported (one or more documents).
    pub yaml: String,
    /// Which of the detection rules in `yaml` this is, counted from 0 (a file may hold several).
    #[serde(default)]
    pub index: usize,
    #[serde(default)]
    pub title: Option<String>,
    /// Set for a Sigma correlation rule: which of the file's correlations this is. Vigil does
    /// not evaluate correlations yet, so such a rule is stored disabled and never compiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<usize>,
}

/// Why a stored correlation rule stays silent.
pub const CORRELATION_UNSUPPORTED: &str =
    "Sigma correlation rules (event_count, value_count, temporal) are not evaluated yet";

impl SigmaDef {
    /// Checks a definition written by hand: the YAML must import without any refusal.
    pub fn check(&self) -> Result<SigmaRule, RuleError> {
        self.compile_with(true)
    }

    /// Compiles the rule, or names why it cannot be. Other documents of the same file that
    /// were refused (and reported so at import) do not stop this one.
    pub fn compile(&self) -> Result<SigmaRule, RuleError> {
        self.compile_with(false)
    }

    fn compile_with(&self, strict: bool) -> Result<SigmaRule, RuleError> {
        if self.correlation.is_some() {
            return Err(RuleError::new(
                "definition.correlation",
                CORRELATION_UNSUPPORTED,
            ));
        }
        if self.yaml.len() as u64 > sigma::MAX_FILE_BYTES {
            return Err(RuleError::new(
                "definition.yaml",
                format!("over the {} byte limit", sigma::MAX_FILE_BYTES),
            ));
        }
        let mut import = sigma::import_yaml(&self.yaml);
        if let Some(refused) = import.refused.first()
            && (strict || self.index >= import.rules.len())
        {
            let reason = match &refused.title {
                Some(t) => format!("{t}: {}", refused.reason),
                None => refused.reason.clone(),
            };
            return Err(RuleError::new("definition.yaml", reason));
        }
        let count = import.rules.len();
        if self.index >= count {
            return Err(RuleError::new(
                "definition.index",
                format!(
                    "the YAML holds {count} Sigma detection rule(s); index {} is past them",
                    self.index
                ),
            ));
        }
        Ok(import.rules.swap_remove(self.index))
    }
}

/// The Sigma rules of the built-in pack, from SigmaHQ under the Detection Rule License 1.1
/// (`builtin/sigma/DRL-1.1.md`), embedded unchanged.
pub mod builtin_yaml {
    pub const WEB_SQL_INJECTION: &str =
        include_str!("builtin/sigma/web_sql_injection_in_access_logs.yml");
    pub const WEB_XSS: &str = include_str!("builtin/sigma/web_xss_in_access_logs.yml");
    pub const WEB_PATH_TRAVERSAL: &str =
        include_str!("builtin/sigma/web_path_traversal_exploitation_attempt.yml");
}

/// A compiled `sigma` rule in the engine.
pub struct SigmaMatch {
    /// Boxed: a compiled Sigma rule is large, the engine's other detectors are small.
    pub rule: Box<SigmaRule>,
}

impl SigmaMatch {
    pub fn matches(&self, ev: &Event) -> bool {
        self.rule.matches(ev.row)
    }

    pub fn on_event(&self, ev: &Event, key: &GroupKey, out: &mut Vec<AlertOp>) {
        let t = ev.row.timestamp;
        let n = u64::from(ev.row.repeat_count.max(1));
        out.push(AlertOp::new(OpKind::Raise, key, t, t, n, vec![ev.id]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_yaml_names_the_problem() {
        let def = SigmaDef {
            yaml: "title: x\ndetection: [unclosed".into(),
            index: 0,
            title: None,
            correlation: None,
        };
        let err = def.compile().unwrap_err();
        assert_eq!(err.field, "definition.yaml");
        assert!(err.message.contains("YAML"), "{err}");

        let def = SigmaDef {
            yaml: "title: t\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|contains: 'x'\n  condition: sel\n".into(),
            index: 1,
            title: None,
            correlation: None,
        };
        assert_eq!(def.compile().unwrap_err().field, "definition.index");
        assert!(
            SigmaDef {
                index: 0,
                ..def.clone()
            }
            .compile()
            .is_ok()
        );
        let corr = SigmaDef {
            correlation: Some(0),
            ..def
        };
        assert_eq!(corr.check().unwrap_err().field, "definition.correlation");
    }
}
