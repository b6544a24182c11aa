//! Command line and environment configuration.
//!
//! Every setting is a flag with an environment fallback, so the same binary runs from a shell,
//! a systemd unit or a container. `--help` on each subcommand documents them; the README has
//! the same table. Nothing here reads files or opens connections.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default request body limit for JSON endpoints (bulk NDJSON endpoints stream and count lines).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// originguard: origin checks, shop infrastructure, takedowns and operator blocklists.
#[derive(Debug, Parser)]
#[command(name = "originguard", version, about, long_about = None)]
pub struct Cli {
    /// Log output format.
    #[arg(long, env = "ORIGINGUARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain, global = true)]
    pub log_format: LogFormat,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Plain,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands of the one binary.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (and, unless --no-workers, the background workers in-process).
    Serve(Box<ServeArgs>),
    /// Run background workers only, against the Redis in REDIS_URL.
    Worker(WorkerArgs),
    /// Load reference data from an NDJSON file, as the PUT /v1/reference endpoints do.
    Import(ImportArgs),
    /// Print the OpenAPI document generated from the code.
    Openapi,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Settings shared by every subcommand that talks to Redis.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Redis URL (`redis://host:port/db`, `rediss://…`, `redis+unix:///path/to.sock`). When unset,
    /// originguard starts its own private redis-server under the data directory.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Redis Cluster seeds, comma-separated `redis://host:port` (any nodes of the cluster):
    /// selects Redis Cluster instead of one Redis. Not together with REDIS_URL.
    #[arg(long, env = "ORIGINGUARD_REDIS_CLUSTER_NODES", value_delimiter = ',')]
    pub redis_cluster_nodes: Vec<String>,
    /// Replicas that must hold a takedown before its 202: `auto` (1 when the master has
    /// replicas, else none), a number, or 0 to not wait.
    #[arg(long, env = "ORIGINGUARD_REDIS_WAIT_REPLICAS", default_value = "auto")]
    pub redis_wait_replicas: crate::store::WaitReplicas,
    /// How long to wait for those replicas (milliseconds) before answering 503.
    #[arg(long, env = "ORIGINGUARD_REDIS_WAIT_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub redis_wait_ms: u64,
    /// Directory for the managed Redis (AOF, socket, log) and the development keys file.
    #[arg(long, env = "ORIGINGUARD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The redis-server binary used for the managed Redis.
    #[arg(long, env = "ORIGINGUARD_REDIS_SERVER", default_value = "redis-server")]
    pub redis_server: PathBuf,
}

/// Settings of the network layer (resolution, TLS peeks, outgoing connections).
#[derive(Debug, Clone, Args)]
pub struct NetworkArgs {
    /// Comma-separated DNS name servers (`127.0.0.1:5353,[::1]:53`); system configuration when unset.
    #[arg(long, env = "ORIGINGUARD_NAMESERVERS", value_delimiter = ',')]
    pub nameservers: Vec<String>,
    /// IP allocation data in the RIR delegated-stats format, loaded at start.
    #[arg(long, env = "ORIGINGUARD_IP_ALLOCATIONS")]
    pub ip_allocations: Option<PathBuf>,
    /// Permit connections to 127.0.0.0/8 and ::1 (tests only; every other reserved range stays refused).
    #[arg(
        long,
        env = "ORIGINGUARD_ALLOW_LOOPBACK_TARGETS",
        value_parser = BoolishValueParser::new(),
        default_value_t = false
    )]
    pub allow_loopback_targets: bool,
    /// Targets of one `POST /v1/resolve` call resolved at once (1 to 256).
    #[arg(
        long,
        env = "ORIGINGUARD_RESOLVE_CONCURRENCY",
        default_value_t = 32,
        value_parser = clap::value_parser!(u16).range(1..=256)
    )]
    pub resolve_concurrency: u16,
}

/// `originguard serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ORIGINGUARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Keys file (TOML). When unset, a development keys file is written under the data directory.
    #[arg(long, env = "ORIGINGUARD_KEYS_FILE")]
    pub keys_file: Option<PathBuf>,
    /// Largest accepted JSON request body, in bytes.
    #[arg(long, env = "ORIGINGUARD_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Seconds to let in-flight requests finish after a shutdown signal.
    #[arg(long, env = "ORIGINGUARD_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// Do not run the background workers in this process (run `originguard worker` instead).
    #[arg(long, env = "ORIGINGUARD_NO_WORKERS", value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub no_workers: bool,
    /// Do not load the sample reference data from fixtures/ into an empty managed Redis.
    #[arg(long, env = "ORIGINGUARD_NO_SAMPLE_DATA", value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub no_sample_data: bool,
    /// Do not enforce the keys' rate limits (`rate_per_minute`, `burst`) at all.
    #[arg(long, env = "ORIGINGUARD_NO_RATE_LIMITS", value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub no_rate_limits: bool,
    /// Milliseconds between reconciliations of each key's spend with the other replicas
    /// through Redis (1 to 1000); the limit's error across replicas grows with it.
    #[arg(long, env = "ORIGINGUARD_RATE_LIMIT_RECONCILE_MS", default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub rate_limit_reconcile_ms: u64,
    /// Redis and data directory.
    #[command(flatten, next_help_heading = "Redis and data")]
    pub store: StoreArgs,
    /// DNS, TLS and address guard.
    #[command(flatten, next_help_heading = "Resolution and the address guard")]
    pub network: NetworkArgs,
    /// Takedown workflow and workers.
    #[command(flatten, next_help_heading = "Takedowns, workers and channels")]
    pub takedowns: TakedownArgs,
    /// The blocklist as a DNS zone.
    #[command(flatten, next_help_heading = "Blocklist as a DNS zone (RPZ)")]
    pub rpz: RpzArgs,
}

