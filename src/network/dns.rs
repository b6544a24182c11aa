//! DNS look-ups through the configured name servers only.
//!
//! [`Resolver`] wraps `hickory-resolver` built from a list of name server socket addresses
//! (`ORIGINGUARD_NAMESERVERS`, parsed by [`parse_nameservers`]); only when that list is empty
//! does it read the system configuration (`/etc/resolv.conf`). Every query is sent as a fully
//! qualified name, so no search domains are ever appended, and the hosts file is not read.
//!
//! Caching: none in-process by default ([`ResolverSettings::cache_size`] is 0). The configured
//! name servers are recursive resolvers that cache (honouring TTLs) for every client; within
//! one request, each name, registrable domain and address is asked for once anyway (see
//! `lookups`), so an in-process cache would only add its inserts to every uncached query (the
//! measurement is in BENCHMARKS.md, "Resolution"). A non-zero size turns it back on, bounded
//! and TTL-honouring, per [`Resolver`] value.
//!
//! With a configured name server list, queries are first asked directly over UDP (see
//! `exchange`: a randomly-bound socket serving at most 32 names, a random id per query, a strict
//! check of each answer, without hickory's pool and retry layers); what that path does
//! not settle (truncation, a CNAME chain leading out of the answer, FORMERR) is asked again
//! through hickory-resolver. With the system configuration, every query goes through hickory.
//!
//! Bounds: each query has a timeout ([`ResolverSettings::timeout`] per server asked, with
//! `attempts` tries of the list, default 1) and a hard outer deadline; a process-wide semaphore
//! ([`ResolverSettings::max_concurrent_queries`]) caps queries in flight across all requests.
//! Callers bound their own per-request concurrency on top (see `resolve`).
//!
//! Failures become stable codes: `nxdomain`, `servfail`, `refused`, `timeout`, `dns_failed`.
//! A name that exists without records of a type (NODATA) is an empty answer, not an error.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::TokioResolver;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::exchange::{Exchange, UdpPath};
use super::names::DomainName;
use crate::i18n::Lang;

/// Counter of DNS queries by the path that settled them: `direct` (see `exchange`) or
/// `hickory` (handed over, or no direct path with the system configuration).
pub const QUERIES_TOTAL: &str = "originguard_dns_queries_total";

/// Longest CNAME chain followed when reporting it.
pub const MAX_CNAME_CHAIN: usize = 16;

/// How the resolver is built. Each field is a documented bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverSettings {
    /// Name servers to ask (UDP, falling back to TCP on truncation). Empty: system resolver.
    pub nameservers: Vec<SocketAddr>,
    /// Time allowed for one query attempt.
    pub timeout: Duration,
    /// Tries per query (default 1).
    pub attempts: usize,
    /// Queries in flight at once across the whole process.
    pub max_concurrent_queries: usize,
    /// Entries in the in-process answer cache (0: no in-process cache, the default).
    pub cache_size: u64,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(2),
            attempts: 1,
            max_concurrent_queries: 256,
            cache_size: 0,
        }
    }
}

/// Failure to build a resolver or to parse its configuration.
#[derive(Debug, thiserror::Error)]
pub enum DnsConfigError {
    /// An entry of the name server list is not `ip`, `ip:port` or `[ipv6]:port`.
    #[error("invalid name server address: {0:?}")]
    BadNameserver(String),
    /// The system configuration could not be read (only with an empty name server list).
    #[error("cannot read the system DNS configuration: {0}")]
    System(String),
    /// hickory refused the configuration.
    #[error("cannot build the DNS resolver: {0}")]
    Build(String),
}

/// Parses an `ORIGINGUARD_NAMESERVERS` value: entries separated by commas and/or white space,
/// each `ip`, `ip:port` or `[ipv6]:port` (port 53 when absent). An empty string gives an empty
/// list (use the system configuration).
pub fn parse_nameservers(text: &str) -> Result<Vec<SocketAddr>, DnsConfigError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<SocketAddr>()
                .or_else(|_| entry.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| DnsConfigError::BadNameserver(entry.to_owned()))
        })
        .collect()
}

/// Why a query failed, as a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsErrorCode {
    /// The name does not exist.
    Nxdomain,
    /// The server answered SERVFAIL.
    Servfail,
    /// The server refused to answer.
    Refused,
    /// No answer in time.
    Timeout,
    /// Any other failure (other response codes, transport errors).
    DnsFailed,
}

