//! Test harness: a real `redis-server` on a free loopback port in a temp dir, the real app on
//! `127.0.0.1:0`, and typed helpers to call it with a key of each role.
//!
//! Every test gets its own Redis and app, so tests run in parallel. Redis can be killed and
//! restarted on the same port and directory (AOF on) to test durability. Everything is
//! cleaned up on drop, also when a test fails.

#![allow(dead_code)]

pub mod browser;
pub mod claims_world;
pub mod cluster;
pub mod console_http;
pub mod dns_server;
pub mod fixtures;
pub mod gs1_support;
pub mod invoices;
pub mod platforms;
pub mod rpz;
pub mod takedowns;
pub mod tls_server;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use originguard::app::{AppState, Settings};
use originguard::auth::{new_key_stanza, Caller, KeyStore, Role};
use originguard::http::router;
use originguard::network::allocations::AllocationTable;
use originguard::network::dns::{Resolver, ResolverSettings};
use originguard::network::guard::AddressGuard;
use originguard::network::resolve::{Limits, NetworkContext};
use originguard::store::Store;
use originguard::worker::WorkerConfig;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// A private redis-server for one test, or (with `ORIGINGUARD_TEST_REDIS=cluster`, or
/// [`TestRedis::start_cluster`]) a private Redis Cluster.
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    cluster: Option<cluster::TestCluster>,
}

/// Whether this test run puts every [`TestApp`] on a Redis Cluster
/// (`ORIGINGUARD_TEST_REDIS=cluster`).
pub fn cluster_run() -> bool {
    std::env::var("ORIGINGUARD_TEST_REDIS").is_ok_and(|v| v == "cluster")
}

impl TestRedis {
    /// Starts Redis on a free loopback port with AOF on; a cluster in a cluster run.
    pub async fn start() -> TestRedis {
        if cluster_run() {
            return TestRedis::start_cluster().await;
        }
        TestRedis::start_single().await
    }

    /// Starts a three-master cluster with one replica each (see [`cluster`]).
    pub async fn start_cluster() -> TestRedis {
        TestRedis {
            child: None,
            port: 0,
            dir: tempfile::Builder::new()
                .prefix("og-redis-")
                .tempdir()
                .expect("temp dir"),
            cluster: Some(cluster::TestCluster::start().await),
        }
    }

    /// Starts one Redis on a free loopback port with AOF on.
    pub async fn start_single() -> TestRedis {
        let dir = tempfile::Builder::new()
            .prefix("og-redis-")
            .tempdir()
            .expect("temp dir");
        let mut redis = TestRedis {
            child: None,
            port: 0,
            dir,
            cluster: None,
        };
        for _ in 0..20 {
            redis.port = free_port();
            if redis.spawn().await {
                return redis;
            }
            redis.kill();
        }
        panic!("could not start redis-server on a free port");
    }

    /// The cluster, when this is one.
    pub fn cluster(&self) -> Option<&cluster::TestCluster> {
        self.cluster.as_ref()
    }

    /// A store connected to this Redis or cluster, as the service connects.
    pub async fn store(&self) -> Store {
        match &self.cluster {
            Some(cluster) => Store::connect_cluster(&cluster.seeds())
                .await
                .expect("cluster store"),
            None => Store::connect(&self.url()).await.expect("store"),
        }
    }

