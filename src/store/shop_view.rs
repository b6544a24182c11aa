//! What a claim's shop check needs from the enforcement state, held in memory on a cluster so
//! that claims do not read the `{enforce}` slot per request.
//!
//! A claim asks whether its shop's names are on the operators' blocklist or under a registry
//! takedown. Both live under `{enforce}`, the one slot every audited change writes. On one
//! Redis that is no matter (one server holds everything), and the claim reads them in its one
//! pipelined round trip. On a cluster, claims at platform rates would make that slot's master
//! the hot spot for reads too; instead each process keeps a view:
//!
//! - every [`POLL`] one task reads two numbers from `{enforce}`: the blocklist version and the
//!   registry-enforcement version (bumped by every change that adds or removes a name under
//!   the registry's enforcement);
//! - when the blocklist version moved, it applies the blocklist log's changes since the version
//!   it holds (or reloads the active values when the log no longer reaches back);
//! - when the enforcement version moved, it reloads the enforced names (a registry-sized set:
//!   `.vn` names under review, suspension or revocation).
//!
//! So `{enforce}` sees a fixed number of reads per process, whatever the claim rate, and a
//! claim sees a block at most about [`POLL`] after it was made. Until the first load, or while
//! the view cannot be refreshed for longer than [`STALE_AFTER`], claims read Redis directly,
//! as on one Redis.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redis::AsyncCommands;

use super::blocklist::parse_member;
use super::{keys, Store, StoreResult};

/// How often the versions are read.
pub const POLL: Duration = Duration::from_millis(200);
/// How long the view may go unrefreshed (Redis unreachable) before claims stop trusting it.
pub const STALE_AFTER: Duration = Duration::from_secs(5);

/// The view of one store; cheap to clone. Its task starts on first use.
#[derive(Clone, Default)]
pub struct ShopView {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<Option<View>>,
    started: std::sync::Once,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            state: Mutex::new(None),
            started: std::sync::Once::new(),
        }
    }
}

struct View {
    blocklist_version: u64,
    enforced_version: u64,
    /// Active blocklist values, with whether names under them are blocked too.
    blocked: HashMap<String, bool>,
    /// Names under the registry's enforcement.
    enforced: HashSet<String>,
    refreshed: Instant,
}

impl ShopView {
    /// Whether a shop known by `names` (its host first, then each parent down to the
    /// registrable domain) is blocked: the host itself or a parent blocked with its
    /// subdomains is on the blocklist, or any of the names is under a registry takedown.
    /// `None` while the view is not loaded or stale (the caller reads Redis).
    pub fn is_blocked(&self, store: &Store, names: &[String]) -> Option<bool> {
        self.start(store);
        let state = self.inner.state.lock().ok()?;
        let view = state.as_ref()?;
        if view.refreshed.elapsed() > STALE_AFTER {
            return None;
        }
        let on_blocklist = names.iter().enumerate().any(|(i, name)| {
            view.blocked
                .get(name)
                .is_some_and(|subdomains| i == 0 || *subdomains)
        });
        Some(on_blocklist || names.iter().any(|name| view.enforced.contains(name)))
    }

    fn start(&self, store: &Store) {
        self.inner.started.call_once(|| {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(follow(weak, store.without_shop_view()));
        });
    }
}

/// Keeps the view current for as long as the store exists.
async fn follow(weak: Weak<Inner>, store: Store) {
    let mut failing = false;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        match refresh(&inner, &store).await {
            Ok(()) => failing = false,
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "shop view: cannot refresh; claims read the enforcement state from Redis until it can");
            }
            Err(_) => {}
        }
        drop(inner);
        tokio::time::sleep(POLL).await;
    }
}

async fn refresh(inner: &Inner, store: &Store) -> StoreResult<()> {
    let mut conn = store.conn();
    let (blocklist_version, enforced_version): (Option<u64>, Option<u64>) = redis::pipe()
        .get(keys::blocklist_version())
        .hget(keys::registry_enforced_version(), "version")
        .query_async(&mut conn)
        .await?;
    let (blocklist_version, enforced_version) = (
        blocklist_version.unwrap_or(0),
        enforced_version.unwrap_or(0),
    );
    let held = inner.state.lock().ok().and_then(|state| {
        state
            .as_ref()
            .map(|v| (v.blocklist_version, v.enforced_version))
    });
    let blocked = match held {
        Some((version, _)) if version == blocklist_version => None,
        Some((version, _)) if version < blocklist_version => {
            match super::blocklist::changes(store, version, blocklist_version).await? {
                Some(changes) => Some(Update::Delta(changes)),
                None => Some(Update::Whole(load_blocked(store).await?)),
            }
        }
        _ => Some(Update::Whole(load_blocked(store).await?)),
    };
    let enforced = match held {
        Some((_, version)) if version == enforced_version => None,
        _ => Some(load_enforced(store).await?),
    };
    let Ok(mut state) = inner.state.lock() else {
        return Ok(());
    };
    let view = state.get_or_insert_with(|| View {
        blocklist_version: 0,
        enforced_version: 0,
        blocked: HashMap::new(),
        enforced: HashSet::new(),
        refreshed: Instant::now(),
    });
    match blocked {
        Some(Update::Whole(all)) => view.blocked = all,
        Some(Update::Delta(changes)) => {
            for change in changes {
                if change.added {
                    view.blocked
                        .insert(change.entry.value, change.entry.subdomains);
                } else {
                    view.blocked.remove(&change.entry.value);
                }
            }
        }
        None => {}
    }
    if let Some(names) = enforced {
        view.enforced = names;
    }
    view.blocklist_version = blocklist_version;
    view.enforced_version = enforced_version;
    view.refreshed = Instant::now();
    Ok(())
}

enum Update {
    Whole(HashMap<String, bool>),
    Delta(Vec<crate::takedown::blocklist::Change>),
}

/// Every active blocklist value with its subdomains flag.
async fn load_blocked(store: &Store) -> StoreResult<HashMap<String, bool>> {
    let mut conn = store.conn();
    let members: Vec<String> = conn.zrange(keys::blocklist_sorted(), 0, -1).await?;
    Ok(members
        .iter()
        .map(|m| {
            let (value, subdomains) = parse_member(m);
            (value.to_owned(), subdomains)
        })
        .collect())
}

/// Every name under the registry's enforcement.
async fn load_enforced(store: &Store) -> StoreResult<HashSet<String>> {
    let mut conn = store.conn();
    let members: Vec<String> = conn.zrange(keys::registry_enforced(), 0, -1).await?;
    Ok(members
        .iter()
        .map(|m| m.split('\t').next().unwrap_or_default().to_owned())
        .collect())
}
