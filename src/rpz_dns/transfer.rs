//! Zone transfers over TCP: AXFR streamed page by page from a copy of the list taken at one
//! version (memory does not grow with the zone), IXFR (RFC 1995) as one condensed difference
//! sequence from the change log, an AXFR-style answer when the log no longer reaches the
//! secondary's serial, and the current SOA alone when the secondary is current or ahead.
//!
//! A transfer that was written out completely acknowledges its version for the operator,
//! through the same store call and audit entry as `POST /v1/blocklist/acks`.

use hickory_proto::op::{Message, OpCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::answer::{ns_record, origin_name, soa_record, unix_now, Transfer, TransferKind};
use super::{Context, TRANSFERS_TOTAL};
use crate::store::blocklist as store;
use crate::takedown::blocklist::rpz_owners;
use crate::takedown::rpz::{self, IxfrPlan};

/// Estimated bytes of records in one message before it is sent (names uncompressed, so the
/// real size is smaller; a DNS message over TCP holds at most 65,535 bytes).
const MESSAGE_BUDGET: usize = 32_000;

/// Packs records into messages and writes them, length-prefixed, signing each when asked.
struct Packer<'w, W> {
    writer: &'w mut W,
    transfer: Transfer,
    records: Vec<Record>,
    size: usize,
    messages: u64,
}

impl<W: AsyncWrite + Unpin> Packer<'_, W> {
    async fn push(&mut self, record: Record) -> anyhow::Result<()> {
        // Owner (wire length is the text length plus one), type, class, TTL, length, data.
        let data = match &record.data {
            RData::CNAME(_) => 1,
            _ => 64,
        };
        self.size += record.name.len() + 1 + 10 + data;
        self.records.push(record);
        if self.size >= MESSAGE_BUDGET {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        let mut message = Message::response(self.transfer.id, OpCode::Query);
        message.metadata.authoritative = true;
        message.add_query(self.transfer.query.clone());
        message.insert_answers(std::mem::take(&mut self.records));
        self.size = 0;
        let bytes = match self.transfer.signer.as_mut() {
            Some(signer) => signer.sign(message, unix_now())?,
            None => message.to_vec()?,
        };
        let length = u16::try_from(bytes.len())
            .map_err(|_| anyhow::anyhow!("a transfer message exceeds 65,535 bytes"))?;
        self.writer.write_u16(length).await?;
        self.writer.write_all(&bytes).await?;
        self.messages += 1;
        Ok(())
    }
}

/// A `CNAME .` record at `owner` (relative to `origin`).
fn policy_record(owner: &str, origin: &str) -> Option<Record> {
    let name = Name::from_ascii(format!("{owner}.{origin}")).ok()?;
    Some(Record::from_rdata(
        name,
        rpz::TTL,
        RData::CNAME(CNAME(Name::root())),
    ))
}

/// Sends `transfer` on `writer`; returns when the last message is written and flushed.
pub async fn send<W: AsyncWrite + Unpin>(
    context: &Context,
    transfer: Transfer,
    writer: &mut W,
) -> anyhow::Result<()> {
    let kind = transfer.kind;
    let operator = transfer.operator.clone();
    let actor = transfer.actor.clone();
    let mut packer = Packer {
        writer,
        transfer,
        records: Vec::new(),
        size: 0,
        messages: 0,
    };
    let done = match kind {
        TransferKind::Axfr => Some(("axfr", full(context, &mut packer).await?)),
        TransferKind::Ixfr { client_serial } => {
            let current = store::version(&context.store).await?;
            match rpz::ixfr_plan(client_serial, current) {
                IxfrPlan::UpToDate => {
                    let origin = origin_name(&context.zone);
                    packer.push(soa_record(&origin, current)).await?;
                    packer.flush().await?;
                    None
                }
                IxfrPlan::Since(since) => {
                    match store::changes(&context.store, since, current).await? {
                        Some(changes) => {
                            incremental(context, &mut packer, since, current, &changes).await?;
                            Some(("ixfr", current))
                        }
                        None => Some(("axfr", full(context, &mut packer).await?)),
                    }
                }
                IxfrPlan::Full => Some(("axfr", full(context, &mut packer).await?)),
            }
        }
    };
    packer.writer.flush().await?;
    let messages = packer.messages;
    if let Some((kind, version)) = done {
        metrics::counter!(TRANSFERS_TOTAL, "operator" => operator.clone(), "kind" => kind)
            .increment(1);
        tracing::info!(%operator, kind, version, messages, "RPZ transfer completed");
        acknowledge(context, &actor, &operator, version).await?;
    }
    Ok(())
}

/// The whole zone: SOA, NS, canary, every entry's records, SOA. Returns the version sent.
async fn full<W: AsyncWrite + Unpin>(
    context: &Context,
    packer: &mut Packer<'_, W>,
) -> anyhow::Result<u64> {
    let origin = origin_name(&context.zone);
    let origin_text = context.zone.origin();
    let (version, snapshot) = store::snapshot(&context.store).await?;
    packer.push(soa_record(&origin, version)).await?;
    packer.push(ns_record(&origin)).await?;
    if let Some(canary) = policy_record(context.zone.canary_owner(), origin_text) {
        packer.push(canary).await?;
    }
    let mut after: Option<String> = None;
    loop {
        let members = store::page(&context.store, &snapshot, after.as_deref()).await?;
        for member in &members {
            let (value, subdomains) = store::parse_member(member);
            for owner in rpz_owners(value, store::kind_of(value), subdomains) {
                match policy_record(&owner, origin_text) {
                    Some(record) => packer.push(record).await?,
                    None => {
                        tracing::warn!(%owner, "a blocklist entry is not a DNS name; left out of the transfer")
                    }
                }
            }
        }
        if members.len() < store::PAGE {
            break;
        }
        after = members.last().cloned();
    }
    packer.push(soa_record(&origin, version)).await?;
    packer.flush().await?;
    Ok(version)
}

/// One condensed difference sequence (RFC 1995, section 4): new SOA, old SOA, deletions,
/// new SOA, additions, new SOA.
async fn incremental<W: AsyncWrite + Unpin>(
    context: &Context,
    packer: &mut Packer<'_, W>,
    since: u64,
    current: u64,
    changes: &[crate::takedown::blocklist::Change],
) -> anyhow::Result<()> {
    let origin = origin_name(&context.zone);
    let origin_text = context.zone.origin();
    let difference = rpz::difference(changes);
    packer.push(soa_record(&origin, current)).await?;
    packer.push(soa_record(&origin, since)).await?;
    for owner in &difference.deleted {
        if let Some(record) = policy_record(owner, origin_text) {
            packer.push(record).await?;
        }
    }
    packer.push(soa_record(&origin, current)).await?;
    for owner in &difference.added {
        if let Some(record) = policy_record(owner, origin_text) {
            packer.push(record).await?;
        }
    }
    packer.push(soa_record(&origin, current)).await?;
    packer.flush().await
}

/// Records `version` as `operator`'s acknowledgement (audited under `actor`), unless it is
/// already the one on record, so that repeated transfers of one version audit once.
async fn acknowledge(
    context: &Context,
    actor: &str,
    operator: &str,
    version: u64,
) -> anyhow::Result<()> {
    let acks = store::acks(&context.store).await?;
    if acks
        .iter()
        .any(|(op, ack)| op == operator && ack.version == version)
    {
        return Ok(());
    }
    store::ack(&context.store, actor.into(), operator, version).await?;
    Ok(())
}
