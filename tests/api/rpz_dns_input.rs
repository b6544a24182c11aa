//! The zone endpoint against bad or odd input: a truncated or garbage message, a query for
//! another zone or below the apex, an IXFR from a future serial, from the current one, from
//! one in the log and from one older than the log, a TSIG file that breaks or exposes its
//! secrets. Each gets a clear answer and leaves the zone as it was.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::rpz::{new_secret, start_endpoint, tsig_entry, unsigned_entry, write_tsig_file, ZONE};
use common::takedowns::{app, submit_until};
use common::{eventually, TestApp};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordType, TSigner};
use originguard::auth::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn zone() -> Name {
    Name::from_ascii(ZONE).unwrap()
}

fn query(name: &Name, kind: RecordType) -> Message {
    let mut message = Message::new(4242, MessageType::Query, OpCode::Query);
    message.add_query(Query::query(name.clone(), kind));
    message
}

fn ixfr(serial: u32) -> Message {
    let mut message = query(&zone(), RecordType::IXFR);
    let soa = SOA::new(Name::root(), Name::root(), serial, 0, 0, 0, 0);
    message.add_authority(Record::from_rdata(zone(), 0, RData::SOA(soa)));
    message
}

fn signer(name: &str, secret: &str) -> TSigner {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .unwrap();
    TSigner::new(
        key,
        TsigAlgorithm::HmacSha256,
        Name::from_ascii(name).unwrap(),
        300,
    )
    .unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One UDP exchange; `None` when nothing comes back within a second.
async fn udp(server: SocketAddr, bytes: &[u8]) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(bytes, server).await.unwrap();
    let mut buffer = vec![0u8; 65_535];
    let (length, _) = tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buffer))
        .await
        .ok()?
        .ok()?;
    Some(Message::from_vec(&buffer[..length]).expect("the answer parses"))
}

/// Sends `message` over TCP (signed with `signer` when given) and reads answers until a
/// transfer's closing SOA, an error, or the connection's end. Every answer's signature is
/// checked when the request was signed.
async fn tcp(server: SocketAddr, mut message: Message, signer: Option<&TSigner>) -> Vec<Message> {
    let mut verifier = signer.map(|s| message.finalize(s, now()).unwrap().unwrap());
    let bytes = message.to_vec().unwrap();
    let mut stream = TcpStream::connect(server).await.unwrap();
    stream.write_u16(bytes.len() as u16).await.unwrap();
    stream.write_all(&bytes).await.unwrap();
    let mut answers = Vec::new();
    let mut soas = 0;
    loop {
        let read = async {
            let length = stream.read_u16().await.ok()?;
            let mut buffer = vec![0u8; usize::from(length)];
            stream.read_exact(&mut buffer).await.ok()?;
            Some(buffer)
        };
        let Ok(Some(buffer)) = tokio::time::timeout(Duration::from_secs(5), read).await else {
            return answers;
        };
        let answer = Message::from_vec(&buffer).unwrap();
        // Refusals of a bad key are unsigned (RFC 8945); the rest must verify.
        if let Some(verifier) = verifier
            .as_mut()
            .filter(|_| answer.metadata.response_code == ResponseCode::NoError)
        {
            verifier
                .verify(&buffer)
                .unwrap_or_else(|e| panic!("answer {} does not verify: {e}", answers.len()));
        }
        soas += answer
            .answers
            .iter()
            .filter(|r| r.record_type() == RecordType::SOA)
            .count();
        let done = answer.metadata.response_code != ResponseCode::NoError
            || (answers.is_empty() && soas == 1 && answer.answers.len() == 1)
            || (soas >= 2
                && answer.answers.last().map(Record::record_type) == Some(RecordType::SOA));
        answers.push(answer);
        if done {
            return answers;
        }
    }
}

/// Every answer record of a transfer, as `owner type serial-or-target` text.
fn records(answers: &[Message]) -> Vec<String> {
    answers
        .iter()
        .flat_map(|m| m.answers.iter())
        .map(|r| match &r.data {
            RData::SOA(soa) => format!("{} SOA {}", r.name, soa.serial),
            other => format!("{} {} {}", r.name, r.record_type(), other),
        })
        .collect()
}

struct Setup {
    app: TestApp,
    _dns: common::dns_server::DnsServer,
    endpoint: common::rpz::Endpoint,
    dir: tempfile::TempDir,
    key: TSigner,
}

