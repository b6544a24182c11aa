//! Every Redis key name of the service, in one place.
//!
//! All keys start with `og:`. Keys that must change together in one atomic step share a hash
//! tag (`{…}`), so the same scripts run on Redis Cluster.
//!
//! Every change that is audited is written in the same Lua script as its audit entry, and
//! there is one audit chain, so everything audited lives under one tag, `{enforce}`: the audit
//! log, takedown requests and their indexes, the queue streams and the schedules. Reference
//! data and serial claims are not chained and spread over the cluster by their own keys.

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

/// Held (with an expiry) by the process loading the sample data, so that two processes
/// starting together do not both load it.
pub fn samples_loading() -> String {
    format!("{PREFIX}:meta:samples_loading")
}

/// The set of seller tax codes that claimed a GTIN + serial.
pub fn serial_sellers(gtin: &str, serial: &str) -> String {
    format!("{PREFIX}:serial:{gtin}:{serial}")
}

/// A key that never exists, queried to keep a pipeline's answer positions fixed.
pub fn recalls_absent() -> String {
    format!("{PREFIX}:none")
}

/// The tag of every key that changes together with the audit log.
const ENFORCE: &str = "og:{enforce}";

/// A counter written before each replication `WAIT`, so that the wait covers everything
/// written under this tag before it (see [`super::replication`]).
pub fn replication_probe() -> String {
    format!("{ENFORCE}:replication:probe")
}

/// The audit log stream.
pub fn audit_log() -> String {
    format!("{ENFORCE}:audit:log")
}

/// `seq` and `hash` of the newest audit entry.
pub fn audit_head() -> String {
    format!("{ENFORCE}:audit:head")
}

/// A takedown request (hash).
pub fn takedown(id: &str) -> String {
    format!("{ENFORCE}:td:{id}")
}

/// A takedown's state changes (list of JSON).
pub fn takedown_history(id: &str) -> String {
    format!("{ENFORCE}:td:{id}:history")
}

/// Every takedown id (sorted set, score 0, ids sort by time).
pub fn takedown_index() -> String {
    format!("{ENFORCE}:index:all")
}

/// The takedown ids of one agency (sorted set like [`takedown_index`]); the agency name is
/// hashed so that any text makes a clean key.
pub fn agency_index(agency_digest: &str) -> String {
    format!("{ENFORCE}:index:agency:{agency_digest}")
}

/// The registry's requests in one state (sorted set like [`takedown_index`]).
pub fn registry_index(state: &str) -> String {
    format!("{ENFORCE}:index:registry:{state}")
}

/// An `Idempotency-Key` of a caller (its digest): the body digest and the id it created.
pub fn idempotency(digest: &str) -> String {
    format!("{ENFORCE}:idem:{digest}")
}

/// The intake stream workers consume.
pub fn intake_stream() -> String {
    format!("{ENFORCE}:queue:intake")
}

/// Entries the workers gave up on.
pub fn dead_letters() -> String {
    format!("{ENFORCE}:queue:dead")
}

/// Suspensions by end time (sorted set, score = milliseconds since the epoch).
pub fn suspension_schedule() -> String {
    format!("{ENFORCE}:schedule:suspensions")
}

/// Webhook deliveries by next attempt time (sorted set, score = milliseconds).
pub fn webhook_due() -> String {
    format!("{ENFORCE}:webhook:due")
}

/// Webhook attempts so far, by takedown id (hash).
pub fn webhook_attempts() -> String {
    format!("{ENFORCE}:webhook:attempts")
}

/// The blocklist's current version (a counter).
pub fn blocklist_version() -> String {
    format!("{ENFORCE}:bl:version")
}

/// The blocklist's change log: a stream whose entry ids are the versions (`<version>-0`).
pub fn blocklist_log() -> String {
    format!("{ENFORCE}:bl:log")
}

/// Active entries by value (hash of entry JSON).
pub fn blocklist_active() -> String {
    format!("{ENFORCE}:bl:active")
}

