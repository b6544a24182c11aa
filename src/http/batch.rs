//! NDJSON batch bodies: read whole (bounded in lines and bytes) before the first answer
//! line, so an oversized batch is refused with a problem instead of being cut off mid-stream.

use axum::body::Body;

use super::problem::{for_status, ApiError, Text};
use crate::ndjson::{Line, LineReader};

/// Most lines in one batch.
pub const MAX_BATCH_LINES: usize = 10_000;
/// Most bytes in one batch body.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Reads every line of `body`; 413 over [`MAX_BATCH_LINES`] lines or [`MAX_BATCH_BYTES`]
/// bytes, 400 when the body cannot be read.
pub async fn read_lines(body: Body) -> Result<Vec<Line>, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_BATCH_BYTES);
    let mut reader = LineReader::new(http_body_util::BodyDataStream::new(limited));
    let mut lines = Vec::new();
    loop {
        match reader.next_line().await {
            Ok(Some(line)) => {
                if lines.len() == MAX_BATCH_LINES {
                    return Err(too_large());
                }
                lines.push(line);
            }
            Ok(None) => return Ok(lines),
            Err(error)
                if error
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return Err(too_large());
            }
            Err(error) => {
                return Err(ApiError::malformed(Text::new(
                    format!("The body could not be read: {error}"),
                    format!("Không đọc được nội dung yêu cầu: {error}"),
                )))
            }
        }
    }
}

fn too_large() -> ApiError {
    for_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE).with_detail(Text::new(
        format!(
            "A batch holds at most {MAX_BATCH_LINES} lines and {MAX_BATCH_BYTES} bytes; split it."
        ),
        format!(
            "Một lô chứa tối đa {MAX_BATCH_LINES} dòng và {MAX_BATCH_BYTES} byte; hãy chia nhỏ."
        ),
    ))
}

/// An NDJSON answer streaming one JSON line per item.
pub fn ndjson_response<S, T>(items: S) -> axum::response::Response
where
    S: futures::Stream<Item = T> + Send + 'static,
    T: serde::Serialize,
{
    use axum::response::IntoResponse;
    use futures::StreamExt;
    let lines = items.map(|item| {
        let mut bytes = serde_json::to_vec(&item).unwrap_or_default();
        bytes.push(b'\n');
        Ok::<_, std::convert::Infallible>(bytes)
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(lines),
    )
        .into_response()
}
