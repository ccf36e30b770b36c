//! `sigma` rules: a Sigma detection rule, kept as the YAML it was imported from and compiled
//! with [`super::sigma`] when the rule is written and when the engine loads it. Like a `match`
//! rule, every matching event raises an alert, or adds to the rule's alert while that alert is
//! not resolved.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::RuleError;
use super::definition::{MAX_THRESHOLD, MAX_WINDOW_SECS, MIN_WINDOW_SECS, field};
use super::engine::{AlertOp, Event, OpKind};
use super::group::GroupKey;
use super::sigma::{self, Compare, Condition, CorrelationKind, SigmaRule};
use super::temporal::Temporal;
use super::threshold::{Filter, Threshold};

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
    /// Set for a Sigma correlation rule: which of the file's correlations this is. An
    /// `event_count` or `value_count` correlation runs as a threshold over the matches of the
    /// base rules it references in the same YAML, a `temporal` or `temporal_ordered` one as a
    /// [`Temporal`]; one that does not compile is stored disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<usize>,
}

/// A Sigma correlation compiled for the engine, and the Vigil fields it groups by.
pub struct CompiledCorrelation {
    pub detector: Correlated,
    pub group_by: Vec<String>,
}

/// How a correlation is evaluated.
pub enum Correlated {
    /// `event_count`, `value_count`: a threshold whose events are the base rules' matches.
    Count(Threshold),
    /// `temporal`, `temporal_ordered`.
    Temporal(Temporal),
}

impl SigmaDef {
    /// Checks a definition written by hand (or a rule being enabled): the YAML must import
    /// without any refusal, and a correlation must be one Vigil evaluates.
    pub fn check(&self) -> Result<(), RuleError> {
        if self.correlation.is_some() {
            return self.compile_correlation().map(|_| ());
        }
        self.compile_with(true).map(|_| ())
    }