    async fn spawn(&mut self) -> bool {
        let child = redis_server(self.port, self.dir.path())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                    return false;
                }
            }
            if let Ok(client) = redis::Client::open(self.url()) {
                if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                    let pong: redis::RedisResult<String> =
                        redis::cmd("PING").query_async(&mut conn).await;
                    if pong.is_ok() {
                        return true;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// The URL to connect with (one Redis only: a cluster has [`TestRedis::store`] and
    /// [`TestRedis::connection`]).
    pub fn url(&self) -> String {
        assert!(self.cluster.is_none(), "a cluster has no single URL");
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port of this (single) Redis.
    pub fn port(&self) -> u16 {
        assert!(self.cluster.is_none(), "a cluster has no single port");
        self.port
    }

    /// Kills Redis with SIGKILL (no chance to flush anything beyond what AOF already has).
    pub fn kill(&mut self) {
        assert!(self.cluster.is_none(), "kill a cluster's nodes one by one");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Redis again on the same port and directory (reloading the AOF).
    pub async fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.spawn().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("redis-server did not restart on port {}", self.port);
    }

    /// A plain synchronous connection, for inspecting state in tests.
    pub fn connection(&self) -> TestConn {
        match &self.cluster {
            Some(cluster) => TestConn::Cluster(Box::new(cluster.connection())),
            None => TestConn::Single(
                redis::Client::open(self.url())
                    .and_then(|c| c.get_connection())
                    .expect("redis connection"),
            ),
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A synchronous connection to the test's Redis or cluster.
pub enum TestConn {
    /// One Redis.
    Single(redis::Connection),
    /// A cluster (commands routed by key).
    Cluster(Box<redis::cluster::ClusterConnection>),
}

impl redis::ConnectionLike for TestConn {
    fn req_packed_command(&mut self, cmd: &[u8]) -> redis::RedisResult<redis::Value> {
        match self {
            TestConn::Single(c) => c.req_packed_command(cmd),
            TestConn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> redis::RedisResult<Vec<redis::Value>> {
        match self {
            TestConn::Single(c) => c.req_packed_commands(cmd, offset, count),
            TestConn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn req_command(&mut self, cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        match self {
            TestConn::Single(c) => c.req_command(cmd),
            TestConn::Cluster(c) => c.req_command(cmd),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            TestConn::Single(c) => c.get_db(),
            TestConn::Cluster(c) => c.get_db(),
        }
    }

    fn check_connection(&mut self) -> bool {
        match self {
            TestConn::Single(c) => c.check_connection(),
            TestConn::Cluster(c) => c.check_connection(),
        }
    }

    fn is_open(&self) -> bool {
        match self {
            TestConn::Single(c) => c.is_open(),
            TestConn::Cluster(c) => c.is_open(),
        }
    }
}

/// A `redis-server` on 127.0.0.1:`port` with its files in `dir`: AOF with `appendfsync
/// always`, no RDB snapshots, its log in `dir/redis.log`, no output. Add options, then spawn.
pub fn redis_server(port: u16, dir: &Path) -> Command {
    let mut command = Command::new("redis-server");
    command
        .args(["--bind", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--dir")
        .arg(dir)
        .args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ])
        .args(["--daemonize", "no", "--loglevel", "warning"])
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Runs one command on the Redis at 127.0.0.1:`port` (a cluster node is asked itself, no
/// redirection followed); its answer as text, `None` when it does not answer.
pub fn node_command(port: u16, args: &[&str]) -> Option<String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let mut conn = client
        .get_connection_with_timeout(Duration::from_millis(500))
        .ok()?;
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command.query::<String>(&mut conn).ok()
}

/// A network context for tests: the given loopback name servers only, loopback targets
/// allowed, the sample allocation data from `fixtures/ip-allocations/`.
pub fn test_network(nameservers: Vec<SocketAddr>) -> NetworkContext {
    assert!(
        nameservers.iter().all(|ns| ns.ip().is_loopback()),
        "tests only use loopback name servers"
    );
    let allocations = AllocationTable::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/ip-allocations/delegated-sample.txt"
    ))
    .expect("allocation fixture");
    NetworkContext {
        resolver: Resolver::new(&ResolverSettings {
            nameservers,
            timeout: Duration::from_millis(500),
            ..ResolverSettings::default()
        })
        .expect("resolver"),
        guard: AddressGuard {
            allow_loopback: true,
        },
        allocations: std::sync::Arc::new(allocations),
        limits: Limits::default(),
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The running app with its Redis, keys and an HTTP client.
pub struct TestApp {
    /// Where the app listens.
    pub addr: SocketAddr,
    /// Its Redis.
    pub redis: TestRedis,
    /// A secret for each role.
    pub keys: HashMap<Role, String>,
    /// The keys file.
    pub keys_file: PathBuf,
    client: reqwest::Client,
    shutdown: CancellationToken,
    dir: TempDir,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Starts Redis and the app with default settings; its resolver points at a loopback port
    /// where no name server listens.
    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    /// A test app to configure: settings, network context (the resolver's name servers), and
    /// the takedown workers run in-process as `serve` runs them.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// `PUT /v1/reference/{kind}` as the steward; asserts 200; returns the load report.
    pub async fn load(&self, kind: &str, body: impl Into<reqwest::Body>) -> Value {
        let answer = self
            .put_ndjson_as(Role::Steward, &format!("/v1/reference/{kind}"), body)
            .send()
            .await;
        assert_eq!(answer.status, 200, "load of {kind}: {}", answer.text);
        answer.json
    }

    /// `POST /v1/traceability/check` of `code` as a platform.
    pub async fn post_check(&self, code: &str) -> Answer {
        self.post_as(
            Role::Platform,
            "/v1/traceability/check",
            &serde_json::json!({ "code": code }),
        )
        .send()
        .await
    }

    /// The traceability check of `code`; asserts 200.
    pub async fn check(&self, code: &str) -> Value {
        let answer = self.post_check(code).await;
        assert_eq!(answer.status, 200, "{code:?}: {}", answer.text);
        answer.json
    }

    /// The app's base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A request builder for `method path`, without a key.
    pub fn request(&self, method: Method, path: &str) -> Call {
        Call {
            builder: self.client.request(method, self.url(path)),
        }
    }

    /// `GET path` without a key.
    pub fn get(&self, path: &str) -> Call {
        self.request(Method::GET, path)
    }

    /// `GET path` with the key of `role`.
    pub fn get_as(&self, role: Role, path: &str) -> Call {
        self.get(path).key(&self.keys[&role])
    }

    /// `POST path` with the key of `role` and a JSON body.
    pub fn post_as(&self, role: Role, path: &str, body: &Value) -> Call {
        self.request(Method::POST, path)
            .key(&self.keys[&role])
            .json(body)
    }

    /// `PUT path` with the key of `role` and a raw NDJSON body.
    pub fn put_ndjson_as(&self, role: Role, path: &str, body: impl Into<reqwest::Body>) -> Call {
        self.request(Method::PUT, path)
            .key(&self.keys[&role])
            .header("content-type", "application/x-ndjson")
            .body(body)
    }

    /// The temp directory of this app.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How a [`TestApp`] starts: [`TestApp::builder`].
#[derive(Default)]
pub struct TestAppBuilder {
    settings: Settings,
    network: Option<NetworkContext>,
    workers: Option<WorkerConfig>,
    cluster: bool,
    wait: Option<originguard::store::WaitPolicy>,
}

impl TestAppBuilder {
    /// The wait for replicas before a takedown's 202 (default: `auto`, 1 s).
    pub fn wait(mut self, policy: originguard::store::WaitPolicy) -> TestAppBuilder {
        self.wait = Some(policy);
        self
    }

    /// Puts the app on a Redis Cluster (three masters, one replica each) in every run.
    pub fn cluster(mut self) -> TestAppBuilder {
        self.cluster = true;
        self
    }

    /// Settings fixed at start.
    pub fn settings(mut self, settings: Settings) -> TestAppBuilder {
        self.settings = settings;
        self
    }

    /// The network context (default: a resolver pointed at a loopback port where no name
    /// server listens).
    pub fn network(mut self, network: NetworkContext) -> TestAppBuilder {
        self.network = Some(network);
        self
    }

    /// Runs the takedown workers in-process with `config`.
    pub fn workers(mut self, config: WorkerConfig) -> TestAppBuilder {
        self.workers = Some(config);
        self
    }

    /// Starts Redis, the app and, when asked, the workers.
    pub async fn spawn(self) -> TestApp {
        let TestAppBuilder {
            settings,
            network,
            workers,
            cluster,
            wait,
        } = self;
        if let Ok(filter) = std::env::var("RUST_LOG") {
            // The service's log in the test output, when asked for.
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let network = network.unwrap_or_else(|| {
            let nowhere: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
            test_network(vec![nowhere])
        });
        let redis = if cluster {
            TestRedis::start_cluster().await
        } else {
            TestRedis::start().await
        };
        let dir = tempfile::Builder::new()
            .prefix("og-app-")
            .tempdir()
            .expect("temp dir");
        let mut text = String::new();
        let mut keys = HashMap::new();
        for role in Role::ALL {
            let caller = Caller {
                name: format!("test-{role}"),
                role,
                agency: (role == Role::Authority).then(|| "Cục QLTT Hà Nội".to_owned()),
                operator: (role == Role::Operator).then(|| "viettel".to_owned()),
                platform: (role == Role::Platform).then(|| "shopee".to_owned()),
                key_id: None,
            };
            let (secret, stanza) = new_key_stanza(&caller).expect("stanza");
            text.push_str(&stanza);
            keys.insert(role, secret);
        }
        let keys_file = dir.path().join("keys.toml");
        std::fs::write(&keys_file, text).expect("keys file");
        let key_store = KeyStore::load(&keys_file).expect("keys");
        tokio::spawn(key_store.clone().watch());
        let store = match wait {
            Some(policy) => redis.store().await.with_wait(policy),
            None => redis.store().await,
        };
        let shutdown = CancellationToken::new();
        if let Some(config) = workers {
            tokio::spawn(originguard::worker::run(
                store.clone(),
                network.clone(),
                config,
                shutdown.clone(),
            ));
        }
        let state = AppState::new(
            store,
            key_store,
            network,
            settings,
            originguard::http::metrics::handle(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let token = shutdown.clone();
        let server = tokio::spawn(router::serve(
            listener,
            router::router(state),
            async move { token.cancelled().await },
            Duration::from_secs(5),
        ));
        TestApp {
            addr,
            redis,
            keys,
            keys_file,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            shutdown,
            dir,
            server: Some(server),
        }
    }
}

/// One request being built.
pub struct Call {
    builder: reqwest::RequestBuilder,
}

impl Call {
    /// Adds `Authorization: Bearer key`.
    pub fn key(self, key: &str) -> Call {
        self.header("authorization", &format!("Bearer {key}"))
    }

    /// Adds a header.
    pub fn header(self, name: &str, value: &str) -> Call {
        Call {
            builder: self.builder.header(name, value),
        }
    }

    /// Sets a JSON body.
    pub fn json(self, body: &Value) -> Call {
        Call {
            builder: self.builder.json(body),
        }
    }

    /// Sets a raw body.
    pub fn body(self, body: impl Into<reqwest::Body>) -> Call {
        Call {
            builder: self.builder.body(body),
        }
    }

    /// Sends the request and reads the whole answer.
    pub async fn send(self) -> Answer {
        let response = self.builder.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }
}

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub text: String,
    /// Body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl Answer {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    }

    /// Asserts that this is a problem+json answer with `status` and `code`; returns the body.
    pub fn assert_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type of {}",
            self.text
        );
        assert_eq!(self.json["code"], code, "code of {}", self.text);
        assert_eq!(self.json["status"], status, "status field of {}", self.text);
        assert!(self.json["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.json["type"].as_str().is_some());
        &self.json
    }
}

/// Polls `check` every 50 ms until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The rejected lines of a reference load's report, each error checked to carry a message, as `(line, [(field, code)])`.
pub fn rejections(report: &Value) -> Vec<(u64, Vec<(String, String)>)> {
    report["rejected"]
        .as_array()
        .expect("rejected array")
        .iter()
        .map(|r| {
            let errors = r["errors"]
                .as_array()
                .expect("errors array")
                .iter()
                .map(|e| {
                    assert!(
                        e["message"].as_str().is_some_and(|m| !m.is_empty()),
                        "every error has a message: {e}"
                    );
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (r["line"].as_u64().unwrap(), errors)
        })
        .collect()
}
