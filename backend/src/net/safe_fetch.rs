//! The one HTTP client for URLs that a tenant or an inbound payload chooses: a sheet's
//! published-CSV address today, flow HTTP nodes, outbound webhooks and media links later.
//!
//! It exists because such a URL must not become a way into MCE's own network (SSRF): a
//! tenant who could make the server fetch `http://169.254.169.254/` would read the cloud's
//! credentials, and `http://localhost:5432/` would probe its database. So [`SafeClient`]:
//!
//! - speaks `https` only (`http` only when the operator allows private addresses,
//!   `MCE_ALLOW_PRIVATE_FETCH=true`, or for an IP literal the policy names);
//! - refuses every address that is not public ([`is_public`]), in all its spellings:
//!   IPv4, IPv4-mapped and NAT64 IPv6, and IPv4-compatible IPv6;
//! - resolves names itself and hands reqwest only the addresses it checked, so the
//!   connection goes to a checked address (a second DNS answer is never asked for:
//!   no DNS rebinding); a name with any refused address is refused outright;
//! - checks IP-literal hosts itself (reqwest never asks a resolver for them);
//! - checks every redirect again, scheme and host, and follows at most [`MAX_REDIRECTS`];
//! - uses no proxy (a proxy would resolve the name itself, past the check) and sends no
//!   `Referer` (the previous address may hold a secret);
//! - reads at most [`MAX_BYTES`] within [`TIMEOUT`], streaming, and refuses a larger body;
//! - fails with a [`FetchError`] whose text is safe to show a tenant: a generic reason or
//!   a status, never the response body.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{redirect, Url};
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The largest body read: 10 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most redirects followed.
pub const MAX_REDIRECTS: usize = 5;
/// The whole fetch (resolving, connecting, redirects, the body) ends by then.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting to one address ends by then.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which addresses a [`SafeClient`] may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Every address and `http` too (`MCE_ALLOW_PRIVATE_FETCH=true`: tests and local
    /// development only).
    pub allow_private: bool,
    /// Addresses allowed although they are not public, wherever they appear (an IP
    /// literal, a resolved name, a redirect); `http` is allowed to an IP literal among
    /// them. For a test that must allow exactly its own server and nothing else.
    pub exceptions: Vec<IpAddr>,
}

impl FetchPolicy {
    /// Public `https` addresses only: what production uses.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Public addresses only, or everything when `allow_private` (the operator's
    /// `MCE_ALLOW_PRIVATE_FETCH`).
    pub fn new(allow_private: bool) -> Self {
        Self { allow_private, exceptions: Vec::new() }
    }

    /// Public addresses and exactly `ip` besides (tests).
    pub fn public_and(ip: IpAddr) -> Self {
        Self { allow_private: false, exceptions: vec![ip] }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_private || self.is_exception(ip) || is_public(ip)
    }

    fn is_exception(&self, ip: IpAddr) -> bool {
        self.exceptions.iter().any(|e| canonical(*e) == canonical(ip))
    }

    /// The check of one hop (the first URL and every redirect): its scheme, and its host
    /// when the host is an IP literal. A host name is checked when it is resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        let host = url.host_str().ok_or(FetchError::NotHttps)?;
        // The URL parser has already turned every IPv4 spelling (`2130706433`, `0x7f.1`)
        // into dotted form; IPv6 literals come in brackets.
        let literal: Option<IpAddr> = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok();
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private || literal.is_some_and(|ip| self.is_exception(ip)) => {}
            _ => return Err(FetchError::NotHttps),
        }
        match literal {
            Some(ip) if !self.allows_ip(ip) => Err(FetchError::NotAllowed),
            _ => Ok(()),
        }
    }
}

/// What a fetch read (always a success status: any other is a [`FetchError::Status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The `Content-Type` header, when it is text.
    pub content_type: Option<String>,
    /// The body, at most [`MAX_BYTES`].
    pub bytes: Vec<u8>,
}

