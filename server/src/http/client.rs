//! Who is calling, by network address: the peer of the connection, or, when that peer is a
//! configured trusted proxy, the right-most address in `X-Forwarded-For` that is not one. The
//! header is ignored unless `trusted_proxies` is set, since any client can write it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header::HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::AppState;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The caller's address as resolved once per request; handlers read it through
/// [`super::auth::client_ip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy, else the right-most
/// untrusted hop of `X-Forwarded-For`. A hop that cannot be read ends the walk at the last
/// address known good, since nothing left of it was written by a trusted proxy.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted(client, proxies) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !trusted(ip, proxies) {
            break;
        }
    }
    client
}

pub use crate::auth::throttle::address_key as key;

/// Resolves the caller's address once, for everything after it.
pub async fn resolve_client(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    if let Some(peer) = peer {
        let ip = resolve(peer, req.headers(), &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = xff(&["198.51.100.7"]);
        assert_eq!(resolve(ip("203.0.113.5"), &h, &proxies), ip("203.0.113.5"));
        assert_eq!(resolve(ip("203.0.113.5"), &h, &[]), ip("203.0.113.5"));
        assert_eq!(resolve(ip("10.1.2.3"), &h, &proxies), ip("198.51.100.7"));
        assert_eq!(resolve(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged the first entry; the proxies appended the rest.
        let h = xff(&["1.2.3.4, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &proxies), ip("198.51.100.7"));
        // Ports and IPv4-mapped forms are read; garbage stops the walk at the last good hop.
        let h = xff(&["198.51.100.7:4711"]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &proxies), ip("198.51.100.7"));
        let h = xff(&["198.51.100.7, garbage, 10.0.0.3"]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &proxies), ip("10.0.0.3"));
        // Without the header, the proxy itself.
        assert_eq!(
            resolve(ip("::ffff:10.0.0.1"), &HeaderMap::new(), &proxies),
            ip("10.0.0.1")
        );
    }
}
