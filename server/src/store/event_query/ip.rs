//! Address blocks as exact SQL on the canonical text the rows store.
//!
//! Neither database can compare addresses stored as text numerically, so a block becomes text
//! patterns that match exactly the canonical forms of its addresses:
//!
//! - IPv4 on an octet boundary is one prefix (`10.0.0.0/8` → `LIKE '10.%'`); inside an octet
//!   the patterns list the values the octet can take (`10.0.0.0/12` → `10.0.%` … `10.15.%`, at
//!   most 128). The dot after each octet keeps `10.%` from matching `100.1.2.3`.
//! - IPv6 text compresses the longest run of zero groups into `::`, so one block has several
//!   textual shapes: the fixed leading groups written out, or a `::` starting among them. Each
//!   shape is a glob over hex-digit classes (SQLite `GLOB`, MariaDB `REGEXP`) and, where the
//!   rest is free, the exact number of colons that pins how many groups follow the `::`.
//!
//! Patterns only ever contain hex digits, `.`, `:` and the pattern syntax Vigil writes, never
//! text of the caller's.

use std::net::IpAddr;

use app::query::IpNet;

/// One way an address of the block can be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IpPattern {
    /// The whole text.
    Equals(String),
    /// A text prefix (`LIKE 'p%'`).
    StartsWith(String),
    /// A glob over the whole text, with the exact colon count when it has a free run.
    Shape(Vec<Tok>, Option<usize>),
}

/// A piece of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(String),
    /// One character from the set.
    Class(Vec<char>),
    /// Any run of characters.
    Any,
}

/// The patterns for `net`: a text of the block's addresses matches at least one, and no other
/// canonical address text matches any.
pub(crate) fn patterns(net: &IpNet) -> Vec<IpPattern> {
    if net.is_single() {
        return vec![IpPattern::Equals(net.addr().to_string())];
    }
    match net.addr() {
        IpAddr::V4(a) => v4_patterns(a.octets(), net.prefix()),
        IpAddr::V6(a) => v6_shapes(a.segments(), net.prefix())
            .into_iter()
            .map(|(toks, colons)| IpPattern::Shape(toks, colons))
            .collect(),
    }
}

fn v4_patterns(octets: [u8; 4], prefix: u8) -> Vec<IpPattern> {
    let full = usize::from(prefix / 8);
    let head: Vec<String> = octets[..full].iter().map(u8::to_string).collect();
    let host_bits = 8 - u32::from(prefix % 8);
    if prefix.is_multiple_of(8) {
        return if full == 0 {
            // Every IPv4 text has a dot; no IPv6 text does once canonical.
            vec![IpPattern::StartsWith("%.".into())]
        } else {
            vec![IpPattern::StartsWith(format!("{}.", head.join(".")))]
        };
    }
    // The partly fixed octet takes 2^host_bits values from its masked value upwards.
    let first = u32::from(octets[full]);
    (first..first + (1 << host_bits))
        .map(|v| {
            let mut parts = head.clone();
            parts.push(v.to_string());
            if full == 3 {
                IpPattern::Equals(parts.join("."))
            } else {
                IpPattern::StartsWith(format!("{}.", parts.join(".")))
            }
        })
        .collect()
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// The shapes of the canonical texts of the IPv6 block `groups/prefix` (0 < prefix < 128).
fn v6_shapes(groups: [u16; 8], prefix: u8) -> Vec<(Vec<Tok>, Option<usize>)> {
    if prefix == 0 {
        return vec![(vec![Tok::Any, Tok::Lit(":".into()), Tok::Any], None)];
    }
    let k = usize::from(prefix / 16);
    let r = u32::from(prefix % 16);
    // Group k's values when it is partly fixed.
    let partial = (r > 0).then(|| {
        let mask = (0xffffu32 << (16 - r)) & 0xffff;
        let lo = u32::from(groups[k]) & mask;
        (lo, lo | (!mask & 0xffff))
    });
    let m = k + usize::from(partial.is_some());
    let hex = |g: u16| format!("{g:x}");
    let mut out = Vec::new();

    // The fixed groups written out; any `::` comes after them.
    let mut head: Vec<Tok> = groups[..k]
        .iter()
        .map(|g| Tok::Lit(format!("{}:", hex(*g))))
        .collect();
    match partial {
        None => {
            head.push(Tok::Any);
            out.push((head, None));
        }
        Some((lo, hi)) => {
            for g in hex_globs(lo, hi, true) {
                let mut toks = head.clone();
                toks.extend(g);
                if k < 7 {
                    toks.push(Tok::Lit(":".into()));
                    toks.push(Tok::Any);
                }
                out.push((toks, None));
            }
        }
    }

    // A `::` standing for groups [s, s + len), starting among the fixed groups.
    let zero_able = |j: usize| match (j < k, partial) {
        (true, _) => groups[j] == 0,
        (false, Some((lo, _))) => j == k && lo == 0,
        (false, None) => true,
    };
    for s in 0..m {
        if s > 0 && groups[s - 1] == 0 {
            continue; // the run would start earlier
        }
        for len in 2..=8 - s {
            let end = s + len;
            if !(s..end.min(m)).all(zero_able) {
                break;
            }
            // The group after a run is never zero (the run would be longer).
            if end < k && groups[end] == 0 {
                continue;
            }
            let tail_groups = 8 - end;
            // The fixed groups after the run, each with its choice of globs.
            let mut fixed_tail: Vec<Vec<Vec<Tok>>> = groups[end.min(k)..k]
                .iter()
                .map(|g| vec![vec![Tok::Lit(hex(*g))]])
                .collect();
            if let Some((lo, hi)) = partial
                && end <= k
            {
                // Zero only when it is not the group right after the run.
                fixed_tail.push(hex_globs(lo, hi, k != end));
            }
            let free = tail_groups - fixed_tail.len();
            let head = groups[..s].iter().map(|g| hex(*g)).collect::<Vec<_>>();
            let mut start = Vec::new();
            if !head.is_empty() {
                start.push(Tok::Lit(head.join(":")));
            }
            start.push(Tok::Lit("::".into()));
            let colons = s.saturating_sub(1) + 2 + tail_groups.saturating_sub(1);
            for tail in product(&fixed_tail) {
                let mut toks = start.clone();
                for (i, g) in tail.into_iter().enumerate() {
                    if i > 0 {
                        toks.push(Tok::Lit(":".into()));
                    }
                    toks.extend(g);
                }
                let counted = if free > 0 {
                    if !fixed_tail.is_empty() {
                        toks.push(Tok::Lit(":".into()));
                    }
                    toks.push(Tok::Any);
                    Some(colons)
                } else {
                    None
                };
                out.push((toks, counted));
            }
        }
    }
    out
}

/// Every combination of one choice per position.
fn product(choices: &[Vec<Vec<Tok>>]) -> Vec<Vec<Vec<Tok>>> {
    choices.iter().fold(vec![Vec::new()], |acc, options| {
        acc.iter()
            .flat_map(|prefix| {
                options.iter().map(move |o| {
                    let mut v = prefix.clone();
                    v.push(o.clone());
                    v
                })
            })
            .collect()
    })
}

/// Globs matching exactly the lowercase hex texts without leading zeros of the values in
/// `[lo, hi]` (leaving out 0 unless `zero`).
fn hex_globs(lo: u32, hi: u32, zero: bool) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    for digits in 1..=4u32 {
        let min = if digits == 1 {
            u32::from(!zero)
        } else {
            16u32.pow(digits - 1)
        };
        let max = 16u32.pow(digits) - 1;
        let (a, b) = (lo.max(min), hi.min(max));
        if a <= b {
            out.extend(range_globs(a, b, digits));
        }
    }
    out
}

