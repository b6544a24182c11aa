//! One DNS request to the zone endpoint: parse, check its signature, authorise transfers, and
//! answer, or hand a transfer to [`super::transfer`].
//!
//! What is answered: SOA and NS at the apex (to anyone, over UDP or TCP), other types at the
//! apex with no data, AXFR and IXFR over TCP (IXFR over UDP gets the current SOA alone, RFC
//! 1995 section 2). Everything else gets an error code and is counted in
//! `originguard_rpz_refused_total{reason}`: a message that does not parse (FORMERR), another
//! zone (REFUSED; NOTAUTH for a transfer), a name below the apex (REFUSED: resolvers take the
//! zone by transfer), an unsigned transfer from an address with no `[[unsigned]]` entry
//! (REFUSED), a bad signature (NOTAUTH with the TSIG error).

use std::net::SocketAddr;

use hickory_proto::op::{Header, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use super::tsig::{refusal_answer, verify_request, ResponseSigner};
use super::{refused, Context};
use crate::takedown::rpz;

/// How the request came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One datagram.
    Udp,
    /// A TCP connection (transfers need it).
    Tcp,
}

/// The kind of transfer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// The whole zone.
    Axfr,
    /// The changes since the secondary's serial.
    Ixfr {
        /// The secondary's serial.
        client_serial: u32,
    },
}

/// An authorised transfer, for [`super::transfer::send`].
pub struct Transfer {
    /// What was asked.
    pub kind: TransferKind,
    /// The operator it acknowledges for.
    pub operator: String,
    /// Who did it, for the audit entry (`tsig:<key>` or `unsigned:<address>`).
    pub actor: String,
    /// The request's id.
    pub id: u16,
    /// The question, echoed in every message.
    pub query: Query,
    /// Signs the answer's messages when the request was signed.
    pub signer: Option<ResponseSigner>,
}

/// What to send back.
pub enum Reply {
    /// Nothing (a stray response, or too short to answer).
    Nothing,
    /// One encoded message.
    One(Vec<u8>),
    /// A transfer to stream.
    Transfer(Transfer),
}

/// Seconds since the epoch, for TSIG.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The zone's origin as a DNS name.
pub fn origin_name(zone: &rpz::RpzZone) -> Name {
    Name::from_ascii(zone.origin()).unwrap_or_else(|_| Name::root())
}

/// The SOA record at `version`.
pub fn soa_record(origin: &Name, version: u64) -> Record {
    let soa = SOA::new(
        Name::from_ascii(rpz::SOA_MNAME).unwrap_or_else(|_| Name::root()),
        Name::from_ascii(rpz::SOA_RNAME).unwrap_or_else(|_| Name::root()),
        rpz::serial(version),
        rpz::SOA_REFRESH as i32,
        rpz::SOA_RETRY as i32,
        rpz::SOA_EXPIRE as i32,
        rpz::SOA_MINIMUM,
    );
    Record::from_rdata(origin.clone(), rpz::TTL, RData::SOA(soa))
}

/// The NS record of the apex.
pub fn ns_record(origin: &Name) -> Record {
    let ns = Name::from_ascii(rpz::NS_NAME).unwrap_or_else(|_| Name::root());
    Record::from_rdata(origin.clone(), rpz::TTL, RData::NS(NS(ns)))
}

/// A FORMERR for bytes that do not parse as a message, when at least the header does.
fn format_error(bytes: &[u8]) -> Reply {
    let Ok(header) = Header::read(&mut BinDecoder::new(bytes)) else {
        return Reply::Nothing;
    };
    if header.metadata.message_type != MessageType::Query {
        return Reply::Nothing;
    }
    let answer = Message::error_msg(
        header.metadata.id,
        header.metadata.op_code,
        ResponseCode::FormErr,
    );
    answer.to_vec().map(Reply::One).unwrap_or(Reply::Nothing)
}

/// Finishes a one-message answer: its code, signed when the request was.
fn one(mut answer: Message, code: ResponseCode, signer: Option<ResponseSigner>, now: u64) -> Reply {
    answer.metadata.response_code = code;
    let encoded = match signer {
        Some(mut signer) => signer.sign(answer, now),
        None => answer.to_vec(),
    };
    match encoded {
        Ok(bytes) => Reply::One(bytes),
        Err(error) => {
            tracing::warn!(%error, "cannot encode an RPZ answer");
            Reply::Nothing
        }
    }
}