async fn setup() -> Setup {
    let (app, dns) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = new_secret();
    let tsig = write_tsig_file(
        dir.path(),
        &format!(
            "{}{}",
            tsig_entry("mobifone-rpz.", "mobifone", &secret),
            unsigned_entry("vnpt", "192.0.2.53/32")
        ),
    );
    let endpoint = start_endpoint(&app, &tsig, Vec::new()).await;
    let key = signer("mobifone-rpz.", &secret);
    // The version watcher has read the version once the SOA answers.
    let addr = endpoint.addr;
    assert!(
        eventually(Duration::from_secs(5), || async move {
            let bytes = query(&zone(), RecordType::SOA).to_vec().unwrap();
            udp(addr, &bytes)
                .await
                .is_some_and(|m| m.metadata.response_code == ResponseCode::NoError)
        })
        .await
    );
    Setup {
        app,
        _dns: dns,
        endpoint,
        dir,
        key,
    }
}

#[tokio::test]
async fn truncated_garbage_and_foreign_queries_get_error_codes_and_the_zone_still_answers() {
    let s = setup().await;
    let addr = s.endpoint.addr;
    // A query cut in the middle of its question: the header parses, so FORMERR with its id.
    let whole = query(&zone(), RecordType::SOA).to_vec().unwrap();
    let answer = udp(addr, &whole[..whole.len() - 3])
        .await
        .expect("an answer");
    assert_eq!(answer.metadata.response_code, ResponseCode::FormErr);
    assert_eq!(answer.metadata.id, 4242);
    // Bytes that are not even a header get no answer.
    assert!(udp(addr, b"\x01\x02\x03").await.is_none());
    // The same over TCP.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_u16(5).await.unwrap();
    stream.write_all(b"\x10\x92\x00\x01\x00").await.unwrap();
    drop(stream);

    // Another zone: REFUSED for a query, NOTAUTH for a transfer (even with a good key).
    let other = Name::from_ascii("example.com.").unwrap();
    let answer = udp(addr, &query(&other, RecordType::SOA).to_vec().unwrap())
        .await
        .unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::Refused);
    let answers = tcp(addr, query(&other, RecordType::AXFR), Some(&s.key)).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].metadata.response_code, ResponseCode::NotAuth);
    // A name below the apex is not answered one by one.
    let below = Name::from_ascii("example.com.rpz.originguard.").unwrap();
    let answer = udp(addr, &query(&below, RecordType::CNAME).to_vec().unwrap())
        .await
        .unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::Refused);
    // AXFR over UDP is refused, even signed with a good key.
    let mut axfr = query(&zone(), RecordType::AXFR);
    axfr.finalize(&s.key, now()).unwrap();
    let answer = udp(addr, &axfr.to_vec().unwrap()).await.unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::Refused);

    // Still serving, authoritatively.
    let answer = udp(addr, &query(&zone(), RecordType::SOA).to_vec().unwrap())
        .await
        .expect("still answering");
    assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
    assert!(answer.metadata.authoritative);
    assert_eq!(answer.answers[0].record_type(), RecordType::SOA);

    let metrics = s.app.get("/metrics").send().await.text;
    for reason in ["malformed", "other_zone", "not_served", "udp_transfer"] {
        assert!(
            metrics.contains(&format!(
                "originguard_rpz_refused_total{{reason=\"{reason}\"}}"
            )),
            "{reason} not counted:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn ixfr_answers_follow_rfc_1995_for_current_future_logged_and_forgotten_serials() {
    let s = setup().await;
    let addr = s.endpoint.addr;
    submit_until(&s.app, "example.com", "blocked").await;
    submit_until(&s.app, "203.0.113.8", "blocked").await;
    let current = s
        .app
        .get_as(Role::Operator, "/v1/blocklist")
        .send()
        .await
        .json["version"]
        .as_u64()
        .unwrap();
    assert_eq!(current, 2);
    let full_before = records(&tcp(addr, query(&zone(), RecordType::AXFR), Some(&s.key)).await);
    assert_eq!(
        full_before,
        [
            "rpz.originguard. SOA 2",
            "rpz.originguard. NS localhost.",
            "canary.rpz-test.originguard.rpz.originguard. CNAME .",
            "32.8.113.0.203.rpz-ip.rpz.originguard. CNAME .",
            "example.com.rpz.originguard. CNAME .",
            "*.example.com.rpz.originguard. CNAME .",
            "rpz.originguard. SOA 2",
        ]
    );

    // A future serial, and the current one: the current SOA alone.
    for serial in [current as u32 + 5, current as u32] {
        let answers = tcp(addr, ixfr(serial), Some(&s.key)).await;
        assert_eq!(
            records(&answers),
            ["rpz.originguard. SOA 2"],
            "from {serial}"
        );
    }
    // Over UDP, for any serial: the current SOA alone (the secondary retries over TCP), once
    // the version watcher (every 200 ms) has read the new version.
    let key = &s.key;
    let soa_over_udp = || async move {
        let mut signed = ixfr(1);
        signed.finalize(key, now()).unwrap();
        let answer = udp(addr, &signed.to_vec().unwrap()).await.unwrap();
        records(&[answer])
    };
    eventually(Duration::from_secs(5), || async {
        soa_over_udp().await == ["rpz.originguard. SOA 2"]
    })
    .await;
    assert_eq!(soa_over_udp().await, ["rpz.originguard. SOA 2"]);
    // Unsigned from an address with no [[unsigned]] entry: refused.
    let answer = udp(addr, &ixfr(1).to_vec().unwrap()).await.unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::Refused);

    // A serial the log reaches: one difference sequence.
    let answers = tcp(addr, ixfr(1), Some(&s.key)).await;
    assert_eq!(
        records(&answers),
        [
            "rpz.originguard. SOA 2",
            "rpz.originguard. SOA 1",
            "rpz.originguard. SOA 2",
            "32.8.113.0.203.rpz-ip.rpz.originguard. CNAME .",
            "rpz.originguard. SOA 2",
        ]
    );
    // Older than the retained log: the whole zone, AXFR-style.
    let mut redis = s.app.redis.connection();
    let _: i64 = redis::cmd("XTRIM")
        .arg(originguard::store::keys::blocklist_log())
        .arg("MAXLEN")
        .arg(1)
        .query(&mut redis)
        .unwrap();
    let answers = tcp(addr, ixfr(0), Some(&s.key)).await;
    assert_eq!(records(&answers), full_before);

    // The zone is as it was, and the operator's compliance shows the transfers' version.
    let full_after = records(&tcp(addr, query(&zone(), RecordType::AXFR), Some(&s.key)).await);
    assert_eq!(full_after, full_before);
    let compliance = s
        .app
        .get_as(Role::Authority, "/v1/blocklist/compliance")
        .send()
        .await;
    let mobifone = compliance.json["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operator"] == "mobifone")
        .cloned()
        .unwrap_or_default();
    assert_eq!(mobifone["acked_version"], 2, "{}", compliance.text);
    let metrics = s.app.get("/metrics").send().await.text;
    assert!(
        metrics.contains("originguard_rpz_transfers_total{operator=\"mobifone\",kind=\"ixfr\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_tsig_file_with_a_bad_secret_keeps_the_previous_keys_and_a_good_one_replaces_them() {
    let s = setup().await;
    let addr = s.endpoint.addr;
    let transfer_works = |key: TSigner| async move {
        let answers = tcp(addr, query(&zone(), RecordType::AXFR), Some(&key)).await;
        answers.len() == 1 && answers[0].metadata.response_code == ResponseCode::NoError
    };
    assert!(transfer_works(s.key.clone()).await);

    write_tsig_file(
        s.dir.path(),
        "[[tsig]]\nname = \"mobifone-rpz.\"\noperator = \"mobifone\"\nsecret = \"not base64!\"\n",
    );
    // Past two reload intervals: the broken file was seen, and the old key still works.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(transfer_works(s.key.clone()).await, "previous key kept");

    let fresh = new_secret();
    write_tsig_file(
        s.dir.path(),
        &tsig_entry("mobifone-2027.", "mobifone", &fresh),
    );
    let new_key = signer("mobifone-2027.", &fresh);
    let reloaded = eventually(Duration::from_secs(5), || transfer_works(new_key.clone())).await;
    assert!(reloaded, "the new key never worked");
    // The old key is gone: NOTAUTH with the TSIG error BADKEY.
    let answers = tcp(addr, query(&zone(), RecordType::AXFR), Some(&s.key)).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].metadata.response_code, ResponseCode::NotAuth);
    let error = answers[0].signature().and_then(|t| t.data.error);
    assert_eq!(
        error,
        Some(hickory_proto::rr::rdata::tsig::TsigError::BadKey)
    );
}

#[tokio::test]
async fn a_tsig_file_readable_by_others_stops_the_start_with_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let redis = common::TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_tsig_file(dir.path(), &tsig_entry("k.", "viettel", &new_secret()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_originguard"))
        .arg("serve")
        .env("RUST_LOG", "error")
        .env("REDIS_URL", redis.url())
        .env("ORIGINGUARD_LISTEN", "127.0.0.1:0")
        .env("ORIGINGUARD_NAMESERVERS", "127.0.0.1:1")
        .env("ORIGINGUARD_NO_WORKERS", "true")
        .env("ORIGINGUARD_DATA_DIR", dir.path().join("data"))
        .env("ORIGINGUARD_RPZ_LISTEN", "127.0.0.1:0")
        .env("ORIGINGUARD_TSIG_FILE", &path)
        .env_remove("ORIGINGUARD_KEYS_FILE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("originguard: TSIG file")
            && last.contains("readable by group or others (mode 0644)")
            && last.contains("chmod 600"),
        "{stderr}"
    );
}