    /// Compiles a correlation rule: `event_count` and `value_count` with a `gt` or `gte`
    /// condition become a threshold (`gt N` is a threshold of N + 1) over the matches of the
    /// referenced base rules, which must be in the same YAML; `temporal` and
    /// `temporal_ordered` need every referenced rule; anything else names why not.
    pub fn compile_correlation(&self) -> Result<CompiledCorrelation, RuleError> {
        let err = |m: String| RuleError::new("definition.correlation", m);
        let at = self.correlation.unwrap_or(0);
        if self.yaml.len() as u64 > sigma::MAX_FILE_BYTES {
            return Err(RuleError::new(
                "definition.yaml",
                format!("over the {} byte limit", sigma::MAX_FILE_BYTES),
            ));
        }
        let import = sigma::import_yaml(&self.yaml);
        let Some(spec) = import.correlations.get(at) else {
            return Err(err(format!(
                "the YAML holds {} Sigma correlation(s); index {at} is past them",
                import.correlations.len()
            )));
        };
        let secs = i64::try_from(spec.timespan.as_secs()).unwrap_or(i64::MAX);
        if !(MIN_WINDOW_SECS..=MAX_WINDOW_SECS).contains(&secs) {
            return Err(err(format!(
                "timespan of {secs} s is out of range: between {MIN_WINDOW_SECS} and {MAX_WINDOW_SECS}"
            )));
        }
        let mut rules: Vec<SigmaRule> = Vec::new();
        for reference in &spec.rules {
            let Some(base) = import.rules.iter().find(|r| r.info.answers_to(reference)) else {
                return Err(err(format!(
                    "references rule {reference}, which is not a detection rule of the same YAML"
                )));
            };
            if !rules.iter().any(|r| r.info.answers_to(reference)) {
                rules.push(base.clone());
            }
        }
        let mapped = |name: &str| {
            sigma::event::vigil_field(name)
                .ok_or_else(|| err(format!("cannot group or count by the Sigma field `{name}`")))
        };
        let group_by = spec
            .group_by
            .iter()
            .map(|g| mapped(g))
            .collect::<Result<Vec<_>, _>>()?;
        let window = TimeDelta::seconds(secs);
        let detector = match spec.kind {
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => {
                every_rule(&spec.condition, rules.len()).map_err(err)?;
                Correlated::Temporal(Temporal {
                    rules,
                    ordered: spec.kind == CorrelationKind::TemporalOrdered,
                    timespan: window,
                })
            }
            CorrelationKind::EventCount | CorrelationKind::ValueCount => {
                let (threshold, counted) = count_threshold(&spec.condition).map_err(err)?;
                let distinct = match (spec.kind, counted) {
                    (CorrelationKind::ValueCount, Some(f)) => {
                        Some(field("definition.correlation", &mapped(f)?)?)
                    }
                    _ => None,
                };
                Correlated::Count(Threshold {
                    filter: Filter::Sigma(rules),
                    window,
                    threshold,
                    distinct,
                })
            }
        };
        Ok(CompiledCorrelation { detector, group_by })
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
                "a correlation compiles with compile_correlation",
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

/// The threshold of a counting correlation (`gt N` is N + 1) and the field it counts.
fn count_threshold(condition: &Condition) -> Result<(u64, Option<&String>), String> {
    let Condition::Count { predicates, field } = condition else {
        return Err("the condition is not a count".into());
    };
    let threshold = match predicates.as_slice() {
        [(Compare::Gt, n)] => n.saturating_add(1),
        [(Compare::Gte, n)] => *n,
        _ => return Err("only a single `gt` or `gte` condition is evaluated".into()),
    };
    if !(1..=MAX_THRESHOLD).contains(&threshold) {
        return Err(format!(
            "the condition asks for {threshold} events: between 1 and {MAX_THRESHOLD}"
        ));
    }
    Ok((threshold, field.as_ref()))
}

/// A temporal correlation fires when every referenced rule matched. Its condition, when given,
/// counts matched rules and must ask for all `n` of them; without one the parser supplies
/// `gte: 1`, which is taken as the default "all".
fn every_rule(condition: &Condition, n: usize) -> Result<(), String> {
    let n = n as u64;
    let all = match condition {
        Condition::Count { predicates, .. } => match predicates.as_slice() {
            [(Compare::Gte, 1)] => true,
            [(Compare::Gte | Compare::Eq, v)] => *v == n,
            [(Compare::Gt, v)] => v.saturating_add(1) == n,
            _ => false,
        },
        Condition::Expression(e) => {
            return Err(format!(
                "the condition expression `{e}` is not evaluated: a temporal correlation needs every referenced rule"
            ));
        }
    };
    if all {
        Ok(())
    } else {
        Err(format!(
            "only a condition asking for every one of the {n} referenced rules is evaluated"
        ))
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

    #[test]
    fn counting_correlations_compile_to_thresholds() {
        let base = "title: Bad request\nname: bad_request\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    sc-status: 400\n  condition: sel\n";
        let corr = |kind: &str, cond: &str| SigmaDef {
            yaml: format!(
                "{base}---\ntitle: Many\ncorrelation:\n  type: {kind}\n  rules:\n    - bad_request\n  group-by:\n    - clientip\n  timespan: 10m\n  condition:\n{cond}"
            ),
            index: 0,
            title: None,
            correlation: Some(0),
        };
        let threshold = |d: SigmaDef| match d.compile_correlation().unwrap().detector {
            Correlated::Count(t) => t,
            Correlated::Temporal(_) => panic!("a count compiled as temporal"),
        };
        let c = corr("event_count", "    gt: 10\n");
        assert_eq!(c.compile_correlation().unwrap().group_by, ["source_ip"]);
        let t = threshold(c);
        // `gt: 10` fires at the 11th event.
        assert_eq!(t.threshold, 11);
        assert_eq!(t.window, TimeDelta::seconds(600));
        assert!(t.distinct.is_none());
        let t = threshold(corr("value_count", "    gte: 3\n    field: cs-username\n"));
        assert_eq!(t.threshold, 3);
        assert_eq!(t.distinct.map(|f| f.name()).as_deref(), Some("user_name"));
        let Err(err) = corr("event_count", "    lt: 10\n").compile_correlation() else {
            panic!("`lt` compiled");
        };
        assert_eq!(err.field, "definition.correlation");
        assert!(err.message.contains("`gt` or `gte`"), "{err}");
        let mut missing = corr("event_count", "    gt: 1\n");
        missing.yaml = missing.yaml.replace("    - bad_request", "    - elsewhere");
        let Err(err) = missing.compile_correlation() else {
            panic!("a missing base rule compiled");
        };
        assert!(err.message.contains("references rule elsewhere"), "{err}");
    }

    #[test]
    fn temporal_correlations_need_every_referenced_rule() {
        let base = "title: A\nname: a\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    sc-status: 400\n  condition: sel\n---\ntitle: B\nname: b\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    sc-status: 500\n  condition: sel\n";
        let corr = |kind: &str, cond: &str| SigmaDef {
            yaml: format!(
                "{base}---\ntitle: Both\ncorrelation:\n  type: {kind}\n  rules:\n    - a\n    - b\n  group-by:\n    - clientip\n  timespan: 5m\n{cond}"
            ),
            index: 0,
            title: None,
            correlation: Some(0),
        };
        for (kind, ordered) in [("temporal", false), ("temporal_ordered", true)] {
            // No condition, or one asking for both rules.
            for cond in [
                "",
                "  condition:\n    gte: 2\n",
                "  condition:\n    gt: 1\n",
            ] {
                let c = corr(kind, cond).compile_correlation().unwrap();
                let Correlated::Temporal(t) = c.detector else {
                    panic!("{kind} compiled as a count");
                };
                assert_eq!((t.rules.len(), t.ordered), (2, ordered));
                assert_eq!(t.timespan, TimeDelta::seconds(300));
                assert_eq!(c.group_by, ["source_ip"]);
            }
            let Err(err) = corr(kind, "  condition:\n    gte: 3\n").compile_correlation() else {
                panic!("gte 3 of 2 rules compiled");
            };
            assert!(err.message.contains("every one of the 2"), "{err}");
            let Err(err) = corr(kind, "  condition: a or b\n").compile_correlation() else {
                panic!("an expression compiled");
            };
            assert!(err.message.contains("`"), "{err}");
        }
    }
}
