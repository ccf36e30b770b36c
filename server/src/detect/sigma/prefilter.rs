//! A cheap test that rules out most rules for an event before their detections run: the
//! literals a rule cannot match without, found for all rules at once by one Aho-Corasick pass.
//!
//! For each rule we derive a set of strings of which at least one must occur (ignoring ASCII
//! case) in some string of the event whenever the rule matches: `a and b` needs what `a` needs
//! (the child with the longest shortest literal is kept), `a or b` needs what either needs, a
//! value with wildcards needs its longest plain piece, `not`, regular expressions, numbers,
//! `exists`, CIDR, base64 and other encodings need nothing we can name, so a rule using them
//! where it matters is never pruned. The event's strings are every text a Sigma field lookup or
//! keyword search can return (the raw line, the message, the text columns, every string and
//! number in `fields`), so the test never drops a rule that would have matched. Events with
//! non-ASCII text skip the test: Unicode lower-casing can turn non-ASCII into ASCII.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rsigma_parser::value::{SpecialChar, StringPart};
use rsigma_parser::{ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SigmaValue};
use serde_json::Value;

use crate::ingest::EventRow;

/// One of these literals must occur in the event; `None`: nothing can be said.
type Needs = Option<Vec<String>>;

/// The literals a parsed rule needs, or `None` when it cannot be pruned.
pub(super) fn rule_literals(rule: &rsigma_parser::SigmaRule) -> Needs {
    let d = &rule.detection;
    any_of(d.conditions.iter().map(|c| condition(c, &d.named)))
}

fn condition(expr: &ConditionExpr, named: &std::collections::HashMap<String, Detection>) -> Needs {
    match expr {
        ConditionExpr::Identifier(name) => detection(named.get(name)?),
        ConditionExpr::And(xs) => all_of(xs.iter().map(|x| condition(x, named))),
        ConditionExpr::Or(xs) => any_of(xs.iter().map(|x| condition(x, named))),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut names: Vec<&String> = named
                .keys()
                .filter(|n| pattern.matches_detection_name(n))
                .collect();
            names.sort();
            let each = names.into_iter().map(|n| detection(&named[n]));
            match quantifier {
                Quantifier::Any => any_of(each),
                Quantifier::All => all_of(each),
                // `2 of x*`: at least one of them, so what any of them needs.
                Quantifier::Count(_) => any_of(each),
            }
        }
    }
}

fn detection(d: &Detection) -> Needs {
    match d {
        Detection::AllOf(items) => all_of(items.iter().map(item)),
        Detection::AnyOf(ds) => any_of(ds.iter().map(detection)),
        Detection::Keywords(values) => any_of(values.iter().map(value)),
        Detection::And(ds) => all_of(ds.iter().map(detection)),
        Detection::ArrayMatch { .. } | Detection::Conditional { .. } => None,
    }
}

fn item(i: &DetectionItem) -> Needs {
    let plain = i.field.modifiers.iter().all(|m| {
        matches!(
            m,
            Modifier::Contains
                | Modifier::StartsWith
                | Modifier::EndsWith
                | Modifier::All
                | Modifier::Cased
        )
    });
    if !plain || i.values.is_empty() {
        return None;
    }
    let each = i.values.iter().map(value);
    if i.field.has_modifier(Modifier::All) {
        all_of(each)
    } else {
        any_of(each)
    }
}

/// The longest plain piece of a string value, lower-cased.
fn value(v: &SigmaValue) -> Needs {
    let SigmaValue::String(s) = v else {
        return None;
    };
    let mut best = String::new();
    let mut current = String::new();
    for part in &s.parts {
        match part {
            StringPart::Plain(p) => current.push_str(p),
            StringPart::Special(SpecialChar::WildcardMulti | SpecialChar::WildcardSingle) => {
                if current.len() > best.len() {
                    best = std::mem::take(&mut current);
                }
                current.clear();
            }
        }
    }
    if current.len() > best.len() {
        best = current;
    }
    (!best.is_empty() && best.is_ascii()).then(|| vec![best.to_ascii_lowercase()])
}

/// Any branch may match: every branch must name literals, and any of them will do.
fn any_of(branches: impl Iterator<Item = Needs>) -> Needs {
    let mut out = Vec::new();
    for b in branches {
        out.extend(b?);
    }
    (!out.is_empty()).then_some(out)
}

/// Every branch must match: what one branch needs is needed; keep the most selective.
fn all_of(branches: impl Iterator<Item = Needs>) -> Needs {
    branches
        .flatten()
        .max_by_key(|lits| lits.iter().map(String::len).min().unwrap_or(0))
}

/// The literals of every prunable rule in one automaton.
#[derive(Debug, Clone)]
pub(super) struct Prefilter {
    automaton: AhoCorasick,
    /// For each pattern, the rules that need it.
    owners: Vec<Vec<u32>>,
    /// Rules that have literals (the others always run).
    prunable: Vec<bool>,
}

