//! GS1 Digital Link URIs: `http(s)://{any host}/{prefix…}/{key AI}/{value}[/{qualifier AI}/
//! {value}…][?{AI}={value}&…]`.
//!
//! The primary keys and their qualifier sequences are the Syntax Dictionary's `dlpkey`
//! attributes (in the AI table): 01 takes 22, 10, 21 or 235 alone; 8006 takes 22, 10, 21;
//! 414 takes 254 or 7040; 415 takes 8020; 417 and 8004 take 7040; 8010 takes 8011; 8017 and
//! 8018 take 8019; the other keys none.
//!
//! Choices (documented here so they can change in one place):
//! - Any host. The scheme is matched case-insensitively (`HtTp://` is accepted): RFC 3986
//!   section 3.1 makes schemes case-insensitive, so refusing one would refuse a valid URI.
//! - A path prefix before the key is allowed (`https://example.com/foo/01/…`): the path is
//!   read from its end in AI/value pairs until a primary key AI is met; everything before
//!   that pair is ignored.
//! - Qualifiers must follow the key in the order of one of its sequences (any subset of it); a
//!   qualifier of the key given in the query string is `key_qualifier_order` but its element
//!   is still recorded.
//! - Query parameters whose name is not all digits are ignored (`linkType=all`); an all-digit
//!   name that is not a known AI is `unknown_ai`; a known AI the dictionary does not allow as
//!   a data attribute (no `?` flag, e.g. 8011 after 01) is `bad_digital_link`. A parameter
//!   without `=` is ignored. An AI given twice in the query, or in the query and the path,
//!   is `duplicate_ai` (whatever the values): the second one is not read.
//! - Values are percent-decoded; a broken `%` escape is `bad_digital_link`. In the path a `+`
//!   is the character `+` (CSET 82); in the query a raw `+` is refused as `bad_digital_link`,
//!   since form encoding reads it as a space: a `+` in a query value is written `%2B`.
//! - A GTIN key of 8, 12 or 13 digits is accepted and left-padded to 14, as RULES.md says a
//!   GTIN in the path may be 8, 12, 13 or 14 digits.
//! - The fragment (`#…`) is ignored.

use std::borrow::Cow;

use super::ai_table::{self, AiDef};
use super::check::Collector;
use super::error::Gs1ErrorCode;

/// How many path segments, counted from the end, are searched for the primary key.
pub const MAX_SEGMENTS: usize = 16;

/// The qualifier sequences of a primary key, or `None` if `ai` is not a Digital Link key.
pub fn key_qualifiers(ai: &str) -> Option<&'static [Vec<String>]> {
    ai_table::lookup(ai)?.dl_key.as_deref()
}

/// Whether the scheme is `http://` or `https://` (any case); returns the scheme's length.
pub fn scheme_len(input: &str) -> Option<usize> {
    let bytes = input.as_bytes();
    if bytes
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"https://"))
    {
        Some(8)
    } else if bytes
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"http://"))
    {
        Some(7)
    } else {
        None
    }
}

