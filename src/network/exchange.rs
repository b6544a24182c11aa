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
//! Spoofing resistance is that of hickory's UDP client: a fresh socket, whose source port the
//! kernel picks at random, connected to the name server so that the kernel drops datagrams
//! from any other address; a random 16-bit message id per query; and an answer is taken only
//! when it is a response with that id to the very question asked (name compared
//! case-insensitively, type and class). Anything else arriving on the socket, unreadable
//! datagrams included, is ignored until the timeout. The socket is closed when the exchange
//! ends.
//!
//! The queries for one name (A, AAAA, NS, MX) share one socket, each with its own random id,
//! as glibc's stub resolver does for A and AAAA: a socket's setup and teardown (socket, bind,
//! connect, epoll registration, close) cost more than the exchange itself. The port is still
//! fresh for every name and lives only until its answers are in.
//!
//! With several name servers, each name starts at the next one in turn; the queries a server
//! does not answer in time, or answers SERVFAIL or REFUSED (or all of them, when it cannot be
//! reached), go to the next, and the last failure is the answer once every server was tried
//! `attempts` times.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
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
            let outcomes = exchange(server, &asked, self.timeout).await;
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
    let mut request = Message::new(id, MessageType::Query, OpCode::Query);
    request.metadata.recursion_desired = true;
    request.add_query(question.clone());
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    request.set_edns(edns);
    let bytes = request.to_vec().ok()?;
    Some(Request {
        kind,
        id,
        question,
        bytes,
    })
}

/// The queries `asked` to one server on one fresh socket: for each, its answer or why none
/// came, in order.
async fn exchange(server: SocketAddr, asked: &[&Request], timeout: Duration) -> Vec<Outcome> {
    let deadline = tokio::time::Instant::now() + timeout;
    let failed = |error: std::io::Error| {
        asked
            .iter()
            .map(|_| Outcome::Io(error.to_string()))
            .collect()
    };
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    // Port 0: the kernel picks the source port at random from the ephemeral range.
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(error) => return failed(error),
    };
    if let Err(error) = socket.connect(server).await {
        return failed(error);
    }
    for request in asked {
        if let Err(error) = socket.send(&request.bytes).await {
            return failed(error);
        }
    }
    let mut outcomes: Vec<Outcome> = asked.iter().map(|_| Outcome::TimedOut).collect();
    let mut open = asked.len();
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    while open > 0 {
        let received = match tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await {
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
