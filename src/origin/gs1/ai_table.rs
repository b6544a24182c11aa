//! The GS1 Application Identifier table, built from the GS1 Barcode Syntax Dictionary.
//!
//! The dictionary (`data/gs1-syntax-dictionary.txt`, vendored with its Apache 2.0 licence) is
//! compiled in and read once, the first time the table is used (`serve` reads it at start-up,
//! see [`table`]); `dictionary.rs` parses it. Each [`AiDef`] says how an AI's data is built
//! (its [`Component`]s: character set, length, optional or not, and the [`Linter`]s that
//! check the content) and how the AI associates with others (`req`, `ex`), whether it needs no
//! FNC1 separator (`*`), whether it may stand in a Digital Link query (`?`) and, for a Digital
//! Link primary key, its qualifier sequences (`dlpkey`). AI ranges (`3100-3105`, `91-99`) are
//! one entry per AI. One checker (`field.rs`) walks this table; there is no per-AI code
//! anywhere, and a new GS1 release is a new copy of the file. This module must never hold
//! parsing logic for codes.
//!
//! The predefined-length table (which first two digits never need FNC1) comes from the GS1
//! General Specifications and also applies to AIs the dictionary does not know; a test checks
//! it agrees with the dictionary's `*` flags.

use std::sync::LazyLock;

use super::dictionary;
use super::lint::Linter;

/// The vendored dictionary text.
pub const DICTIONARY: &str = include_str!("data/gs1-syntax-dictionary.txt");

/// Character set of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// ASCII digits (`N`).
    Numeric,
    /// GS1 AI encodable character set 82 (`X`): `!"%&'()*+,-./0-9:;<=>?A-Z_a-z`.
    Cset82,
    /// GS1 AI encodable character set 39 (`Y`): `#-/0-9A-Z`.
    Cset39,
    /// GS1 character set 64 (`Z`, base64url): `-0-9A-Z_a-z`, with `=` padding at the end.
    Cset64,
}

/// One part of an AI's data. Every component but the last has a fixed length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum length when present.
    pub min: usize,
    /// Maximum length.
    pub max: usize,
    /// Whether the component may be left out (only once the data is used up).
    pub optional: bool,
    /// The content checks, in order.
    pub linters: Vec<Linter>,
}

/// An AI or an AI pattern in a `req`/`ex` rule: `01`, `31nn`, `392n` (`n` is any digit).
///
/// Matching compares [`ai_key`]s under a mask, one integer operation per AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AiPattern {
    digits: [u8; 4],
    len: u8,
    value: u32,
    mask: u32,
}

/// An AI of 2–4 digits as one integer: its length, then one nibble a digit (`None` for
/// anything else). AIs with the same key are the same AI.
pub fn ai_key(ai: &[u8]) -> Option<u32> {
    if !(2..=4).contains(&ai.len()) {
        return None;
    }
    let mut key = u32::try_from(ai.len()).ok()? << 16;
    for (index, &byte) in ai.iter().enumerate() {
        if !byte.is_ascii_digit() {
            return None;
        }
        key |= u32::from(byte - b'0') << (12 - 4 * index);
    }
    Some(key)
}

impl AiPattern {
    /// Reads a pattern of 2–4 digits or `n`; `None` for anything else.
    pub fn parse(text: &str) -> Option<AiPattern> {
        let bytes = text.as_bytes();
        let valid = (2..=4).contains(&bytes.len())
            && bytes.iter().all(|&b| b.is_ascii_digit() || b == b'n')
            && bytes.first().is_some_and(u8::is_ascii_digit);
        if !valid {
            return None;
        }
        let mut digits = [0u8; 4];
        digits.get_mut(..bytes.len())?.copy_from_slice(bytes);
        let concrete: Vec<u8> = bytes
            .iter()
            .map(|&b| if b == b'n' { b'0' } else { b })
            .collect();
        let mut mask = 0xF_0000u32;
        for (index, &byte) in bytes.iter().enumerate() {
            if byte != b'n' {
                mask |= 0xF << (12 - 4 * index);
            }
        }
        Some(AiPattern {
            digits,
            len: u8::try_from(bytes.len()).ok()?,
            value: ai_key(&concrete)? & mask,
            mask,
        })
    }

    /// Whether the AI `ai` (its digits) matches.
    pub fn matches(&self, ai: &[u8]) -> bool {
        ai_key(ai).is_some_and(|key| self.matches_key(key))
    }

    /// Whether the AI with this [`ai_key`] matches.
    #[inline]
    pub fn matches_key(&self, key: u32) -> bool {
        key & self.mask == self.value
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        let written = self.digits.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(written).unwrap_or("")
    }
}