impl Prefilter {
    pub(super) fn new(literals: &[Option<Vec<String>>]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        for (rule, lits) in literals.iter().enumerate() {
            for lit in lits.iter().flatten() {
                match patterns.iter().position(|p| p == lit) {
                    Some(at) => owners[at].push(rule as u32),
                    None => {
                        patterns.push(lit.clone());
                        owners.push(vec![rule as u32]);
                    }
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("literal patterns build an automaton");
        Self {
            automaton,
            owners,
            prunable: literals.iter().map(Option::is_some).collect(),
        }
    }

    /// Marks in `keep` (one slot per rule) the rules that must run for this event; leaves
    /// `keep` as it is and answers `false` when the event cannot be screened.
    pub(super) fn screen(&self, row: &EventRow, keep: &mut [bool]) -> bool {
        let mut ascii = true;
        visit_strings(row, &mut |s| ascii &= s.is_ascii());
        if !ascii {
            return false;
        }
        for (slot, prunable) in keep.iter_mut().zip(&self.prunable) {
            *slot = !prunable;
        }
        let mut number = String::new();
        visit_strings(row, &mut |s| {
            for m in self.automaton.find_overlapping_iter(s) {
                for &rule in &self.owners[m.pattern().as_usize()] {
                    keep[rule as usize] = true;
                }
            }
        });
        visit_numbers(row, &mut number, &mut |s| {
            for m in self.automaton.find_overlapping_iter(s) {
                for &rule in &self.owners[m.pattern().as_usize()] {
                    keep[rule as usize] = true;
                }
            }
        });
        true
    }
}

/// Every text of the event a Sigma lookup can return.
fn visit_strings(row: &EventRow, f: &mut dyn FnMut(&str)) {
    f(&row.raw);
    f(&row.message);
    f(row.parser);
    f(&row.source);
    for s in [
        &row.host,
        &row.source_ip,
        &row.destination_ip,
        &row.user_name,
        &row.event_category,
        &row.event_action,
        &row.event_outcome,
        &row.level,
        &row.process,
    ]
    .into_iter()
    .flatten()
    {
        f(s);
    }
    for v in row.fields.values() {
        json_strings(v, f);
    }
}

fn json_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| json_strings(x, f)),
        Value::Object(o) => o.values().for_each(|x| json_strings(x, f)),
        _ => {}
    }
}

/// Numbers match string values in their decimal form, so they are screened as text too.
fn visit_numbers(row: &EventRow, buf: &mut String, f: &mut dyn FnMut(&str)) {
    use std::fmt::Write;
    let mut put = |buf: &mut String, n: &dyn std::fmt::Display| {
        buf.clear();
        let _ = write!(buf, "{n}");
        f(buf);
    };
    for p in [row.source_port, row.destination_port]
        .into_iter()
        .flatten()
    {
        put(buf, &p);
    }
    if let Some(pid) = row.pid {
        put(buf, &pid);
    }
    fn walk(v: &Value, buf: &mut String, put: &mut dyn FnMut(&mut String, &dyn std::fmt::Display)) {
        match v {
            Value::Number(n) => put(buf, n),
            Value::Bool(b) => put(buf, b),
            Value::Array(a) => a.iter().for_each(|x| walk(x, buf, put)),
            Value::Object(o) => o.values().for_each(|x| walk(x, buf, put)),
            _ => {}
        }
    }
    for v in row.fields.values() {
        walk(v, buf, &mut put);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(yaml: &str) -> Needs {
        let c = rsigma_parser::parse_sigma_yaml(yaml).unwrap();
        rule_literals(&c.rules[0])
    }

    #[test]
    fn literals_follow_the_condition() {
        let kw = "title: t\nlogsource: {product: linux}\ndetection:\n  k:\n    - 'Trojan*FOUND'\n    - 'ab?cdef'\n  condition: k\n";
        assert_eq!(needs(kw), Some(vec!["trojan".into(), "cdef".into()]));
        let and = "title: t\nlogsource: {category: webserver}\ndetection:\n  m:\n    cs-method: GET\n  k:\n    - 'union select'\n  f:\n    sc-status: 404\n  condition: m and k and not f\n";
        assert_eq!(needs(and), Some(vec!["union select".into()]));
        let not_only = "title: t\nlogsource: {product: linux}\ndetection:\n  k:\n    - x\n  condition: not k\n";
        assert_eq!(needs(not_only), None);
        let regex = "title: t\nlogsource: {product: linux}\ndetection:\n  s:\n    f|re: 'a.*b'\n  condition: s\n";
        assert_eq!(needs(regex), None);
        let either = "title: t\nlogsource: {product: linux}\ndetection:\n  a:\n    f: 'x'\n  b:\n    g: 5\n  condition: a or b\n";
        assert_eq!(needs(either), None, "a number names no literal");
    }
}
