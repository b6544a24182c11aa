//! Every Redis key name of the service, in one place.
//!
//! All keys start with `og:`. Keys that must change together in one atomic step share a hash
//! tag (`{…}`), so the same scripts run on Redis Cluster.

/// Prefix of every key.
pub const PREFIX: &str = "og";
