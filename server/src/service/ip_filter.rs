//! The `source_ip` filter of event searches: one address or a CIDR block, matched the same way
//! on SQLite and MariaDB.
//!
//! Addresses are stored as text in canonical form (`std::net::IpAddr`'s display, IPv4-mapped
//! IPv6 reduced to IPv4), so neither database can compare them as numbers. A block therefore
//! becomes a SQL pre-filter of text prefixes that selects a superset of the block, and every
//! candidate row is then checked exactly in Rust:
//!
//! - IPv4 on an octet boundary is one prefix (`10.0.0.0/8` → `LIKE '10.%'`); `/32` is equality.
//!   The dot after each octet keeps `10.%` from matching `100.1.2.3`.
//! - IPv4 inside an octet lists the values the octet can take (`10.0.0.0/12` → `10.0.%` …
//!   `10.15.%`, at most 128 prefixes), so for IPv4 the pre-filter is already exact and a page
//!   fills from one query.
//! - IPv6 text compresses runs of zero groups into `::`, so only the leading non-zero groups the
//!   prefix fixes are a reliable text prefix (`2001:db8::/32` → `LIKE '2001:db8:%'`). A group
//!   that is zero or only partly fixed ends the text prefix, and the rest of the block is
//!   checked in Rust; the search keeps reading candidates until its page is full.
//!
//! Patterns only ever contain digits, hex letters, `.` and `:`, never a `LIKE` wildcard of the
//! caller's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sea_orm::{ColumnTrait, Condition};

use crate::store::bronze_event_data::Column;

/// A parsed `source_ip` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceIpFilter {
    /// One address, in the canonical text the rows store.
    Exact(String),
    /// A CIDR block wider than one address.
    Block(Block),
}

/// A CIDR block with its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    addr: IpAddr,
    prefix: u8,
}

/// One term of the SQL pre-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Equals(String),
    StartsWith(String),
}

impl SourceIpFilter {
    /// Reads `203.0.113.9`, `10.0.0.0/8` or `2001:db8::/32`. Host bits of a block are cleared
    /// (`10.1.2.3/8` means `10.0.0.0/8`).
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let Some((addr, prefix)) = value.split_once('/') else {
            let ip: IpAddr = value
                .parse()
                .map_err(|_| format!("{value:?} is not an IP address or CIDR block"))?;
            return Ok(Self::Exact(ip.to_canonical().to_string()));
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("prefix length must be a number from 0 to {max}"))?;
        if prefix == max {
            return Ok(Self::Exact(ip.to_canonical().to_string()));
        }
        Ok(Self::Block(Block::new(ip, prefix)))
    }

    /// The SQL condition on `source_ip`: exact for an address, a superset for a block.
    pub fn condition(&self) -> Condition {
        match self {
            Self::Exact(ip) => Condition::all().add(Column::SourceIp.eq(ip.as_str())),
            Self::Block(block) => {
                block
                    .patterns()
                    .into_iter()
                    .fold(Condition::any(), |any, pattern| match pattern {
                        Pattern::Equals(s) => any.add(Column::SourceIp.eq(s)),
                        Pattern::StartsWith(s) => any.add(Column::SourceIp.starts_with(s)),
                    })
            }
        }
    }

    /// Whether the SQL condition alone may select rows outside the filter.
    pub fn needs_check(&self) -> bool {
        matches!(self, Self::Block(b) if b.addr.is_ipv6())
    }

    /// The exact test for a stored `source_ip`.
    pub fn matches(&self, stored: Option<&str>) -> bool {
        let Some(ip) = stored.and_then(|s| s.parse::<IpAddr>().ok()) else {
            return false;
        };
        let ip = ip.to_canonical();
        match self {
            Self::Exact(want) => want.parse::<IpAddr>().is_ok_and(|w| w == ip),
            Self::Block(block) => block.contains(ip),
        }
    }
}

impl Block {
    fn new(addr: IpAddr, prefix: u8) -> Self {
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Self { addr, prefix }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }

    fn patterns(&self) -> Vec<Pattern> {
        match self.addr {
            IpAddr::V4(net) => v4_patterns(net.octets(), self.prefix),
            IpAddr::V6(net) => {
                let fixed: String = net
                    .segments()
                    .iter()
                    .take(usize::from(self.prefix / 16))
                    .take_while(|g| **g != 0)
                    .map(|g| format!("{g:x}:"))
                    .collect();
                if fixed.is_empty() {
                    vec![contains_colon()]
                } else {
                    vec![Pattern::StartsWith(fixed)]
                }
            }
        }
    }
}

/// Every IPv6 address: its text contains a colon (and an IPv4 text never does).
fn contains_colon() -> Pattern {
    // `starts_with` appends `%`; the leading `%` makes it "contains".
    Pattern::StartsWith("%:".into())
}

