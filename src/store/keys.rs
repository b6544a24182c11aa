//! Every Redis key name of the service, in one place.
//!
//! All keys start with `og:`. Keys that must change together in one atomic step share a hash
//! tag (`{…}`), so the same scripts run on Redis Cluster.

/// Prefix of every key.
pub const PREFIX: &str = "og";

/// A product record (JSON), by 14-digit GTIN.
pub fn product(gtin: &str) -> String {
    format!("{PREFIX}:ref:product:{gtin}")
}

/// The set of recalled lots of a GTIN.
pub fn recalls(gtin: &str) -> String {
    format!("{PREFIX}:ref:recalls:{gtin}")
}

/// A taxpayer record (JSON), by canonical tax code.
pub fn taxpayer(tax_code: &str) -> String {
    format!("{PREFIX}:ref:taxpayer:{tax_code}")
}

/// An invoice record (JSON), by `seller|template|symbol|number`.
pub fn invoice(lookup_key: &str) -> String {
    format!("{PREFIX}:ref:invoice:{lookup_key}")
}

/// Set once the sample reference data was loaded into this Redis.
pub fn samples_loaded() -> String {
    format!("{PREFIX}:meta:samples_loaded")
}

/// The set of seller tax codes that claimed a GTIN + serial.
pub fn serial_sellers(gtin: &str, serial: &str) -> String {
    format!("{PREFIX}:serial:{gtin}:{serial}")
}

/// A key that never exists, queried to keep a pipeline's answer positions fixed.
pub fn recalls_absent() -> String {
    format!("{PREFIX}:none")
}
