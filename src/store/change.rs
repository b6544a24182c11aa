//! One atomic change to Redis together with the audit entries that record it.
//!
//! A [`Change`] collects preconditions (a key is absent, a hash field holds one of some
//! values), the writes to make, and the audit entries to chain; [`Change::apply`] runs them in
//! one Lua script, so a state change and its audit entry are never seen apart, and a change
//! whose precondition no longer holds writes nothing. The script computes the chain hash
//! itself (SHA-256 in Lua, see `lua/sha256.lua`), so concurrent writers never retry.
//!
//! Every key of a change must share the audit log's hash tag (see [`super::keys`]), which is
//! what lets the script run on Redis Cluster.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::{keys, Store};

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(concat!(
        include_str!("lua/sha256.lua"),
        "\n",
        include_str!("lua/change.lua")
    ))
});

/// An audit entry before it has a place in the chain; its JSON is the stored entry minus
/// `seq`, which the script puts first.
#[derive(Debug, Serialize)]
struct AuditBody<'a> {
    at: DateTime<Utc>,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    agency: Option<&'a str>,
    details: &'a Value,
}

/// What [`Change::apply`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Every precondition held and the change was made; the sequence number of the last
    /// audit entry written (or of the head, when none was).
    Done {
        /// The audit head after the change.
        audit_seq: u64,
    },
    /// Precondition `index` (in the order they were added) did not hold; nothing was
    /// written. `current` is the value found (`None` for a missing key, `""` for a missing
    /// hash field).
    Refused {
        /// Which precondition.
        index: usize,
        /// What was there instead.
        current: Option<String>,
    },
}

/// A change being assembled.
#[derive(Debug, Clone)]
pub struct Change {
    keys: Vec<String>,
    checks: Vec<Value>,
    ops: Vec<Value>,
    audits: Vec<String>,
}

impl Default for Change {
    fn default() -> Self {
        Change::new()
    }
}

impl Change {
    /// An empty change.
    pub fn new() -> Change {
        Change {
            keys: vec![keys::audit_log(), keys::audit_head()],
            checks: Vec::new(),
            ops: Vec::new(),
            audits: Vec::new(),
        }
    }

    /// The 1-based `KEYS` index of `key`, adding it once.
    fn key(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(i) => i + 1,
            None => {
                self.keys.push(key.to_owned());
                self.keys.len()
            }
        }
    }

    /// Requires the string key `key` not to exist. Returns the precondition's index.
    pub fn require_absent(&mut self, key: &str) -> usize {
        let k = self.key(key);
        self.checks.push(json!(["absent", k]));
        self.checks.len()
    }

    /// Requires hash field `field` of `key` to be one of `values` (`""` matches a missing
    /// field). Returns the precondition's index.
    pub fn require_field_in(&mut self, key: &str, field: &str, values: &[&str]) -> usize {
        let k = self.key(key);
        let mut check = vec![json!("field_in"), json!(k), json!(field)];
        check.extend(values.iter().map(|v| json!(v)));
        self.checks.push(Value::Array(check));
        self.checks.len()
    }

    /// Adds a write: `command key args…` (HSET, HDEL, RPUSH, ZADD, ZREM, XADD, SET, DEL,
    /// SADD, SREM, HINCRBY, XACK, XDEL).
    pub fn op<I, A>(&mut self, command: &'static str, key: &str, args: I) -> &mut Change
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let k = self.key(key);
        let mut op = vec![json!(command), json!(k)];
        op.extend(args.into_iter().map(|a| Value::String(a.into())));
        self.ops.push(Value::Array(op));
        self
    }

    /// Increments the counter `key` and names the new value: an argument of a later
    /// [`Change::op`] equal to the returned placeholder is replaced by it.
    pub fn counter(&mut self, key: &str, name: &str) -> String {
        let placeholder = format!("\u{0}{name}");
        let k = self.key(key);
        self.ops.push(json!(["COUNTER", k, placeholder.clone()]));
        placeholder
    }

    /// Adds an audit entry.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        agency: Option<&str>,
        details: &Value,
    ) -> &mut Change {
        let body = AuditBody {
            at: Utc::now(),
            actor,
            action,
            subject,
            agency,
            details,
        };
        // Serialising a struct of strings and a JSON value cannot fail.
        self.audits
            .push(serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned()));
        self
    }

    /// Runs the change atomically.
    pub async fn apply(&self, store: &Store) -> redis::RedisResult<Applied> {
        let spec = json!({"checks": self.checks, "ops": self.ops, "audits": self.audits});
        let mut invocation = SCRIPT.prepare_invoke();
        for key in &self.keys {
            invocation.key(key);
        }
        invocation.arg(spec.to_string());
        let mut conn = store.conn();
        let (index, current): (usize, Option<redis::Value>) =
            invocation.invoke_async(&mut conn).await?;
        if index == 0 {
            let audit_seq = match current {
                Some(value) => redis::from_redis_value(&value)?,
                None => 0,
            };
            return Ok(Applied::Done { audit_seq });
        }
        let current = match current {
            Some(value) => Some(redis::from_redis_value::<String>(&value)?),
            None => None,
        };
        Ok(Applied::Refused { index, current })
    }
}