/// Answers one request from `source`.
pub fn handle(context: &Context, bytes: &[u8], source: SocketAddr, transport: Transport) -> Reply {
    let now = unix_now();
    let request = match Message::from_vec(bytes) {
        Ok(request) => request,
        Err(error) => {
            refused("malformed");
            tracing::debug!(%source, %error, "RPZ request does not parse");
            return format_error(bytes);
        }
    };
    if request.metadata.message_type != MessageType::Query {
        return Reply::Nothing;
    }
    let mut answer = Message::response(request.metadata.id, request.metadata.op_code);
    answer.metadata.recursion_desired = request.metadata.recursion_desired;
    if let Some(query) = request.queries.first() {
        answer.add_query(query.clone());
    }
    let keys = context.tsig.snapshot();
    let signed = match verify_request(&keys, bytes, &request, now) {
        Ok(signed) => signed,
        Err(refusal) => {
            refused(refusal.reason());
            tracing::warn!(%source, reason = refusal.reason(), "RPZ request with a bad TSIG refused");
            return refusal_answer(answer, refusal, now)
                .map(Reply::One)
                .unwrap_or(Reply::Nothing);
        }
    };
    let signer = signed
        .as_ref()
        .map(|(key, mac)| ResponseSigner::new(key.clone(), mac.clone()));
    if request.metadata.op_code != OpCode::Query {
        refused("not_supported");
        return one(answer, ResponseCode::NotImp, signer, now);
    }
    let [query] = request.queries.as_slice() else {
        refused("malformed");
        return one(answer, ResponseCode::FormErr, signer, now);
    };
    let origin = origin_name(&context.zone);
    let transfer = matches!(query.query_type(), RecordType::AXFR | RecordType::IXFR);
    if !origin.zone_of(query.name()) || query.query_class() != DNSClass::IN {
        refused("other_zone");
        let code = if transfer {
            ResponseCode::NotAuth
        } else {
            ResponseCode::Refused
        };
        return one(answer, code, signer, now);
    }
    if *query.name() != origin {
        refused("not_served");
        return one(answer, ResponseCode::Refused, signer, now);
    }
    if transfer {
        return authorise_transfer(
            context, &request, query, answer, signed, signer, source, transport, now,
        );
    }
    let Some(version) = *context.version.borrow() else {
        return one(answer, ResponseCode::ServFail, signer, now);
    };
    answer.metadata.authoritative = true;
    match query.query_type() {
        RecordType::SOA => {
            answer.add_answer(soa_record(&origin, version));
        }
        RecordType::NS => {
            answer.add_answer(ns_record(&origin));
        }
        _ => {
            answer.add_authority(soa_record(&origin, version));
        }
    }
    one(answer, ResponseCode::NoError, signer, now)
}

/// Who may transfer: the key's operator, or the operator of an `[[unsigned]]` source.
#[allow(clippy::too_many_arguments)]
fn authorise_transfer(
    context: &Context,
    request: &Message,
    query: &Query,
    mut answer: Message,
    signed: Option<(super::tsig_file::TsigKey, Vec<u8>)>,
    signer: Option<ResponseSigner>,
    source: SocketAddr,
    transport: Transport,
    now: u64,
) -> Reply {
    let (operator, actor) = match &signed {
        Some((key, _)) => (
            key.operator.clone(),
            format!("tsig:{}", key.signer.signer_name().to_ascii()),
        ),
        None => match context.tsig.snapshot().unsigned_operator(source.ip()) {
            Some(operator) => (operator.to_owned(), format!("unsigned:{}", source.ip())),
            None => {
                refused("unsigned");
                tracing::warn!(%source, qtype = %query.query_type(), "RPZ transfer without TSIG from an address with no [[unsigned]] entry refused");
                return one(answer, ResponseCode::Refused, signer, now);
            }
        },
    };
    let kind = if query.query_type() == RecordType::AXFR {
        TransferKind::Axfr
    } else {
        let serial = request.authorities.iter().find_map(|r| match &r.data {
            RData::SOA(soa) => Some(soa.serial),
            _ => None,
        });
        let Some(client_serial) = serial else {
            refused("malformed");
            return one(answer, ResponseCode::FormErr, signer, now);
        };
        TransferKind::Ixfr { client_serial }
    };
    if transport == Transport::Udp {
        if kind == TransferKind::Axfr {
            refused("udp_transfer");
            return one(answer, ResponseCode::Refused, signer, now);
        }
        // RFC 1995, section 2: the current SOA alone tells the secondary to use TCP.
        let Some(version) = *context.version.borrow() else {
            return one(answer, ResponseCode::ServFail, signer, now);
        };
        answer.metadata.authoritative = true;
        answer.add_answer(soa_record(&origin_name(&context.zone), version));
        return one(answer, ResponseCode::NoError, signer, now);
    }
    Reply::Transfer(Transfer {
        kind,
        operator,
        actor,
        id: request.metadata.id,
        query: query.clone(),
        signer,
    })
}
