//! The RPZ answer loaded by a real resolver: Unbound on a loopback port, forwarding every
//! query to the in-process authoritative server of `fixtures/dns` (so nothing leaves the
//! machine), with the blocklist's zone as its response-policy zone. `dig` shows blocked
//! names, their subdomains and names answering with blocked addresses refused with NXDOMAIN,
//! and other names resolving. `.ci/run` installs `unbound` and `dig` when missing.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::takedowns::{app, submit_until};
use common::{eventually, free_port};
use originguard::auth::Role;

/// Unbound in the foreground; killed on drop.
struct Unbound {
    child: Child,
    port: u16,
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_unbound(dir: &Path, zone: &Path, upstream: std::net::SocketAddr) -> Unbound {
    let port = free_port();
    let config = format!(
        r#"{server}rpz:
  name: "rpz.originguard."
  zonefile: "{zone}"
  rpz-log: yes
  rpz-log-name: "originguard"
"#,
        server = crate::common::rpz::unbound_server_conf(dir, port, upstream),
        zone = zone.display(),
    );
    let path = dir.join("unbound.conf");
    std::fs::write(&path, config).expect("unbound.conf");
    let check = Command::new("unbound-checkconf")
        .arg(&path)
        .output()
        .expect("unbound-checkconf must be installed (.ci/run installs unbound)");
    assert!(
        check.status.success(),
        "unbound-checkconf: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new("unbound")
        .arg("-d")
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("unbound.log")).expect("log"))
        .spawn()
        .expect("unbound must be installed (.ci/run installs it)");
    Unbound { child, port }
}

/// `dig` through Unbound: the status and the answer records.
fn dig(port: u16, name: &str, kind: &str) -> (String, String) {
    let unbound = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    crate::common::rpz::dig(unbound, &[name, kind, "+noall", "+comments", "+answer"])
}

#[tokio::test]
async fn unbound_loads_the_rpz_zone_and_refuses_blocked_names_and_addresses() {
    let (app, dns) = app().await;
    // The registrable domain (with its subdomains), an address, and an IPv6 block.
    submit_until(&app, "example.com", "blocked").await;
    submit_until(&app, "203.0.113.8", "blocked").await;
    submit_until(&app, "2001:db8:8000::/48", "blocked").await;

    let rpz = app
        .get_as(Role::Operator, "/v1/blocklist?format=rpz")
        .send()
        .await;
    assert_eq!(rpz.status, 200, "{}", rpz.text);
    let dir = tempfile::tempdir().expect("temp dir");
    let zone = dir.path().join("blocklist.rpz");
    std::fs::write(&zone, &rpz.text).expect("zone file");
    let unbound = start_unbound(dir.path(), &zone, dns.addr);

    let port = unbound.port;
    let up = eventually(Duration::from_secs(20), || async move {
        tokio::task::spawn_blocking(move || dig(port, "shop.example.vn", "A").0 == "NOERROR")
            .await
            .unwrap_or(false)
    })
    .await;
    let log = || std::fs::read_to_string(dir.path().join("unbound.log")).unwrap_or_default();
    assert!(up, "unbound never answered; its log:\n{}", log());

    let check = |name: &'static str, kind: &'static str| async move {
        tokio::task::spawn_blocking(move || dig(port, name, kind))
            .await
            .expect("dig")
    };
    // Not blocked: resolves through Unbound to the fixture zone.
    let (status, text) = check("shop.example.vn", "A").await;
    assert_eq!(status, "NOERROR", "{text}");
    assert!(text.contains("192.0.2.10"), "{text}");
    let (status, text) = check("myphamxachtay.com.vn", "A").await;
    assert_eq!(status, "NOERROR", "{text}");
    assert!(text.contains("203.0.113.7"), "{text}");

    // The blocked domain and, through the wildcard, its subdomains.
    for name in ["example.com", "www.example.com", "alias.example.com"] {
        let (status, text) = check(name, "A").await;
        assert_eq!(status, "NXDOMAIN", "{name}: {text}\n{}", log());
    }
    // A name whose answer is a blocked address (rpz-ip trigger), IPv4 and an IPv6 block.
    let (status, text) = check("shop.myphamxachtay.com.vn", "A").await;
    assert_eq!(status, "NXDOMAIN", "{text}");
    let (status, text) = check("v6only.example.vn", "AAAA").await;
    assert_eq!(status, "NXDOMAIN", "{text}");
    // The refusals were Unbound's policy, not the name server's answers.
    let log = log();
    for name in [
        "www.example.com.",
        "shop.myphamxachtay.com.vn.",
        "v6only.example.vn.",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains("rpz: applied [originguard]") && l.contains(name)),
            "no policy logged for {name}:\n{log}"
        );
    }
    drop(unbound);
}
