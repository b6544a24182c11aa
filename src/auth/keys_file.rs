//! The keys file: parsing, constant-time look-up, reloading on change, development keys.
//!
//! The file is TOML, an array of `[[keys]]` tables with `name`, `role`, `sha256` and, where the
//! role needs them, `agency` or `operator`; optionally `rate_per_minute`, `burst` and
//! `not_after` (see [`super::key_terms`]). Several keys may share a name (rotation); each is
//! told apart by its key id, the first [`KEY_ID_HEX`] hex digits of its digest. It is re-read when its contents change; a file that
//! no longer parses keeps the previous keys in force (and says so in the log) rather than
//! locking everyone out.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::key_terms::{not_after_line, KeyTerms};
use super::limit::{KeyBudget, Limiter};
use super::{Caller, Role};

/// How often the keys file is checked for changes.
pub const KEYS_RELOAD_INTERVAL: Duration = Duration::from_secs(1);
/// Prefix of every generated secret, so that leaked keys are easy to scan for.
const SECRET_PREFIX: &str = "og_";
/// Random bytes in a generated secret.
const SECRET_BYTES: usize = 32;
/// Hex digits of a key's digest that make its key id.
pub const KEY_ID_HEX: usize = 12;

/// Errors reading the keys file.
#[derive(Debug, thiserror::Error)]
pub enum KeysFileError {
    /// The file could not be read or written.
    #[error("keys file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("keys file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the entry where known.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    keys: Vec<RawKey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    role: String,
    sha256: String,
    agency: Option<String>,
    operator: Option<String>,
    platform: Option<String>,
    rate_per_minute: Option<i64>,
    burst: Option<i64>,
    not_after: Option<toml::Value>,
}

/// One valid key of the keys file.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The caller this key authenticates.
    pub caller: Caller,
    /// Its rate limit and expiry.
    pub terms: KeyTerms,
    digest: [u8; 32],
    /// This key's budget in the process's limiter, found on first use and shared by every
    /// clone of the entry, so that a request finds it without a map look-up.
    budget: Arc<OnceLock<Arc<KeyBudget>>>,
}

impl KeyEntry {
    /// This key's budget in `limiter`, looked up there once per loaded entry. Every entry of a
    /// [`KeyStore`] is used with the one limiter of its process.
    pub fn budget(&self, limiter: &Limiter) -> Arc<KeyBudget> {
        Arc::clone(
            self.budget
                .get_or_init(|| limiter.budget(&self.digest, || self.key_id())),
        )
    }

    /// The SHA-256 digest of the key's secret.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The key's id: the first [`KEY_ID_HEX`] hex digits of its digest, as in the keys file.
    /// Tells apart keys that share a name; reveals nothing of the secret.
    pub fn key_id(&self) -> String {
        let mut id = hex::encode(&self.digest[..KEY_ID_HEX / 2]);
        id.truncate(KEY_ID_HEX);
        id
    }

    /// The key as metrics and logs name it: `name#key_id`.
    pub fn label(&self) -> String {
        format!("{}#{}", self.caller.name, self.key_id())
    }
}

/// Parses keys-file text into entries, checking every rule; `path` is only used in messages.
fn parse_keys(text: &str, path: &Path) -> Result<Vec<KeyEntry>, KeysFileError> {
    let invalid = |message: String| KeysFileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let file: KeysFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut entries = Vec::with_capacity(file.keys.len());
    for (index, raw) in file.keys.into_iter().enumerate() {
        let at = format!("key #{} ({})", index + 1, raw.name);
        let role: Role = raw
            .role
            .parse()
            .map_err(|e| invalid(format!("{at}: {e}")))?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(raw.sha256.trim(), &mut digest)
            .map_err(|_| invalid(format!("{at}: sha256 must be 64 hex digits")))?;
        if raw.name.trim().is_empty() {
            return Err(invalid(format!("{at}: name is empty")));
        }
        if role == Role::Operator && raw.operator.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(format!("{at}: operator keys need `operator`")));
        }
        if role == Role::Authority && raw.agency.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(format!("{at}: authority keys need `agency`")));
        }
        if let Some(platform) = &raw.platform {
            if role != Role::Platform {
                return Err(invalid(format!(
                    "{at}: only platform keys carry `platform`"
                )));
            }
            if !crate::reference::platform::is_platform_id(platform) {
                return Err(invalid(format!(
                    "{at}: platform must be 1 to 64 lower-case letters, digits, `-` or `_`"
                )));
            }
        }
        if entries.iter().any(|e: &KeyEntry| e.digest == digest) {
            return Err(invalid(format!("{at}: the same sha256 is listed twice")));
        }
        if entries
            .iter()
            .any(|e: &KeyEntry| e.digest[..KEY_ID_HEX / 2] == digest[..KEY_ID_HEX / 2])
        {
            return Err(invalid(format!(
                "{at}: another key's sha256 starts with the same {KEY_ID_HEX} hex digits; make a new key"
            )));
        }
        let terms = KeyTerms::parse(role, raw.rate_per_minute, raw.burst, raw.not_after.as_ref())
            .map_err(|e| invalid(format!("{at}: {e}")))?;
        entries.push(KeyEntry {
            terms,
            caller: Caller {
                name: raw.name,
                role,
                agency: raw.agency,
                operator: raw.operator,
                platform: raw.platform,
                key_id: None,
            },
            digest,
            budget: Arc::default(),
        });
    }
    Ok(entries)
}

