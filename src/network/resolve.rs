//! One `POST /v1/resolve` request: every target resolved on its own, results in input order.
//!
//! For a domain target: DNS (A, AAAA, CNAME chain, NS, MX), then for each address its PTR
//! name, allocation country and `private` flag, the guard's verdict (`blocked_address` for each
//! refused address) and, when asked, a TLS peek at the first address the guard allows, sending
//! the name as SNI. NS records come from the name itself, or, when it has none (a host below
//! the zone apex), from its registrable domain. For an IP target the same address steps apply,
//! without DNS and without SNI. A CIDR target is reported with kind `"ip"`, its canonical
//! block in the extra field `cidr`, and nothing is looked up or connected to.
//!
//! Within one call, each distinct name, each registrable domain's NS and each address's PTR
//! is asked for once and shared by the targets that need it ([`SharedLookups`]).
//!
//! A target that fails never fails the call: its errors are in its own result. At most
//! [`MAX_TARGETS`] targets per call; targets run as tasks (so one call uses every core),
//! at most [`Limits::per_request_concurrency`] at once, and DNS queries share the
//! process-wide limit of the [`Resolver`]. Dropping the call (a client that went away) aborts
//! its tasks.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;

use super::allocations::AllocationTable;
use super::dns::{DnsFailure, MxRecord, Resolver};
use super::guard::{is_private, AddressGuard};
use super::lookups::SharedLookups;
use super::names::{DomainName, Target};
use super::tls::{self, CertInfo};
use crate::i18n::Lang;

/// Most targets accepted in one call.
pub const MAX_TARGETS: usize = 1_000;

/// Per-request bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Targets resolved at once within one request.
    pub per_request_concurrency: usize,
    /// Time allowed for one TLS connect + handshake.
    pub tls_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_request_concurrency: 32,
            tls_timeout: Duration::from_secs(5),
        }
    }
}

/// What the client asked for besides the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Peek at the TLS certificate of the first allowed address.
    pub tls: bool,
    /// Port for the TLS peek when the target has no explicit port (default 443).
    pub tls_port: u16,
    /// Language of the error messages.
    pub lang: Lang,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            tls: false,
            tls_port: 443,
            lang: Lang::En,
        }
    }
}

/// Everything one request needs; built once per process and shared.
#[derive(Debug, Clone)]
pub struct NetworkContext {
    /// DNS client bound to the configured name servers.
    pub resolver: Resolver,
    /// Which addresses may be connected to.
    pub guard: AddressGuard,
    /// IP → country data.
    pub allocations: Arc<AllocationTable>,
    /// Per-request bounds.
    pub limits: Limits,
}

/// The whole call was refused (the HTTP layer answers 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// More than [`MAX_TARGETS`] targets.
    #[error("too many targets: {given} (at most {max})")]
    TooManyTargets {
        /// How many were given.
        given: usize,
        /// The limit.
        max: usize,
    },
}

/// `kind` of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A domain name or URL host name.
    Domain,
    /// An IP address or CIDR block.
    Ip,
}

/// DNS records of a domain target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Records {
    /// IPv4 addresses the name resolves to (A records).
    #[schema(value_type = Vec<String>)]
    pub a: Vec<IpAddr>,
    /// IPv6 addresses the name resolves to (AAAA records).
    #[schema(value_type = Vec<String>)]
    pub aaaa: Vec<IpAddr>,
    /// The CNAME chain, each hop's target in order.
    pub cname: Vec<String>,
    /// The name servers of the name's zone (NS records).
    pub ns: Vec<String>,
    /// Mail exchangers, by preference.
    pub mx: Vec<MxRecord>,
}

/// One address of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AddressInfo {
    /// The address (IPv4 or IPv6), in canonical text.
    #[schema(value_type = String)]
    pub ip: IpAddr,
    /// Its first PTR name, if any.
    pub ptr: Option<String>,
    /// ISO 3166 alpha-2 country from the allocation data, if known.
    pub country: Option<String>,
    /// In a private-use, shared, loopback or link-local range.
    pub private: bool,
}

