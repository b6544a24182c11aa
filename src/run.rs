//! The subcommands: what `originguard serve`, `worker`, `openapi` and `keys new` do.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::{AppState, RateLimitSettings, Settings};
use crate::auth::key_terms::parse_expires_in;
use crate::auth::{new_key_stanza_until, Caller, DevKeys, KeyStore, Role};
use crate::config::{
    Cli, Command, ImportArgs, ImportKind, KeysCommand, LogFormat, NetworkArgs, NewKeyArgs, RpzArgs,
    ServeArgs, StoreArgs, TakedownArgs, WorkerArgs,
};
use crate::http::router;
use crate::i18n::Lang;
use crate::ndjson::LineReader;
use crate::network::allocations::AllocationTable;
use crate::network::dns::{parse_nameservers, Resolver, ResolverSettings};
use crate::network::guard::AddressGuard;
use crate::network::resolve::{Limits, NetworkContext};
use crate::reference::ReferenceKind;
use crate::rpz_dns::{RpzDnsConfig, TsigKeys};
use crate::service::import::{audit_load, import, ImportReport};
use crate::store::{ManagedRedis, ManagedRedisError, Store, WaitPolicy};
use crate::takedown::platform::{LockThresholds, PlatformSettings};
use crate::takedown::rpz::RpzZone;
use crate::takedown::TakedownSettings;
use crate::worker::webhook::{parse_url, WebhookConfig};
use crate::worker::WorkerConfig;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args, cli.log_format).await,
        Command::Worker(args) => worker(args).await,
        Command::Import(args) => import_file(args).await,
        Command::Openapi => {
            print!("{}", router::openapi_json());
            Ok(())
        }
        Command::Keys(KeysCommand::New(args)) => new_key(args),
    }
}

/// Sets up logging: `RUST_LOG` filters (default `info,redis=error`: the Redis client's own
/// warnings repeat per node and per retry, while the service logs what they mean once), plain
/// or JSON lines on stderr
/// through [`crate::logging`]'s queue (a closed or stalled log reader never stops the
/// service), colours only when stderr is a terminal.
pub fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,redis=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .with_writer(crate::logging::QueuedStderr);
    let result = match format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(error) = result {
        crate::logging::write(format!("logging was already set up: {error}\n").as_bytes());
    }
}

/// Connects to `REDIS_URL`, or starts the managed Redis when it is unset. The managed child
/// (if any) must be kept alive as long as the store is used; dropping it stops Redis.
///
/// With `share_running`, a managed Redis that a running `serve` already holds in the same data
/// directory is used instead of failing (so `import` and `worker` work beside the dev service).
pub async fn open_store(
    args: &StoreArgs,
    share_running: bool,
) -> anyhow::Result<(Store, Option<ManagedRedis>)> {
    let wait = WaitPolicy {
        replicas: args.redis_wait_replicas,
        timeout: Duration::from_millis(args.redis_wait_ms),
    };
    let cluster = !args.redis_cluster_nodes.is_empty();
    if cluster && args.redis_url.is_some() {
        anyhow::bail!(
            "both REDIS_URL and --redis-cluster-nodes (ORIGINGUARD_REDIS_CLUSTER_NODES) are set: choose one Redis or one Redis Cluster"
        );
    }
    if cluster {
        let store = Store::connect_cluster(&args.redis_cluster_nodes).await?;
        return Ok((store.with_wait(wait), None));
    }
    if let Some(url) = &args.redis_url {
        return Ok((Store::connect(url).await?.with_wait(wait), None));
    }
    match ManagedRedis::start(&args.redis_server, &args.data_dir).await {
        Ok(managed) => {
            let store = Store::connect(&managed.url()).await?;
            Ok((store.with_wait(wait), Some(managed)))
        }
        Err(ManagedRedisError::Locked(dir)) if share_running => {
            let url = ManagedRedis::url_for(&dir);
            tracing::info!(%url, "using the managed Redis of the running service");
            Ok((Store::connect(&url).await?.with_wait(wait), None))
        }
        Err(error) => Err(error.into()),
    }
}