/// The blocklist as a response-policy zone served over DNS to operators' resolvers.
#[derive(Debug, Clone, Args)]
pub struct RpzArgs {
    /// Serve the RPZ zone over DNS (UDP and TCP) on this address; off when unset.
    #[arg(long, env = "ORIGINGUARD_RPZ_LISTEN")]
    pub rpz_listen: Option<SocketAddr>,
    /// The zone's name, absolute (with the trailing dot); also the HTTP RPZ answer's origin.
    #[arg(long, env = "ORIGINGUARD_RPZ_ZONE", default_value = "rpz.originguard.")]
    pub rpz_zone: String,
    /// TSIG file (TOML, mode 0600): `[[tsig]]` keys and `[[unsigned]]` source ranges, each
    /// naming an operator. Without it every transfer is refused.
    #[arg(long, env = "ORIGINGUARD_TSIG_FILE")]
    pub tsig_file: Option<PathBuf>,
    /// Comma-separated secondaries (`ADDR:PORT`) sent a NOTIFY on every new version.
    #[arg(long, env = "ORIGINGUARD_RPZ_NOTIFY", value_delimiter = ',')]
    pub rpz_notify: Vec<SocketAddr>,
    /// The canary name, always in the zone as `<NAME>.<zone> CNAME .`: production sets a
    /// name it controls that resolves publicly.
    #[arg(
        long,
        env = "ORIGINGUARD_RPZ_CANARY",
        default_value = "canary.rpz-test.originguard."
    )]
    pub rpz_canary: String,
}

impl ServeArgs {
    /// The grace period for in-flight requests at shutdown.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// `originguard worker`.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Redis and data directory.
    #[command(flatten, next_help_heading = "Redis and data")]
    pub store: StoreArgs,
    /// DNS, TLS and address guard.
    #[command(flatten, next_help_heading = "Resolution and the address guard")]
    pub network: NetworkArgs,
    /// Takedown workflow and workers.
    #[command(flatten, next_help_heading = "Takedowns, workers and channels")]
    pub takedowns: TakedownArgs,
}

