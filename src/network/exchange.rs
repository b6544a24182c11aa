//! The common DNS queries, asked directly: one UDP exchange with a configured name server.
//!
//! hickory-resolver's layers (name server pool, shared look-up, retry stream, exchange and UDP
//! client stream) sit between a query and its one UDP exchange (their cost is measured in
//! BENCHMARKS.md, "Resolution"). [`UdpPath`] does the exchange and nothing else, and
//! hands every case it does not settle back to hickory-resolver ([`Exchange::Defer`]):
//!
//! - a truncated answer (hickory asks again over TCP);
//! - a CNAME chain whose end has no record of the type asked in the answer (hickory follows
//!   it, possibly into another zone), and an NXDOMAIN that came with a CNAME;
//! - FORMERR (a server that does not take EDNS; hickory asks without it).
//!
//! Spoofing resistance: a socket whose source port the kernel picks at random, connected to
//! the name server so that the kernel drops datagrams from any other address; a random 16-bit
//! message id per query; and an answer is taken only when it is a response with that id to the
//! very question asked (name compared case-insensitively, type and class). Anything else
//! arriving on the socket, unreadable datagrams included, is ignored until the timeout.
//!
//! The queries for one name (A, AAAA, NS, MX) share one socket, each with its own random id,
//! as glibc's stub resolver does for A and AAAA. A socket's setup and teardown (socket, bind,
//! connect, epoll registration, close) cost more than the exchange itself (a fifth of the
//! service's CPU per name, measured in BENCHMARKS.md), so a socket serves at most
//! [`SOCKET_USES`] names, one at a time, and is then closed: the source port still changes
//! every few dozen names. Between uses it waits in a bounded pool ([`MAX_IDLE_SOCKETS`] per
//! server). A socket goes back to the pool only after an exchange in which every query was
//! answered: after a timeout or an I/O error it is closed, so a late answer never waits on a
//! socket that is used again. A stray datagram that does arrive later is read by the next
//! exchange on that socket and ignored like any other (its id and question do not match).
//!
//! With several name servers, each name starts at the next one in turn; the queries a server
//! does not answer in time, or answers SERVFAIL or REFUSED (or all of them, when it cannot be
//! reached), go to the next, and the last failure is the answer once every server was tried
//! `attempts` times.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, Record, RecordType};
use tokio::net::UdpSocket;

use super::dns::{cname_hops, DnsErrorCode};

/// UDP payload advertised with EDNS(0): the DNS flag day 2020 size, which avoids IP
/// fragmentation on every common path.
const EDNS_PAYLOAD: u16 = 1232;
/// Receive buffer; larger than the advertised payload, for servers that ignore it.
const RECEIVE_BUFFER: usize = 4096;

/// Names one socket serves before it is closed and another port is taken.
pub(crate) const SOCKET_USES: u32 = 32;
/// Idle sockets kept per name server.
pub(crate) const MAX_IDLE_SOCKETS: usize = 256;

/// A connected socket between uses.
#[derive(Debug)]
struct Pooled {
    socket: UdpSocket,
    /// Names it has served.
    uses: u32,
    /// The receive buffer, kept with the socket rather than allocated (and zeroed) per name.
    buffer: Vec<u8>,
}

/// What one query on the direct path came to.
#[derive(Debug)]
pub(crate) enum Exchange {
    /// NOERROR: the CNAME records of the chain from the name asked, then the records of the
    /// type asked owned by the chain's end; empty for NODATA.
    Answer(Vec<Record>),
    /// A failure every server agreed on (the last one's, with several): the code and a detail.
    Failed(DnsErrorCode, String),
    /// Not settled here: ask through hickory-resolver.
    Defer(&'static str),
}

/// The direct UDP path to a fixed list of name servers.
#[derive(Debug)]
pub(crate) struct UdpPath {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
    next: AtomicUsize,
    /// Idle connected sockets, by name server.
    idle: Mutex<HashMap<SocketAddr, Vec<Pooled>>>,
}

/// One query as sent.
struct Request {
    kind: RecordType,
    id: u16,
    question: Query,
    bytes: Vec<u8>,
}

/// How one query to one server ended.
enum Outcome {
    Message(Message),
    TimedOut,
    Io(String),
}

impl UdpPath {
    /// A path to `servers` (not empty), waiting `timeout` for each server's answers, trying
    /// the list `attempts` times.
    pub(crate) fn new(servers: Vec<SocketAddr>, timeout: Duration, attempts: usize) -> UdpPath {
        UdpPath {
            servers,
            timeout,
            attempts: attempts.max(1),
            next: AtomicUsize::new(0),
            idle: Mutex::new(HashMap::new()),
        }
    }

    /// The longest one call of [`UdpPath::query_all`] can take.
    pub(crate) fn longest(&self) -> Duration {
        let tries = u32::try_from(self.attempts.saturating_mul(self.servers.len().max(1)));
        self.timeout.saturating_mul(tries.unwrap_or(u32::MAX))
    }

