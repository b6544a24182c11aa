//! Support for the tests of the RPZ zone over DNS: the endpoint started beside a test app,
//! a TSIG file, `dig`, and real secondaries (BIND 9 `named`, Unbound) on loopback ports whose
//! configurations are the recipes of `docs/rpz-dns.md`. Everything binds 127.0.0.x only.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use originguard::rpz_dns::{self, RpzDns, RpzDnsConfig, TsigKeys};
use originguard::takedown::rpz::RpzZone;
use tokio_util::sync::CancellationToken;

use super::TestApp;

/// The zone the tests serve.
pub const ZONE: &str = "rpz.originguard.";

/// A fresh random hmac-sha256 secret, base64.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes `text` as the TSIG file `dir/tsig.toml`, mode 0600.
pub fn write_tsig_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("tsig.toml");
    let temporary = dir.join("tsig.toml.new");
    std::fs::write(&temporary, text).expect("tsig file");
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::rename(&temporary, &path).expect("rename");
    path
}

/// A `[[tsig]]` table.
pub fn tsig_entry(name: &str, operator: &str, secret: &str) -> String {
    format!("[[tsig]]\nname = \"{name}\"\noperator = \"{operator}\"\nsecret = \"{secret}\"\n")
}

/// An `[[unsigned]]` table.
pub fn unsigned_entry(operator: &str, address: &str) -> String {
    format!("[[unsigned]]\noperator = \"{operator}\"\naddress = \"{address}\"\n")
}

/// The endpoint, running against the app's Redis; stopped on drop.
pub struct Endpoint {
    /// Where it answers.
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    _running: RpzDns,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the endpoint on a free loopback port for `app`'s Redis.
pub async fn start_endpoint(app: &TestApp, tsig_file: &Path, notify: Vec<SocketAddr>) -> Endpoint {
    let store = app.redis.store().await;
    let shutdown = CancellationToken::new();
    let config = RpzDnsConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        zone: RpzZone::default(),
        tsig: TsigKeys::load(tsig_file).expect("tsig file loads"),
        notify,
    };
    let running = rpz_dns::start(config, store, shutdown.clone())
        .await
        .expect("endpoint starts");
    Endpoint {
        addr: running.addr,
        shutdown,
        _running: running,
    }
}

/// `dig` output: the status (`NOERROR`, `NXDOMAIN`, …, or `NO ANSWER`) and the whole text.
pub fn dig(server: SocketAddr, args: &[&str]) -> (String, String) {
    let output = Command::new("dig")
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string()])
        .args(["+time=2", "+tries=1"])
        .args(args)
        .output()
        .expect("dig must be installed (./test installs bind9-dnsutils)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let status = text
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("NO ANSWER")
        .to_owned();
    (status, text)
}

/// The status of `name`'s A record through a resolver.
pub fn resolve_status(resolver: SocketAddr, name: &str) -> (String, String) {
    dig(resolver, &[name, "A", "+noall", "+comments", "+answer"])
}

/// A resolver process; killed on drop.
pub struct Resolver {
    /// Where it answers.
    pub addr: SocketAddr,
    /// Its log file.
    pub log: PathBuf,
    child: Child,
}

impl Resolver {
    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The BIND 9 recipe: a resolver forwarding to `upstream`, with the zone as a TSIG-signed
/// secondary (`primaries … key`) used as its response-policy zone, NOTIFY accepted from the
/// primary's address.
pub fn named_conf(
    dir: &Path,
    port: u16,
    upstream: SocketAddr,
    primary: SocketAddr,
    key_name: &str,
    secret: &str,
) -> String {
    format!(
        r#"options {{
    directory "{dir}";
    pid-file "{dir}/named.pid";
    session-keyfile "{dir}/session.key";
    managed-keys-directory "{dir}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion yes;
    allow-query {{ 127.0.0.0/8; }};
    allow-recursion {{ 127.0.0.0/8; }};
    dnssec-validation no;
    forward only;
    forwarders {{ {upstream_ip} port {upstream_port}; }};
    transfer-source 127.0.0.1;
    notify no;
    response-policy {{ zone "{ZONE}" min-update-interval 0; }} qname-wait-recurse no;
}};
controls {{ }};
key "{key_name}" {{
    algorithm hmac-sha256;
    secret "{secret}";
}};
zone "{ZONE}" {{
    type secondary;
    primaries {{ {primary_ip} port {primary_port} key "{key_name}"; }};
    file "{dir}/rpz.originguard.db";
    allow-notify {{ {primary_ip}; }};
    allow-query {{ 127.0.0.0/8; }};
}};
"#,
        dir = dir.display(),
        upstream_ip = upstream.ip(),
        upstream_port = upstream.port(),
        primary_ip = primary.ip(),
        primary_port = primary.port(),
    )
}

