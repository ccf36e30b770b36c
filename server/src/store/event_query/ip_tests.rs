//! The address patterns checked against `IpNet::contains` on canonical texts, with a glob
//! interpreter written independently of the SQL.

use std::net::{IpAddr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

/// Whether `text` matches `toks` (a small backtracking matcher).
fn glob_matches(toks: &[Tok], text: &str) -> bool {
    match toks.split_first() {
        None => text.is_empty(),
        Some((Tok::Lit(s), rest)) => text
            .strip_prefix(s.as_str())
            .is_some_and(|t| glob_matches(rest, t)),
        Some((Tok::Class(cs), rest)) => {
            let mut chars = text.chars();
            chars
                .next()
                .is_some_and(|c| cs.contains(&c) && glob_matches(rest, chars.as_str()))
        }
        Some((Tok::Any, rest)) => text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .any(|i| glob_matches(rest, &text[i..])),
    }
}

fn matches(patterns: &[IpPattern], text: &str) -> bool {
    patterns.iter().any(|p| match p {
        IpPattern::Equals(s) => text == s,
        // Only `%` is special in the prefixes, and only as a leading "anything".
        IpPattern::StartsWith(s) => match s.strip_prefix('%') {
            Some(inner) => text.contains(inner),
            None => text.starts_with(s.as_str()),
        },
        IpPattern::Shape(toks, colons) => {
            glob_matches(toks, text) && colons.is_none_or(|c| text.matches(':').count() == c)
        }
    })
}

fn check(block: &str, addr: &str, expected: bool) {
    let net = IpNet::parse(block).unwrap();
    let text = addr.parse::<IpAddr>().unwrap().to_string();
    assert_eq!(
        matches(&patterns(&net), &text),
        expected,
        "{text} in {block}: {:?}",
        patterns(&net)
    );
}

#[test]
fn known_blocks() {
    check("10.0.0.0/8", "10.1.2.3", true);
    check("10.0.0.0/8", "100.1.2.3", false);
    check("10.0.0.0/12", "10.15.255.255", true);
    check("10.0.0.0/12", "10.16.0.0", false);
    check("192.168.1.128/30", "192.168.1.131", true);
    check("192.168.1.128/30", "192.168.1.132", false);
    check("0.0.0.0/0", "8.8.8.8", true);
    check("0.0.0.0/0", "::1", false);
    check("2001:db8::/32", "2001:db8::1", true);
    check("2001:db8::/32", "2001:db8:1:2:3:4:5:6", true);
    check("2001:db8::/32", "2001:db9::1", false);
    check("2001:db8::/32", "10.0.0.1", false);
    check("2001:db8:ff00::/40", "2001:db8:ff12::1", true);
    check("2001:db8:ff00::/40", "2001:db8:fe00::1", false);
    check("2001:db8:ff00::/40", "2001:db8:ff::1", false);
    check("2001:db8:0:1::/64", "2001:db8:0:1::5", true);
    check("2001:db8:0:1::/64", "2001:db8::1:0:0:5", false);
    check("2001:db8:0:1::/64", "2001:db8:0:2::5", false);
    check("fe80::/10", "fe80::1", true);
    check("fe80::/10", "febf:1::", true);
    check("fe80::/10", "fec0::1", false);
    check("::/0", "::", true);
    check("::/0", "1.2.3.4", false);
    check("::/8", "::1", true);
    check("::/8", "ff::1", true);
    check("::/8", "100::1", false);
    check("1::/16", "1::", true);
    check("1:0:0:5::/64", "1::5:6", false);
    check("1:0:0:5::/64", "1:0:0:5:6::", true);
}

/// Groups that make compression likely: mostly zeros, some small and large values.
fn group() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(0u16),
        1 => Just(1u16),
        1 => Just(0xffu16),
        1 => Just(0x100u16),
        1 => any::<u16>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn ipv6_shapes_are_exact(
        base in prop::array::uniform8(group()),
        other in prop::array::uniform8(group()),
        prefix in 1u8..128,
        keep in 0u8..=128,
    ) {
        let net = IpNet::parse(&format!("{}/{prefix}", Ipv6Addr::from(base))).unwrap();
        let pats = patterns(&net);
        // An address sharing `keep` leading bits with the block, the rest from `other`.
        let mask = app::query::mask128(keep);
        let bits = (u128::from(Ipv6Addr::from(base)) & mask) | (u128::from(Ipv6Addr::from(other)) & !mask);
        let addr = IpAddr::V6(Ipv6Addr::from(bits)).to_canonical();
        let text = addr.to_string();
        prop_assert_eq!(matches(&pats, &text), net.contains(addr), "{} in {}: {:?}", text, net, pats);
    }

    #[test]
    fn ipv4_patterns_are_exact(base in any::<u32>(), other in any::<u32>(), prefix in 0u8..=32, keep in 0u8..=32) {
        let net = IpNet::parse(&format!("{}/{prefix}", std::net::Ipv4Addr::from(base))).unwrap();
        let mask = app::query::mask32(keep);
        let addr = IpAddr::V4(std::net::Ipv4Addr::from((base & mask) | (other & !mask)));
        prop_assert_eq!(matches(&patterns(&net), &addr.to_string()), net.contains(addr));
    }
}
