//! The result of reading one GS1 code ([`Check`]) and the rules that span several elements:
//! duplicates, and the Syntax Dictionary's `req` and `ex` rules from the AI table.
//!
//! The format parsers (`element_string.rs`, `digital_link.rs`, the bare-GTIN path in `mod.rs`)
//! feed a [`Collector`]; only the collector turns byte offsets into the character positions
//! documented on [`Gs1Error`]. Nothing here reads the clock.

use chrono::NaiveDate;
use compact_str::CompactString;
use serde::Serialize;

use super::ai_table::{self, AiDef, AiPattern};
use super::date;
use super::error::{Gs1Error, Gs1ErrorCode};
use super::field::check_field;
use super::keys::Gtin;
use super::lint::Linter;
use super::prefix::{self, PrefixInfo};
use crate::origin::country::{self, Country};

/// One AI and its data as read from the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    /// The AI digits as written (`"01"`, `"3103"`); stored inline, no allocation.
    pub ai: CompactString,
    /// The GS1 data title of the AI.
    pub title: &'static str,
    /// The data, percent-decoded for Digital Link; a GTIN under AI 01 in a Digital Link path
    /// or a bare GTIN is normalised to 14 digits.
    /// Values up to 24 bytes (every key, date and most lots) are stored inline.
    pub value: CompactString,
}

/// Which form the input was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Only digits, 8, 12, 13 or 14 of them.
    Gtin,
    /// Bracketed `(01)…` or unbracketed with GS separators, maybe led by a symbology id.
    ElementString,
    /// An `http://` or `https://` GS1 Digital Link URI.
    DigitalLink,
}

/// The outcome of reading a code: invalidity is a result, not an error.
///
/// `elements` holds every element that could be delimited, in input order, including ones
/// whose data failed a check (the failure is in `errors`); a repeated AI with the same value
/// is kept once. `gtin` is set only when AI 01 (or the bare GTIN) is fully valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The detected input form.
    pub format: Format,
    /// The elements read.
    pub elements: Vec<Element>,
    /// Every problem found, in the order found (cross-element rules last).
    pub errors: Vec<Gs1Error>,
    /// The valid GTIN (AI 01), normalised to 14 digits.
    pub gtin: Option<Gtin>,
}

impl Check {
    /// Whether no problem was found.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The data of the first element with this AI.
    pub fn value_of(&self, ai: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|element| element.ai == ai)
            .map(|element| element.value.as_str())
    }

    /// The batch/lot number (AI 10).
    pub fn lot(&self) -> Option<&str> {
        self.value_of("10")
    }

    /// The serial number (AI 21).
    pub fn serial(&self) -> Option<&str> {
        self.value_of("21")
    }

    /// The ISO 3166 numeric country of origin of the trade item as stated in AI 422.
    pub fn country_of_origin_numeric(&self) -> Option<&str> {
        self.value_of("422")
    }

    /// The country stated in AI 422, when it is a real ISO 3166 code.
    pub fn country_of_origin(&self) -> Option<&'static Country> {
        self.country_of_origin_numeric()
            .and_then(country::by_numeric)
    }

    /// The issuing GS1 office of the GTIN's prefix (never a country of origin).
    pub fn gs1_prefix(&self) -> Option<PrefixInfo> {
        self.gtin.as_ref().and_then(prefix::lookup)
    }

    /// The calendar date held by a `YYMMDD` AI (11–17, 7006); day `00` becomes the last day
    /// of the month. `None` when the AI is absent, not a date AI, or the date is invalid.
    pub fn date_of(&self, ai: &str, current_year: i32) -> Option<NaiveDate> {
        let def = ai_table::lookup(ai)?;
        let day_zero = match def.parts.as_slice() {
            [part] if part.linters.contains(&Linter::Yymmd0) => true,
            [part] if part.linters.contains(&Linter::Yymmdd) => false,
            _ => return None,
        };
        let value = self.value_of(ai)?;
        date::parse_yymmdd(value, current_year, day_zero)?.to_naive_date()
    }

    /// The expiry date (AI 17), see [`Check::date_of`].
    pub fn expiry_date(&self, current_year: i32) -> Option<NaiveDate> {
        self.date_of("17", current_year)
    }
}

/// Gathers elements and errors while a format parser walks the input.
pub(crate) struct Collector<'a> {
    input: &'a [u8],
    /// The same input as text, to take a value read exactly from it without a second UTF-8
    /// check.
    text: &'a str,
    ascii: bool,
    base: usize,
    current_year: i32,
    elements: Vec<Element>,
    places: Places,
    errors: Vec<Gs1Error>,
    gtin: Option<Gtin>,
}

