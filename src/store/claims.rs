//! Claim look-ups: everything one claim needs from Redis, in one pipelined round trip, and
//! the record of which sellers claimed each GTIN + serial (for clone detection).

use super::reference::from_json;
use super::StoreResult;
use super::{keys, Store};
use crate::verify::claim::{Lookups, ParsedClaim};

/// Looks up everything `claim` needs and records its GTIN + serial for this seller, in one
/// pipeline. Repeating a claim by the same seller adds nothing (a set).
pub async fn look_up(store: &Store, claim: &ParsedClaim) -> StoreResult<Lookups> {
    let mut pipe = redis::pipe();
    let gtin = claim.code.gtin.as_ref().map(|g| g.as_str().to_owned());
    let seller = claim.seller.as_ref().ok().map(|s| s.to_string());
    if let Some(gtin) = &gtin {
        pipe.get(keys::product(gtin));
        match claim.code.lot() {
            Some(lot) => pipe.sismember(keys::recalls(gtin), lot),
            None => pipe.cmd("EXISTS").arg(keys::recalls_absent()),
        };
    }
    if let Some(seller) = &seller {
        pipe.get(keys::taxpayer(seller));
    }
    let invoice_keys: Vec<Option<String>> = claim
        .invoices
        .iter()
        .map(|r| r.as_ref().ok().map(|r| keys::invoice(&r.lookup_key())))
        .collect();
    for key in invoice_keys.iter().flatten() {
        pipe.get(key);
    }
    let serial = claim.serial_key().zip(seller.as_ref());
    if let Some(((gtin, serial), seller)) = serial {
        let key = keys::serial_sellers(gtin, serial);
        pipe.sadd(&key, seller).ignore();
        pipe.scard(&key);
    }
    let shop = claim
        .shop_url
        .as_deref()
        .map(shop_names)
        .unwrap_or_default();
    // On a cluster the enforcement state is checked in memory (see `shop_view`) when the view
    // is current; otherwise, and on one Redis, in this round trip.
    let held = match store.is_cluster() && !shop.is_empty() {
        true => store.shops().is_blocked(store, &shop),
        false => None,
    };
    let shop = if held.is_some() { Vec::new() } else { shop };
    if !shop.is_empty() {
        pipe.cmd("HMGET").arg(keys::blocklist_active()).arg(&shop);
        for name in &shop {
            pipe.cmd("ZRANGEBYLEX")
                .arg(keys::registry_enforced())
                .arg(format!("[{name}\t"))
                .arg(format!("({name}\n"))
                .arg("LIMIT")
                .arg(0)
                .arg(1);
        }
    }
    let mut conn = store.conn();
    let values: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
    let mut values = values.into_iter();
    let mut next_text = || -> redis::RedisResult<Option<String>> {
        match values.next() {
            Some(value) => redis::from_redis_value(&value),
            None => Ok(None),
        }
    };
    let mut found = Lookups::default();
    if gtin.is_some() {
        found.product = from_json("claim look-up", next_text()?);
        found.lot_on_recall_list = next_text()?.is_some_and(|v| v == "1");
    }
    if seller.is_some() {
        found.seller_taxpayer = from_json("claim look-up", next_text()?);
    }
    for key in &invoice_keys {
        found.invoices.push(match key {
            Some(_) => from_json("claim look-up", next_text()?),
            None => None,
        });
    }
    if serial.is_some() {
        found.serial_sellers = next_text()?.and_then(|n| n.parse().ok()).unwrap_or(0);
    }
    if !shop.is_empty() {
        let entries: Vec<Option<String>> = match values.next() {
            Some(value) => redis::from_redis_value(&value)?,
            None => Vec::new(),
        };
        // The name itself, or an ancestor blocked with its subdomains.
        let on_blocklist = entries.iter().enumerate().any(|(i, entry)| {
            entry.as_deref().is_some_and(|json| {
                i == 0
                    || serde_json::from_str::<crate::takedown::blocklist::Entry>(json)
                        .is_ok_and(|e| e.subdomains)
            })
        });
        let mut under_takedown = false;
        for _ in &shop {
            let hits: Vec<String> = match values.next() {
                Some(value) => redis::from_redis_value(&value)?,
                None => Vec::new(),
            };
            under_takedown |= !hits.is_empty();
        }
        found.shop_blocked = on_blocklist || under_takedown;
    }
    if let Some(blocked) = held {
        found.shop_blocked = blocked;
    }
    Ok(found)
}

/// The canonical names a shop URL is blocked under: its host (domain or IP), then each parent
/// domain down to the registrable domain. Empty when the URL does not parse.
fn shop_names(url: &str) -> Vec<String> {
    use crate::network::names::Target;
    match Target::parse(url) {
        Ok(Target::Domain { name, .. }) => {
            let full = name.as_str().to_owned();
            let floor = name
                .registrable_domain()
                .map(|r| r.as_str().len())
                .unwrap_or(full.len());
            let mut names = vec![full.clone()];
            let mut rest = full.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if parent.len() < floor {
                    break;
                }
                names.push(parent.to_owned());
                rest = parent;
            }
            names
        }
        Ok(Target::Ip { ip, .. }) => vec![ip.to_string()],
        _ => Vec::new(),
    }
}
