//! Small scanning helpers shared by the parsers: addresses, ports, tokens.

use std::net::IpAddr;

use super::ParsedEvent;

/// Canonical text of an IP address, accepting `[v6]` brackets and reducing IPv4-mapped IPv6
/// (`::ffff:1.2.3.4`) to IPv4, since both name the same peer and detection groups by address.
/// IPv4 with leading zeros (`192.030.0.6`) is rejected: octal or decimal is ambiguous.
pub(crate) fn normalize_ip(s: &str) -> Option<String> {
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    // Cheap reject before the std parser: addresses are hex digits, dots and colons.
    if s.is_empty()
        || s.len() > 45
        || !s
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b'.' || c == b':')
    {
        return None;
    }
    let ip: IpAddr = s.parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    Some(ip.to_string())
}

/// Whether `s` could be a DNS host name (so a non-IP peer can go to `source.domain`).
fn looks_like_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().any(|c| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_')
}

/// Records the remote peer: an IP goes to `source_ip`; anything else to `source.address`, and
/// also `source.domain` when it is a host name.
pub(crate) fn set_source(ev: &mut ParsedEvent, peer: &str) {
    let peer = peer.trim();
    if peer.is_empty() || peer == "-" {
        return;
    }
    match normalize_ip(peer) {
        Some(ip) => ev.source_ip = Some(ip),
        None => {
            ev.set("source.address", peer);
            if looks_like_domain(peer) {
                ev.set("source.domain", peer);
            }
        }
    }
}

/// The destination counterpart of [`set_source`].
pub(crate) fn set_destination(ev: &mut ParsedEvent, peer: &str) {
    let peer = peer.trim();
    if peer.is_empty() || peer == "-" {
        return;
    }
    match normalize_ip(peer) {
        Some(ip) => ev.destination_ip = Some(ip),
        None => {
            ev.set("destination.address", peer);
            if looks_like_domain(peer) {
                ev.set("destination.domain", peer);
            }
        }
    }
}

/// A port: 1-5 digits fitting in u16.
pub(crate) fn port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Splits `host:port`, `[v6]:port` or a bare host/IPv6 address (which has colons but no port).
pub(crate) fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        return (host, tail.strip_prefix(':').and_then(port));
    }
    if normalize_ip(s).is_some() {
        return (s, None);
    }
    match s.rsplit_once(':') {
        Some((host, p)) if port(p).is_some() && !host.is_empty() => (host, port(p)),
        _ => (s, None),
    }
}

/// The first space-separated token and what follows the space.
pub(crate) fn token(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Leading ASCII digits of `s` as a number, with the rest.
pub(crate) fn leading_number(s: &str) -> Option<(u64, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 18 {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Parses ` port N` right after a peer: `(port, rest)`.
pub(crate) fn after_port(s: &str) -> Option<(u16, &str)> {
    let rest = s.strip_prefix(" port ")?;
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    Some((port(&rest[..n])?, &rest[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_normalisation() {
        assert_eq!(normalize_ip("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(normalize_ip("::ffff:1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(
            normalize_ip("[2001:DB8::1]").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            normalize_ip("fdfd:ace:ace:7::17a").as_deref(),
            Some("fdfd:ace:ace:7::17a")
        );
        assert_eq!(normalize_ip("192.030.0.6"), None);
        assert_eq!(normalize_ip("example.com"), None);
        assert_eq!(normalize_ip(""), None);
    }

    #[test]
    fn peers_that_are_not_ips_keep_their_text() {
        let mut ev = ParsedEvent::new("t", "");
        set_source(&mut ev, "www.google.com");
        assert_eq!(ev.source_ip, None);
        assert_eq!(ev.fields["source.domain"], "www.google.com");
        let mut ev = ParsedEvent::new("t", "");
        set_source(&mut ev, "192.030.0.6");
        assert_eq!(ev.fields["source.address"], "192.030.0.6");
        assert!(!ev.fields.contains_key("source.domain"));
    }

    #[test]
    fn host_port_splitting() {
        assert_eq!(split_host_port("1.2.3.4:5678"), ("1.2.3.4", Some(5678)));
        assert_eq!(split_host_port("[::1]:80"), ("::1", Some(80)));
        assert_eq!(
            split_host_port("2001:db8::80da:af6b:8b2c"),
            ("2001:db8::80da:af6b:8b2c", None)
        );
        assert_eq!(split_host_port("1.2.3.4"), ("1.2.3.4", None));
        assert_eq!(split_host_port("host:99999"), ("host:99999", None));
    }

    #[test]
    fn ports_and_numbers() {
        assert_eq!(port("22"), Some(22));
        assert_eq!(port("65536"), None);
        assert_eq!(port(""), None);
        assert_eq!(after_port(" port 22 ssh2"), Some((22, " ssh2")));
        assert_eq!(after_port(" port x"), None);
        assert_eq!(leading_number("5 more"), Some((5, " more")));
        assert_eq!(token("a b c"), ("a", "b c"));
    }
}
