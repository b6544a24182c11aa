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
//! arriving on the socket, unreadable datagrams included, is ignored until the timeout. Of an
//! answer, only the header, the question and the answer records are decoded ([`Reply`]); the
//! authority and additional records are stepped over, except for the OPT record's upper
//! response-code bits.
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

use hickory_resolver::proto::op::{
    Edns, Header, Message, MessageType, Metadata, OpCode, Query, ResponseCode,
};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::net::UdpSocket;

use super::dns::{cname_hops, DnsErrorCode};

/// UDP payload advertised with EDNS(0): the DNS flag day 2020 size, which avoids IP
/// fragmentation on every common path.
const EDNS_PAYLOAD: u16 = 1232;
/// The OPT pseudo-record's type (EDNS(0), RFC 6891).
const OPT: u16 = 41;
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
    Message(Reply),
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
                Err(error) => return all_failed(asked, &error),
            },
        };
        let outcomes = exchange_on(&pooled.socket, &mut pooled.buffer, asked, self.timeout).await;
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

/// Every query of `asked` failed with the I/O error `error`.
fn all_failed(asked: &[&Request], error: &std::io::Error) -> Vec<Outcome> {
    asked
        .iter()
        .map(|_| Outcome::Io(error.to_string()))
        .collect()
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
async fn exchange_on(
    socket: &UdpSocket,
    buffer: &mut [u8],
    asked: &[&Request],
    timeout: Duration,
) -> Vec<Outcome> {
    let deadline = tokio::time::Instant::now() + timeout;
    for request in asked {
        if let Err(error) = socket.send(&request.bytes).await {
            return all_failed(asked, &error);
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
        let Some(answer) = Reply::decode(&buffer[..received]) else {
            continue;
        };
        let Some(index) = asked.iter().position(|request| {
            request.id == answer.metadata.id && request.question == answer.query
        }) else {
            continue;
        };
        if matches!(outcomes[index], Outcome::TimedOut) {
            outcomes[index] = Outcome::Message(answer);
            open -= 1;
        }
    }
    outcomes
}

/// What the direct path reads of an answer: its header, its one question and its answer
/// records. The authority and additional records are stepped over without being decoded (for
/// the NODATA answers of most queries, the SOA in the authority section was the larger part of
/// decoding the whole message), except for the OPT record's upper bits of the response code.
struct Reply {
    metadata: Metadata,
    query: Query,
    answers: Vec<Record>,
}

impl Reply {
    /// A response with exactly one question, or `None` for anything else or anything
    /// malformed (such a datagram is ignored like any other that does not match).
    fn decode(bytes: &[u8]) -> Option<Reply> {
        let mut decoder = BinDecoder::new(bytes);
        let header = Header::read(&mut decoder).ok()?;
        let (mut metadata, counts) = (header.metadata, header.counts);
        if metadata.message_type != MessageType::Response || counts.queries != 1 {
            return None;
        }
        let query = Query::read(&mut decoder).ok()?;
        let mut answers = Vec::with_capacity(usize::from(counts.answers).min(16));
        for _ in 0..counts.answers {
            let record = Record::read(&mut decoder).ok()?;
            // As hickory reads an answer section: no empty (update) records, and no OPT, SIG
            // or TSIG records outside the additional section.
            let misplaced = matches!(
                record.record_type(),
                RecordType::OPT | RecordType::SIG | RecordType::TSIG
            );
            if misplaced || matches!(record.data, RData::Update0(_)) {
                return None;
            }
            answers.push(record);
        }
        let mut at = decoder.index();
        for _ in 0..counts.authorities {
            at = skip_record(bytes, at)?.0;
        }
        let mut seen_opt = false;
        for _ in 0..counts.additionals {
            let (next, kind, ttl) = skip_record(bytes, at)?;
            if kind == OPT {
                if seen_opt {
                    return None;
                }
                seen_opt = true;
                // OPT's TTL: extended response code (upper 8 bits), version, flags.
                metadata.merge_response_code(ttl.to_be_bytes()[0]);
            }
            at = next;
        }
        Some(Reply {
            metadata,
            query,
            answers,
        })
    }
}

/// Steps over the resource record starting at `at`: where the next one starts, and this one's
/// type and TTL. `None` when it runs past the end.
fn skip_record(bytes: &[u8], mut at: usize) -> Option<(usize, u16, u32)> {
    // The owner name: labels up to the root label, or up to a compression pointer (two bytes,
    // which end the name where it is written).
    loop {
        let length = *bytes.get(at)?;
        match length {
            0 => {
                at += 1;
                break;
            }
            1..=63 => at += 1 + usize::from(length),
            0xC0..=0xFF => {
                bytes.get(at + 1)?;
                at += 2;
                break;
            }
            _ => return None,
        }
    }
    let fixed = bytes.get(at..at + 10)?;
    let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let data = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    let next = at + 10 + data;
    (next <= bytes.len()).then_some((next, kind, ttl))
}

/// What an answer to `kind` records of `name` says.
fn read_answer(answer: Reply, name: &Name, kind: RecordType) -> Exchange {
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

    /// A response to `question` with the given sections, as a server writes it.
    fn response(
        question: &Query,
        code: ResponseCode,
        answers: Vec<Record>,
        authorities: Vec<Record>,
        additionals: Vec<Record>,
        edns: Option<Edns>,
    ) -> Vec<u8> {
        let mut message = Message::new(0x4242, MessageType::Response, OpCode::Query);
        message.metadata.response_code = code;
        message.add_query(question.clone());
        message.add_answers(answers);
        message.add_authorities(authorities);
        message.add_additionals(additionals);
        if let Some(edns) = edns {
            message.set_edns(edns);
        }
        message.to_vec().unwrap()
    }

    #[test]
    fn an_answer_reads_as_hickory_reads_it_without_its_other_sections() {
        use hickory_resolver::proto::rr::rdata::{A, CNAME, NS, SOA};
        let name = Name::from_ascii("shop.example.vn.").unwrap();
        let target = Name::from_ascii("edge.cdn.example.").unwrap();
        let zone = Name::from_ascii("example.vn.").unwrap();
        let question = Query::query(name.clone(), RecordType::A);
        let cname = Record::from_rdata(name.clone(), 300, RData::CNAME(CNAME(target.clone())));
        let a = Record::from_rdata(
            target.clone(),
            60,
            RData::A(A("192.0.2.7".parse().unwrap())),
        );
        let soa = Record::from_rdata(
            zone.clone(),
            3600,
            RData::SOA(SOA::new(
                zone.clone(),
                zone.clone(),
                7,
                3600,
                600,
                86400,
                300,
            )),
        );
        let ns = Record::from_rdata(zone.clone(), 3600, RData::NS(NS(target.clone())));
        let glue = Record::from_rdata(
            target.clone(),
            3600,
            RData::A(A("192.0.2.53".parse().unwrap())),
        );
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        let mut badvers = edns.clone();
        badvers.set_rcode_high(1);
        let cases = [
            (
                ResponseCode::NoError,
                vec![cname.clone(), a.clone()],
                vec![ns.clone()],
                vec![glue.clone()],
                Some(edns.clone()),
            ),
            (
                ResponseCode::NoError,
                vec![],
                vec![soa.clone()],
                vec![],
                Some(edns.clone()),
            ),
            (
                ResponseCode::NXDomain,
                vec![],
                vec![soa.clone()],
                vec![],
                None,
            ),
            (
                ResponseCode::NoError,
                vec![a.clone()],
                vec![],
                vec![glue.clone()],
                Some(badvers),
            ),
            (ResponseCode::ServFail, vec![], vec![], vec![], Some(edns)),
        ];
        for (code, answers, authorities, additionals, edns) in cases {
            let bytes = response(&question, code, answers, authorities, additionals, edns);
            let full = Message::from_vec(&bytes).unwrap();
            let reply = Reply::decode(&bytes).expect("decodes");
            assert_eq!(reply.metadata, full.metadata, "{code}");
            assert_eq!(reply.query, full.queries[0]);
            assert_eq!(reply.answers, full.answers);
            // Every shorter datagram is refused, never read past its end.
            for cut in 0..bytes.len() {
                assert!(
                    Reply::decode(&bytes[..cut]).is_none(),
                    "{code} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn queries_and_answers_without_one_question_are_not_replies() {
        let name = Name::from_ascii("shop.example.vn.").unwrap();
        let question = Query::query(name.clone(), RecordType::A);
        let query = query_bytes(9, &name, RecordType::A).unwrap();
        assert!(Reply::decode(&query).is_none(), "a query is not a reply");
        let mut none = Message::new(9, MessageType::Response, OpCode::Query);
        none.metadata.response_code = ResponseCode::FormErr;
        assert!(Reply::decode(&none.to_vec().unwrap()).is_none());
        let mut two = Message::new(9, MessageType::Response, OpCode::Query);
        two.add_query(question.clone());
        two.add_query(question);
        assert!(Reply::decode(&two.to_vec().unwrap()).is_none());
    }
}