/// Where each element's AI stood and its definition, parallel to the elements. The first
/// few live inline so a typical code costs no allocation here.
struct Places {
    inline: [(usize, Option<&'static AiDef>); INLINE_PLACES],
    /// The [`AiDef::key`] of each inline element, for the association rules' tight loop.
    keys: [u32; INLINE_PLACES],
    len: usize,
    spill: Vec<(usize, &'static AiDef)>,
}

/// How many elements' places live inline.
const INLINE_PLACES: usize = 8;

impl Places {
    fn new() -> Places {
        Places {
            inline: [(0, None); INLINE_PLACES],
            keys: [0; INLINE_PLACES],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn push(&mut self, place: usize, def: &'static AiDef) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = (place, Some(def)),
            None => self.spill.push((place, def)),
        }
        if let Some(key) = self.keys.get_mut(self.len) {
            *key = def.key();
        }
        self.len += 1;
    }

    fn get(&self, index: usize) -> Option<(usize, &'static AiDef)> {
        match self.inline.get(index) {
            Some(&(place, def)) => def.map(|def| (place, def)),
            None => self.spill.get(index - INLINE_PLACES).copied(),
        }
    }

    /// Whether an element other than the one at `except` has an AI matching `pattern`.
    fn has_other(&self, pattern: &AiPattern, except: usize) -> bool {
        let inline = self
            .keys
            .get(..self.len.min(INLINE_PLACES))
            .unwrap_or_default();
        inline
            .iter()
            .enumerate()
            .any(|(index, &key)| index != except && pattern.matches_key(key))
            || self.spill.iter().enumerate().any(|(index, (_, def))| {
                index + INLINE_PLACES != except && pattern.matches_key(def.key())
            })
    }
}

impl<'a> Collector<'a> {
    /// `input` is the text byte offsets refer to; `base` the number of characters in front of
    /// it in the caller's string.
    pub(crate) fn new(input: &'a str, base: usize, current_year: i32) -> Collector<'a> {
        Collector {
            input: input.as_bytes(),
            text: input,
            ascii: input.is_ascii(),
            base,
            current_year,
            elements: Vec::with_capacity(4),
            places: Places::new(),
            errors: Vec::new(),
            gtin: None,
        }
    }

    /// Character position of a byte offset (counts the characters starting before it).
    pub(crate) fn char_pos(&self, byte: usize) -> usize {
        if self.ascii {
            return self.base + byte.min(self.input.len());
        }
        let before = self.input.get(..byte).unwrap_or(self.input);
        self.base + before.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
    }

    /// Records an error at a byte offset.
    pub(crate) fn error(&mut self, code: Gs1ErrorCode, ai: Option<&str>, byte: usize) {
        let position = Some(self.char_pos(byte));
        self.errors.push(Gs1Error::new(code, ai, position));
    }

    /// Checks one element's data and records it. `data_byte` is where the data starts; when
    /// `exact` is false (percent-decoded or padded data) field errors point at `data_byte`.
    pub(crate) fn element(
        &mut self,
        def: &'static AiDef,
        ai: &str,
        data: &[u8],
        ai_byte: usize,
        data_byte: usize,
        exact: bool,
    ) {
        let checked = check_field(def, data, self.current_year);
        if let Err(problem) = checked {
            let at = if exact {
                data_byte + problem.offset
            } else {
                data_byte
            };
            self.error(problem.code, Some(ai), at);
        }
        if let Some(existing) = self.elements.iter().find(|element| same(&element.ai, ai)) {
            if existing.value.as_bytes() != data {
                self.error(Gs1ErrorCode::DuplicateAi, Some(ai), ai_byte);
            }
            return;
        }
        // Exact data is the input at `data_byte`: take it as text by its (cheap) char
        // boundaries instead of checking its UTF-8 again.
        let exact_text = exact
            .then(|| self.text.get(data_byte..data_byte + data.len()))
            .flatten();
        debug_assert!(exact_text.is_none_or(|text| text.as_bytes() == data));
        let value = match exact_text {
            Some(text) => CompactString::new(text),
            None => bytes_to_string(data),
        };
        self.elements.push(Element {
            ai: CompactString::new(ai),
            title: def.title,
            value,
        });
        let place = self.char_pos(ai_byte);
        self.places.push(place, def);
        if checked.is_ok() && ai == "01" {
            self.gtin = Gtin::from_checked(data);
        }
    }

    /// Records an element whose data the caller has already checked (the bare GTIN path).
    pub(crate) fn bare_element(&mut self, def: &'static AiDef, data: &[u8], gtin: Option<Gtin>) {
        self.gtin = gtin;
        self.elements.push(Element {
            ai: CompactString::new(&def.ai),
            title: def.title,
            value: bytes_to_string(data),
        });
        self.places.push(self.base, def);
    }

    /// Whether an element with this AI has been read.
    pub(crate) fn has_element(&self, ai: &str) -> bool {
        self.elements.iter().any(|element| same(&element.ai, ai))
    }

    /// Applies the cross-element rules and builds the [`Check`]: every `req` rule of an
    /// element must be met by one of its alternatives (all of whose AIs are present), and no
    /// other element may match one of its `ex` patterns.
    pub(crate) fn finish(mut self, format: Format) -> Check {
        let mut found = Vec::new();
        for (index, element) in self.elements.iter().enumerate() {
            let Some((place, def)) = self.places.get(index) else {
                continue;
            };
            let unmet = def.requires.iter().any(|rule| {
                !rule.iter().any(|alternative| {
                    alternative
                        .iter()
                        .all(|pattern| self.places.has_other(pattern, index))
                })
            });
            if unmet {
                found.push((Gs1ErrorCode::MissingRequiredAi, &element.ai, place));
            }
            if def
                .excludes
                .iter()
                .any(|pattern| self.places.has_other(pattern, index))
            {
                found.push((Gs1ErrorCode::ConflictingAi, &element.ai, place));
            }
        }
        let found: Vec<Gs1Error> = found
            .into_iter()
            .map(|(code, ai, place)| Gs1Error::new(code, Some(ai), Some(place)))
            .collect();
        self.errors.extend(found);
        if self.elements.is_empty() && self.errors.is_empty() {
            self.errors
                .push(Gs1Error::new(Gs1ErrorCode::Empty, None, None));
        }
        Check {
            format,
            elements: self.elements,
            errors: self.errors,
            gtin: self.gtin,
        }
    }
}

/// The data as text; invalid UTF-8 (a multi-byte character cut by a fixed length) is
/// replaced, which only happens for data already reported as `bad_character`.
fn bytes_to_string(data: &[u8]) -> CompactString {
    match std::str::from_utf8(data) {
        Ok(text) => CompactString::new(text),
        Err(_) => CompactString::from_utf8_lossy(data),
    }
}

/// String equality for 2–4 digit AIs, inlined (a `memcmp` call costs more than the compare).
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}
