//! Many Sigma rules over a stream of events: each event's kinds are worked out once and only
//! the rules of those kinds look at it, and of those only the ones whose required literals
//! occur in the event (see `prefilter`).

use super::SigmaRule;
use super::logsource::{self, Kinds};
use super::prefilter::Prefilter;
use crate::ingest::EventRow;

/// Every combination of kind bits (see [`Kinds`]) indexes the rules that accept it.
const KIND_COMBINATIONS: usize = Kinds::ALL.bits() as usize + 1;

/// A set of Sigma rules indexed by the kinds of event they accept and by required literals.
#[derive(Debug, Clone)]
pub struct SigmaRuleSet {
    rules: Vec<SigmaRule>,
    by_kinds: Vec<Vec<u32>>,
    prefilter: Prefilter,
}

impl SigmaRuleSet {
    pub fn new(rules: Vec<SigmaRule>) -> Self {
        let by_kinds = (0..KIND_COMBINATIONS as u32)
            .map(|bits| {
                rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.kinds().bits() & bits != 0)
                    .map(|(i, _)| i as u32)
                    .collect()
            })
            .collect();
        let literals: Vec<Option<Vec<String>>> = rules
            .iter()
            .map(|r| r.literals().map(<[String]>::to_vec))
            .collect();
        Self {
            prefilter: Prefilter::new(&literals),
            rules,
            by_kinds,
        }
    }

    pub fn rules(&self) -> &[SigmaRule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that may see events of these kinds.
    pub fn candidates(&self, kinds: Kinds) -> &[u32] {
        self.by_kinds
            .get(kinds.bits() as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Appends the indexes of the rules the event matches, in rule order: rules of the event's
    /// logsource whose required literals occur in it.
    pub fn matching(&self, row: &EventRow, out: &mut Vec<usize>) {
        let candidates = self.candidates(logsource::event_kinds(row));
        if candidates.is_empty() {
            return;
        }
        let mut keep = vec![true; self.rules.len()];
        self.prefilter.screen(row, &mut keep);
        for &i in candidates {
            if keep[i as usize] && self.rules[i as usize].detects(row) {
                out.push(i as usize);
            }
        }
    }

    /// [`Self::matching`] without the literal screen: rules of the event's logsource only.
    pub fn matching_by_logsource(&self, row: &EventRow, out: &mut Vec<usize>) {
        for &i in self.candidates(logsource::event_kinds(row)) {
            if self.rules[i as usize].detects(row) {
                out.push(i as usize);
            }
        }
    }

    /// The same answer without any index: every rule checks the event's logsource itself.
    /// Kept to measure what the indexes save, and to check they change no answer.
    pub fn matching_unindexed(&self, row: &EventRow, out: &mut Vec<usize>) {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.matches(row) {
                out.push(i);
            }
        }
    }
}