fn v4_patterns(octets: [u8; 4], prefix: u8) -> Vec<Pattern> {
    let full = usize::from(prefix / 8);
    let head: Vec<String> = octets[..full].iter().map(u8::to_string).collect();
    let host_bits = 8 - u32::from(prefix % 8);
    if prefix.is_multiple_of(8) {
        return if full == 0 {
            // Every IPv4 address has a dot; IPv6 text with a dot (`::ffff:1.2.3.4`) is
            // canonicalised to IPv4 before it is stored.
            vec![Pattern::StartsWith("%.".into())]
        } else {
            vec![Pattern::StartsWith(format!("{}.", head.join(".")))]
        };
    }
    // The partly fixed octet takes 2^host_bits values from its masked value upwards.
    let first = u32::from(octets[full]);
    (first..first + (1 << host_bits))
        .map(|v| {
            let mut parts = head.clone();
            parts.push(v.to_string());
            let text = parts.join(".");
            if full == 3 {
                Pattern::Equals(text)
            } else {
                Pattern::StartsWith(format!("{text}."))
            }
        })
        .collect()
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(s: &str) -> Block {
        match SourceIpFilter::parse(s).unwrap() {
            SourceIpFilter::Block(b) => b,
            other => panic!("{s} parsed as {other:?}"),
        }
    }

    fn starts(s: &str) -> Pattern {
        Pattern::StartsWith(s.into())
    }

    #[test]
    fn addresses_are_canonical_and_bad_values_are_named() {
        assert_eq!(
            SourceIpFilter::parse(" 2001:DB8:0:0::1 ").unwrap(),
            SourceIpFilter::Exact("2001:db8::1".into())
        );
        assert_eq!(
            SourceIpFilter::parse("::ffff:10.1.2.3").unwrap(),
            SourceIpFilter::Exact("10.1.2.3".into())
        );
        assert_eq!(
            SourceIpFilter::parse("10.1.2.3/32").unwrap(),
            SourceIpFilter::Exact("10.1.2.3".into())
        );
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "::/129",
            "nope/8",
        ] {
            assert!(SourceIpFilter::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ipv4_octet_boundaries_are_one_prefix() {
        assert_eq!(block("10.9.8.7/8").patterns(), [starts("10.")]);
        assert_eq!(block("192.168.0.0/16").patterns(), [starts("192.168.")]);
        assert_eq!(block("192.168.1.0/24").patterns(), [starts("192.168.1.")]);
        assert_eq!(block("0.0.0.0/0").patterns(), [starts("%.")]);
    }

    #[test]
    fn ipv4_inside_an_octet_lists_its_values() {
        let p = block("10.0.0.0/12").patterns();
        assert_eq!(p.len(), 16);
        assert_eq!(p[0], starts("10.0."));
        assert_eq!(p[15], starts("10.15."));
        let p = block("192.168.1.130/30").patterns();
        assert_eq!(
            p,
            [
                "192.168.1.128",
                "192.168.1.129",
                "192.168.1.130",
                "192.168.1.131"
            ]
            .map(|s| Pattern::Equals(s.into()))
        );
        assert_eq!(block("128.0.0.0/1").patterns().len(), 128);
    }

    #[test]
    fn ipv6_uses_leading_nonzero_groups() {
        assert_eq!(block("2001:db8::/32").patterns(), [starts("2001:db8:")]);
        assert_eq!(block("2001:db8:0:1::/64").patterns(), [starts("2001:db8:")]);
        assert_eq!(
            block("2001:db8:ff00::/40").patterns(),
            [starts("2001:db8:")]
        );
        assert_eq!(block("fe80::/10").patterns(), [starts("%:")]);
        assert_eq!(block("::/0").patterns(), [starts("%:")]);
    }

    #[test]
    fn membership_is_exact() {
        let f = SourceIpFilter::parse("10.0.0.0/12").unwrap();
        assert!(f.matches(Some("10.15.255.255")));
        assert!(!f.matches(Some("10.16.0.0")));
        assert!(!f.matches(Some("100.1.2.3")));
        assert!(!f.matches(None));
        assert!(!f.needs_check());
        let f = SourceIpFilter::parse("2001:db8:ff00::/40").unwrap();
        assert!(f.needs_check());
        assert!(f.matches(Some("2001:db8:ff12::1")));
        assert!(!f.matches(Some("2001:db8:fe00::1")));
        assert!(!f.matches(Some("10.0.0.1")));
        let f = SourceIpFilter::parse("0.0.0.0/0").unwrap();
        assert!(f.matches(Some("8.8.8.8")));
        assert!(!f.matches(Some("::1")));
        let f = SourceIpFilter::parse("203.0.113.9").unwrap();
        assert!(f.matches(Some("203.0.113.9")));
        assert!(!f.matches(Some("203.0.113.90")));
    }
}