/// The definition of one Application Identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiDef {
    /// The AI digits (`"01"`, `"3103"`).
    pub ai: String,
    /// The GS1 data title (empty where the dictionary gives none).
    pub title: &'static str,
    /// The data components in order.
    pub parts: Vec<Component>,
    /// The `req` rules: each must be met, by any one of its alternatives, an alternative being
    /// AIs (or patterns) that must all be present.
    pub requires: Vec<Vec<Vec<AiPattern>>>,
    /// The `ex` rules: AIs (or patterns) that may not appear with this one (itself aside).
    pub excludes: Vec<AiPattern>,
    /// `*`: a predefined-length AI that never needs an FNC1 separator.
    pub no_separator: bool,
    /// `?`: may stand as a Digital Link data attribute (in the query string).
    pub dl_attribute: bool,
    /// `dlpkey`: a Digital Link primary key, with its qualifier sequences (each an ordered
    /// list of AIs of which any subset may follow the key, in that order).
    pub dl_key: Option<Vec<Vec<String>>>,
    key: u32,
    min_len: usize,
    max_len: usize,
}

impl AiDef {
    /// Builds a definition; the lengths follow from the components.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ai: String,
        title: &'static str,
        parts: Vec<Component>,
        requires: Vec<Vec<Vec<AiPattern>>>,
        excludes: Vec<AiPattern>,
        no_separator: bool,
        dl_attribute: bool,
        dl_key: Option<Vec<Vec<String>>>,
    ) -> AiDef {
        let min_len = parts
            .iter()
            .filter(|part| !part.optional)
            .map(|part| part.min)
            .sum();
        let max_len = parts.iter().map(|part| part.max).sum();
        AiDef {
            key: ai_key(ai.as_bytes()).unwrap_or(0),
            ai,
            title,
            parts,
            requires,
            excludes,
            no_separator,
            dl_attribute,
            dl_key,
            min_len,
            max_len,
        }
    }

    /// The AI as one integer ([`ai_key`]), for pattern matching.
    pub fn key(&self) -> u32 {
        self.key
    }

    /// Minimum data length.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Maximum data length.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the data has one fixed length.
    pub fn is_fixed_length(&self) -> bool {
        self.min_len == self.max_len
    }

    /// The data length fixed by the predefined-length table when the AI's first two digits
    /// are in it (such AIs never need an FNC1 separator); `None` otherwise.
    pub fn predefined_len(&self) -> Option<usize> {
        predefined(self.ai.as_bytes()).map(|(_, data_len)| data_len)
    }

    /// Whether a component of this AI carries `linter`.
    pub fn has_linter(&self, linter: Linter) -> bool {
        self.parts.iter().any(|part| part.linters.contains(&linter))
    }
}

/// The predefined-length table: first two digits of the AI → (AI length, data length).
pub static PREDEFINED: &[(&str, usize, usize)] = PREDEFINED_ROWS;

const PREDEFINED_ROWS: &[(&str, usize, usize)] = &[
    ("00", 2, 18),
    ("01", 2, 14),
    ("02", 2, 14),
    ("03", 2, 14),
    ("04", 2, 14),
    ("11", 2, 6),
    ("12", 2, 6),
    ("13", 2, 6),
    ("14", 2, 6),
    ("15", 2, 6),
    ("16", 2, 6),
    ("17", 2, 6),
    ("18", 2, 6),
    ("19", 2, 6),
    ("20", 2, 2),
    ("31", 4, 6),
    ("32", 4, 6),
    ("33", 4, 6),
    ("34", 4, 6),
    ("35", 4, 6),
    ("36", 4, 6),
    ("41", 3, 13),
];

static PREDEFINED_INDEX: [(u8, u8); 100] = build_predefined(PREDEFINED_ROWS);

const fn two_digit_key(a: u8, b: u8) -> usize {
    ((a - b'0') as usize) * 10 + (b - b'0') as usize
}

const fn build_predefined(rows: &[(&str, usize, usize)]) -> [(u8, u8); 100] {
    let mut index = [(0u8, 0u8); 100];
    let mut row = 0;
    while row < rows.len() {
        let prefix = rows[row].0.as_bytes();
        index[two_digit_key(prefix[0], prefix[1])] = (rows[row].1 as u8, rows[row].2 as u8);
        row += 1;
    }
    index
}

/// Looks up the predefined-length row for data starting with an AI: (AI length, data length).
pub fn predefined(ai_digits: &[u8]) -> Option<(usize, usize)> {
    match ai_digits {
        [a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            let (ai_len, data_len) = PREDEFINED_INDEX.get(two_digit_key(*a, *b)).copied()?;
            (ai_len > 0).then_some((usize::from(ai_len), usize::from(data_len)))
        }
        _ => None,
    }
}

/// The AI table: every definition in dictionary order, indexed by the AI's value for O(1)
/// look-ups (AIs are prefix-free, so at most one of the 2-, 3- and 4-digit readings matches).
pub struct AiTable {
    defs: Vec<AiDef>,
    /// Row + 1 of each AI (0: none), by the AI's number, one array per AI length.
    by_two: Vec<u16>,
    by_three: Vec<u16>,
    by_four: Vec<u16>,
}