/// Loads the keys file, or writes development keys under `data_dir` and shows them once: as a
/// block to paste into a shell (`export PLATFORM_KEY=…`, the rest `#` comments), or as one log
/// event with the JSON log format.
pub fn open_keys(
    keys_file: Option<&Path>,
    data_dir: &Path,
    log_format: LogFormat,
) -> anyhow::Result<KeyStore> {
    if let Some(path) = keys_file {
        return Ok(KeyStore::load(path)?);
    }
    let dev = DevKeys::ensure(data_dir)?;
    if dev.fresh_secrets.is_empty() {
        tracing::warn!(path = %dev.path.display(), "DEVELOPMENT SETUP: using development keys (secrets were printed when the file was written; delete it for new ones). Set ORIGINGUARD_KEYS_FILE in production.");
    } else if log_format == LogFormat::Json {
        let key = |role: Role| {
            dev.fresh_secrets
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, secret)| secret.as_str())
                .unwrap_or_default()
        };
        tracing::warn!(
            keys_file = %dev.path.display(),
            platform_key = key(Role::Platform),
            authority_key = key(Role::Authority),
            registry_key = key(Role::Registry),
            operator_key = key(Role::Operator),
            steward_key = key(Role::Steward),
            admin_key = key(Role::Admin),
            "DEVELOPMENT SETUP: development keys written, one per role; shown this once and never stored. Set ORIGINGUARD_KEYS_FILE in production."
        );
    } else {
        let mut banner = format!(
            "# WARNING: development setup. No ORIGINGUARD_KEYS_FILE was given, so {} was\n\
             # written with one key per role. The secrets are shown this once and never stored.\n\
             # Paste these lines into your shell:\n",
            dev.path.display()
        );
        for (role, secret) in &dev.fresh_secrets {
            banner.push_str(&format!(
                "export {}_KEY={secret}\n",
                role.as_str().to_ascii_uppercase()
            ));
        }
        banner.push_str("# Do not use these keys in production.\n");
        crate::logging::write(banner.as_bytes());
    }
    Ok(KeyStore::load(&dev.path)?)
}

/// The DNS resolver, address guard and allocation data from the network flags.
pub fn network_context(args: &NetworkArgs) -> anyhow::Result<NetworkContext> {
    let mut nameservers = Vec::new();
    for entry in &args.nameservers {
        nameservers.extend(parse_nameservers(entry)?);
    }
    let settings = ResolverSettings {
        nameservers,
        ..ResolverSettings::default()
    };
    let allocations = match &args.ip_allocations {
        Some(path) => {
            let table = AllocationTable::from_path(path)
                .with_context(|| format!("cannot load IP allocations from {}", path.display()))?;
            if table.rejected() > 0 {
                tracing::warn!(path = %path.display(), rejected = table.rejected(), "IP allocation lines rejected");
            }
            table
        }
        None => AllocationTable::parse(""),
    };
    if args.allow_loopback_targets {
        tracing::warn!("loopback targets are allowed (--allow-loopback-targets): for tests only");
    }
    Ok(NetworkContext {
        resolver: Resolver::new(&settings)?,
        guard: AddressGuard {
            allow_loopback: args.allow_loopback_targets,
        },
        allocations: std::sync::Arc::new(allocations),
        limits: Limits {
            per_request_concurrency: usize::from(args.resolve_concurrency),
            ..Limits::default()
        },
    })
}

/// A token cancelled on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    cancel.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => tracing::info!("Ctrl-C received"),
            _ = term.recv() => tracing::info!("SIGTERM received"),
        }
        cancel.cancel();
    });
    token
}