/// Why a fetch failed. The text is generic and safe to show the tenant who chose the URL:
/// it never holds the response body, the resolved addresses or the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not an `https://` URL (or `http://` where the policy does not allow it).
    #[error("The address must start with https://")]
    NotHttps,
    /// The host is, resolves to or redirects to an address that is not public.
    #[error("The address is not allowed")]
    NotAllowed,
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("The server redirected too many times")]
    TooManyRedirects,
    /// The name does not resolve, or no connection or answer came.
    #[error("Could not reach the server")]
    Unreachable,
    /// The whole fetch took longer than its timeout.
    #[error("The server took too long to answer")]
    TimedOut,
    /// The server answered with a status other than 2xx.
    #[error("The server answered {0}")]
    Status(u16),
    /// The body is larger than [`MAX_BYTES`].
    #[error("The file is larger than 10 MB")]
    TooLarge,
}

/// A [`FetchError`] carried through reqwest's error chain (from the resolver or the
/// redirect policy) and found again by [`classify`].
#[derive(Debug)]
struct Refusal(FetchError);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for Refusal {}

/// The HTTP client for tenant-chosen URLs (see the module documentation). Cheap to clone:
/// clones share one connection pool.
#[derive(Clone)]
pub struct SafeClient {
    http: reqwest::Client,
    policy: Arc<FetchPolicy>,
    timeout: Duration,
}

impl fmt::Debug for SafeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeClient").field("policy", &self.policy).field("timeout", &self.timeout).finish()
    }
}

impl SafeClient {
    /// A client that reaches what `policy` allows.
    pub fn new(policy: FetchPolicy) -> anyhow::Result<Self> {
        super::ensure_tls_provider();
        let policy = Arc::new(policy);
        let hops = policy.clone();
        let redirects = redirect::Policy::custom(move |attempt| {
            // `previous` holds the first URL too: five redirects followed, the sixth refused.
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Refusal(FetchError::TooManyRedirects));
            }
            match hops.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(Refusal(why)),
            }
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(CheckedResolver { policy: policy.clone() })
            .redirect(redirects)
            .referer(false)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!("mce/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, policy, timeout: TIMEOUT })
    }

    /// The same client with a shorter total timeout (tests of a server that never answers).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.min(TIMEOUT);
        self
    }

    /// What this client may reach.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// `GET url`: the body of a 2xx answer, at most [`MAX_BYTES`], within the timeout.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(url.trim()).map_err(|_| FetchError::NotHttps)?;
        self.policy.check_url(&url)?;
        tokio::time::timeout(self.timeout, self.fetch(url)).await.unwrap_or(Err(FetchError::TimedOut))
    }

    async fn fetch(&self, url: Url) -> Result<Fetched, FetchError> {
        let mut res = self.http.get(url).send().await.map_err(classify)?;
        let status = res.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        if res.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
            return Err(FetchError::TooLarge);
        }
        let content_type = res.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err(FetchError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched { status: status.as_u16(), content_type, bytes })
    }
}

/// The tenant's error for a failed request: a refusal found in the error chain, else a
/// timeout or "could not reach". The details go to the debug log, without the URL.
fn classify(e: reqwest::Error) -> FetchError {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&e);
    while let Some(c) = cause {
        if let Some(Refusal(why)) = c.downcast_ref::<Refusal>() {
            return why.clone();
        }
        cause = c.source();
    }
    let timed_out = e.is_timeout();
    let e = e.without_url();
    tracing::debug!(error = %e, source = ?e.source(), "a tenant URL could not be fetched");
    if timed_out {
        FetchError::TimedOut
    } else {
        FetchError::Unreachable
    }
}