impl DnsErrorCode {
    /// The stable machine code, e.g. `nxdomain`.
    pub fn code(&self) -> &'static str {
        match self {
            DnsErrorCode::Nxdomain => "nxdomain",
            DnsErrorCode::Servfail => "servfail",
            DnsErrorCode::Refused => "refused",
            DnsErrorCode::Timeout => "timeout",
            DnsErrorCode::DnsFailed => "dns_failed",
        }
    }

    /// A human-readable message in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            DnsErrorCode::Nxdomain => {
                lang.pick("The domain name does not exist", "Tên miền không tồn tại")
            }
            DnsErrorCode::Servfail => lang.pick(
                "The name server failed to answer (SERVFAIL)",
                "Máy chủ tên miền không trả lời được (SERVFAIL)",
            ),
            DnsErrorCode::Refused => lang.pick(
                "The name server refused the query",
                "Máy chủ tên miền từ chối truy vấn",
            ),
            DnsErrorCode::Timeout => lang.pick(
                "The name server did not answer in time",
                "Máy chủ tên miền không trả lời kịp thời",
            ),
            DnsErrorCode::DnsFailed => lang.pick("The DNS query failed", "Truy vấn DNS thất bại"),
        }
    }
}

/// One failed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsFailure {
    /// The stable code.
    pub code: DnsErrorCode,
    /// The record type asked for, e.g. `"A"`.
    pub record_type: &'static str,
    /// hickory's description, for logs.
    pub detail: String,
}

/// A mail exchanger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MxRecord {
    /// Lower values are preferred.
    pub preference: u16,
    /// The exchange host name, without trailing dot.
    pub exchange: String,
}

/// Everything learnt about one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsAnswer {
    /// IPv4 addresses (at the end of any CNAME chain).
    pub a: Vec<IpAddr>,
    /// IPv6 addresses (at the end of any CNAME chain).
    pub aaaa: Vec<IpAddr>,
    /// The CNAME chain from the name, each hop's target in order.
    pub cname: Vec<String>,
    /// Name servers for the name itself (empty below a zone apex).
    pub ns: Vec<String>,
    /// Mail exchangers, sorted by preference.
    pub mx: Vec<MxRecord>,
    /// Failed queries, one per distinct code.
    pub errors: Vec<DnsFailure>,
}

/// A DNS client bound to configured name servers, with a process-wide concurrency limit.
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
    /// The direct path, when the name servers are configured (see `exchange`).
    direct: Option<Arc<UdpPath>>,
    permits: Arc<Semaphore>,
    /// The semaphore's size: one call never asks for more.
    max_permits: usize,
    deadline: Duration,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("deadline", &self.deadline)
            .field("available_permits", &self.permits.available_permits())
            .finish()
    }
}

impl Resolver {
    /// Builds a resolver from settings. Must be called inside a Tokio runtime.
    pub fn new(settings: &ResolverSettings) -> Result<Resolver, DnsConfigError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if settings.nameservers.is_empty() {
            TokioResolver::builder(provider).map_err(|e| DnsConfigError::System(e.to_string()))?
        } else {
            let servers = settings.nameservers.iter().map(|addr| {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                server
            });
            let config = ResolverConfig::from_name_servers(servers.collect());
            TokioResolver::builder_with_config(config, provider)
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = settings.timeout;
        options.attempts = settings.attempts.max(1);
        options.cache_size = settings.cache_size;
        options.use_hosts_file = ResolveHosts::Never;
        options.preserve_intermediates = true;
        options.ndots = 0;
        options.max_active_requests = settings.max_concurrent_queries.max(1);
        let inner = builder
            .build()
            .map_err(|e| DnsConfigError::Build(e.to_string()))?;
        let attempts = u32::try_from(settings.attempts.max(1)).unwrap_or(u32::MAX);
        let direct = (!settings.nameservers.is_empty()).then(|| {
            Arc::new(UdpPath::new(
                settings.nameservers.clone(),
                settings.timeout,
                settings.attempts,
            ))
        });
        Ok(Resolver {
            inner,
            direct,
            permits: Arc::new(Semaphore::new(settings.max_concurrent_queries.max(1))),
            max_permits: settings.max_concurrent_queries.max(1),
            deadline: settings.timeout.saturating_mul(attempts) + Duration::from_millis(500),
        })
    }

