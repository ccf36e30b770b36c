//! Many Sigma rules over a stream of events: each event's kinds are worked out once and only
//! the rules of those kinds look at it.

use super::SigmaRule;
use super::logsource::{self, Kinds};
use crate::ingest::EventRow;

/// Every combination of kind bits (see [`Kinds`]) indexes the rules that accept it.
const KIND_COMBINATIONS: usize = 1 << 11;

/// A set of Sigma rules indexed by the kinds of event they accept.
#[derive(Debug, Clone, Default)]
pub struct SigmaRuleSet {
    rules: Vec<SigmaRule>,
    by_kinds: Vec<Vec<u32>>,
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
        Self { rules, by_kinds }
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

    /// Appends the indexes of the rules the event matches, in rule order.
    pub fn matching(&self, row: &EventRow, out: &mut Vec<usize>) {
        for &i in self.candidates(logsource::event_kinds(row)) {
            if self.rules[i as usize].detects(row) {
                out.push(i as usize);
            }
        }
    }

    /// The same answer as [`Self::matching`] without the index: every rule checks the event's
    /// logsource itself. Kept to measure what the index saves.
    pub fn matching_unindexed(&self, row: &EventRow, out: &mut Vec<usize>) {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.matches(row) {
                out.push(i);
            }
        }
    }
}