/// One error of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResultError {
    /// Stable machine code (`nxdomain`, `blocked_address`, `tls_failed`, `invalid_target`, …).
    pub code: &'static str,
    /// Human-readable text in the requested language.
    pub message: String,
}

/// The result for one target, with the API's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetResult {
    /// The target as given.
    pub target: String,
    /// `domain` or `ip`.
    pub kind: TargetKind,
    /// The Unicode form of the name (`hàng-hiệu.vn`).
    pub domain: Option<String>,
    /// The registrable domain, ASCII form (`myphamxachtay.com.vn`).
    pub registrable_domain: Option<String>,
    /// The ASCII (IDNA) form of the name.
    pub ascii_domain: Option<String>,
    /// Under the `.vn` ccTLD.
    pub is_vn: bool,
    /// DNS records (empty for IP targets).
    pub records: Records,
    /// Addresses with PTR, country and `private` flag.
    pub addresses: Vec<AddressInfo>,
    /// The certificate of the first allowed address, when TLS was asked for and succeeded.
    pub tls: Option<CertInfo>,
    /// What went wrong for this target.
    pub errors: Vec<ResultError>,
    /// For a CIDR target: the block in canonical text (extra field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
}

impl TargetResult {
    fn empty(target: &str, kind: TargetKind) -> TargetResult {
        TargetResult {
            target: target.to_owned(),
            kind,
            domain: None,
            registrable_domain: None,
            ascii_domain: None,
            is_vn: false,
            records: Records::default(),
            addresses: Vec::new(),
            tls: None,
            errors: Vec::new(),
            cidr: None,
        }
    }
}

