//! The blocklist as a DNS zone for operators' resolvers: an authoritative endpoint for the
//! response-policy zone (SOA over UDP and TCP, AXFR, IXFR from the change log), TSIG on
//! every transfer, NOTIFY to the secondaries on every new version, and completed transfers
//! recorded as the operator's acknowledgement.
//!
//! An adapter like `http/`: it parses and authorises DNS messages, takes the zone's content
//! from [`crate::takedown::rpz`] and [`crate::takedown::blocklist`], and reads and writes
//! Redis only through [`crate::store::blocklist`]. It never blocks on the network without a
//! timeout, keeps no state beyond the current version and the keys, and never panics on what
//! a client sends.

pub mod answer;
pub mod notify;
pub mod server;
pub mod transfer;
pub mod tsig;
pub mod tsig_file;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::store::Store;
use crate::takedown::rpz::RpzZone;
pub use tsig_file::{TsigFileError, TsigKeys};

/// Completed transfers, by operator and kind (`axfr`, `ixfr`).
pub const TRANSFERS_TOTAL: &str = "originguard_rpz_transfers_total";
/// Refused or failed DNS requests, by reason.
pub const REFUSED_TOTAL: &str = "originguard_rpz_refused_total";
/// How often the blocklist version is read for SOA answers and NOTIFY.
pub const VERSION_POLL: Duration = Duration::from_millis(200);

/// What the endpoint serves and to whom.
#[derive(Debug, Clone)]
pub struct RpzDnsConfig {
    /// UDP and TCP address to answer on.
    pub listen: SocketAddr,
    /// The zone's name and canary.
    pub zone: RpzZone,
    /// Transfer keys and unsigned sources.
    pub tsig: TsigKeys,
    /// Secondaries told of every new version.
    pub notify: Vec<SocketAddr>,
}

/// What every request handler shares; cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// Redis.
    pub store: Store,
    /// The zone.
    pub zone: Arc<RpzZone>,
    /// The keys in force.
    pub tsig: TsigKeys,
    /// The newest version read (`None` until the first read).
    pub version: watch::Receiver<Option<u64>>,
}

/// The running endpoint.
pub struct RpzDns {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RpzDns {
    /// Waits until every task has stopped (after the shutdown token is cancelled).
    pub async fn stopped(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Gives the metric families their `# HELP` text.
fn describe() {
    metrics::describe_counter!(
        TRANSFERS_TOTAL,
        "Completed zone transfers of the RPZ zone, by operator and kind (axfr, ixfr)."
    );
    metrics::describe_counter!(
        REFUSED_TOTAL,
        "DNS requests to the RPZ endpoint refused or answered with an error, by reason."
    );
}

/// Counts one refusal.
pub fn refused(reason: &'static str) {
    metrics::counter!(REFUSED_TOTAL, "reason" => reason).increment(1);
}

/// Binds UDP and TCP on `config.listen` (the same port for both) and starts answering, the
/// version watcher, NOTIFY and the TSIG file watcher, until `shutdown` is cancelled.
pub async fn start(
    config: RpzDnsConfig,
    store: Store,
    shutdown: CancellationToken,
) -> anyhow::Result<RpzDns> {
    use anyhow::Context as _;
    describe();
    let tcp = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (TCP) for the RPZ zone", config.listen))?;
    let addr = tcp.local_addr()?;
    let udp = tokio::net::UdpSocket::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (UDP) for the RPZ zone"))?;
    let (version_tx, version_rx) = watch::channel(None);
    let context = Context {
        store: store.clone(),
        zone: Arc::new(config.zone.clone()),
        tsig: config.tsig.clone(),
        version: version_rx.clone(),
    };
    let mut tasks = vec![
        tokio::spawn(watch_version(store, version_tx, shutdown.clone())),
        tokio::spawn(server::serve_udp(udp, context.clone(), shutdown.clone())),
        tokio::spawn(server::serve_tcp(tcp, context, shutdown.clone())),
    ];
    if !config.notify.is_empty() {
        tasks.push(tokio::spawn(notify::run(
            config.notify.clone(),
            config.zone.clone(),
            version_rx,
            shutdown.clone(),
        )));
    }
    let watcher = tokio::spawn(config.tsig.clone().watch());
    let stop = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        stop.cancelled().await;
        watcher.abort();
    }));
    let (keys, unsigned) = config.tsig.snapshot().counts();
    tracing::info!(
        address = %addr,
        zone = config.zone.origin(),
        tsig_keys = keys,
        unsigned_sources = unsigned,
        notify = config.notify.len(),
        "RPZ zone served over DNS"
    );
    Ok(RpzDns { addr, tasks })
}

/// Reads the blocklist version every [`VERSION_POLL`] and publishes changes.
async fn watch_version(
    store: Store,
    version: watch::Sender<Option<u64>>,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(VERSION_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match crate::store::blocklist::version(&store).await {
            Ok(current) => {
                failing = false;
                version.send_if_modified(|known| {
                    let changed = *known != Some(current);
                    *known = Some(current);
                    changed
                });
            }
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "cannot read the blocklist version for the RPZ zone");
            }
            Err(_) => {}
        }
    }
}