/// SHA-256 of a secret, as stored in the keys file.
pub fn digest_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The keys in force, shared by every request; cheap to clone.
#[derive(Debug, Clone)]
pub struct KeyStore {
    inner: Arc<RwLock<Arc<Vec<KeyEntry>>>>,
    path: Arc<PathBuf>,
}

impl KeyStore {
    /// Loads the keys file at `path`.
    pub fn load(path: &Path) -> Result<KeyStore, KeysFileError> {
        let text = read(path)?;
        let entries = parse_keys(&text, path)?;
        Ok(KeyStore {
            inner: Arc::new(RwLock::new(Arc::new(entries))),
            path: Arc::new(path.to_owned()),
        })
    }

    /// The file the keys come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The caller a presented secret authenticates, if any and not expired.
    pub fn authenticate(&self, secret: &str) -> Option<Caller> {
        self.identify(secret)
            .filter(|entry| !entry.terms.expired_at(Utc::now()))
            .map(|entry| entry.caller)
    }

    /// The key a presented secret is, expired or not. Every digest is compared, in constant
    /// time, whatever matches.
    pub fn identify(&self, secret: &str) -> Option<KeyEntry> {
        let presented = digest_secret(secret);
        let entries = self.snapshot();
        let mut found = None;
        for entry in entries.iter() {
            if bool::from(entry.digest.ct_eq(&presented)) {
                found = Some(entry);
            }
        }
        found.cloned()
    }