/// The takedown workflow, its queue and the registry webhook.
#[derive(Debug, Clone, Args)]
pub struct TakedownArgs {
    /// Seconds in one day of suspension (86400; shorter only for tests and demonstrations).
    #[arg(
        long,
        env = "ORIGINGUARD_SUSPENSION_DAY_SECS",
        default_value_t = 86_400.0
    )]
    pub suspension_day_secs: f64,
    /// Longest suspension the registry may order, in days.
    #[arg(long, env = "ORIGINGUARD_MAX_SUSPEND_DAYS", default_value_t = 90)]
    pub max_suspend_days: u32,
    /// Milliseconds a delivered queue entry may stay unacknowledged before another worker takes it over.
    #[arg(
        long,
        env = "ORIGINGUARD_VISIBILITY_TIMEOUT_MS",
        default_value_t = 60_000
    )]
    pub visibility_timeout_ms: u64,
    /// Deliveries of one queue entry before it becomes a dead letter.
    #[arg(long, env = "ORIGINGUARD_MAX_DELIVERIES", default_value_t = 5)]
    pub max_deliveries: u64,
    /// Milliseconds between looks at the suspension and webhook schedules.
    #[arg(long, env = "ORIGINGUARD_SCHEDULER_POLL_MS", default_value_t = 1000)]
    pub scheduler_poll_ms: u64,
    /// Do not peek at the target's TLS certificate when resolving a takedown target.
    #[arg(long, env = "ORIGINGUARD_TAKEDOWN_NO_TLS", value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub no_tls_peek: bool,
    /// Blocklist changes kept in the log; an operator asking `since` an older version gets the full list.
    #[arg(
        long,
        env = "ORIGINGUARD_BLOCKLIST_RETENTION",
        default_value_t = 100_000
    )]
    pub blocklist_retention: u64,
    /// Seconds operators have to apply a blocklist addition (compliance deadline).
    #[arg(
        long,
        env = "ORIGINGUARD_OPERATOR_DEADLINE_SECS",
        default_value_t = 86_400
    )]
    pub operator_deadline_secs: u64,
    /// Seconds a platform has to act on a notice (Decree 147/2024/NĐ-CP: at most 24 hours).
    #[arg(
        long,
        env = "ORIGINGUARD_PLATFORM_DEADLINE_SECS",
        default_value_t = 86_400
    )]
    pub platform_deadline_secs: u64,
    /// Upheld notices against one account in 30 days from which the next notice recommends a
    /// temporary lock.
    #[arg(long, env = "ORIGINGUARD_LOCK_UPHELD_30D", default_value_t = 5)]
    pub lock_upheld_30d: u32,
    /// Upheld notices against one account in 90 days from which the next notice recommends a
    /// temporary lock.
    #[arg(long, env = "ORIGINGUARD_LOCK_UPHELD_90D", default_value_t = 10)]
    pub lock_upheld_90d: u32,
    /// Temporary locks of one account after which the next notice recommends a permanent lock.
    #[arg(long, env = "ORIGINGUARD_LOCK_PERMANENT_AFTER", default_value_t = 3)]
    pub lock_permanent_after: u32,
    /// The registry's webhook: each new registry request is POSTed there, signed.
    #[arg(long, env = "ORIGINGUARD_REGISTRY_WEBHOOK_URL")]
    pub registry_webhook_url: Option<String>,
    /// The webhook's HMAC-SHA256 secret (required with the URL).
    #[arg(
        long,
        env = "ORIGINGUARD_REGISTRY_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub registry_webhook_secret: Option<String>,
    /// Webhook attempts before a delivery becomes a dead letter.
    #[arg(long, env = "ORIGINGUARD_WEBHOOK_ATTEMPTS", default_value_t = 8)]
    pub webhook_attempts: u64,
    /// Milliseconds before the first webhook retry; doubled after each failure, at most an hour.
    #[arg(long, env = "ORIGINGUARD_WEBHOOK_BACKOFF_MS", default_value_t = 1000)]
    pub webhook_backoff_ms: u64,
}

/// `originguard import KIND FILE`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// NDJSON file, one record a line (`-` for standard input).
    pub file: PathBuf,
    /// Redis and data directory.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Kinds of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// Product records (GTIN, manufacturer, origin, lots).
    Products,
    /// Recalled lots (GTIN + lot).
    Recalls,
    /// Taxpayers (tax code, name, status).
    Taxpayers,
    /// E-invoices (seller, template, symbol, number, items).
    Invoices,
    /// Platforms (id, name, kind, domains, account pattern).
    Platforms,
    /// Shared infrastructure (name, kind, CIDR blocks).
    SharedInfrastructure,
}

/// `originguard keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a fresh random key once, with the stanza to add to the keys file.
    New(NewKeyArgs),
}

/// `originguard keys new`.
#[derive(Debug, Clone, Args)]
pub struct NewKeyArgs {
    /// Role of the key.
    #[arg(long, value_parser = ["platform", "authority", "registry", "operator", "steward", "admin"])]
    pub role: String,
    /// Name shown in audit entries.
    #[arg(long)]
    pub name: String,
    /// Operator identifier (operator keys only), e.g. `viettel`.
    #[arg(long)]
    pub operator: Option<String>,
    /// Agency whose requests the key sees (authority keys only).
    #[arg(long)]
    pub agency: Option<String>,
    /// Platform the key acts for (platform keys only), e.g. `shopee`: it receives that
    /// platform's notices.
    #[arg(long)]
    pub platform: Option<String>,
    /// Make the key stop working after this long (`90d`, `12h`, `30m`): writes `not_after`.
    #[arg(long)]
    pub expires_in: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::Parser;

    fn no_rate_limits(env: Option<&str>) -> bool {
        // Only this test reads this variable; set and read in one step.
        match env {
            Some(value) => std::env::set_var("ORIGINGUARD_NO_RATE_LIMITS", value),
            None => std::env::remove_var("ORIGINGUARD_NO_RATE_LIMITS"),
        }
        let parsed = Cli::try_parse_from(["originguard", "serve"]).expect("parses");
        std::env::remove_var("ORIGINGUARD_NO_RATE_LIMITS");
        match parsed.command {
            Command::Serve(args) => args.no_rate_limits,
            _ => unreachable!("serve"),
        }
    }

    #[test]
    fn switches_read_1_and_0_from_the_environment() {
        assert!(no_rate_limits(Some("1")));
        assert!(no_rate_limits(Some("true")));
        assert!(!no_rate_limits(Some("0")));
        assert!(!no_rate_limits(Some("false")));
        assert!(!no_rate_limits(None));
    }
}