/// Starts `named` in the foreground on 127.0.0.1:`port` with [`named_conf`].
pub fn start_named(
    dir: &Path,
    port: u16,
    upstream: SocketAddr,
    primary: SocketAddr,
    key_name: &str,
    secret: &str,
) -> Resolver {
    let conf = dir.join("named.conf");
    std::fs::write(
        &conf,
        named_conf(dir, port, upstream, primary, key_name, secret),
    )
    .expect("named.conf");
    let check = Command::new("named-checkconf")
        .arg(&conf)
        .output()
        .expect("named-checkconf must be installed (./test installs bind9)");
    assert!(
        check.status.success(),
        "named-checkconf: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    spawn_resolver(
        Command::new("named")
            .args(["-g", "-n", "1", "-c"])
            .arg(&conf),
        dir.join("named.log"),
        port,
    )
}

/// The Unbound recipe: a resolver forwarding to `upstream`, with the zone pulled by `rpz:`
/// from `primary:` and NOTIFY allowed from the primary. Unbound does not sign transfers, so
/// the address its transfers come from is an `[[unsigned]]` entry (Unbound 1.17 does not
/// use `outgoing-interface` for its transfer connections: they come from the host's address
/// towards the primary, here 127.0.0.1).
pub fn unbound_conf(dir: &Path, port: u16, upstream: SocketAddr, primary: SocketAddr) -> String {
    format!(
        r#"{server}rpz:
  name: "{ZONE}"
  primary: {primary_ip}@{primary_port}
  allow-notify: {primary_ip}
  zonefile: "{dir}/rpz.originguard.zone"
  rpz-log: yes
  rpz-log-name: "originguard"
"#,
        server = unbound_server_conf(dir, port, upstream),
        dir = dir.display(),
        primary_ip = primary.ip(),
        primary_port = primary.port(),
    )
}

/// Unbound as a test resolver: on 127.0.0.1:`port` in the foreground, forwarding everything
/// to `upstream`, applying response policy (`respip`), caching nothing; the `rpz:` clause
/// follows.
pub fn unbound_server_conf(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    format!(
        r#"server:
  interface: 127.0.0.1
  port: {port}
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: "{dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "respip iterator"
  target-fetch-policy: "0 0 0 0 0"
  qname-minimisation: no
  cache-max-ttl: 0
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: {upstream_ip}@{upstream_port}
"#,
        dir = dir.display(),
        upstream_ip = upstream.ip(),
        upstream_port = upstream.port(),
    )
}

/// Starts Unbound in the foreground on 127.0.0.1:`port` with [`unbound_conf`].
pub fn start_unbound(dir: &Path, port: u16, upstream: SocketAddr, primary: SocketAddr) -> Resolver {
    let conf = dir.join("unbound.conf");
    std::fs::write(&conf, unbound_conf(dir, port, upstream, primary)).expect("conf");
    let check = Command::new("unbound-checkconf")
        .arg(&conf)
        .output()
        .expect("unbound-checkconf must be installed (./test installs unbound)");
    assert!(
        check.status.success(),
        "unbound-checkconf: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    spawn_resolver(
        Command::new("unbound").args(["-d", "-c"]).arg(&conf),
        dir.join("unbound.log"),
        port,
    )
}

/// Starts `command` (a resolver in the foreground) with its stderr in `log`, listening on
/// 127.0.0.1:`port`.
fn spawn_resolver(command: &mut Command, log: PathBuf, port: u16) -> Resolver {
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("the resolver must be installed (./test installs bind9 and unbound)");
    Resolver {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        log,
        child,
    }
}