/// Decodes `%XX` escapes; `None` on a broken escape. Borrows when there is nothing to decode.
pub fn percent_decode(raw: &[u8]) -> Option<Cow<'_, [u8]>> {
    if !raw.contains(&b'%') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut index = 0;
    while let Some(&byte) = raw.get(index) {
        if byte == b'%' {
            let high = raw.get(index + 1).and_then(|&b| (b as char).to_digit(16))?;
            let low = raw.get(index + 2).and_then(|&b| (b as char).to_digit(16))?;
            out.push(u8::try_from(high * 16 + low).ok()?);
            index += 3;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    Some(Cow::Owned(out))
}

fn text(bytes: &[u8], range: (usize, usize)) -> &str {
    bytes
        .get(range.0..range.1)
        .and_then(|part| std::str::from_utf8(part).ok())
        .unwrap_or("")
}

fn all_digits(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a Digital Link URI (`input` trimmed; the caller checked the scheme).
pub(crate) fn parse(collector: &mut Collector<'_>, input: &str) {
    let bytes = input.as_bytes();
    let Some(start) = scheme_len(input) else {
        collector.error(Gs1ErrorCode::BadDigitalLink, None, 0);
        return;
    };
    let stop = |from: usize, set: &[u8]| {
        (from..bytes.len())
            .find(|&at| bytes.get(at).is_some_and(|b| set.contains(b)))
            .unwrap_or(bytes.len())
    };
    let authority_end = stop(start, b"/?#");
    if authority_end == start {
        collector.error(Gs1ErrorCode::BadDigitalLink, None, start);
        return;
    }
    let path_end = stop(authority_end, b"?#");
    let query = (bytes.get(path_end) == Some(&b'?')).then(|| (path_end + 1, stop(path_end, b"#")));

    // The last MAX_SEGMENTS path segments as byte ranges (a key with its qualifiers needs at
    // most 8; anything further left is prefix), without empty ones at the end.
    let mut found = [(0usize, 0usize); MAX_SEGMENTS];
    let mut count = 0;
    let mut seg_end = path_end;
    while count < MAX_SEGMENTS && seg_end > authority_end {
        let seg_start = (authority_end..seg_end)
            .rev()
            .find(|&at| bytes.get(at) == Some(&b'/'))
            .map_or(authority_end, |slash| slash + 1);
        if count > 0 || seg_start < seg_end {
            if let Some(slot) = found.get_mut(count) {
                *slot = (seg_start, seg_end);
                count += 1;
            }
        }
        seg_end = seg_start.saturating_sub(1);
    }
    let segments_rev = found.get(..count).unwrap_or_default();
    let mut ordered = [(0usize, 0usize); MAX_SEGMENTS];
    for (slot, range) in ordered.iter_mut().zip(segments_rev.iter().rev()) {
        *slot = *range;
    }
    let segments = ordered.get(..count).unwrap_or_default();

    // Walk back in AI/value pairs to the primary key.
    let mut key_index = None;
    let mut end = segments.len();
    while end >= 2 {
        let ai = segments
            .get(end - 2)
            .map_or("", |&range| text(bytes, range));
        if key_qualifiers(ai).is_some() {
            key_index = Some(end - 2);
            break;
        }
        if !all_digits(ai) {
            break;
        }
        end -= 2;
    }
    let Some(key_index) = key_index else {
        collector.error(Gs1ErrorCode::BadDigitalLink, None, authority_end);
        return;
    };
    let pairs = segments.get(key_index..).unwrap_or_default();
    let key = pairs.first().map_or("", |&range| text(bytes, range));
    let allowed = key_qualifiers(key).unwrap_or_default();

    let mut matched = [0usize; 4];
    for (pair_index, pair) in pairs.chunks(2).enumerate() {
        let [ai_range, value_range] = pair else { break };
        let ai = text(bytes, *ai_range);
        if pair_index > 0 && !advance(allowed, &mut matched, ai) {
            collector.error(Gs1ErrorCode::KeyQualifierOrder, Some(ai), ai_range.0);
        }
        let def = ai_table::lookup(ai);
        add(
            collector,
            bytes,
            (ai, def),
            *ai_range,
            *value_range,
            pair_index == 0,
        );
    }

    if let Some((from, to)) = query {
        let mut param_start = from;
        while param_start < to {
            let param_end = stop(param_start, b"&#").min(to);
            if let Some(eq) = (param_start..param_end).find(|&at| bytes.get(at) == Some(&b'=')) {
                let ai = text(bytes, (param_start, eq));
                if all_digits(ai) {
                    query_attribute(
                        collector,
                        bytes,
                        allowed,
                        ai,
                        param_start,
                        (eq + 1, param_end),
                    );
                }
            }
            param_start = param_end + 1;
        }
    }
}

/// Reads one all-digit query parameter `ai` whose value is at `value_range`.
fn query_attribute(
    collector: &mut Collector<'_>,
    bytes: &[u8],
    allowed: &[Vec<String>],
    ai: &str,
    param_start: usize,
    value_range: (usize, usize),
) {
    // An AI read before (in the path or an earlier parameter) is a repeat. One refused
    // before was not read, so its repeat is not caught here; the code is invalid already.
    if collector.has_element(ai) {
        collector.error(Gs1ErrorCode::DuplicateAi, Some(ai), param_start);
        return;
    }
    let raw = bytes.get(value_range.0..value_range.1).unwrap_or_default();
    if let Some(plus) = raw.iter().position(|&b| b == b'+') {
        collector.error(Gs1ErrorCode::BadDigitalLink, Some(ai), value_range.0 + plus);
        return;
    }
    let is_qualifier = allowed
        .iter()
        .any(|sequence| sequence.iter().any(|q| q == ai));
    let def = ai_table::lookup(ai);
    if is_qualifier {
        collector.error(Gs1ErrorCode::KeyQualifierOrder, Some(ai), param_start);
    } else if def.is_some_and(|def| !def.dl_attribute) {
        collector.error(Gs1ErrorCode::BadDigitalLink, Some(ai), param_start);
        return;
    }
    add(
        collector,
        bytes,
        (ai, def),
        (param_start, value_range.0 - 1),
        value_range,
        false,
    );
}

/// Moves each still-possible qualifier sequence past `ai`; false when no sequence accepts it.
fn advance(allowed: &[Vec<String>], matched: &mut [usize], ai: &str) -> bool {
    let mut any = false;
    for (sequence, next) in allowed.iter().zip(matched.iter_mut()) {
        let found = sequence
            .get(*next..)
            .and_then(|rest| rest.iter().position(|q| q == ai));
        match found {
            Some(offset) => {
                *next += offset + 1;
                any = true;
            }
            _ => *next = usize::MAX,
        }
    }
    any
}

/// Records the element `ai` (its definition `def`, `None` when unknown) with the value at
/// `value_range`, percent-decoded.
fn add(
    collector: &mut Collector<'_>,
    bytes: &[u8],
    (ai, def): (&str, Option<&'static AiDef>),
    ai_range: (usize, usize),
    value_range: (usize, usize),
    is_key: bool,
) {
    let Some(def) = def else {
        collector.error(Gs1ErrorCode::UnknownAi, Some(ai), ai_range.0);
        return;
    };
    let raw = bytes.get(value_range.0..value_range.1).unwrap_or_default();
    let Some(value) = percent_decode(raw) else {
        collector.error(Gs1ErrorCode::BadDigitalLink, Some(ai), value_range.0);
        return;
    };
    // A short GTIN (8, 12 or 13 digits) as the key is accepted and padded, as RULES.md says.
    let short_gtin = is_key
        && ai == "01"
        && matches!(value.len(), 8 | 12 | 13)
        && value.iter().all(u8::is_ascii_digit);
    if short_gtin {
        let mut padded = [b'0'; 14];
        let offset = 14 - value.len();
        padded
            .get_mut(offset..)
            .unwrap_or_default()
            .copy_from_slice(&value);
        collector.element(def, ai, &padded, ai_range.0, value_range.0, false);
    } else {
        let exact = matches!(value, Cow::Borrowed(_));
        collector.element(def, ai, &value, ai_range.0, value_range.0, exact);
    }
}