impl AiTable {
    /// Indexes `defs`; `None` when an AI is not 2–4 digits or appears twice.
    pub fn new(defs: Vec<AiDef>) -> Option<AiTable> {
        let mut table = AiTable {
            defs,
            by_two: vec![0; 100],
            by_three: vec![0; 1000],
            by_four: vec![0; 10000],
        };
        for (row, def) in table.defs.iter().enumerate() {
            let value = usize::try_from(number(def.ai.as_bytes())?).ok()?;
            let slots = match def.ai.len() {
                2 => &mut table.by_two,
                3 => &mut table.by_three,
                4 => &mut table.by_four,
                _ => return None,
            };
            let slot = slots.get_mut(value)?;
            if *slot != 0 {
                return None;
            }
            *slot = u16::try_from(row + 1).ok()?;
        }
        Some(table)
    }

    /// Every definition, in dictionary order.
    pub fn defs(&self) -> &[AiDef] {
        &self.defs
    }

    fn row(&self, slots: &[u16], value: usize) -> Option<&AiDef> {
        let row = usize::from(*slots.get(value)?).checked_sub(1)?;
        self.defs.get(row)
    }

    /// Finds the AI at the start of `data`: the definition and the AI's length in digits.
    #[inline]
    pub fn match_prefix(&self, data: &[u8]) -> Option<(&AiDef, usize)> {
        let digit = |at: usize| {
            data.get(at)
                .filter(|b| b.is_ascii_digit())
                .map(|b| usize::from(b - b'0'))
        };
        let two = digit(0)? * 10 + digit(1)?;
        if let Some(def) = self.row(&self.by_two, two) {
            return Some((def, 2));
        }
        let three = two * 10 + digit(2)?;
        if let Some(def) = self.row(&self.by_three, three) {
            return Some((def, 3));
        }
        let four = three * 10 + digit(3)?;
        self.row(&self.by_four, four).map(|def| (def, 4))
    }
}

/// The value of 2–4 ASCII digits.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

static TABLE: LazyLock<AiTable> = LazyLock::new(|| {
    // The dictionary is compiled in and a test parses it, so this cannot fail in a tested
    // build; a broken copy stops the process at start-up (`serve` calls `table()` first).
    let defs = dictionary::parse(DICTIONARY)
        .unwrap_or_else(|error| panic!("GS1 Syntax Dictionary: {error}"));
    AiTable::new(defs).unwrap_or_else(|| panic!("GS1 Syntax Dictionary: AIs are not unique"))
});

/// The AI table (built on first use).
pub fn table() -> &'static AiTable {
    &TABLE
}

/// Every AI definition, in dictionary order.
pub fn all() -> &'static [AiDef] {
    TABLE.defs()
}

/// Looks up an AI given as its exact digits (`"01"`, `"3103"`).
#[inline]
pub fn lookup(ai: &str) -> Option<&'static AiDef> {
    lookup_bytes(ai.as_bytes())
}

/// [`lookup`] on bytes.
#[inline]
pub fn lookup_bytes(ai: &[u8]) -> Option<&'static AiDef> {
    match_prefix(ai)
        .filter(|&(_, len)| len == ai.len())
        .map(|(def, _)| def)
}

/// Finds the AI at the start of `data` (AIs are prefix-free): the definition and the AI's
/// length in digits.
#[inline]
pub fn match_prefix(data: &[u8]) -> Option<(&'static AiDef, usize)> {
    TABLE.match_prefix(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_digits_and_wildcards() {
        let pattern = AiPattern::parse("31nn").expect("pattern");
        assert!(pattern.matches(b"3103") && pattern.matches(b"3199"));
        assert!(!pattern.matches(b"3203") && !pattern.matches(b"310"));
        assert_eq!(pattern.as_str(), "31nn");
        assert!(AiPattern::parse("01").is_some_and(|p| p.matches(b"01") && !p.matches(b"011")));
        assert_eq!(ai_key(b"3103"), Some(0x4_3103));
        assert_eq!(AiPattern::parse("n1"), None);
        assert_eq!(AiPattern::parse("01234"), None);
    }

    #[test]
    fn lookups_find_each_ai_by_its_exact_digits() {
        assert_eq!(lookup("01").map(|d| d.title), Some("GTIN"));
        assert_eq!(lookup("3103").map(|d| d.ai.as_str()), Some("3103"));
        assert_eq!(lookup("310"), None);
        assert_eq!(lookup("3106"), None, "the dictionary stops 310n at 3105");
        assert_eq!(
            match_prefix(b"8013ABC").map(|(d, l)| (d.ai.as_str(), l)),
            Some(("8013", 4))
        );
        assert_eq!(match_prefix(b"0"), None);
        assert_eq!(match_prefix(b"2x"), None);
    }
}
