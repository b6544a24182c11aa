//! The TSIG file: which operator each transfer key and each unsigned source address stands for.
//!
//! TOML, mode 0600:
//!
//! ```toml
//! [[tsig]]
//! name = "viettel-rpz."      # the key name resolvers use
//! operator = "viettel"
//! secret = "<base64>"        # hmac-sha256
//! [[unsigned]]               # only for resolvers that cannot sign transfers
//! operator = "vnpt"
//! address = "192.0.2.53/32"
//! ```
//!
//! A file readable by group or others is refused at start. The file is re-read when it
//! changes, like the keys file; a file that no longer loads (bad TOML, a secret that is not
//! base64, a mode that exposes it) keeps the previous keys in force and says why in the log.
//! Secrets never appear in logs or errors.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::{Name, TSigner};
use serde::Deserialize;

use crate::network::cidr::Cidr;

/// How often the file is checked for changes.
pub const TSIG_RELOAD_INTERVAL: Duration = Duration::from_secs(1);
/// Seconds of clock difference a signature may have (RFC 8945 recommends 300).
pub const TSIG_FUDGE: u16 = 300;

/// Errors loading the TSIG file.
#[derive(Debug, thiserror::Error)]
pub enum TsigFileError {
    /// The file could not be read.
    #[error("TSIG file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Group or others may read the file.
    #[error("TSIG file {path} is readable by group or others (mode {mode:04o}); it holds transfer secrets: chmod 600 {path}")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not valid TOML of the expected shape, or an entry is wrong.
    #[error("TSIG file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the entry where known (never the secret).
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    tsig: Vec<RawKey>,
    #[serde(default)]
    unsigned: Vec<RawUnsigned>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    operator: String,
    secret: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnsigned {
    operator: String,
    address: String,
}

/// One operator's transfer key.
#[derive(Clone)]
pub struct TsigKey {
    /// The operator it acknowledges for.
    pub operator: String,
    /// Signs and verifies with the key (hmac-sha256).
    pub signer: TSigner,
}

impl std::fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.signer.signer_name().to_ascii())
            .field("operator", &self.operator)
            .finish_non_exhaustive()
    }
}

/// Addresses allowed to transfer without a signature, for one operator.
#[derive(Debug, Clone)]
pub struct UnsignedSource {
    /// The operator.
    pub operator: String,
    /// The source addresses.
    pub block: Cidr,
}

/// The keys and unsigned sources in force.
#[derive(Debug, Clone, Default)]
pub struct TsigSet {
    keys: Vec<TsigKey>,
    unsigned: Vec<UnsignedSource>,
}

impl TsigSet {
    /// The key named `name` (names compare without regard to case).
    pub fn key(&self, name: &Name) -> Option<&TsigKey> {
        self.keys.iter().find(|k| k.signer.signer_name() == name)
    }

    /// The operator whose `[[unsigned]]` range holds `ip`, if any.
    pub fn unsigned_operator(&self, ip: IpAddr) -> Option<&str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.unsigned
            .iter()
            .find(|u| u.block.overlaps(&Cidr::single(ip)))
            .map(|u| u.operator.as_str())
    }

    /// How many keys and unsigned ranges.
    pub fn counts(&self) -> (usize, usize) {
        (self.keys.len(), self.unsigned.len())
    }
}

/// Parses TSIG-file text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<TsigSet, TsigFileError> {
    let invalid = |message: String| TsigFileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut set = TsigSet::default();
    for (index, key) in raw.tsig.into_iter().enumerate() {
        let at = format!("[[tsig]] #{} ({})", index + 1, key.name);
        if !crate::reference::platform::is_platform_id(&key.operator) {
            return Err(invalid(format!(
                "{at}: operator must be 1 to 64 of a-z, 0-9, `-`, `_`"
            )));
        }
        let mut name = Name::from_ascii(key.name.trim())
            .map_err(|_| invalid(format!("{at}: name is not a domain name")))?;
        if name.is_root() {
            return Err(invalid(format!("{at}: name is empty")));
        }
        name.set_fqdn(true);
        let secret = base64::engine::general_purpose::STANDARD
            .decode(key.secret.trim())
            .map_err(|_| {
                invalid(format!(
                    "{at}: secret is not base64 (make one with `tsig-keygen -a hmac-sha256 {}`)",
                    name.to_ascii().trim_end_matches('.')
                ))
            })?;
        if secret.is_empty() {
            return Err(invalid(format!("{at}: secret is empty")));
        }
        if set.key(&name).is_some() {
            return Err(invalid(format!("{at}: the same key name is listed twice")));
        }
        let signer = TSigner::new(secret, TsigAlgorithm::HmacSha256, name, TSIG_FUDGE)
            .map_err(|e| invalid(format!("{at}: {e}")))?;
        set.keys.push(TsigKey {
            operator: key.operator,
            signer,
        });
    }
    for (index, unsigned) in raw.unsigned.into_iter().enumerate() {
        let at = format!("[[unsigned]] #{} ({})", index + 1, unsigned.address);
        if !crate::reference::platform::is_platform_id(&unsigned.operator) {
            return Err(invalid(format!(
                "{at}: operator must be 1 to 64 of a-z, 0-9, `-`, `_`"
            )));
        }
        let address = unsigned.address.trim();
        let block = match address.parse::<IpAddr>() {
            Ok(ip) => Cidr::single(ip),
            Err(_) => Cidr::parse(address).map_err(|_| {
                invalid(format!(
                    "{at}: address must be an IP address or a block (`192.0.2.53/32`) without host bits"
                ))
            })?,
        };
        set.unsigned.push(UnsignedSource {
            operator: unsigned.operator,
            block,
        });
    }
    Ok(set)
}

