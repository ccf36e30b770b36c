//! Addresses and CIDR blocks for `source_ip` and `destination_ip`.
//!
//! Events store addresses as text in canonical form (`std::net::IpAddr`'s display, IPv4-mapped
//! IPv6 reduced to IPv4), so an address in a query is canonicalised the same way before it is
//! compared.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address (a block of full length) or a CIDR block, with its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Reads `203.0.113.9`, `10.0.0.0/8` or `2001:db8::/32`. Host bits of a block are cleared
    /// (`10.1.2.3/8` means `10.0.0.0/8`); an IPv4-mapped IPv6 address is an IPv4 address.
    pub fn parse(value: &str) -> Result<Self, String> {
        let (addr, prefix) = match value.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (value, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        let max = max_prefix(ip);
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix length must be a number from 0 to {max}"))?,
        };
        // `::ffff:10.0.0.0/104` is the IPv4 block `10.0.0.0/8`.
        let (ip, prefix) = match ip {
            IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => {
                (ip.to_canonical(), prefix - 96)
            }
            _ => (ip, prefix),
        };
        Ok(Self::new(ip, prefix))
    }

    fn new(addr: IpAddr, prefix: u8) -> Self {
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Self { addr, prefix }
    }

    /// The first address of the block.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the block is a single address.
    pub fn is_single(&self) -> bool {
        self.prefix == max_prefix(self.addr)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }

    /// The test for a stored address: text that is not an address matches no block.
    pub fn matches_text(&self, stored: &str) -> bool {
        stored.parse::<IpAddr>().is_ok_and(|ip| self.contains(ip))
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

pub fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

pub fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        IpNet::parse(s).unwrap()
    }

    #[test]
    fn blocks_parse_with_host_bits_cleared() {
        assert_eq!(net("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(net("10.1.2.3/32").to_string(), "10.1.2.3");
        assert_eq!(net("2001:DB8::1/32").to_string(), "2001:db8::/32");
        assert_eq!(net("::ffff:10.1.2.3").to_string(), "10.1.2.3");
        assert_eq!(net("::ffff:10.1.2.3/104").to_string(), "10.0.0.0/8");
        assert_eq!(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
        for bad in [
            "10.0.0.0/33",
            "2001:db8::/129",
            "bogus",
            "10.0.0.0/x",
            "10.0.0/8",
            "",
        ] {
            assert!(IpNet::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn membership_is_exact() {
        let f = net("10.0.0.0/12");
        assert!(f.matches_text("10.15.255.255"));
        assert!(!f.matches_text("10.16.0.0"));
        assert!(!f.matches_text("100.1.2.3"));
        assert!(!f.matches_text("not an address"));
        let f = net("2001:db8:ff00::/40");
        assert!(f.matches_text("2001:db8:ff12::1"));
        assert!(!f.matches_text("2001:db8:fe00::1"));
        assert!(!f.matches_text("10.0.0.1"));
        let f = net("0.0.0.0/0");
        assert!(f.matches_text("8.8.8.8"));
        assert!(!f.matches_text("::1"));
        let f = net("203.0.113.9");
        assert!(f.matches_text("203.0.113.9"));
        assert!(!f.matches_text("203.0.113.90"));
    }
}