    /// Looks up A, AAAA, NS and MX for a name, concurrently, and reports the CNAME chain.
    pub async fn lookup(&self, name: &DomainName) -> DnsAnswer {
        let fqdn = match Name::from_ascii(format!("{}.", name.as_str())) {
            Ok(fqdn) => fqdn,
            Err(e) => {
                let failure = failure(DnsErrorCode::DnsFailed, "A", e.to_string());
                return DnsAnswer {
                    errors: vec![failure],
                    ..DnsAnswer::default()
                };
            }
        };
        let [a, aaaa, ns, mx] = self
            .query_all(
                &fqdn,
                [
                    RecordType::A,
                    RecordType::AAAA,
                    RecordType::NS,
                    RecordType::MX,
                ],
            )
            .await;
        let mut answer = DnsAnswer::default();
        for records in [&a, &aaaa].into_iter().flatten() {
            let chain = cname_chain(&fqdn, records);
            if chain.len() > answer.cname.len() {
                answer.cname = chain;
            }
        }
        let each = |result: &Result<Vec<Record>, DnsFailure>| -> Vec<RData> {
            result.iter().flatten().map(|r| r.data.clone()).collect()
        };
        answer.a = each(&a)
            .into_iter()
            .filter_map(|d| match d {
                RData::A(v4) => Some(IpAddr::V4(v4.0)),
                _ => None,
            })
            .collect();
        answer.aaaa = each(&aaaa)
            .into_iter()
            .filter_map(|d| match d {
                RData::AAAA(v6) => Some(IpAddr::V6(v6.0)),
                _ => None,
            })
            .collect();
        answer.ns = ns_names(ns.as_ref().map_or(&[][..], Vec::as_slice), &fqdn);
        answer.mx = each(&mx)
            .into_iter()
            .filter_map(|d| match d {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: plain(&mx.exchange),
                }),
                _ => None,
            })
            .collect();
        answer
            .mx
            .sort_by(|x, y| (x.preference, &x.exchange).cmp(&(y.preference, &y.exchange)));
        for result in [a, aaaa, ns, mx] {
            if let Err(failure) = result {
                if !answer.errors.iter().any(|e| e.code == failure.code) {
                    answer.errors.push(failure);
                }
            }
        }
        answer
    }

    /// Name servers of a name (NS records owned by the name itself).
    pub async fn ns(&self, name: &DomainName) -> Result<Vec<String>, DnsFailure> {
        let fqdn = Name::from_ascii(format!("{}.", name.as_str()))
            .map_err(|e| failure(DnsErrorCode::DnsFailed, "NS", e.to_string()))?;
        let records = self.query(&fqdn, RecordType::NS).await?;
        Ok(ns_names(&records, &fqdn))
    }

    /// Reverse look-up: the PTR names of an address, without trailing dots.
    pub async fn ptr(&self, ip: IpAddr) -> Result<Vec<String>, DnsFailure> {
        let name = Name::from(ip);
        let records = self.query(&name, RecordType::PTR).await?;
        Ok(records
            .iter()
            .filter_map(|r| match &r.data {
                RData::PTR(ptr) if same_name(&r.name, &name) => Some(plain(&ptr.0)),
                _ => None,
            })
            .collect())
    }

    /// One query under the process-wide limit and the outer deadline. NODATA is `Ok(empty)`.
    async fn query(&self, name: &Name, kind: RecordType) -> Result<Vec<Record>, DnsFailure> {
        let [answer] = self.query_all(name, [kind]).await;
        answer
    }

    /// The queries for `kinds` records of one name, together: on the direct path when there is
    /// one (one socket for all), each query it does not settle through hickory-resolver. Holds
    /// a permit of the process-wide limit per query.
    async fn query_all<const N: usize>(
        &self,
        name: &Name,
        kinds: [RecordType; N],
    ) -> [Result<Vec<Record>, DnsFailure>; N] {
        let wanted = u32::try_from(N.min(self.max_permits)).unwrap_or(1);
        let _permits = match self.permits.acquire_many(wanted).await {
            Ok(permits) => permits,
            Err(e) => return fail_each(kinds, DnsErrorCode::DnsFailed, &e.to_string()),
        };
        let mut direct: [Option<Exchange>; N] = std::array::from_fn(|_| None);
        if let Some(path) = &self.direct {
            let longest = path.longest() + Duration::from_millis(500);
            match tokio::time::timeout(longest, path.query_all(name, &kinds)).await {
                Ok(exchanges) => {
                    for (slot, exchange) in direct.iter_mut().zip(exchanges) {
                        *slot = Some(exchange);
                    }
                }
                Err(_) => return fail_each(kinds, DnsErrorCode::Timeout, "deadline passed"),
            }
        }
        let answers = kinds.iter().zip(direct).map(|(&kind, exchange)| async move {
            let type_text = record_type_text(kind);
            let path = match exchange {
                Some(Exchange::Answer(_) | Exchange::Failed(..)) => "direct",
                _ => "hickory",
            };
            metrics::counter!(QUERIES_TOTAL, "path" => path).increment(1);
            match exchange {
                Some(Exchange::Answer(records)) => return Ok(records),
                Some(Exchange::Failed(code, detail)) => {
                    tracing::debug!(%name, record_type = type_text, %detail, "DNS query failed");
                    return Err(failure(code, type_text, detail));
                }
                Some(Exchange::Defer(why)) => {
                    tracing::debug!(%name, record_type = type_text, why, "asking through hickory");
                }
                None => {}
            }
            self.hickory(name, kind).await
        });
        let answers = futures::future::join_all(answers).await;
        let mut answers = answers.into_iter();
        std::array::from_fn(|_| {
            answers.next().unwrap_or_else(|| {
                Err(failure(
                    DnsErrorCode::DnsFailed,
                    "other",
                    "no answer".into(),
                ))
            })
        })
    }

    /// One query through hickory-resolver, under the outer deadline.
    async fn hickory(&self, name: &Name, kind: RecordType) -> Result<Vec<Record>, DnsFailure> {
        let type_text = record_type_text(kind);
        let outcome = tokio::time::timeout(self.deadline, self.inner.lookup(name.clone(), kind));
        match outcome.await {
            Err(_) => Err(failure(
                DnsErrorCode::Timeout,
                type_text,
                "deadline passed".into(),
            )),
            Ok(Ok(lookup)) => Ok(lookup.answers().to_vec()),
            Ok(Err(e)) if e.is_no_records_found() && !e.is_nx_domain() => Ok(Vec::new()),
            Ok(Err(e)) => {
                tracing::debug!(%name, record_type = type_text, error = %e, "DNS query failed");
                Err(failure(classify(&e), type_text, e.to_string()))
            }
        }
    }
}

