//! Streaming NDJSON input: lines out of a byte stream, in bounded memory.
//!
//! Bulk loads (a million product lines) and batches (10,000 claims) never hold their whole
//! body. The reader keeps at most one line plus one network chunk; a line over the limit is
//! skipped to its end and reported as that line's error, and so is a line that is not UTF-8.
//! Blank lines are numbered but not returned. It never fails the whole stream for one bad
//! line; only the transport can.

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};

/// Longest accepted line, in bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What is wrong with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// Not valid UTF-8.
    NotUtf8,
}

impl LineError {
    /// Stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            LineError::TooLong => "line_too_long",
            LineError::NotUtf8 => "invalid_utf8",
        }
    }

    /// Human-readable text.
    pub fn message(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            LineError::TooLong => {
                lang.pick("The line is longer than 64 KiB.", "Dòng dài quá 64 KiB.")
            }
            LineError::NotUtf8 => lang.pick(
                "The line is not valid UTF-8.",
                "Dòng không phải UTF-8 hợp lệ.",
            ),
        }
    }
}

/// One non-blank line: its 1-based number and its text, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the input.
    pub number: usize,
    /// The text without its line ending.
    pub text: Result<String, LineError>,
}

/// Reads lines from a stream of byte chunks.
pub struct LineReader<S> {
    stream: S,
    buffer: BytesMut,
    number: usize,
    skipping_long_line: bool,
    finished: bool,
}

impl<S, E> LineReader<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    /// A reader over `stream`.
    pub fn new(stream: S) -> LineReader<S> {
        LineReader {
            stream,
            buffer: BytesMut::new(),
            number: 0,
            skipping_long_line: false,
            finished: false,
        }
    }

    /// The next non-blank line, `Ok(None)` at the end, `Err` if the transport failed.
    pub async fn next_line(&mut self) -> Result<Option<Line>, E> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let raw = self.buffer.split_to(end + 1);
                self.number += 1;
                if self.skipping_long_line {
                    self.skipping_long_line = false;
                    return Ok(Some(Line {
                        number: self.number,
                        text: Err(LineError::TooLong),
                    }));
                }
                if let Some(line) = self.finish_line(&raw[..end]) {
                    return Ok(Some(line));
                }
                continue;
            }
            if self.buffer.len() > MAX_LINE_BYTES {
                self.skipping_long_line = true;
                self.buffer.clear();
            }
            if self.finished {
                if self.buffer.is_empty() && !self.skipping_long_line {
                    return Ok(None);
                }
                let rest = self.buffer.split();
                self.number += 1;
                if std::mem::take(&mut self.skipping_long_line) {
                    return Ok(Some(Line {
                        number: self.number,
                        text: Err(LineError::TooLong),
                    }));
                }
                match self.finish_line(&rest) {
                    Some(line) => return Ok(Some(line)),
                    None => return Ok(None),
                }
            }
            match self.stream.next().await {
                Some(Ok(mut chunk)) => {
                    while chunk.has_remaining() {
                        if self.skipping_long_line {
                            match chunk.iter().position(|&b| b == b'\n') {
                                Some(end) => {
                                    // Keep the newline so the loop above ends the long line.
                                    chunk.advance(end);
                                    self.buffer.extend_from_slice(&chunk);
                                    chunk.clear();
                                }
                                None => chunk.clear(),
                            }
                        } else {
                            self.buffer.extend_from_slice(&chunk);
                            chunk.clear();
                        }
                    }
                }
                Some(Err(error)) => return Err(error),
                None => self.finished = true,
            }
        }
    }

    /// Number of lines read so far, blank ones included.
    pub fn lines_read(&self) -> usize {
        self.number
    }

    fn finish_line(&self, raw: &[u8]) -> Option<Line> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        if raw.len() > MAX_LINE_BYTES {
            return Some(Line {
                number: self.number,
                text: Err(LineError::TooLong),
            });
        }
        Some(Line {
            number: self.number,
            text: std::str::from_utf8(raw)
                .map(str::to_owned)
                .map_err(|_| LineError::NotUtf8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(chunks: Vec<&[u8]>) -> Vec<Line> {
        let stream = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::convert::Infallible>(Bytes::copy_from_slice(c))),
        );
        let mut reader = LineReader::new(stream);
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            lines.push(line);
        }
        lines
    }

    #[tokio::test]
    async fn lines_split_across_chunks_are_joined_and_numbered() {
        let lines = read_all(vec![b"{\"a\":", b"1}\n\n{\"b\"", b":2}\r\n{\"c\":3}"]).await;
        let numbered: Vec<(usize, &str)> = lines
            .iter()
            .map(|l| (l.number, l.text.as_deref().unwrap()))
            .collect();
        assert_eq!(
            numbered,
            vec![(1, "{\"a\":1}"), (3, "{\"b\":2}"), (4, "{\"c\":3}")]
        );
    }

    #[tokio::test]
    async fn a_bad_line_is_reported_and_the_next_one_still_read() {
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut input = Vec::new();
        input.extend_from_slice(b"ok1\n");
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\n\xff\xfe\nok4\n");
        let chunks: Vec<&[u8]> = input.chunks(1000).collect();
        let lines = read_all(chunks).await;
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].text.as_deref(), Ok("ok1"));
        assert_eq!(
            lines[1],
            Line {
                number: 2,
                text: Err(LineError::TooLong)
            }
        );
        assert_eq!(
            lines[2],
            Line {
                number: 3,
                text: Err(LineError::NotUtf8)
            }
        );
        assert_eq!(
            lines[3],
            Line {
                number: 4,
                text: Ok("ok4".into())
            }
        );
    }

    #[tokio::test]
    async fn an_unterminated_long_last_line_is_reported() {
        let long = vec![b'y'; MAX_LINE_BYTES * 2];
        let lines = read_all(vec![b"a\n", &long]).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].text, Err(LineError::TooLong));
    }
}