async fn serve(args: ServeArgs, log_format: LogFormat) -> anyhow::Result<()> {
    // Build the GS1 AI table from the compiled-in Syntax Dictionary now, not on the first check.
    let ais = crate::origin::gs1::ai_table::all().len();
    tracing::debug!(ais, "GS1 AI table built from the Syntax Dictionary");
    let shutdown = shutdown_signal();
    let (store, mut managed) = open_store(&args.store, false).await?;
    if managed.is_some() && !args.no_sample_data {
        crate::service::samples::load_once(&store).await?;
    }
    let keys = open_keys(args.keys_file.as_deref(), &args.store.data_dir, log_format)?;
    let watcher = tokio::spawn(keys.clone().watch());
    let network = network_context(&args.network)?;
    let rpz_zone = RpzZone::new(&args.rpz.rpz_zone, &args.rpz.rpz_canary)?;
    let rpz_dns = match args.rpz.rpz_listen {
        Some(listen) => Some(
            crate::rpz_dns::start(
                rpz_dns_config(&args.rpz, listen, rpz_zone.clone())?,
                store.clone(),
                shutdown.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let state = AppState::new(
        store,
        keys,
        network,
        Settings {
            body_limit: args.body_limit,
            takedowns: takedown_settings(&args.takedowns)?,
            rpz_zone,
            rate_limits: (!args.no_rate_limits).then_some(RateLimitSettings {
                reconcile_every: Duration::from_millis(args.rate_limit_reconcile_ms),
            }),
        },
        crate::http::metrics::handle(),
    );
    let workers = if args.no_workers {
        None
    } else {
        let config = worker_config(&args.takedowns)?;
        Some(tokio::spawn(crate::worker::run(
            state.store().clone(),
            state.network().clone(),
            config,
            shutdown.clone(),
        )))
    };
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "originguard listening");
    let token = shutdown.clone();
    let result = router::serve(
        listener,
        router::router(state),
        async move { token.cancelled().await },
        args.shutdown_grace(),
    )
    .await;
    watcher.abort();
    shutdown.cancel();
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    if let Some(rpz_dns) = rpz_dns {
        rpz_dns.stopped().await;
    }
    if let Some(managed) = managed.as_mut() {
        managed.stop();
    }
    result.context("server failed")
}

/// The DNS zone endpoint's configuration; a TSIG file readable by group or others, or one that
/// does not load, stops the start with one line.
pub fn rpz_dns_config(
    args: &RpzArgs,
    listen: std::net::SocketAddr,
    zone: RpzZone,
) -> anyhow::Result<RpzDnsConfig> {
    let tsig = match &args.tsig_file {
        Some(path) => TsigKeys::load(path)?,
        None => {
            tracing::warn!("--rpz-listen without --tsig-file: every zone transfer is refused");
            TsigKeys::none()
        }
    };
    Ok(RpzDnsConfig {
        listen,
        zone,
        tsig,
        notify: args.rpz_notify.clone(),
    })
}

async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let (store, mut managed) = open_store(&args.store, true).await?;
    if let Some(managed) = &managed {
        tracing::warn!(
            url = %managed.url(),
            "no REDIS_URL and no running `originguard serve` in this data directory: this worker started a private Redis of its own, which no service writes to; set REDIS_URL to share one"
        );
    }
    store.ping().await.context("redis does not answer")?;
    let network = network_context(&args.network)?;
    let config = worker_config(&args.takedowns)?;
    crate::worker::run(store, network, config, shutdown).await;
    if let Some(managed) = managed.as_mut() {
        managed.stop();
    }
    Ok(())
}

/// The takedown settings from the command line.
pub fn takedown_settings(args: &TakedownArgs) -> anyhow::Result<TakedownSettings> {
    if !(args.suspension_day_secs.is_finite() && args.suspension_day_secs > 0.0) {
        anyhow::bail!("--suspension-day-secs must be a positive number of seconds");
    }
    if args.suspension_day_secs < 86_400.0 {
        tracing::warn!(
            seconds = args.suspension_day_secs,
            "a suspension day is shorter than a day: for tests only"
        );
    }
    Ok(TakedownSettings {
        suspension_day: Duration::from_secs_f64(args.suspension_day_secs),
        max_suspend_days: args.max_suspend_days.max(1),
        webhook_enabled: args.registry_webhook_url.is_some(),
        resolve_tls: !args.no_tls_peek,
        blocklist_retention: args.blocklist_retention.max(1),
        operator_deadline: Duration::from_secs(args.operator_deadline_secs),
        platforms: PlatformSettings {
            deadline: Duration::from_secs(args.platform_deadline_secs),
            lock: LockThresholds {
                upheld_30d: args.lock_upheld_30d.max(1),
                upheld_90d: args.lock_upheld_90d.max(1),
                permanent_after_locks: args.lock_permanent_after.max(1),
            },
        },
    })
}

/// The worker configuration from the command line.
pub fn worker_config(args: &TakedownArgs) -> anyhow::Result<WorkerConfig> {
    let mut config = WorkerConfig::new(takedown_settings(args)?);
    config.visibility_timeout = Duration::from_millis(args.visibility_timeout_ms.max(100));
    config.max_deliveries = args.max_deliveries.max(1);
    config.poll_interval = Duration::from_millis(args.scheduler_poll_ms.max(10));
    config.webhook = match (&args.registry_webhook_url, &args.registry_webhook_secret) {
        (None, _) => None,
        (Some(_), None) => anyhow::bail!("--registry-webhook-url needs --registry-webhook-secret"),
        (Some(url), Some(secret)) => Some(WebhookConfig {
            url: parse_url(url).map_err(anyhow::Error::msg)?,
            secret: secret.clone(),
            max_attempts: args.webhook_attempts.max(1),
            backoff: Duration::from_millis(args.webhook_backoff_ms),
            timeout: Duration::from_secs(10),
        }),
    };
    Ok(config)
}

fn new_key(args: NewKeyArgs) -> anyhow::Result<()> {
    let caller = Caller {
        name: args.name,
        role: args.role.parse().map_err(anyhow::Error::msg)?,
        agency: args.agency,
        operator: args.operator,
        platform: args.platform,
        key_id: None,
    };
    let not_after = match &args.expires_in {
        Some(text) => {
            Some(chrono::Utc::now() + parse_expires_in(text).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let (secret, stanza) = new_key_stanza_until(&caller, not_after).map_err(anyhow::Error::msg)?;
    println!("# Secret (give it to the key holder; it is not stored anywhere):");
    println!("# {secret}");
    println!("# Add this to the keys file:");
    print!("{stanza}");
    Ok(())
}

async fn import_file(args: ImportArgs) -> anyhow::Result<()> {
    let (store, mut managed) = open_store(&args.store, true).await?;
    let kind = match args.kind {
        ImportKind::Products => ReferenceKind::Products,
        ImportKind::Recalls => ReferenceKind::Recalls,
        ImportKind::Taxpayers => ReferenceKind::Taxpayers,
        ImportKind::Invoices => ReferenceKind::Invoices,
        ImportKind::Platforms => ReferenceKind::Platforms,
        ImportKind::SharedInfrastructure => ReferenceKind::SharedInfrastructure,
    };
    let (reader, size): (Box<dyn tokio::io::AsyncRead + Unpin + Send>, Option<u64>) =
        if args.file.as_os_str() == "-" {
            (Box::new(tokio::io::stdin()), None)
        } else {
            let file = tokio::fs::File::open(&args.file)
                .await
                .with_context(|| format!("cannot open {}", args.file.display()))?;
            let size = file.metadata().await.ok().map(|m| m.len());
            (Box::new(file), size)
        };
    let bar = match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let counted = bar.clone();
    let stream =
        futures::StreamExt::inspect(tokio_util::io::ReaderStream::new(reader), move |chunk| {
            if let Ok(chunk) = chunk {
                counted.inc(chunk.len() as u64);
            }
        });
    let mut lines = LineReader::new(stream);
    let progress_bar = bar.clone();
    let report = import(&store, kind, &mut lines, Lang::En, move |read| {
        progress_bar.set_message(format!("{read} lines"));
    })
    .await;
    bar.finish_and_clear();
    let audited = match &report {
        Ok(report) => audit_load(&store, "cli", kind, report).await,
        Err(_) => Ok(()),
    };
    // Dropping `managed` on an early return stops Redis too; this is the ordinary path.
    if let Some(managed) = managed.as_mut() {
        managed.stop();
    }
    let report: ImportReport = report?;
    audited?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report.rejected_count > 0 {
        // The good lines are stored; the exit status tells a script that some were not.
        anyhow::bail!(
            "{} lines accepted, {} rejected (see the report above)",
            report.accepted,
            report.rejected_count
        );
    }
    Ok(())
}
