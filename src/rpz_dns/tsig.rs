//! TSIG (RFC 8945) on the zone endpoint: checking a request's signature, and signing the one
//! or many messages of the answer.
//!
//! Every message of a multi-message transfer is signed: the first over the request's MAC, the
//! answer and the TSIG variables; each later one over the previous MAC, the answer and the
//! TSIG timers only (RFC 8945, section 5.3.1). The MAC computations are hickory-proto's.

use hickory_proto::op::Message;
use hickory_proto::rr::rdata::tsig::{make_tsig_record, TsigError, TSIG};
use hickory_proto::rr::{Name, TSigResponseContext};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_proto::ProtoError;

use super::tsig_file::{TsigKey, TsigSet};

/// Why a signed request is not accepted.
#[derive(Debug)]
pub enum TsigRefusal {
    /// No key of that name (TSIG error BADKEY; the answer is unsigned).
    UnknownKey(Name),
    /// The MAC does not verify (BADSIG; the answer is unsigned).
    BadSignature(TsigKey),
    /// The signature's time is outside its fudge (BADTIME; the answer is signed).
    BadTime(TsigKey, Vec<u8>),
}

impl TsigRefusal {
    /// The label of `originguard_rpz_refused_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            TsigRefusal::UnknownKey(_) => "unknown_key",
            TsigRefusal::BadSignature(_) => "bad_signature",
            TsigRefusal::BadTime(..) => "bad_time",
        }
    }
}

/// The key a request is signed with and its MAC, `None` when it is unsigned.
pub fn verify_request(
    keys: &TsigSet,
    bytes: &[u8],
    message: &Message,
    now: u64,
) -> Result<Option<(TsigKey, Vec<u8>)>, TsigRefusal> {
    let Some(signature) = message.signature() else {
        return Ok(None);
    };
    let Some(key) = keys.key(&signature.name) else {
        return Err(TsigRefusal::UnknownKey(signature.name.clone()));
    };
    match key.signer.verify_message_byte(bytes, None, true) {
        Err(_) => Err(TsigRefusal::BadSignature(key.clone())),
        Ok((mac, _, window)) if !window.contains(&now) => {
            Err(TsigRefusal::BadTime(key.clone(), mac))
        }
        Ok((mac, _, _)) => Ok(Some((key.clone(), mac))),
    }
}

/// The encoded error answer to a refused signed request: NOTAUTH with the TSIG error.
pub fn refusal_answer(mut answer: Message, refusal: TsigRefusal, now: u64) -> Option<Vec<u8>> {
    let id = answer.metadata.id;
    answer.metadata.response_code = hickory_proto::op::ResponseCode::NotAuth;
    let unsigned = answer.to_vec().ok()?;
    let context = match refusal {
        TsigRefusal::UnknownKey(name) => TSigResponseContext::unknown_key(id, now, name),
        TsigRefusal::BadSignature(key) => TSigResponseContext::bad_signature(id, now, key.signer),
        TsigRefusal::BadTime(key, mac) => {
            TSigResponseContext::new(id, now, key.signer, mac, Some(TsigError::BadTime))
        }
    };
    let record = context.sign(&unsigned).ok()?;
    answer.set_signature(record);
    answer.to_vec().ok()
}

/// Signs the messages of one answer in order.
pub struct ResponseSigner {
    key: TsigKey,
    previous_mac: Vec<u8>,
    first: bool,
}

impl ResponseSigner {
    /// A signer for the answer to a request signed with `key` whose MAC was `request_mac`.
    pub fn new(key: TsigKey, request_mac: Vec<u8>) -> ResponseSigner {
        ResponseSigner {
            key,
            previous_mac: request_mac,
            first: true,
        }
    }