    /// Asks the records of each type in `kinds` of the fully qualified `name`, together; the
    /// answers in the order of `kinds`.
    pub(crate) async fn query_all(&self, name: &Name, kinds: &[RecordType]) -> Vec<Exchange> {
        let mut settled: Vec<Option<Exchange>> = kinds.iter().map(|_| None).collect();
        let mut last: Vec<Exchange> = kinds
            .iter()
            .map(|_| Exchange::Failed(DnsErrorCode::Timeout, "no name server".into()))
            .collect();
        let mut requests: Vec<Request> = Vec::with_capacity(kinds.len());
        for (index, &kind) in kinds.iter().enumerate() {
            match encode(name, kind, &requests) {
                Some(request) => requests.push(request),
                None => settled[index] = Some(Exchange::Defer("query not encodable")),
            }
        }
        let count = self.servers.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        for turn in 0..self.attempts.saturating_mul(count) {
            let pending: Vec<usize> = (0..requests.len())
                .filter(|&index| settled[index].is_none())
                .collect();
            if pending.is_empty() {
                break;
            }
            let server = self.servers[(first + turn) % count];
            let asked: Vec<&Request> = pending.iter().map(|&index| &requests[index]).collect();
            let outcomes = self.exchange(server, &asked).await;
            for (index, outcome) in pending.into_iter().zip(outcomes) {
                let exchange = match outcome {
                    Outcome::Message(answer) => read_answer(answer, name, requests[index].kind),
                    Outcome::TimedOut => {
                        last[index] = Exchange::Failed(
                            DnsErrorCode::Timeout,
                            format!("no answer from {server} in {:?}", self.timeout),
                        );
                        continue;
                    }
                    Outcome::Io(error) => {
                        last[index] =
                            Exchange::Failed(DnsErrorCode::DnsFailed, format!("{server}: {error}"));
                        continue;
                    }
                };
                match exchange {
                    retry @ Exchange::Failed(DnsErrorCode::Servfail | DnsErrorCode::Refused, _) => {
                        last[index] = retry;
                    }
                    answer => settled[index] = Some(answer),
                }
            }
        }
        settled
            .into_iter()
            .zip(last)
            .map(|(settled, last)| settled.unwrap_or(last))
            .collect()
    }
}

/// The query for `kind` records of `name`, with an id none of `others` has.
fn encode(name: &Name, kind: RecordType, others: &[Request]) -> Option<Request> {
    let mut id: u16 = rand::random();
    while others.iter().any(|other| other.id == id) {
        id = rand::random();
    }
    let question = Query::query(name.clone(), kind);
    let bytes = match query_bytes(id, name, kind) {
        Some(bytes) => bytes,
        None => message_bytes(id, &question)?,
    };
    Some(Request {
        kind,
        id,
        question,
        bytes,
    })
}

/// The query as hickory writes it: header with RD, the question, and an EDNS(0) OPT record
/// advertising [`EDNS_PAYLOAD`].
fn message_bytes(id: u16, question: &Query) -> Option<Vec<u8>> {
    let mut request = Message::new(id, MessageType::Query, OpCode::Query);
    request.metadata.recursion_desired = true;
    request.add_query(question.clone());
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    request.set_edns(edns);
    request.to_vec().ok()
}

/// The same bytes as [`message_bytes`], written directly (a query is a fixed layout: building a
/// `Message` to write one cost a twentieth of the CPU per name). `None` for a name that is not
/// fully qualified or too long for the wire; those go through [`message_bytes`].
fn query_bytes(id: u16, name: &Name, kind: RecordType) -> Option<Vec<u8>> {
    const RD: u16 = 0x0100;
    const OPT: u16 = 41;
    const IN: u16 = 1;
    if !name.is_fqdn() {
        return None;
    }
    let mut bytes = Vec::with_capacity(12 + 255 + 4 + 11);
    for half in [id, RD, 1, 0, 0, 1] {
        bytes.extend_from_slice(&half.to_be_bytes());
    }
    for label in name.iter() {
        let length = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))?;
        bytes.push(length);
        bytes.extend_from_slice(label);
    }
    bytes.push(0);
    if bytes.len() - 12 > 255 {
        return None;
    }
    for half in [u16::from(kind), IN] {
        bytes.extend_from_slice(&half.to_be_bytes());
    }
    // OPT: root owner, type, UDP payload size as class, TTL 0 (no extended rcode, version 0,
    // no flags), no options.
    bytes.push(0);
    for half in [OPT, EDNS_PAYLOAD, 0, 0, 0] {
        bytes.extend_from_slice(&half.to_be_bytes());
    }
    Some(bytes)
}

impl UdpPath {
    /// The queries `asked` to one server on one socket: for each, its answer or why none
    /// came, in order.
    async fn exchange(&self, server: SocketAddr, asked: &[&Request]) -> Vec<Outcome> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&server)
            .and_then(Vec::pop);
        let mut pooled = match taken {
            Some(pooled) => pooled,
            None => match connect(server).await {
                Ok(socket) => Pooled {
                    socket,
                    uses: 0,
                    buffer: vec![0u8; RECEIVE_BUFFER],
                },
                Err(error) => {
                    return asked
                        .iter()
                        .map(|_| Outcome::Io(error.to_string()))
                        .collect()
                }
            },
        };
        let outcomes = exchange(&pooled.socket, &mut pooled.buffer, asked, self.timeout).await;
        pooled.uses += 1;
        let clean = outcomes.iter().all(|o| matches!(o, Outcome::Message(_)));
        if clean && pooled.uses < SOCKET_USES {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            let sockets = idle.entry(server).or_default();
            if sockets.len() < MAX_IDLE_SOCKETS {
                sockets.push(pooled);
            }
        }
        outcomes
    }
}