/// Globs for the `digits`-digit hex values in `[a, b]`.
fn range_globs(a: u32, b: u32, digits: u32) -> Vec<Vec<Tok>> {
    if digits == 0 {
        return vec![Vec::new()];
    }
    let unit = 16u32.pow(digits - 1);
    let (fa, fb) = (a / unit, b / unit);
    let (ra, rb) = (a % unit, b % unit);
    let class = |from: u32, to: u32| -> Tok {
        if from == to {
            Tok::Lit(HEX[from as usize].to_string())
        } else {
            Tok::Class(HEX[from as usize..=to as usize].to_vec())
        }
    };
    let any_rest = |first: Tok| -> Vec<Tok> {
        let mut v = vec![first];
        v.extend((1..digits).map(|_| Tok::Class(HEX.to_vec())));
        v
    };
    if ra == 0 && rb == unit - 1 {
        return vec![any_rest(class(fa, fb))];
    }
    if fa == fb {
        return range_globs(ra, rb, digits - 1)
            .into_iter()
            .map(|rest| [vec![class(fa, fa)], rest].concat())
            .collect();
    }
    let mut out: Vec<Vec<Tok>> = range_globs(ra, unit - 1, digits - 1)
        .into_iter()
        .map(|rest| [vec![class(fa, fa)], rest].concat())
        .collect();
    if fa + 1 < fb {
        out.push(any_rest(class(fa + 1, fb - 1)));
    }
    out.extend(
        range_globs(0, rb, digits - 1)
            .into_iter()
            .map(|rest| [vec![class(fb, fb)], rest].concat()),
    );
    out
}

/// The glob as SQLite `GLOB` writes it.
pub(crate) fn glob_text(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(s) => s.clone(),
            Tok::Class(cs) => format!("[{}]", cs.iter().collect::<String>()),
            Tok::Any => "*".into(),
        })
        .collect()
}

/// The glob as an anchored MariaDB regular expression.
pub(crate) fn regex_text(toks: &[Tok]) -> String {
    let body: String = toks
        .iter()
        .map(|t| match t {
            Tok::Lit(s) => s.clone(),
            Tok::Class(cs) => format!("[{}]", cs.iter().collect::<String>()),
            Tok::Any => ".*".into(),
        })
        .collect();
    // `\z`, not `$`: PCRE's `$` also matches before a final newline.
    format!("^{body}\\z")
}

#[cfg(test)]
#[path = "ip_tests.rs"]
mod tests;
