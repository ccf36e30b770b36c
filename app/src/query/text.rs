//! Text matching as the query language defines it: ASCII letters match either case, every other
//! character (including non-ASCII letters and spaces) matches only itself.
//!
//! Works on bytes: ASCII folding never touches the bytes of a multi-byte character, and a
//! literal that starts on a character can only match where a character starts.

use super::ast::{Pattern, Piece};

/// Equality ignoring ASCII case.
pub fn equals(value: &str, needle: &str) -> bool {
    value.eq_ignore_ascii_case(needle)
}

/// Whether `needle` occurs in `haystack`, ignoring ASCII case.
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// The first position of `needle` in `hay`, ignoring ASCII case.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    if hay.len() < needle.len() {
        return None;
    }
    let first = first.to_ascii_lowercase();
    (0..=hay.len() - needle.len()).find(|&i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
    })
}

/// A compiled wildcard pattern: `*` matches any run of characters, the pattern covers the whole
/// value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    anchored_start: bool,
    anchored_end: bool,
    literals: Vec<String>,
}

impl Glob {
    pub fn new(pattern: &Pattern) -> Self {
        let pieces = pattern.pieces();
        Self {
            anchored_start: !matches!(pieces.first(), Some(Piece::Any)),
            anchored_end: !matches!(pieces.last(), Some(Piece::Any)),
            literals: pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Literal(s) => Some(s.clone()),
                    Piece::Any => None,
                })
                .collect(),
        }
    }

    /// The pattern with a `*` at both ends: "contains a match".
    pub fn unanchored(mut self) -> Self {
        self.anchored_start = false;
        self.anchored_end = false;
        self
    }

    pub fn matches(&self, value: &str) -> bool {
        let hay = value.as_bytes();
        let mut pos = 0;
        let last = self.literals.len().saturating_sub(1);
        for (i, lit) in self.literals.iter().enumerate() {
            let lit = lit.as_bytes();
            if i == 0 && self.anchored_start {
                if hay.len() < lit.len() || !hay[..lit.len()].eq_ignore_ascii_case(lit) {
                    return false;
                }
                pos = lit.len();
                if i == last && self.anchored_end {
                    return pos == hay.len();
                }
            } else if i == last && self.anchored_end {
                // The last literal ends the value, after everything matched so far.
                return hay.len() >= pos + lit.len()
                    && hay[hay.len() - lit.len()..].eq_ignore_ascii_case(lit);
            } else {
                match find(&hay[pos..], lit) {
                    Some(at) => pos += at + lit.len(),
                    None => return false,
                }
            }
        }
        // Unanchored at the end, or no literal at all (`*`).
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pieces: &[&str]) -> Glob {
        Glob::new(&Pattern::new(pieces.iter().map(|p| {
            if *p == "*" {
                Piece::Any
            } else {
                Piece::Literal(p.to_string())
            }
        })))
    }

    #[test]
    fn ascii_letters_fold_and_nothing_else_does() {
        assert!(equals("Alice", "aLICE"));
        assert!(!equals("Émile", "émile"));
        assert!(!equals("alice ", "alice"));
        assert!(contains("Login FAILED for bob", "failed"));
        assert!(contains("x", ""));
        assert!(!contains("straße", "STRASSE"));
        assert!(contains("naïve café", "CAFé"));
    }

    #[test]
    fn wildcards_cover_the_whole_value() {
        assert!(glob(&["web-", "*"]).matches("WEB-1"));
        assert!(!glob(&["web-", "*"]).matches("xweb-1"));
        assert!(glob(&["*", "sqlmap", "*"]).matches("Mozilla sqlmap/1.7"));
        assert!(glob(&["*", ".log"]).matches("a.log"));
        assert!(!glob(&["*", ".log"]).matches("a.log "));
        assert!(glob(&["a", "*", "a"]).matches("aa"));
        assert!(!glob(&["a", "*", "a"]).matches("a"));
        assert!(glob(&["a", "*", "b", "*", "c"]).matches("abbc"));
        assert!(!glob(&["a", "*", "b", "*", "c"]).matches("acb"));
        assert!(glob(&["*", "é", "*"]).matches("café"));
        assert!(glob(&["*", "b", "*"]).unanchored().matches("abc"));
        assert!(glob(&["b", "*"]).unanchored().matches("abc"));
    }
}
