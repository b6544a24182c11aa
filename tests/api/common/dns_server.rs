//! An in-process authoritative DNS server on loopback, serving `fixtures/dns/*.zone`, plus
//! misbehaving servers (silent, SERVFAIL, truncating, scripted). Test support only: binds 127.0.0.1 and nothing else.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::proto::op::Message;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::store::file::{FileConfig, FileZoneHandler};
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

/// The fixture zone folder.
pub fn zones_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dns")
}

/// A running authoritative server; stops when dropped.
pub struct DnsServer {
    /// UDP and TCP address (same port).
    pub addr: SocketAddr,
    _server: Server<Catalog>,
}

/// Loads every `<origin>zone` file of `dir` (file name = origin with trailing dot + `zone`).
pub fn catalog_from(dir: &Path) -> Catalog {
    let mut catalog = Catalog::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("zone folder is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zone"))
        .collect();
    entries.sort();
    for path in entries {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name");
        let origin = Name::from_str(file_name.trim_end_matches("zone")).expect("origin name");
        let config = FileConfig {
            zone_path: path.clone(),
        };
        let handler = FileZoneHandler::try_from_config(
            origin.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
            None,
            &config,
        )
        .unwrap_or_else(|e| panic!("zone {} loads: {e}", path.display()));
        let handler: Arc<dyn ZoneHandler> = Arc::new(handler);
        catalog.upsert(LowerName::new(&origin), vec![handler]);
    }
    catalog
}

/// Binds a UDP socket and a TCP listener on the same free loopback port.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    bind_pair_on("127.0.0.1:0").await
}

/// Binds a UDP socket and a TCP listener on the same free port of `local` (a loopback address
/// with port 0).
async fn bind_pair_on(local: &str) -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind(local).await.expect("bind udp");
        let addr = udp.local_addr().expect("udp addr");
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
    panic!("no free loopback port pair");
}

/// Starts the authoritative server for the zones in `dir`.
pub async fn start_in(dir: &Path) -> DnsServer {
    serve(dir, bind_pair().await)
}

/// Serves the zones in `dir` on a bound UDP socket and TCP listener.
fn serve(dir: &Path, (udp, tcp): (UdpSocket, TcpListener)) -> DnsServer {
    let addr = udp.local_addr().expect("addr");
    let mut server = Server::new(catalog_from(dir));
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 64 * 1024);
    DnsServer {
        addr,
        _server: server,
    }
}

/// Starts the authoritative server for `fixtures/dns`.
pub async fn start() -> DnsServer {
    start_in(&zones_dir()).await
}

/// Starts the authoritative server for `fixtures/dns` on IPv6 loopback (`::1`).
pub async fn start_v6() -> DnsServer {
    serve(&zones_dir(), bind_pair_on("[::1]:0").await)
}

/// A UDP socket on loopback that never answers. Keep it alive while the test runs.
pub async fn silent_server() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
    let addr = socket.local_addr().expect("addr");
    (socket, addr)
}

/// A UDP server on loopback that answers every query with the given response code.
pub async fn rcode_server(rcode: u8) -> (tokio::task::JoinHandle<()>, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
    let addr = socket.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
            if let Some(reply) = error_reply(&buf[..len], rcode) {
                let _ = socket.send_to(&reply, peer).await;
            }
        }
    });
    (task, addr)
}

/// Turns a query into a reply with `rcode`, echoing the question and dropping the rest.
fn error_reply(query: &[u8], rcode: u8) -> Option<Vec<u8>> {
    let mut end = 12;
    loop {
        let len = usize::from(*query.get(end)?);
        end += 1 + len;
        if len == 0 {
            break;
        }
    }
    end += 4;
    let mut reply = query.get(..end)?.to_vec();
    reply[2] |= 0x80; // QR
    reply[3] = (reply[3] & 0xf0) | 0x80 | (rcode & 0x0f); // RA + rcode
    reply[4..6].copy_from_slice(&[0, 1]);
    reply[6..12].copy_from_slice(&[0; 6]);
    Some(reply)
}

/// A UDP server on loopback that answers each query with the datagrams `script` makes of it
/// (several, or none, in order): for answers that are wrong on purpose.
pub async fn scripted_server(
    script: fn(&Message) -> Vec<Message>,
) -> (tokio::task::JoinHandle<()>, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
    let addr = socket.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            for reply in script(&query) {
                let bytes = reply.to_vec().expect("reply encodes");
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    (task, addr)
}

/// A server whose UDP answers are all truncated (TC set, no records) while TCP on the same
/// port serves `fixtures/dns`: only a client that asks again over TCP gets answers.
pub async fn truncating_server() -> DnsServer {
    let (udp, tcp) = bind_pair().await;
    let addr = udp.local_addr().expect("addr");
    let mut server = Server::new(catalog_from(&zones_dir()));
    server.register_listener(tcp, Duration::from_secs(5), 64 * 1024);
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((len, peer)) = udp.recv_from(&mut buf).await {
            if let Some(mut reply) = error_reply(&buf[..len], 0) {
                reply[2] |= 0x02; // TC
                let _ = udp.send_to(&reply, peer).await;
            }
        }
    });
    DnsServer {
        addr,
        _server: server,
    }
}
