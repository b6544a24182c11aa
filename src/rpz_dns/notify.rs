//! NOTIFY (RFC 1996): on every new blocklist version, each configured secondary is told the
//! zone's new serial, so it asks for the changes in seconds instead of at the SOA refresh.
//!
//! One UDP message per secondary and version, retried a few times until the secondary answers;
//! a secondary that never answers only costs a warning (it still refreshes on its own clock).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{DNSClass, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::answer::{origin_name, soa_record};
use crate::takedown::rpz::RpzZone;

/// How long to wait for a secondary's answer to one NOTIFY.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(1);
/// NOTIFY messages sent per secondary and version before giving up.
pub const NOTIFY_ATTEMPTS: u32 = 3;

/// Sends a NOTIFY to every target for every version seen, until `shutdown`.
pub async fn run(
    targets: Vec<SocketAddr>,
    zone: RpzZone,
    mut version: watch::Receiver<Option<u64>>,
    shutdown: CancellationToken,
) {
    loop {
        let current = *version.borrow_and_update();
        if let Some(current) = current {
            for target in &targets {
                let zone = zone.clone();
                let target = *target;
                let stop = shutdown.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = notify(target, &zone, current) => {}
                    }
                });
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = version.changed() => if changed.is_err() { return },
        }
    }
}

/// The NOTIFY message for `version`.
pub fn notify_message(zone: &RpzZone, version: u64) -> Message {
    let origin = origin_name(zone);
    let mut message = Message::new(rand::random(), MessageType::Query, OpCode::Notify);
    message.metadata.authoritative = true;
    let mut query = Query::query(origin.clone(), RecordType::SOA);
    query.set_query_class(DNSClass::IN);
    message.add_query(query);
    message.add_answer(soa_record(&origin, version));
    message
}

/// Tells one secondary of `version`; true when it answered.
pub async fn notify(target: SocketAddr, zone: &RpzZone, version: u64) -> bool {
    let message = notify_message(zone, version);
    let Ok(bytes) = message.to_vec() else {
        return false;
    };
    let local: SocketAddr = if target.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(error) => {
            tracing::warn!(%error, "cannot open a socket for NOTIFY");
            return false;
        }
    };
    let mut buffer = vec![0u8; 4096];
    for _ in 0..NOTIFY_ATTEMPTS {
        if socket.send_to(&bytes, target).await.is_err() {
            tokio::time::sleep(NOTIFY_TIMEOUT).await;
            continue;
        }
        let deadline = tokio::time::Instant::now() + NOTIFY_TIMEOUT;
        while let Ok(Ok((length, from))) =
            tokio::time::timeout_at(deadline, socket.recv_from(&mut buffer)).await
        {
            let answered = from == target
                && Message::from_vec(&buffer[..length]).is_ok_and(|answer| {
                    answer.metadata.id == message.metadata.id
                        && answer.metadata.message_type == MessageType::Response
                });
            if answered {
                tracing::debug!(%target, version, "NOTIFY answered");
                return true;
            }
        }
    }
    tracing::warn!(%target, version, attempts = NOTIFY_ATTEMPTS, "a secondary did not answer NOTIFY");
    false
}