    /// Signs `message` (which carries no signature yet) at `now`; returns its encoding.
    pub fn sign(&mut self, mut message: Message, now: u64) -> Result<Vec<u8>, ProtoError> {
        let id = message.metadata.id;
        let unsigned = message.to_vec()?;
        let signer = &self.key.signer;
        let record = if self.first {
            let context =
                TSigResponseContext::new(id, now, signer.clone(), self.previous_mac.clone(), None);
            context.sign(&unsigned)?
        } else {
            let mut tbs = Vec::with_capacity(unsigned.len() + self.previous_mac.len() + 10);
            {
                let mut encoder = BinEncoder::new(&mut tbs);
                let length = u16::try_from(self.previous_mac.len())
                    .map_err(|_| ProtoError::from("MAC too long"))?;
                encoder.emit_u16(length)?;
                encoder.emit_vec(&self.previous_mac)?;
                encoder.emit_vec(&unsigned)?;
                // TSIG timers: 48-bit time signed, fudge.
                encoder.emit_u16((now >> 32) as u16)?;
                encoder.emit_u32(now as u32)?;
                encoder.emit_u16(signer.fudge())?;
            }
            let mac = signer
                .sign(&tbs)
                .map_err(|e| ProtoError::from(e.to_string()))?;
            let tsig = TSIG::new(
                signer.algorithm().clone(),
                now,
                signer.fudge(),
                mac,
                id,
                None,
                Vec::new(),
            );
            Box::new(make_tsig_record(signer.signer_name().clone(), tsig))
        };
        self.previous_mac = record.data.mac.clone();
        self.first = false;
        message.set_signature(record);
        message.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
    use hickory_proto::rr::{RecordType, TSigner};

    use super::*;

    fn signer(secret: &[u8]) -> TSigner {
        TSigner::new(
            secret.to_vec(),
            TsigAlgorithm::HmacSha256,
            Name::from_ascii("k.").unwrap(),
            300,
        )
        .unwrap()
    }

    fn query() -> Message {
        let mut message = Message::new(77, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(
            Name::from_ascii("rpz.example.").unwrap(),
            RecordType::AXFR,
        ));
        message
    }

    #[test]
    fn a_chain_of_signed_answers_verifies_with_hickorys_client_verifier() {
        let now = 1_800_000_000;
        let client = signer(b"0123456789abcdef0123456789abcdef");
        let mut request = query();
        let mut verifier = request.finalize(&client, now).unwrap().expect("a verifier");
        let bytes = request.to_vec().unwrap();
        let decoded = Message::from_vec(&bytes).unwrap();

        let mut set_text = String::from("[[tsig]]\nname = \"k.\"\noperator = \"viettel\"\n");
        set_text.push_str("secret = \"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"\n");
        let set = super::super::tsig_file::parse(&set_text, std::path::Path::new("t")).unwrap();
        let (key, mac) = verify_request(&set, &bytes, &decoded, now)
            .unwrap()
            .expect("signed");
        assert_eq!(key.operator, "viettel");

        let mut response_signer = ResponseSigner::new(key, mac);
        for part in 0..3u16 {
            let mut answer = Message::response(77, OpCode::Query);
            answer.add_query(decoded.queries[0].clone());
            answer.metadata.authoritative = part == 0;
            let wire = response_signer.sign(answer, now + u64::from(part)).unwrap();
            verifier
                .verify(&wire)
                .unwrap_or_else(|e| panic!("message {part} does not verify: {e}"));
        }
    }

    #[test]
    fn wrong_keys_stale_times_and_unknown_names_are_refused() {
        let now = 1_800_000_000;
        let set_text = "[[tsig]]\nname = \"k.\"\noperator = \"viettel\"\nsecret = \"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"\n";
        let set = super::super::tsig_file::parse(set_text, std::path::Path::new("t")).unwrap();
        let sign_with = |secret: &[u8], name: &str, at: u64| {
            let signer = TSigner::new(
                secret.to_vec(),
                TsigAlgorithm::HmacSha256,
                Name::from_ascii(name).unwrap(),
                300,
            )
            .unwrap();
            let mut request = query();
            request.finalize(&signer, at).unwrap();
            let bytes = request.to_vec().unwrap();
            let decoded = Message::from_vec(&bytes).unwrap();
            verify_request(&set, &bytes, &decoded, now).map(|ok| ok.map(|(k, _)| k.operator))
        };
        let right = b"0123456789abcdef0123456789abcdef";
        assert_eq!(
            sign_with(right, "k.", now).unwrap().as_deref(),
            Some("viettel")
        );
        assert!(matches!(
            sign_with(b"another secret entirely", "k.", now),
            Err(TsigRefusal::BadSignature(_))
        ));
        assert!(matches!(
            sign_with(right, "k.", now - 3600),
            Err(TsigRefusal::BadTime(..))
        ));
        assert!(matches!(
            sign_with(right, "other.", now),
            Err(TsigRefusal::UnknownKey(_))
        ));
        let unsigned = query();
        let bytes = unsigned.to_vec().unwrap();
        assert!(verify_request(&set, &bytes, &unsigned, now)
            .unwrap()
            .is_none());
    }
}
