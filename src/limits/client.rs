//! Who a request comes from, for rate limits: the TCP peer, or, behind a proxy the shop
//! was told to trust, the address that proxy says it forwarded for.
//!
//! `X-Forwarded-For` is believed only from a trusted proxy (anyone else could write any
//! address in it), and read from the right: each proxy appends the address it got the
//! request from, so the first address from the right that is not one of ours is the
//! client. Everything left of it was written by the client and means nothing.

use std::fmt;
use std::net::IpAddr;

/// Networks whose requests are forwarded for someone else (`MERCATO_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

/// An address and a prefix length: `10.0.0.0/8`, `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a network such as 10.0.0.0/8")]
pub struct BadNetwork(pub String);

impl TrustedProxies {
    /// None: every request is taken to come from its TCP peer.
    pub fn none() -> TrustedProxies {
        TrustedProxies(Vec::new())
    }

    /// A comma- or space-separated list of addresses and networks.
    pub fn parse(list: &str) -> Result<TrustedProxies, BadNetwork> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Network::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|n| n.contains(addr))
    }

    /// The client of a request that reached us from `peer` with these `X-Forwarded-For`
    /// header values (in the order they came).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|header| header.rsplit(','))
            .map(str::trim);
        for hop in hops {
            match parse_hop(hop) {
                Some(addr) if self.trusts(addr) => client = addr,
                Some(addr) => return addr,
                // Garbage from a proxy we trust: stop at the last address we believe.
                None => return client,
            }
        }
        client
    }
}

impl Network {
    fn parse(s: &str) -> Result<Network, BadNetwork> {
        let bad = || BadNetwork(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }

    fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                same_prefix(&net.octets(), &a.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                same_prefix(&net.octets(), &a.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (bytes, rest) = (bits / 8, bits % 8);
    if a[..bytes] != b[..bytes] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[bytes] & mask == b[bytes] & mask
    }
}

/// An IPv4 address seen as IPv6 (`::ffff:1.2.3.4`, from a dual-stack socket) is the
/// IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// One hop of `X-Forwarded-For`: an address, perhaps with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(canonical(addr));
    }
    if let Ok(sock) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    None
}

/// What rate limits count a client by: its IPv4 address, or its IPv6 /64 (one
/// subscriber gets a whole /64, so counting single IPv6 addresses counts nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    pub fn of(addr: IpAddr) -> ClientKey {
        match canonical(addr) {
            IpAddr::V4(v4) => ClientKey(v4.to_string()),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                ClientKey(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::none();
        assert_eq!(
            none.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.5").expect("list");
        // The client wrote "6.6.6.6" itself; the proxy appended the real address.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two of our proxies in a row.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["198.51.100.7, 192.168.1.5"]),
            ip("198.51.100.7")
        );
        // Several header lines count as one list, in order.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["6.6.6.6", "198.51.100.7:4431"]),
            ip("198.51.100.7")
        );
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        // Garbage: the last believable hop.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["nonsense, 10.9.9.9"]),
            ip("10.9.9.9")
        );
        // A request straight from the internet is not believed.
        assert_eq!(
            proxies.client(ip("198.51.100.7"), &["10.0.0.1"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn networks_match_by_prefix_in_both_families() {
        let proxies = TrustedProxies::parse("172.16.0.0/12 2001:db8::/32 ::1").expect("list");
        assert!(proxies.trusts(ip("172.31.255.255")));
        assert!(!proxies.trusts(ip("172.32.0.0")));
        assert!(proxies.trusts(ip("2001:db8:ffff::1")));
        assert!(!proxies.trusts(ip("2001:db9::1")));
        assert!(proxies.trusts(ip("::1")));
        assert!(proxies.trusts(ip("::ffff:172.16.0.1")), "v4-mapped");
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(ClientKey::of(ip("::ffff:1.2.3.4")).as_str(), "1.2.3.4");
    }
}
