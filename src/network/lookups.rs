//! Look-ups shared by the targets of one request: each distinct name's records, each
//! registrable domain's name servers and each address's PTR names are asked for once per
//! request, and every target that needs them gets the same answer.
//!
//! A [`SharedLookups`] lives for one request (or one `resolve_one` call) and is then dropped;
//! it is not a cache across requests (the configured name servers cache; see the `dns`
//! module's caching note). It holds at most one entry per distinct name or address of its request, so
//! it is bounded by the request's size. Concurrent callers for the same key wait for the one
//! query in flight instead of sending their own.
//!
//! It never changes an answer: a failure is shared like a success, and each target still
//! reports its own errors from it.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::dns::{DnsAnswer, DnsFailure, Resolver};
use super::names::DomainName;

/// One value per key, computed once; concurrent callers for a key share the one computation.
#[derive(Debug)]
struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// The value for `key`, running `compute` only if no caller has started it yet.
    async fn get_or_compute<F, Fut>(&self, key: K, compute: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = V>,
    {
        let cell = {
            // A poisoned lock only means another target panicked while inserting; the map
            // itself is still a valid map of cells.
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry(key).or_default().clone()
        };
        cell.get_or_init(compute).await.clone()
    }
}

/// The look-ups of one request, each asked once and shared among its targets.
#[derive(Debug)]
pub struct SharedLookups {
    resolver: Resolver,
    records: Memo<DomainName, DnsAnswer>,
    name_servers: Memo<DomainName, Result<Vec<String>, DnsFailure>>,
    ptrs: Memo<IpAddr, Result<Vec<String>, DnsFailure>>,
}

impl SharedLookups {
    /// An empty set of look-ups for one request, asking `resolver`.
    pub fn new(resolver: Resolver) -> SharedLookups {
        SharedLookups {
            resolver,
            records: Memo::default(),
            name_servers: Memo::default(),
            ptrs: Memo::default(),
        }
    }

    /// A, AAAA, CNAME chain, NS and MX of a name ([`Resolver::lookup`]), once per name.
    pub async fn records(&self, name: &DomainName) -> DnsAnswer {
        self.records
            .get_or_compute(name.clone(), || self.resolver.lookup(name))
            .await
    }

    /// The name servers of a name ([`Resolver::ns`]), once per name.
    pub async fn name_servers(&self, name: &DomainName) -> Result<Vec<String>, DnsFailure> {
        self.name_servers
            .get_or_compute(name.clone(), || self.resolver.ns(name))
            .await
    }

    /// The PTR names of an address ([`Resolver::ptr`]), once per address.
    pub async fn ptr(&self, ip: IpAddr) -> Result<Vec<String>, DnsFailure> {
        self.ptrs.get_or_compute(ip, || self.resolver.ptr(ip)).await
    }
}
