//! The sample reference data under `fixtures/reference/`, compiled in, loaded once into an
//! empty development Redis so a newcomer's first check finds real records.

use futures::stream;

use super::import::{import, ImportReport};
use crate::i18n::Lang;
use crate::ndjson::LineReader;
use crate::reference::ReferenceKind;
use crate::store::{reference as store, Store};

/// The sample files, by kind, in load order.
pub const SAMPLES: &[(ReferenceKind, &str)] = &[
    (
        ReferenceKind::Taxpayers,
        include_str!("../../fixtures/reference/taxpayers.ndjson"),
    ),
    (
        ReferenceKind::Products,
        include_str!("../../fixtures/reference/products.ndjson"),
    ),
    (
        ReferenceKind::Recalls,
        include_str!("../../fixtures/reference/recalls.ndjson"),
    ),
    (
        ReferenceKind::Invoices,
        include_str!("../../fixtures/reference/invoices.ndjson"),
    ),
    (
        ReferenceKind::Platforms,
        include_str!("../../fixtures/reference/platforms.ndjson"),
    ),
    (
        ReferenceKind::SharedInfrastructure,
        include_str!("../../fixtures/reference/shared-infrastructure.ndjson"),
    ),
];

/// How long a process may take to load the samples before another may try.
const LOAD_CLAIM_SECS: u64 = 120;

/// Loads the samples unless they were loaded before into this Redis. Returns whether it did.
///
/// The flag that says so is set only once every record is in: a process that dies half-way
/// leaves its claim to expire, and the next start loads them again (loading is an upsert).
pub async fn load_once(store: &Store) -> anyhow::Result<bool> {
    if !store::claim_samples_load(store, LOAD_CLAIM_SECS).await? {
        return Ok(false);
    }
    for (kind, text) in SAMPLES {
        let chunks = stream::iter([Ok::<_, std::convert::Infallible>(
            bytes::Bytes::from_static(text.as_bytes()),
        )]);
        let report: ImportReport =
            import(store, *kind, &mut LineReader::new(chunks), Lang::En, |_| {}).await?;
        super::import::audit_load(store, "samples", *kind, &report).await?;
        if report.rejected_count > 0 {
            anyhow::bail!("sample {} rejected: {:?}", kind.as_str(), report.rejected);
        }
    }
    store::mark_samples_loaded(store).await?;
    tracing::info!("sample reference data loaded from fixtures/reference");
    Ok(true)
}