/// The same failure for each query of `kinds`.
fn fail_each<const N: usize>(
    kinds: [RecordType; N],
    code: DnsErrorCode,
    detail: &str,
) -> [Result<Vec<Record>, DnsFailure>; N] {
    kinds.map(|kind| Err(failure(code, record_type_text(kind), detail.to_owned())))
}

fn failure(code: DnsErrorCode, record_type: &'static str, detail: String) -> DnsFailure {
    DnsFailure {
        code,
        record_type,
        detail,
    }
}

fn record_type_text(kind: RecordType) -> &'static str {
    match kind {
        RecordType::A => "A",
        RecordType::AAAA => "AAAA",
        RecordType::NS => "NS",
        RecordType::MX => "MX",
        RecordType::PTR => "PTR",
        _ => "other",
    }
}

/// Maps a hickory error to a stable code.
fn classify(error: &NetError) -> DnsErrorCode {
    match error {
        e if e.is_nx_domain() => DnsErrorCode::Nxdomain,
        NetError::Timeout => DnsErrorCode::Timeout,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => DnsErrorCode::Servfail,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => DnsErrorCode::Refused,
        _ => DnsErrorCode::DnsFailed,
    }
}

/// A name as text without the trailing dot, lower-cased.
fn plain(name: &Name) -> String {
    let text = name.to_ascii().to_ascii_lowercase();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => text,
    }
}

/// Case-insensitive name equality, ignoring whether either is fully qualified.
fn same_name(a: &Name, b: &Name) -> bool {
    // Names read from messages are all fully qualified: compare them label by label, in place.
    if a.is_fqdn() == b.is_fqdn() {
        return a == b;
    }
    plain(a) == plain(b)
}

/// NS targets owned by `owner`, sorted.
fn ns_names(records: &[Record], owner: &Name) -> Vec<String> {
    let mut names: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(ns) if same_name(&r.name, owner) => Some(plain(&ns.0)),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Follows CNAME records from `start`, returning each hop's target in order.
fn cname_chain(start: &Name, records: &[Record]) -> Vec<String> {
    cname_hops(start, records)
        .into_iter()
        .map(|(_, target)| plain(&target))
        .collect()
}

/// The CNAME hops from `start` among `records`, in order: each hop's record index and target;
/// at most [`MAX_CNAME_CHAIN`].
pub(crate) fn cname_hops(start: &Name, records: &[Record]) -> Vec<(usize, Name)> {
    let mut hops: Vec<(usize, Name)> = Vec::new();
    while hops.len() < MAX_CNAME_CHAIN {
        let current = hops.last().map_or(start, |(_, target)| target);
        let next = records
            .iter()
            .enumerate()
            .find_map(|(index, r)| match &r.data {
                RData::CNAME(target) if same_name(&r.name, current) => {
                    Some((index, target.0.clone()))
                }
                _ => None,
            });
        match next {
            Some(hop) => hops.push(hop),
            None => break,
        }
    }
    hops
}