/// Reads and parses the file, refusing it when group or others may read it.
fn load_set(path: &Path) -> Result<TsigSet, TsigFileError> {
    let io = |source| TsigFileError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(TsigFileError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse(&text, path)
}

/// The TSIG keys in force, shared by the DNS tasks; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct TsigKeys {
    inner: Arc<RwLock<Arc<TsigSet>>>,
    path: Option<Arc<PathBuf>>,
}

impl TsigKeys {
    /// No file: every transfer is refused.
    pub fn none() -> TsigKeys {
        TsigKeys::default()
    }

    /// Loads the file at `path`.
    pub fn load(path: &Path) -> Result<TsigKeys, TsigFileError> {
        let set = load_set(path)?;
        Ok(TsigKeys {
            inner: Arc::new(RwLock::new(Arc::new(set))),
            path: Some(Arc::new(path.to_owned())),
        })
    }

    /// The keys in force now.
    pub fn snapshot(&self) -> Arc<TsigSet> {
        match self.inner.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the file; on success the new keys take effect at once, otherwise the previous
    /// ones stay.
    pub fn reload(&self) -> Result<(usize, usize), TsigFileError> {
        let Some(path) = &self.path else {
            return Ok((0, 0));
        };
        let set = load_set(path)?;
        let counts = set.counts();
        let mut guard = match self.inner.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(set);
        Ok(counts)
    }

    /// Watches the file (contents and mode) and reloads it on every change, until the task
    /// is dropped.
    pub async fn watch(self) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let look = |path: &Path| {
            let mode = std::fs::metadata(path).ok().map(|m| m.permissions().mode());
            (std::fs::read(path).ok(), mode)
        };
        let mut last = look(&path);
        let mut ticker = tokio::time::interval(TSIG_RELOAD_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let current = look(&path);
            if current == last {
                continue;
            }
            last = current;
            match self.reload() {
                Ok((keys, unsigned)) => {
                    tracing::info!(path = %path.display(), keys, unsigned, "TSIG file reloaded")
                }
                Err(error) => {
                    tracing::error!(%error, "TSIG file changed but cannot be loaded; the previous keys stay in force")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==";

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("tsig.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn keys_and_unsigned_ranges_name_their_operator() {
        let text = format!(
            "[[tsig]]\nname = \"Viettel-RPZ\"\noperator = \"viettel\"\nsecret = \"{SECRET}\"\n\
             [[unsigned]]\noperator = \"vnpt\"\naddress = \"192.0.2.0/28\"\n\
             [[unsigned]]\noperator = \"fpt\"\naddress = \"2001:db8::53\"\n"
        );
        let set = parse(&text, Path::new("t.toml")).unwrap();
        let name = Name::from_ascii("viettel-rpz.").unwrap();
        assert_eq!(set.key(&name).unwrap().operator, "viettel");
        assert!(set.key(&Name::from_ascii("other.").unwrap()).is_none());
        assert_eq!(
            set.unsigned_operator("192.0.2.14".parse().unwrap()),
            Some("vnpt")
        );
        assert_eq!(
            set.unsigned_operator("::ffff:192.0.2.1".parse().unwrap()),
            Some("vnpt")
        );
        assert_eq!(set.unsigned_operator("192.0.2.16".parse().unwrap()), None);
        assert_eq!(
            set.unsigned_operator("2001:db8::53".parse().unwrap()),
            Some("fpt")
        );
    }

    #[test]
    fn a_bad_secret_is_refused_without_showing_it() {
        let text = "[[tsig]]\nname = \"k.\"\noperator = \"viettel\"\nsecret = \"not*base64!\"\n";
        let error = parse(text, Path::new("t.toml")).unwrap_err().to_string();
        assert!(error.contains("[[tsig]] #1 (k.)"), "{error}");
        assert!(error.contains("secret is not base64"), "{error}");
        assert!(!error.contains("not*base64!"), "{error}");
        let bad_block = "[[unsigned]]\noperator = \"vnpt\"\naddress = \"192.0.2.1/24\"\n";
        assert!(parse(bad_block, Path::new("t.toml"))
            .unwrap_err()
            .to_string()
            .contains("host bits"));
        let unknown = "[[tsig]]\nname = \"k.\"\noperator = \"v\"\nsecret = \"\"\nalgo = 1\n";
        assert!(parse(unknown, Path::new("t.toml")).is_err());
    }

    #[test]
    fn an_exposed_file_is_refused_and_a_broken_one_keeps_the_previous_keys() {
        let dir = tempfile::tempdir().unwrap();
        let good =
            format!("[[tsig]]\nname = \"k.\"\noperator = \"viettel\"\nsecret = \"{SECRET}\"\n");
        let path = write(dir.path(), &good, 0o640);
        let error = TsigKeys::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("readable by group or others (mode 0640)"),
            "{error}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let keys = TsigKeys::load(&path).unwrap();
        let name = Name::from_ascii("k.").unwrap();
        assert!(keys.snapshot().key(&name).is_some());

        write(
            dir.path(),
            "[[tsig]]\nname = \"k.\"\noperator = \"viettel\"\nsecret = \"%%%\"\n",
            0o600,
        );
        assert!(keys.reload().is_err());
        assert!(keys.snapshot().key(&name).is_some(), "previous keys kept");

        write(dir.path(), &good.replace("\"k.\"", "\"k2.\""), 0o600);
        assert_eq!(keys.reload().unwrap(), (1, 0));
        assert!(keys.snapshot().key(&name).is_none());
        assert!(keys
            .snapshot()
            .key(&Name::from_ascii("k2.").unwrap())
            .is_some());
    }
}
