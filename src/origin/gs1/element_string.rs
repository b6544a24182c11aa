//! GS1 element strings: bracketed for people, `(01)08935049500018(17)271231(10)LOT7`, or as
//! barcode data with GS (ASCII 29, FNC1) ending variable-length fields, optionally led by a
//! GS1 symbology identifier (`]C1`, `]e0`, `]d2`, `]Q3`, `]J1`) and/or a leading GS.
//!
//! Unbracketed: an AI whose first two digits are in the predefined-length table takes exactly
//! that many characters and needs no separator (a GS after it is tolerated). Any other AI runs
//! to the next GS or the end; more than its maximum length is `missing_separator` and the
//! field is skipped up to the next GS. Unknown AIs are skipped the same way (or by their
//! predefined length), so reading continues past the first error.
//!
//! Bracketed: a field ends at the next `(` that is followed by 2–4 digits and `)`; any other
//! `(` or `)` is data (both are in CSET 82).
//!
//! Works on bytes, never slices a `str` at an unchecked offset, never panics.

use super::ai_table;
use super::check::Collector;
use super::error::Gs1ErrorCode;

/// The FNC1 separator as transmitted by scanners (ASCII 29, group separator).
pub const GS: u8 = 0x1d;

/// Symbology identifiers that announce GS1 data (without the leading `]`).
pub const SYMBOLOGY_IDS: [&[u8; 2]; 5] = [b"C1", b"e0", b"d2", b"Q3", b"J1"];

/// The AIs an unmarked element string may start with: the fixed-length keys a keyboard-wedge
/// scanner sends after dropping the leading FNC1 (RULES.md).
pub const UNMARKED_START_AIS: [&[u8; 2]; 2] = [b"00", b"01"];

/// Whether free input (trimmed, not a bare GTIN nor a Digital Link) is to be read as an
/// element string: it starts with a bracket or a symbology identifier, carries a GS
/// character, or starts with AI 00 or 01. Anything else is not GS1 data.
pub fn is_marked(input: &str) -> bool {
    let bytes = input.as_bytes();
    matches!(bytes.first(), Some(b'(' | b']'))
        || bytes.contains(&GS)
        || bytes
            .get(..2)
            .is_some_and(|start| UNMARKED_START_AIS.iter().any(|ai| ai.as_slice() == start))
}

/// Reads an element string (`input` has already been trimmed of surrounding white space).
pub(crate) fn parse(collector: &mut Collector<'_>, input: &str) {
    let bytes = input.as_bytes();
    let mut pos = 0;
    if bytes.first() == Some(&b']') {
        let known = bytes
            .get(1..3)
            .is_some_and(|id| SYMBOLOGY_IDS.iter().any(|known| known.as_slice() == id));
        if !known {
            collector.error(Gs1ErrorCode::BadCharacter, None, 0);
        }
        pos = 3;
    }
    if bytes.get(pos) == Some(&GS) {
        pos += 1;
    }
    if bytes.get(pos) == Some(&b'(') {
        bracketed(collector, bytes, pos);
    } else {
        unbracketed(collector, bytes, pos);
    }
}

fn find_gs(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == GS)
        .map(|offset| from + offset)
}

/// The AI digits at `at..at + len` as a `str` (they are ASCII digits when this is called).
fn ai_text(bytes: &[u8], at: usize, len: usize) -> &str {
    bytes
        .get(at..at + len)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .unwrap_or("")
}

fn unbracketed(collector: &mut Collector<'_>, bytes: &[u8], mut pos: usize) {
    while pos < bytes.len() {
        if bytes.get(pos) == Some(&GS) {
            pos += 1;
            continue;
        }
        let rest = bytes.get(pos..).unwrap_or_default();
        let Some((def, ai_len)) = ai_table::match_prefix(rest) else {
            pos = skip_unknown(collector, bytes, pos);
            continue;
        };
        let ai = def.ai.as_str();
        let data_start = pos + ai_len;
        let field_end = find_gs(bytes, data_start).unwrap_or(bytes.len());
        match def.predefined_len() {
            Some(fixed) => {
                let end = (data_start + fixed).min(field_end);
                let data = bytes.get(data_start..end).unwrap_or_default();
                collector.element(def, ai, data, pos, data_start, true);
                pos = end;
            }
            None => {
                if field_end - data_start > def.max_len() {
                    let at = data_start + def.max_len();
                    collector.error(Gs1ErrorCode::MissingSeparator, Some(ai), at);
                } else {
                    let data = bytes.get(data_start..field_end).unwrap_or_default();
                    collector.element(def, ai, data, pos, data_start, true);
                }
                pos = field_end;
            }
        }
    }
}

/// Reports an unknown AI at `pos` and returns where reading can resume: after its predefined
/// length when its first two digits say so, else after the next GS, else the end.
fn skip_unknown(collector: &mut Collector<'_>, bytes: &[u8], pos: usize) -> usize {
    let rest = bytes.get(pos..).unwrap_or_default();
    let digits = rest
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let predefined = ai_table::predefined(rest).filter(|&(ai_len, _)| digits >= ai_len);
    let ai = match predefined {
        Some((ai_len, _)) => Some(ai_text(bytes, pos, ai_len)),
        None if digits >= 2 => Some(ai_text(bytes, pos, 2)),
        None => None,
    };
    collector.error(Gs1ErrorCode::UnknownAi, ai, pos);
    let next_gs = find_gs(bytes, pos).map_or(bytes.len(), |gs| gs + 1);
    match predefined {
        Some((ai_len, data_len)) => (pos + ai_len + data_len).min(next_gs),
        None => next_gs,
    }
}

/// Whether `(` at `at` opens an AI: 2–4 digits then `)`. Returns the digits' length.
fn opens_ai(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'(') {
        return None;
    }
    let after = bytes.get(at + 1..)?;
    let digits = after
        .iter()
        .take(5)
        .take_while(|b| b.is_ascii_digit())
        .count();
    ((2..=4).contains(&digits) && after.get(digits) == Some(&b')')).then_some(digits)
}

fn bracketed(collector: &mut Collector<'_>, bytes: &[u8], mut pos: usize) {
    while pos < bytes.len() {
        let Some(ai_len) = opens_ai(bytes, pos) else {
            collector.error(Gs1ErrorCode::BadCharacter, None, pos);
            return;
        };
        let data_start = pos + ai_len + 2;
        let data_end = (data_start..bytes.len())
            .find(|&at| bytes.get(at) == Some(&b'(') && opens_ai(bytes, at).is_some())
            .unwrap_or(bytes.len());
        let data = bytes.get(data_start..data_end).unwrap_or_default();
        let digits = bytes.get(pos + 1..pos + 1 + ai_len).unwrap_or_default();
        match ai_table::lookup_bytes(digits) {
            Some(def) => collector.element(def, &def.ai, data, pos + 1, data_start, true),
            None => {
                let ai = ai_text(bytes, pos + 1, ai_len);
                collector.error(Gs1ErrorCode::UnknownAi, Some(ai), pos + 1)
            }
        }
        pos = data_end;
    }
}