/// Resolves every target, in input order. Fails only for more than [`MAX_TARGETS`] targets.
pub async fn resolve_targets(
    targets: &[String],
    opts: ResolveOptions,
    ctx: &NetworkContext,
) -> Result<Vec<TargetResult>, ResolveError> {
    if targets.len() > MAX_TARGETS {
        return Err(ResolveError::TooManyTargets {
            given: targets.len(),
            max: MAX_TARGETS,
        });
    }
    let limit = ctx.limits.per_request_concurrency.max(1);
    let ctx = Arc::new(ctx.clone());
    let lookups = Arc::new(SharedLookups::new(ctx.resolver.clone()));
    let mut results: Vec<Option<TargetResult>> = vec![None; targets.len()];
    let mut pending = targets.iter().cloned().enumerate();
    // Dropping the set (the call was dropped) aborts every task still running.
    let mut running = JoinSet::new();
    loop {
        while running.len() < limit {
            let Some((index, target)) = pending.next() else {
                break;
            };
            let (ctx, lookups) = (ctx.clone(), lookups.clone());
            running.spawn(async move {
                let result = resolve_shared(&target, opts, &ctx, &lookups).await;
                (index, result)
            });
        }
        match running.join_next().await {
            Some(Ok((index, result))) => results[index] = Some(result),
            // A panicking target panics the call, as it did before targets became tasks.
            Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Some(Err(e)) => unreachable!("resolve tasks are only aborted with the call: {e}"),
            None => break,
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// Resolves one target on its own (its look-ups are shared with no other target).
pub async fn resolve_one(target: &str, opts: ResolveOptions, ctx: &NetworkContext) -> TargetResult {
    let lookups = SharedLookups::new(ctx.resolver.clone());
    resolve_shared(target, opts, ctx, &lookups).await
}

/// Resolves one target, taking its look-ups from those of its request.
async fn resolve_shared(
    target: &str,
    opts: ResolveOptions,
    ctx: &NetworkContext,
    lookups: &SharedLookups,
) -> TargetResult {
    match Target::parse(target) {
        Err(e) => {
            let mut result = TargetResult::empty(target, guess_kind(target));
            result.errors.push(ResultError {
                code: "invalid_target",
                message: format!("{} ({})", e.message(opts.lang), e.code()),
            });
            result
        }
        Ok(Target::Cidr(block)) => {
            let mut result = TargetResult::empty(target, TargetKind::Ip);
            result.cidr = Some(block.to_string());
            result
        }
        Ok(Target::Ip { ip, port }) => {
            let mut result = TargetResult::empty(target, TargetKind::Ip);
            describe_addresses(&mut result, vec![ip], None, port, opts, ctx, lookups).await;
            result
        }
        Ok(Target::Domain { name, port }) => {
            resolve_domain(target, name, port, opts, ctx, lookups).await
        }
    }
}

/// An unparseable target is reported as `ip` when it holds only address-like characters.
fn guess_kind(target: &str) -> TargetKind {
    let address_like = target
        .trim()
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b"./:[]".contains(&b));
    if address_like && target.trim().bytes().any(|b| b.is_ascii_digit()) {
        TargetKind::Ip
    } else {
        TargetKind::Domain
    }
}

async fn resolve_domain(
    target: &str,
    name: DomainName,
    port: Option<u16>,
    opts: ResolveOptions,
    ctx: &NetworkContext,
    lookups: &SharedLookups,
) -> TargetResult {
    let mut result = TargetResult::empty(target, TargetKind::Domain);
    let registrable = name.registrable_domain();
    result.domain = Some(name.to_unicode());
    result.ascii_domain = Some(name.as_str().to_owned());
    result.registrable_domain = registrable.as_ref().map(|r| r.as_str().to_owned());
    result.is_vn = name.is_vn();

    let answer = lookups.records(&name).await;
    for failure in &answer.errors {
        result.errors.push(dns_error(failure, opts.lang));
    }
    let mut ns = answer.ns;
    if ns.is_empty() && answer.errors.is_empty() {
        if let Some(apex) = registrable.as_ref().filter(|r| **r != name) {
            ns = lookups.name_servers(apex).await.unwrap_or_default();
        }
    }
    let addresses: Vec<IpAddr> = answer.a.iter().chain(answer.aaaa.iter()).copied().collect();
    result.records = Records {
        a: answer.a,
        aaaa: answer.aaaa,
        cname: answer.cname,
        ns,
        mx: answer.mx,
    };
    describe_addresses(
        &mut result,
        addresses,
        Some(&name),
        port,
        opts,
        ctx,
        lookups,
    )
    .await;
    result
}

fn dns_error(failure: &DnsFailure, lang: Lang) -> ResultError {
    ResultError {
        code: failure.code.code(),
        message: failure.code.message(lang).to_owned(),
    }
}

/// Fills `addresses`, guard errors and the TLS peek for a target's addresses.
async fn describe_addresses(
    result: &mut TargetResult,
    addresses: Vec<IpAddr>,
    sni: Option<&DomainName>,
    port: Option<u16>,
    opts: ResolveOptions,
    ctx: &NetworkContext,
    lookups: &SharedLookups,
) {
    let ptrs = futures::future::join_all(addresses.iter().map(|ip| lookups.ptr(*ip))).await;
    let mut first_allowed = None;
    for (ip, ptr) in addresses.iter().zip(ptrs) {
        result.addresses.push(AddressInfo {
            ip: *ip,
            ptr: ptr.ok().and_then(|names| names.into_iter().next()),
            country: ctx.allocations.lookup(*ip).map(str::to_owned),
            private: is_private(*ip),
        });
        match ctx.guard.check(*ip) {
            Ok(()) => {
                first_allowed.get_or_insert(*ip);
            }
            Err(blocked) => result.errors.push(ResultError {
                code: "blocked_address",
                message: blocked.message(opts.lang),
            }),
        }
    }
    if !opts.tls {
        return;
    }
    let Some(ip) = first_allowed else {
        return;
    };
    let addr = SocketAddr::new(ip, port.unwrap_or(opts.tls_port));
    match tls::peek(addr, sni, ctx.limits.tls_timeout, &ctx.guard).await {
        Ok(info) => result.tls = Some(info),
        Err(e) => result.errors.push(ResultError {
            code: e.code(),
            message: e.message(opts.lang),
        }),
    }
}
