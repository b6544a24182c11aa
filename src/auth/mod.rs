//! Who is calling: API keys, roles and the caller a handler sees.
//!
//! Keys are bearer secrets; only their SHA-256 digests are ever stored (in the keys file). A
//! presented secret is hashed and compared with every known digest in constant time. This
//! module never logs or stores a secret.

pub mod key_terms;
mod keys_file;
pub mod limit;

pub use key_terms::KeyTerms;
pub use keys_file::{
    new_key_stanza, new_key_stanza_until, DevKeys, KeyEntry, KeyStore, KeysFileError,
};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The roles of API.md. `Admin` may do everything any other role may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An e-commerce platform verifying seller claims.
    Platform,
    /// An enforcement agency (market surveillance, police, inspectors).
    Authority,
    /// The registry (VNNIC).
    Registry,
    /// A telecom or Internet operator polling the blocklist.
    Operator,
    /// Loads reference data.
    Steward,
    /// Everything.
    Admin,
}

impl Role {
    /// Every role, in the order of API.md.
    pub const ALL: [Role; 6] = [
        Role::Platform,
        Role::Authority,
        Role::Registry,
        Role::Operator,
        Role::Steward,
        Role::Admin,
    ];

    /// The role's name as written in the keys file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::Authority => "authority",
            Role::Registry => "registry",
            Role::Operator => "operator",
            Role::Steward => "steward",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (expected platform, authority, registry, operator, steward or admin)")
            })
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's name, shown in audit entries.
    pub name: String,
    /// The key's role.
    pub role: Role,
    /// For authority keys: the agency whose requests this caller sees.
    pub agency: Option<String>,
    /// For operator keys: the operator this caller acknowledges for.
    pub operator: Option<String>,
    /// For platform keys: the platform (reference-data id, `shopee`) whose notices this
    /// caller receives and answers. A platform key without one may still verify and resolve.
    pub platform: Option<String>,
    /// The id of the key used (see [`KeyEntry::key_id`]), which tells apart keys that share
    /// a name; `None` for callers not made from a key.
    pub key_id: Option<String>,
}

/// Who caused an audited change: a key's name and, for changes made with a key, its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The key name (or `worker`, `scheduler`, `cli`, `samples`).
    pub name: &'a str,
    /// The key id, when a key made the change.
    pub key: Option<&'a str>,
}

impl<'a> From<&'a str> for Actor<'a> {
    fn from(name: &'a str) -> Actor<'a> {
        Actor { name, key: None }
    }
}

impl<'a> From<&'a String> for Actor<'a> {
    fn from(name: &'a String) -> Actor<'a> {
        Actor { name, key: None }
    }
}

impl Caller {
    /// The caller as audit entries name it: the key's name and id.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            name: &self.name,
            key: self.key_id.as_deref(),
        }
    }

    /// Whether the caller holds one of `roles` (admin always does).
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.role == Role::Admin || roles.contains(&self.role)
    }
}