/// A new socket on a port the kernel picks at random (port 0, from the ephemeral range),
/// connected to `server`.
async fn connect(server: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    Ok(socket)
}

/// The queries `asked` on `socket`: for each, its answer or why none came, in order.
async fn exchange(
    socket: &UdpSocket,
    buffer: &mut [u8],
    asked: &[&Request],
    timeout: Duration,
) -> Vec<Outcome> {
    let deadline = tokio::time::Instant::now() + timeout;
    for request in asked {
        if let Err(error) = socket.send(&request.bytes).await {
            return asked
                .iter()
                .map(|_| Outcome::Io(error.to_string()))
                .collect();
        }
    }
    let mut outcomes: Vec<Outcome> = asked.iter().map(|_| Outcome::TimedOut).collect();
    let mut open = asked.len();
    while open > 0 {
        let received = match tokio::time::timeout_at(deadline, socket.recv(buffer)).await {
            Err(_) => break,
            Ok(Err(error)) => {
                for outcome in &mut outcomes {
                    if matches!(outcome, Outcome::TimedOut) {
                        *outcome = Outcome::Io(error.to_string());
                    }
                }
                break;
            }
            Ok(Ok(received)) => received,
        };
        let Ok(answer) = Message::from_vec(&buffer[..received]) else {
            continue;
        };
        let meta = &answer.metadata;
        if meta.message_type != MessageType::Response || answer.queries.len() != 1 {
            continue;
        }
        let Some(index) = asked
            .iter()
            .position(|request| request.id == meta.id && request.question == answer.queries[0])
        else {
            continue;
        };
        if matches!(outcomes[index], Outcome::TimedOut) {
            outcomes[index] = Outcome::Message(answer);
            open -= 1;
        }
    }
    outcomes
}

/// What an answer to `kind` records of `name` says.
fn read_answer(answer: Message, name: &Name, kind: RecordType) -> Exchange {
    if answer.metadata.truncation {
        return Exchange::Defer("truncated");
    }
    match answer.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain if answer.answers.is_empty() => {
            return Exchange::Failed(DnsErrorCode::Nxdomain, format!("{name} does not exist"));
        }
        ResponseCode::NXDomain => return Exchange::Defer("NXDOMAIN at the end of a CNAME chain"),
        ResponseCode::FormErr => return Exchange::Defer("FORMERR"),
        ResponseCode::ServFail => {
            return Exchange::Failed(DnsErrorCode::Servfail, "SERVFAIL".into());
        }
        ResponseCode::Refused => return Exchange::Failed(DnsErrorCode::Refused, "REFUSED".into()),
        other => return Exchange::Failed(DnsErrorCode::DnsFailed, other.to_string()),
    }
    let mut answers = answer.answers;
    // The chain from the name asked, hop by hop, and the name it ends at.
    let chain = if kind == RecordType::CNAME {
        Vec::new()
    } else {
        cname_hops(name, &answers)
    };
    let end = chain.last().map_or(name, |(_, target)| target).clone();
    let owned_by_end = |record: &Record| record.record_type() == kind && record.name == end;
    if !chain.is_empty() && !answers.iter().any(owned_by_end) {
        return Exchange::Defer("CNAME chain ends outside the answer");
    }
    let mut records: Vec<Record> = Vec::with_capacity(answers.len());
    for (index, _) in &chain {
        records.push(answers[*index].clone());
    }
    answers.retain(owned_by_end);
    records.append(&mut answers);
    Exchange::Answer(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_written_byte_for_byte_as_hickory_writes_it() {
        let kinds = [
            RecordType::A,
            RecordType::AAAA,
            RecordType::NS,
            RecordType::MX,
            RecordType::PTR,
        ];
        for text in [
            "shop.example.vn.",
            "xn--hng-hiu-u1a0f.vn.",
            "20.100.51.198.in-addr.arpa.",
        ] {
            let name = Name::from_ascii(text).unwrap();
            for kind in kinds {
                for id in [0, 1, 0xbeef, u16::MAX] {
                    let question = Query::query(name.clone(), kind);
                    assert_eq!(
                        query_bytes(id, &name, kind),
                        message_bytes(id, &question),
                        "{text} {kind} {id}"
                    );
                }
            }
        }
    }

    #[test]
    fn names_the_direct_writer_does_not_take_go_through_hickory() {
        let relative = Name::from_ascii("shop.example.vn").unwrap();
        assert!(query_bytes(7, &relative, RecordType::A).is_none());
        let request = encode(&relative, RecordType::A, &[]).expect("hickory writes it");
        assert_eq!(
            request.bytes,
            message_bytes(request.id, &request.question).unwrap()
        );
    }
}