    /// Every key in force now.
    pub fn snapshot(&self) -> Arc<Vec<KeyEntry>> {
        match self.inner.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the file; on success the new keys take effect at once.
    pub fn reload(&self) -> Result<usize, KeysFileError> {
        let text = read(&self.path)?;
        let entries = parse_keys(&text, &self.path)?;
        let count = entries.len();
        let mut guard = match self.inner.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(entries);
        Ok(count)
    }

    /// Watches the file and reloads it whenever its contents change, until the task is dropped.
    pub async fn watch(self) {
        let mut last = std::fs::read(self.path.as_path()).ok();
        let mut ticker = tokio::time::interval(KEYS_RELOAD_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let current = tokio::fs::read(self.path.as_path()).await.ok();
            if current == last {
                continue;
            }
            last = current;
            match self.reload() {
                Ok(count) => {
                    tracing::info!(path = %self.path.display(), keys = count, "keys file reloaded")
                }
                Err(error) => {
                    tracing::error!(%error, "keys file changed but is invalid; the previous keys stay in force")
                }
            }
        }
    }
}

fn read(path: &Path) -> Result<String, KeysFileError> {
    std::fs::read_to_string(path).map_err(|source| KeysFileError::Io {
        path: path.to_owned(),
        source,
    })
}

/// A fresh random secret.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

fn stanza(caller: &Caller, secret: &str, not_after: Option<DateTime<Utc>>) -> String {
    let mut out = String::from("[[keys]]\n");
    out.push_str(&format!("name = {}\n", toml_string(&caller.name)));
    out.push_str(&format!("role = \"{}\"\n", caller.role));
    if let Some(agency) = &caller.agency {
        out.push_str(&format!("agency = {}\n", toml_string(agency)));
    }
    if let Some(operator) = &caller.operator {
        out.push_str(&format!("operator = {}\n", toml_string(operator)));
    }
    if let Some(platform) = &caller.platform {
        out.push_str(&format!("platform = {}\n", toml_string(platform)));
    }
    out.push_str(&format!(
        "sha256 = \"{}\"\n",
        hex::encode(digest_secret(secret))
    ));
    if let Some(not_after) = not_after {
        out.push_str(&not_after_line(not_after));
    }
    out
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

/// A fresh key for `caller`: the secret (to hand over once) and the stanza for the keys file.
pub fn new_key_stanza(caller: &Caller) -> Result<(String, String), String> {
    new_key_stanza_until(caller, None)
}

/// A fresh key for `caller` that stops working at `not_after`, when given.
pub fn new_key_stanza_until(
    caller: &Caller,
    not_after: Option<DateTime<Utc>>,
) -> Result<(String, String), String> {
    if caller.role == Role::Operator && caller.operator.is_none() {
        return Err("operator keys need --operator".into());
    }
    if caller.role == Role::Authority && caller.agency.is_none() {
        return Err("authority keys need --agency".into());
    }
    let secret = generate_secret();
    let text = stanza(caller, &secret, not_after);
    // The stanza must load exactly as written.
    parse_keys(&text, Path::new("<new key>")).map_err(|e| e.to_string())?;
    Ok((secret, text))
}

/// The development keys written when no keys file is configured.
#[derive(Debug)]
pub struct DevKeys {
    /// The keys file path.
    pub path: PathBuf,
    /// `(role, secret)` pairs, present only when the file was written just now.
    pub fresh_secrets: Vec<(Role, String)>,
}

impl DevKeys {
    /// Uses `dir/dev-keys.toml`, writing it with one key per role when it does not exist.
    pub fn ensure(dir: &Path) -> Result<DevKeys, KeysFileError> {
        let path = dir.join("dev-keys.toml");
        if path.exists() {
            return Ok(DevKeys {
                path,
                fresh_secrets: Vec::new(),
            });
        }
        let io = |source| KeysFileError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut text = String::from(
            "# Development keys written by `originguard serve` because no keys file was configured.\n\
             # Not for production: set ORIGINGUARD_KEYS_FILE. Delete this file to get new keys.\n\n",
        );
        let mut fresh_secrets = Vec::new();
        for role in Role::ALL {
            let caller = Caller {
                name: format!("dev-{role}"),
                role,
                agency: (role == Role::Authority).then(|| "Cục QLTT Hà Nội (dev)".to_owned()),
                operator: (role == Role::Operator).then(|| "dev-operator".to_owned()),
                // The development platform key acts for the sample list's Shopee, so the
                // README's platform notice works end to end.
                platform: (role == Role::Platform).then(|| "shopee".to_owned()),
                key_id: None,
            };
            let secret = generate_secret();
            text.push_str(&stanza(&caller, &secret, None));
            text.push('\n');
            fresh_secrets.push((role, secret));
        }
        std::fs::write(&path, text).map_err(io)?;
        Ok(DevKeys {
            path,
            fresh_secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            name: "t".into(),
            role,
            agency: Some("A".into()),
            operator: Some("op".into()),
            platform: None,
            key_id: None,
        }
    }

    #[test]
    fn a_new_stanza_authenticates_its_secret_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, text) = new_key_stanza(&caller(Role::Operator)).unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, text).unwrap();
        let store = KeyStore::load(&path).unwrap();
        assert_eq!(store.authenticate(&secret).unwrap().role, Role::Operator);
        assert!(store.authenticate(&format!("{secret}x")).is_none());
        assert!(store.authenticate("").is_none());
    }

    #[test]
    fn invalid_files_are_refused_with_the_entry_named() {
        let path = Path::new("k.toml");
        let bad_role = "[[keys]]\nname='a'\nrole='boss'\nsha256='00'\n";
        let err = parse_keys(bad_role, path).unwrap_err().to_string();
        assert!(
            err.contains("key #1 (a)") && err.contains("unknown role"),
            "{err}"
        );
        let short = format!(
            "[[keys]]\nname='a'\nrole='admin'\nsha256='{}'\n",
            "ab".repeat(31)
        );
        assert!(parse_keys(&short, path)
            .unwrap_err()
            .to_string()
            .contains("64 hex"));
        let operator = format!(
            "[[keys]]\nname='a'\nrole='operator'\nsha256='{}'\n",
            "ab".repeat(32)
        );
        assert!(parse_keys(&operator, path)
            .unwrap_err()
            .to_string()
            .contains("operator"));
    }

    #[test]
    fn dev_keys_are_written_once_with_one_key_per_role() {
        let dir = tempfile::tempdir().unwrap();
        let first = DevKeys::ensure(dir.path()).unwrap();
        assert_eq!(first.fresh_secrets.len(), Role::ALL.len());
        let store = KeyStore::load(&first.path).unwrap();
        for (role, secret) in &first.fresh_secrets {
            assert_eq!(store.authenticate(secret).unwrap().role, *role);
        }
        let second = DevKeys::ensure(dir.path()).unwrap();
        assert!(second.fresh_secrets.is_empty());
    }
}