/// Resolves a host name and refuses it when any of its addresses is refused, so reqwest
/// connects only to addresses that were checked (it asks nothing else).
#[derive(Clone)]
struct CheckedResolver {
    policy: Arc<FetchPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = checked_addresses(&policy, &host).await.map_err(|why| Box::new(Refusal(why)) as Box<dyn StdError + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host` (port 0: reqwest sets the URL's), if every one is allowed.
async fn checked_addresses(policy: &FetchPolicy, host: &str) -> Result<Vec<SocketAddr>, FetchError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await.map_err(|_| FetchError::Unreachable)?.collect();
    if addrs.is_empty() {
        return Err(FetchError::Unreachable);
    }
    if addrs.iter().any(|a| !policy.allows_ip(a.ip())) {
        return Err(FetchError::NotAllowed);
    }
    Ok(addrs)
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it reaches.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// IPv4 blocks that are not the public internet (RFC 6890 and its updates).
const REFUSED_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", the unspecified address
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // CGNAT shared space (Alibaba's metadata, 100.100.100.200)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local (the cloud metadata, 169.254.169.254)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments (Oracle's metadata, 192.0.0.192)
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation TEST-NET-1
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast (deprecated)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and the broadcast 255.255.255.255
];

/// Blocks inside the global unicast 2000::/3 that are not the public internet.
const REFUSED_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),     // IETF protocol assignments (Teredo, ORCHID, …)
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),     // 6to4 (embeds any IPv4 address)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation (RFC 9637)
];

/// Whether `ip` is an address of the public internet. IPv4: everything but the blocks
/// above. IPv6: global unicast (2000::/3) but its special blocks; an IPv4-mapped
/// (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address is judged by its IPv4
/// address; everything else (loopback, unspecified, IPv4-compatible `::a.b.c.d`,
/// unique-local fc00::/7 with the metadata fd00:ec2::254, link-local fe80::/10,
/// site-local, multicast ff00::/8, discard-only 100::/64, local NAT64 64:ff9b:1::/48) is
/// not public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let bits = u128::from(v6);
            if in_block_v6(bits, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
                return is_public_v4(Ipv4Addr::from(bits as u32));
            }
            in_block_v6(bits, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) && !REFUSED_V6.iter().any(|&(net, len)| in_block_v6(bits, net, len))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !REFUSED_V4.iter().any(|&(net, len)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        bits & mask == u32::from(net) & mask
    })
}

fn in_block_v6(bits: u128, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    bits & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// One address of each refused block, with its IPv4-mapped form for IPv4.
    const REFUSED: &[&str] = &[
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "10.255.255.255",
        "100.64.0.1",
        "100.100.100.200",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.0.1",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.192",
        "192.0.2.10",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
    ];

    #[test]
    fn every_refused_ipv4_block_is_not_public_nor_are_its_mapped_and_nat64_forms() {
        for a in REFUSED {
            let v4: Ipv4Addr = a.parse().unwrap();
            assert!(!is_public(IpAddr::V4(v4)), "{a}");
            assert!(!is_public(IpAddr::V6(v4.to_ipv6_mapped())), "::ffff:{a}");
            assert!(!is_public(IpAddr::V6(v4.to_ipv6_compatible())), "::{a}");
            let nat64 = Ipv6Addr::from(u128::from(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)) | u128::from(u32::from(v4)));
            assert!(!is_public(IpAddr::V6(nat64)), "{nat64}");
            assert!(!FetchPolicy::public_only().allows_ip(IpAddr::V4(v4)), "{a}");
        }
    }

    #[test]
    fn the_edges_of_the_refused_ipv4_blocks_are_public() {
        for a in ["1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255", "128.0.0.0"] {
            assert!(is_public(ip(a)), "{a}");
        }
        for a in ["169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0"] {
            assert!(is_public(ip(a)), "{a}");
        }
        for a in ["223.255.255.255", "192.0.1.1", "203.0.114.1"] {
            assert!(is_public(ip(a)), "{a}");
        }
        assert!(is_public(ip("::ffff:8.8.8.8")), "a mapped public address is public");
        assert!(is_public(ip("64:ff9b::808:808")), "NAT64 of a public address is public");
    }

    #[test]
    fn ipv6_loopback_unique_local_link_local_multicast_and_the_metadata_address_are_refused() {
        for a in [
            "::",
            "::1",
            "fc00::1",
            "fd00::1",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "100::1",
            "64:ff9b:1::1",
            "2001::1",
            "2001:db8::1",
            "2002:a9fe:a9fe::1",
            "3fff::1",
            "::ffff:169.254.169.254",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::8.8.8.8",
            "4000::1",
        ] {
            assert!(!is_public(ip(a)), "{a}");
        }
        for a in ["2606:4700:4700::1111", "2a00:1450:4001::200e", "2001:4860:4860::8888"] {
            assert!(is_public(ip(a)), "{a}");
        }
    }

    #[test]
    fn ip_literal_hosts_are_checked_in_every_spelling() {
        let p = FetchPolicy::public_only();
        for u in [
            "https://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://10.1/",
            "https://[::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://0.0.0.0:8080/",
        ] {
            assert_eq!(p.check_url(&url(u)), Err(FetchError::NotAllowed), "{u}");
        }
        assert_eq!(p.check_url(&url("https://8.8.8.8/x.csv")), Ok(()));
        assert_eq!(p.check_url(&url("https://[2606:4700:4700::1111]/")), Ok(()));
        assert_eq!(p.check_url(&url("https://docs.google.com/spreadsheets/d/e/x/pub?output=csv")), Ok(()), "names are checked when resolved");
    }

    #[test]
    fn http_and_other_schemes_are_refused_unless_private_fetches_are_allowed() {
        let p = FetchPolicy::public_only();
        for u in ["http://docs.google.com/x.csv", "http://8.8.8.8/", "ftp://8.8.8.8/", "file:///etc/passwd", "gopher://8.8.8.8/"] {
            assert_eq!(p.check_url(&url(u)), Err(FetchError::NotHttps), "{u}");
        }
        let dev = FetchPolicy::new(true);
        assert_eq!(dev.check_url(&url("http://127.0.0.1:8080/x.csv")), Ok(()));
        assert_eq!(dev.check_url(&url("http://169.254.169.254/")), Ok(()), "the operator allowed everything");
        assert_eq!(dev.check_url(&url("ftp://127.0.0.1/")), Err(FetchError::NotHttps));
    }

    #[test]
    fn an_exception_allows_exactly_its_address_in_both_forms_and_http_only_to_it() {
        let p = FetchPolicy::public_and(ip("127.0.0.1"));
        assert_eq!(p.check_url(&url("http://127.0.0.1:9/")), Ok(()));
        assert_eq!(p.check_url(&url("http://[::ffff:127.0.0.1]:9/")), Ok(()));
        assert_eq!(p.check_url(&url("https://127.0.0.2/")), Err(FetchError::NotAllowed));
        assert_eq!(p.check_url(&url("http://127.0.0.2/")), Err(FetchError::NotHttps));
        assert_eq!(p.check_url(&url("https://169.254.169.254/")), Err(FetchError::NotAllowed));
        assert_eq!(p.check_url(&url("http://localhost:9/")), Err(FetchError::NotHttps), "http needs the literal");
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_refused_address_is_refused_before_any_connection() {
        let p = FetchPolicy::public_only();
        assert_eq!(checked_addresses(&p, "localhost").await, Err(FetchError::NotAllowed));
        assert!(checked_addresses(&FetchPolicy::new(true), "localhost").await.is_ok_and(|a| a.iter().all(|a| a.ip().is_loopback())));
        assert_eq!(checked_addresses(&p, "name.invalid").await, Err(FetchError::Unreachable));
    }

    /// A local server that counts its connections and answers each with `answer(n)`,
    /// where `n` counts from 0.
    async fn serve(answer: impl Fn(usize, u16) -> Vec<u8> + Send + Sync + 'static) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let (counter, answer) = (hits.clone(), Arc::new(answer));
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    let _ = sock.write_all(&answer(n, port)).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        (port, hits)
    }

    fn redirect_to(location: &str) -> Vec<u8> {
        format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes()
    }

    fn ok(body: &[u8]) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out
    }

    fn only_loopback() -> SafeClient {
        SafeClient::new(FetchPolicy::public_and(ip("127.0.0.1"))).unwrap()
    }

    #[tokio::test]
    async fn an_allowed_address_is_fetched_with_its_status_type_and_body() {
        let (port, hits) = serve(|_, _| ok(b"Name,Phone\n")).await;
        let got = only_loopback().get(&format!("http://127.0.0.1:{port}/pub.csv")).await.unwrap();
        assert_eq!((got.status, got.content_type.as_deref(), got.bytes.as_slice()), (200, Some("text/csv"), &b"Name,Phone\n"[..]));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_redirect_to_the_metadata_address_is_refused() {
        for (to, why) in [
            ("https://169.254.169.254/latest/meta-data/", FetchError::NotAllowed),
            ("https://[::ffff:169.254.169.254]/", FetchError::NotAllowed),
            ("https://[fd00:ec2::254]/", FetchError::NotAllowed),
            ("http://169.254.169.254/", FetchError::NotHttps),
        ] {
            let target = to.to_owned();
            let (port, hits) = serve(move |_, _| redirect_to(&target)).await;
            assert_eq!(only_loopback().get(&format!("http://127.0.0.1:{port}/pub.csv")).await, Err(why), "{to}");
            assert_eq!(hits.load(Ordering::SeqCst), 1, "{to}");
        }
    }

    #[tokio::test]
    async fn a_redirect_to_a_refused_address_is_refused_even_where_the_first_hop_was_allowed() {
        // The first server is the policy's one exception; it redirects to loopback on
        // another address, which the same check refuses.
        let (port, _) = serve(|_, port| redirect_to(&format!("https://127.0.0.2:{port}/"))).await;
        assert_eq!(only_loopback().get(&format!("http://127.0.0.1:{port}/")).await, Err(FetchError::NotAllowed));
    }

    #[tokio::test]
    async fn a_name_of_a_refused_address_gets_no_connection_at_all() {
        let (target, hits) = serve(|_, _| ok(b"secret")).await;
        let client = SafeClient::new(FetchPolicy::public_only()).unwrap();
        assert_eq!(client.get(&format!("https://localhost:{target}/")).await, Err(FetchError::NotAllowed));
        assert_eq!(hits.load(Ordering::SeqCst), 0, "no request reached a refused address");
    }

    #[tokio::test]
    async fn a_refused_literal_gets_no_connection_at_all() {
        let (port, hits) = serve(|_, _| ok(b"secret")).await;
        let client = SafeClient::new(FetchPolicy::public_only()).unwrap();
        assert_eq!(client.get(&format!("https://127.0.0.1:{port}/")).await, Err(FetchError::NotAllowed));
        assert_eq!(client.get(&format!("https://[::ffff:127.0.0.1]:{port}/")).await, Err(FetchError::NotAllowed));
        assert_eq!(client.get(&format!("http://127.0.0.1:{port}/")).await, Err(FetchError::NotHttps));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn five_redirects_are_followed_and_a_sixth_is_refused() {
        // Connection n redirects to the same server until n reaches `stop`, then answers.
        for (stop, expected) in [(5, Ok(b"done".to_vec())), (6, Err(FetchError::TooManyRedirects))] {
            let (port, _) = serve(move |n, port| if n < stop { redirect_to(&format!("http://127.0.0.1:{port}/{n}")) } else { ok(b"done") }).await;
            let got = only_loopback().get(&format!("http://127.0.0.1:{port}/")).await.map(|f| f.bytes);
            assert_eq!(got, expected, "{stop} redirects");
        }
    }

    #[tokio::test]
    async fn a_body_over_the_cap_is_refused_with_or_without_a_length() {
        let big = vec![b'x'; MAX_BYTES + 1];
        let (port, _) = serve(move |_, _| ok(&big)).await;
        assert_eq!(only_loopback().get(&format!("http://127.0.0.1:{port}/")).await, Err(FetchError::TooLarge));
        // No content-length: the body is counted as it streams.
        let (port, _) = serve(|_, _| {
            let mut out = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
            out.resize(out.len() + MAX_BYTES + 1, b'y');
            out
        })
        .await;
        assert_eq!(only_loopback().get(&format!("http://127.0.0.1:{port}/")).await, Err(FetchError::TooLarge));
        let exact = vec![b'z'; MAX_BYTES];
        let (port, _) = serve(move |_, _| ok(&exact)).await;
        assert_eq!(only_loopback().get(&format!("http://127.0.0.1:{port}/")).await.map(|f| f.bytes.len()), Ok(MAX_BYTES), "exactly the cap is fine");
    }

    #[tokio::test]
    async fn an_error_status_is_reported_by_number_and_never_with_its_body() {
        let (port, _) = serve(|_, _| b"HTTP/1.1 404 Not Found\r\ncontent-length: 22\r\nconnection: close\r\n\r\nsecret-internal-detail".to_vec()).await;
        let err = only_loopback().get(&format!("http://127.0.0.1:{port}/")).await.unwrap_err();
        assert_eq!(err, FetchError::Status(404));
        assert_eq!(err.to_string(), "The server answered 404");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                held.push(sock);
            }
        });
        let client = only_loopback().with_timeout(Duration::from_millis(300));
        assert_eq!(client.get(&format!("http://127.0.0.1:{port}/")).await, Err(FetchError::TimedOut));
    }

    #[tokio::test]
    async fn a_closed_port_and_a_garbage_url_fail_generically() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = only_loopback().get(&format!("http://127.0.0.1:{closed}/")).await.unwrap_err();
        assert_eq!((err.clone(), err.to_string()), (FetchError::Unreachable, "Could not reach the server".to_string()));
        assert_eq!(only_loopback().get("not a url").await, Err(FetchError::NotHttps));
    }
}