/// The version that added each active value (hash).
pub fn blocklist_added() -> String {
    format!("{ENFORCE}:bl:added")
}

/// Active values in byte-wise order (sorted set, score 0, member `value\tflag`).
pub fn blocklist_sorted() -> String {
    format!("{ENFORCE}:bl:sorted")
}

/// The takedown ids holding each value on the list (hash of comma-separated ids).
pub fn blocklist_holders() -> String {
    format!("{ENFORCE}:bl:holders")
}

/// Active entries by type (hash of counts).
pub fn blocklist_types() -> String {
    format!("{ENFORCE}:bl:types")
}

/// Prefix of the copies of [`blocklist_sorted`] taken for full answers, by version.
pub fn blocklist_snapshot_prefix() -> String {
    format!("{ENFORCE}:bl:snapshot:")
}

/// The checksum of the newest version computed so far (hash: `version`, `sha256`).
pub fn blocklist_checksum() -> String {
    format!("{ENFORCE}:bl:checksum")
}

/// Each operator's last acknowledgement (hash of JSON `{version, at}`).
pub fn blocklist_acks() -> String {
    format!("{ENFORCE}:bl:acks")
}

/// Names under the registry's enforcement (review, suspension, revocation): a lexical sorted
/// set of `value\ttakedown_id`.
pub fn registry_enforced() -> String {
    format!("{ENFORCE}:index:enforced")
}

/// Bumped by every change to [`registry_enforced`] (hash, field `version`), so that a
/// process holding the enforced names knows when to read them again.
pub fn registry_enforced_version() -> String {
    format!("{ENFORCE}:index:enforced:meta")
}

/// A platform record (JSON), by id.
pub fn platform(id: &str) -> String {
    format!("{PREFIX}:ref:platform:{id}")
}

/// Every platform id (set).
pub fn platforms() -> String {
    format!("{PREFIX}:ref:platforms")
}

/// The platform each domain belongs to (hash: domain → platform id).
pub fn platform_domains() -> String {
    format!("{PREFIX}:ref:platform-domains")
}

/// Shared infrastructure records (hash: name → JSON).
pub fn shared_infrastructure() -> String {
    format!("{PREFIX}:ref:shared-infrastructure")
}

/// Every platform that ever received a notice (set), for the compliance figures.
pub fn platform_noticed() -> String {
    format!("{ENFORCE}:platform:noticed")
}

/// A platform's notices (sorted set like [`takedown_index`]).
pub fn platform_notices(platform: &str) -> String {
    format!("{ENFORCE}:platform:{platform}:notices")
}

/// A platform's open notices by due time (sorted set, score = milliseconds).
pub fn platform_open(platform: &str) -> String {
    format!("{ENFORCE}:platform:{platform}:open")
}

/// A platform's outcomes by time (sorted set, score = milliseconds, member
/// `id\tseconds to act\toutcome`).
pub fn platform_acted(platform: &str) -> String {
    format!("{ENFORCE}:platform:{platform}:acted")
}

/// Upheld notices against one account of a platform (sorted set, score = milliseconds,
/// member = takedown id); the account is hashed so that any text makes a clean key.
pub fn offender_upheld(platform: &str, account_digest: &str) -> String {
    format!("{ENFORCE}:offender:{platform}:{account_digest}:upheld")
}

/// Temporary locks of one account of a platform (sorted set like [`offender_upheld`]).
pub fn offender_locks(platform: &str, account_digest: &str) -> String {
    format!("{ENFORCE}:offender:{platform}:{account_digest}:locks")
}

/// One API key's shared rate-limit budget (its theoretical arrival time in microseconds), by
/// key id; each key is its own slot, as the limit script touches one key at a time.
pub fn rate_budget(key_id: &str) -> String {
    format!("{PREFIX}:limit:{key_id}")
}

/// A console session (a string holding its JSON record, expiring after inactivity), by its
/// opaque random id. Each session is its own hash tag, so every command on it touches one
/// slot.
pub fn console_session(session_id: &str) -> String {
    format!("{PREFIX}:{{console:{session_id}}}")
}
