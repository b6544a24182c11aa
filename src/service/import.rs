//! Streaming loads of reference data: NDJSON lines in, validated records to Redis in
//! pipelined batches, a report out. Memory stays bounded whatever the input size: one line,
//! one batch and at most [`MAX_REJECTED_DETAILS`] rejection details are held at a time.

use bytes::Bytes;
use futures::Stream;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;
use crate::ndjson::LineReader;
use crate::reference::{validate_line, Record, RecordError, ReferenceKind};
use crate::store::{reference as store, Store};

/// Records written to Redis in one pipeline.
pub const WRITE_BATCH: usize = 500;
/// Rejected lines described in detail; further rejections are only counted.
pub const MAX_REJECTED_DETAILS: usize = 1000;

/// The answer of a load.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// Lines stored (a line already stored is stored again, not counted twice).
    pub accepted: u64,
    /// The first rejected lines with their errors.
    pub rejected: Vec<RejectedLine>,
    /// All rejected lines, including those beyond the detailed list.
    pub rejected_count: u64,
    /// Whether `rejected` was cut at its limit.
    pub rejected_truncated: bool,
}

/// One rejected line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub errors: Vec<LineProblem>,
}

/// One problem of a rejected line.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineProblem {
    /// The field, as a JSON path (empty for the whole line).
    pub field: String,
    /// Stable machine code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// Why a load stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError<E: std::fmt::Display> {
    /// The input could not be read.
    #[error("reading the input failed: {0}")]
    Input(E),
    /// Redis failed.
    #[error("storing records failed: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// Loads `kind` records from `reader` into Redis; `progress` is told the lines read so far
/// after every batch.
pub async fn import<S, E>(
    redis: &Store,
    kind: ReferenceKind,
    reader: &mut LineReader<S>,
    lang: Lang,
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, ImportError<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut report = ImportReport::default();
    let mut batch: Vec<Record> = Vec::with_capacity(WRITE_BATCH);
    while let Some(line) = reader.next_line().await.map_err(ImportError::Input)? {
        let result = match &line.text {
            Ok(text) => validate_line(kind, text),
            Err(error) => Err(vec![RecordError::new(
                "",
                error.code(),
                crate::i18n::Text::new(error.message(Lang::En), error.message(Lang::Vi)),
            )]),
        };
        match result {
            Ok(record) => {
                batch.push(record);
                if batch.len() == WRITE_BATCH {
                    store::put_records(redis, &batch).await?;
                    report.accepted += batch.len() as u64;
                    batch.clear();
                    progress(reader.lines_read());
                }
            }
            Err(errors) => report.reject(line.number, errors, lang),
        }
    }
    if !batch.is_empty() {
        store::put_records(redis, &batch).await?;
        report.accepted += batch.len() as u64;
    }
    progress(reader.lines_read());
    tracing::info!(
        kind = kind.as_str(),
        accepted = report.accepted,
        rejected = report.rejected_count,
        "reference data loaded"
    );
    Ok(report)
}

impl ImportReport {
    fn reject(&mut self, line: usize, errors: Vec<RecordError>, lang: Lang) {
        self.rejected_count += 1;
        if self.rejected.len() >= MAX_REJECTED_DETAILS {
            self.rejected_truncated = true;
            return;
        }
        self.rejected.push(RejectedLine {
            line,
            errors: errors
                .into_iter()
                .map(|e| LineProblem {
                    field: e.field,
                    code: e.code.to_owned(),
                    message: e.message.get(lang).to_owned(),
                })
                .collect(),
        });
    }
}

/// Records a finished load in the audit log, by `actor` (a key name, `cli` or `samples`).
pub async fn audit_load<'a>(
    redis: &Store,
    actor: impl Into<crate::auth::Actor<'a>>,
    kind: ReferenceKind,
    report: &ImportReport,
) -> crate::store::StoreResult<()> {
    crate::store::audit::append(
        redis,
        actor,
        "reference.load",
        kind.as_str(),
        None,
        serde_json::json!({"accepted": report.accepted, "rejected": report.rejected_count}),
    )
    .await
    .map(|_| ())
}
