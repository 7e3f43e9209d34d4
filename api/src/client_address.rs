//! The client address recorded in the audit log and the access log, and counted by the login throttle (issue
//! 21.6). `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are client-controlled: they are believed only when the
//! TCP peer is one of the configured proxies (`TRUSTED_PROXIES`); otherwise the peer's own address is recorded.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::web;

use crate::state::AppState;

/// `TRUSTED_PROXIES`: addresses and networks (CIDR) of the proxies in front of the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Reads a comma-separated list of IPs and CIDRs (`10.0.0.0/8, 192.0.2.7, fd00::/8`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("'{item}' is not an IP address or CIDR"))?;
            let ip = canonical(ip);
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("'{item}': the prefix length must be a whole number from 0 to {max}"))?,
            };
            nets.push((ip, prefix));
        }
        Ok(Self(nets))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` lies in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if *prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(*prefix)) };
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if *prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(*prefix)) };
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client address of `req` under the service's `TRUSTED_PROXIES`.
pub fn of(req: &HttpRequest) -> Option<String> {
    let empty = TrustedProxies::default();
    let state = req.app_data::<web::Data<AppState>>();
    let trusted = state.map(|s| &s.config.trusted_proxies).unwrap_or(&empty);
    let peer = req.peer_addr()?.ip();
    let headers = |name: &str| -> Vec<String> {
        req.headers().get_all(name).filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    };
    Some(resolve(peer, trusted, &headers).to_string())
}

/// The client address: the peer, unless the peer is a trusted proxy; then the hops the proxies wrote (`Forwarded`
/// `for=`, else `X-Forwarded-For`, else `X-Real-IP`) are walked from the nearest back, and the first one that is
/// not a trusted proxy is the client. A hop that is no IP address (`unknown`, an obfuscated name) ends the walk at
/// the last trusted hop.
pub fn resolve(peer: IpAddr, trusted: &TrustedProxies, headers: &dyn Fn(&str) -> Vec<String>) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let mut hops: Vec<String> = headers("forwarded")
        .iter()
        .flat_map(|h| h.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim().trim_matches('"').to_owned())
            })
        })
        .collect();
    if hops.is_empty() {
        hops = headers("x-forwarded-for")
            .iter()
            .flat_map(|h| h.split(',').map(|s| s.trim().to_owned()).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if hops.is_empty() {
        hops = headers("x-real-ip").into_iter().map(|s| s.trim().to_owned()).take(1).collect();
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { return client };
        client = ip;
        if !trusted.contains(ip) {
            return ip;
        }
    }
    client
}

/// `192.0.2.7`, `192.0.2.7:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok()).map(canonical);
    }
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.rsplit_once(':').and_then(|(ip, port)| {
        (port.parse::<u16>().is_ok()).then(|| ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(peer: &str, trusted: &str, pairs: &[(&str, &str)]) -> String {
        let trusted = TrustedProxies::parse(trusted).unwrap();
        let headers = |name: &str| -> Vec<String> {
            pairs.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string()).collect()
        };
        resolve(peer.parse().unwrap(), &trusted, &headers).to_string()
    }

    #[test]
    fn a_direct_client_cannot_choose_its_address() {
        // Issue 21.6: no proxy trusted, or a peer that is not one: the headers are ignored.
        for trusted in ["", "10.0.0.0/8"] {
            assert_eq!(
                resolve_with(
                    "198.51.100.9",
                    trusted,
                    &[("X-Forwarded-For", "1.2.3.4"), ("Forwarded", "for=5.6.7.8"), ("X-Real-IP", "9.9.9.9")]
                ),
                "198.51.100.9"
            );
        }
    }

    #[test]
    fn a_trusted_chain_is_walked_from_the_nearest_hop() {
        let trusted = "10.0.0.0/8, 192.0.2.1";
        // The client's own forged entry left of the real one is not believed.
        assert_eq!(
            resolve_with("10.0.0.2", trusted, &[("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 192.0.2.1")]),
            "203.0.113.7"
        );
        assert_eq!(
            resolve_with("10.0.0.2", trusted, &[("Forwarded", "for=6.6.6.6, for=\"[2001:db8::17]:4711\";proto=https")]),
            "2001:db8::17"
        );
        assert_eq!(resolve_with("10.0.0.2", trusted, &[("X-Real-IP", "203.0.113.8")]), "203.0.113.8");
        assert_eq!(resolve_with("10.0.0.2", trusted, &[("X-Forwarded-For", "203.0.113.9:5555")]), "203.0.113.9");
        // Nothing forwarded, or every hop a proxy: the leftmost known address.
        assert_eq!(resolve_with("10.0.0.2", trusted, &[]), "10.0.0.2");
        assert_eq!(resolve_with("10.0.0.2", trusted, &[("X-Forwarded-For", "10.1.1.1")]), "10.1.1.1");
        assert_eq!(resolve_with("10.0.0.2", trusted, &[("X-Forwarded-For", "unknown, 10.1.1.1")]), "10.1.1.1");
    }

    #[test]
    fn trusted_proxies_are_checked_at_start() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        let t = TrustedProxies::parse("::ffff:127.0.0.1, fd00::/8").unwrap();
        assert!(t.contains("127.0.0.1".parse().unwrap()));
        assert!(t.contains("fd12::1".parse().unwrap()));
        assert!(!t.contains("fe80::1".parse().unwrap()));
    }
}
