//! Reference data in Redis: one JSON string per product, taxpayer and invoice, one set of
//! recalled lots per GTIN. Loads replace records one by one (upsert).

use super::error::op;
use super::StoreResult;
use std::sync::Arc;

use redis::AsyncCommands;

use super::{keys, Store};
use crate::reference::invoice::Invoice;
use crate::reference::product::{Product, Rendered};
use crate::reference::taxpayer::Taxpayer;
use crate::reference::Record;

/// Writes `records` in one pipeline (after one read of the platforms they replace, whose
/// dropped domains stop pointing at them).
pub async fn put_records(store: &Store, records: &[Record]) -> StoreResult<()> {
    let previous = super::platforms::previous_domains(store, records).await?;
    let mut pipe = redis::pipe();
    for record in records {
        match record {
            Record::Product(p) => pipe.set(keys::product(&p.gtin), to_json(p)?),
            Record::Recall(r) => pipe.sadd(keys::recalls(&r.gtin), &r.lot),
            Record::Taxpayer(t) => pipe.set(keys::taxpayer(&t.tax_code), to_json(t)?),
            Record::Invoice(i) => pipe.set(keys::invoice(&i.lookup_key()), to_json(i)?),
            Record::Platform(p) => {
                let dropped: Vec<&String> = previous
                    .get(&p.id)
                    .into_iter()
                    .flatten()
                    .filter(|d| !p.domains.contains(d))
                    .collect();
                if !dropped.is_empty() {
                    pipe.hdel(keys::platform_domains(), dropped).ignore();
                }
                let pairs: Vec<(&str, &str)> = p
                    .domains
                    .iter()
                    .map(|d| (d.as_str(), p.id.as_str()))
                    .collect();
                pipe.hset_multiple(keys::platform_domains(), &pairs)
                    .ignore();
                pipe.sadd(keys::platforms(), &p.id).ignore();
                pipe.set(keys::platform(&p.id), to_json(p)?)
            }
            Record::SharedInfrastructure(i) => {
                pipe.hset(keys::shared_infrastructure(), &i.name, to_json(i)?)
            }
        };
        pipe.ignore();
    }
    let mut conn = store.conn();
    let written = pipe.query_async::<()>(&mut conn).await;
    // Whatever this process held may be older than what it just wrote (or tried to).
    store.reads().forget_all();
    written.map_err(op("reference.write"))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    super::error::json("reference record", value)
}

/// Parses a stored record; one that no longer parses is logged and treated as absent.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    key: &str,
    text: Option<String>,
) -> Option<T> {
    let text = text?;
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::error!(key, %error, "stored reference record does not parse; treated as absent");
            None
        }
    }
}

/// The product with this 14-digit GTIN and whether `lot` (if given) is on the recall list.
/// Both answers come from the reference cache when Redis has not said they changed.
pub async fn product_with_recall(
    store: &Store,
    gtin: &str,
    lot: Option<&str>,
) -> StoreResult<(Option<Arc<Rendered>>, bool)> {
    let product_key = keys::product(gtin);
    let product = store.reads().get(&product_key, |text| {
        from_json::<Product>(&product_key, text).map(|p| Arc::new(Rendered::new(p)))
    });
    let (product, recalled) = match lot {
        Some(lot) => {
            let recalls_key = keys::recalls(gtin);
            let recalled = store.reads().is_member(&recalls_key, lot);
            tokio::try_join!(product, recalled)?
        }
        None => (product.await?, false),
    };
    Ok((Option::clone(&*product), recalled))
}

/// The taxpayer with this canonical tax code, from the reference cache when Redis has not said
/// it changed.
pub async fn taxpayer(store: &Store, tax_code: &str) -> StoreResult<Option<Taxpayer>> {
    let key = keys::taxpayer(tax_code);
    let taxpayer = store
        .reads()
        .get(&key, |text| from_json::<Taxpayer>(&key, text))
        .await?;
    Ok(Option::clone(&taxpayer))
}

/// The invoice with this lookup key.
pub async fn invoice(store: &Store, lookup_key: &str) -> StoreResult<Option<Invoice>> {
    let key = keys::invoice(lookup_key);
    let text: Option<String> = store.conn().get(&key).await?;
    Ok(from_json(&key, text))
}

/// Claims the one-time load of the sample data: false when it was loaded before, or another
/// process holds the claim (which expires after `claim_secs`, should that process die).
pub async fn claim_samples_load(store: &Store, claim_secs: u64) -> StoreResult<bool> {
    let mut conn = store.conn();
    let loaded: bool = redis::cmd("EXISTS")
        .arg(keys::samples_loaded())
        .query_async(&mut conn)
        .await?;
    if loaded {
        return Ok(false);
    }
    let claimed: Option<String> = redis::cmd("SET")
        .arg(keys::samples_loading())
        .arg(std::process::id())
        .arg("NX")
        .arg("EX")
        .arg(claim_secs)
        .query_async(&mut conn)
        .await?;
    Ok(claimed.is_some())
}

/// Marks the sample data loaded (set only once every record is in) and drops the claim.
pub async fn mark_samples_loaded(store: &Store) -> StoreResult<()> {
    let mut conn = store.conn();
    redis::pipe()
        .cmd("SET")
        .arg(keys::samples_loaded())
        .arg(chrono::Utc::now().to_rfc3339())
        .ignore()
        .cmd("DEL")
        .arg(keys::samples_loading())
        .ignore()
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}
