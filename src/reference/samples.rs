//! The sample reference data under `fixtures/reference/`, compiled in, loaded once into an
//! empty development Redis so a newcomer's first check finds real records.

use futures::stream;

use super::import::{import, ImportReport};
use super::ReferenceKind;
use crate::i18n::Lang;
use crate::ndjson::LineReader;
use crate::store::{keys, Store};

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
];

/// Loads the samples unless they were loaded before into this Redis. Returns whether it did.
pub async fn load_once(store: &Store) -> anyhow::Result<bool> {
    let mut conn = store.conn();
    let first: bool = redis::cmd("SET")
        .arg(keys::samples_loaded())
        .arg(chrono::Utc::now().to_rfc3339())
        .arg("NX")
        .query_async::<Option<String>>(&mut conn)
        .await?
        .is_some();
    if !first {
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
    tracing::info!("sample reference data loaded from fixtures/reference");
    Ok(true)
}
