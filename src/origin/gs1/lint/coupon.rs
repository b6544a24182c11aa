//! The two coupon linters of the Syntax Dictionary: the North American coupon code of AI 8110
//! (`couponcode`) and the positive offer file coupon of AI 8112 (`couponposoffer`).
//!
//! Both are digit strings of fields, most led by a variable-length indicator (VLI) digit that
//! says how long the field is. Any structural problem is `invalid_value` at the field where it
//! is found (`bad_character` for a non-digit, `invalid_date` for a bad date). Pure, no panics.

use super::{all_digits, company_prefix, LintResult};
use crate::origin::gs1::date;
use crate::origin::gs1::error::Gs1ErrorCode::{InvalidDate, InvalidValue};

/// Walks the fields of a coupon.
struct Fields<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Fields<'a> {
        Fields { data, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    /// One digit, which must satisfy `allowed`.
    fn digit(&mut self, allowed: impl Fn(u8) -> bool) -> Result<u8, (super::Gs1ErrorCode, usize)> {
        match self.peek() {
            Some(digit) if allowed(digit) => {
                self.at += 1;
                Ok(digit - b'0')
            }
            _ => Err((InvalidValue, self.at.min(self.data.len()))),
        }
    }

    /// The next `len` characters.
    fn take(&mut self, len: usize) -> Result<&'a [u8], (super::Gs1ErrorCode, usize)> {
        let field = self
            .data
            .get(self.at..self.at + len)
            .ok_or((InvalidValue, self.at))?;
        self.at += len;
        Ok(field)
    }

    /// A GS1 Company Prefix of `len` digits.
    fn company_prefix(&mut self, len: usize) -> LintResult {
        let start = self.at;
        let prefix = self.take(len)?;
        company_prefix(prefix, 0).map_err(|(code, at)| (code, start + at))
    }

    /// A VLI digit in `low..=high` followed by that many (plus `extra`) characters.
    fn vli_field(&mut self, low: u8, high: u8, extra: usize) -> LintResult {
        let len = self.digit(|d| (low..=high).contains(&d))?;
        self.take(usize::from(len) + extra).map(|_| ())
    }

    /// A purchase requirement: VLI 1–5 and the requirement, a code 0–4 or 9, a family code.
    fn requirement(&mut self) -> LintResult {
        self.vli_field(b'1', b'5', 0)?;
        self.digit(|d| (b'0'..=b'4').contains(&d) || d == b'9')?;
        self.take(3).map(|_| ())
    }

    /// A further purchase's company prefix: VLI 0–6 (that plus 6 digits) or 9 (none).
    fn optional_prefix(&mut self) -> LintResult {
        let vli = self.digit(|d| (b'0'..=b'6').contains(&d) || d == b'9')?;
        if vli == 9 {
            Ok(())
        } else {
            self.company_prefix(usize::from(vli) + 6)
        }
    }

    /// A `YYMMDD` date.
    fn date(&mut self, current_year: i32) -> Result<&'a [u8], (super::Gs1ErrorCode, usize)> {
        let start = self.at;
        let digits = self.take(6)?;
        match date::parse_yymmdd(digits, current_year, false) {
            Some(_) => Ok(digits),
            None => Err((InvalidDate, start)),
        }
    }

    /// Whether the next optional field is the one led by `marker`; consumes the marker.
    fn opens(&mut self, marker: u8) -> bool {
        let opens = self.peek() == Some(marker);
        if opens {
            self.at += 1;
        }
        opens
    }
}

/// AI 8110: company prefix, offer code, save value, first purchase requirement, then the
/// optional fields 1 (second purchase), 2 (third), 3 (expiry), 4 (start), 5 (serial),
/// 6 (retailer), 9 (miscellaneous), each at most once and in that order.
pub fn coupon_code(data: &[u8], current_year: i32) -> LintResult {
    all_digits(data)?;
    let mut fields = Fields::new(data);
    let prefix_len = fields.digit(|d| d <= b'6')?;
    fields.company_prefix(usize::from(prefix_len) + 6)?;
    fields.take(6)?; // offer code
    fields.vli_field(b'1', b'5', 0)?; // save value
    fields.requirement()?;
    if fields.opens(b'1') {
        fields.digit(|d| d <= b'3')?; // additional purchase rules
        fields.requirement()?;
        fields.optional_prefix()?;
    }
    if fields.opens(b'2') {
        fields.requirement()?;
        fields.optional_prefix()?;
    }
    let mut expiry = None;
    if fields.opens(b'3') {
        expiry = Some(fields.date(current_year)?);
    }
    if fields.opens(b'4') {
        let start_at = fields.at;
        let start = fields.date(current_year)?;
        if expiry.is_some_and(|expiry| start > expiry) {
            return Err((InvalidValue, start_at));
        }
    }
    if fields.opens(b'5') {
        fields.vli_field(b'0', b'9', 6)?; // serial number
    }
    if fields.opens(b'6') {
        let vli = fields.digit(|d| (b'1'..=b'7').contains(&d))?;
        fields.company_prefix(usize::from(vli) + 6)?;
    }
    if fields.opens(b'9') {
        fields.digit(|d| matches!(d, b'0' | b'1' | b'2' | b'5' | b'6'))?; // save value code
        fields.digit(|d| d <= b'2')?; // applies to item
        fields.digit(|_| true)?; // store coupon flag
        fields.digit(|d| d <= b'1')?; // don't multiply flag
    }
    if fields.done() {
        Ok(())
    } else {
        Err((InvalidValue, fields.at))
    }
}

/// AI 8112: format code 0 or 1, funder ID (VLI 0–6, that plus 6 digits), offer code (6),
/// serial number (VLI, that plus 6 digits), nothing after.
pub fn positive_offer(data: &[u8]) -> LintResult {
    all_digits(data)?;
    let mut fields = Fields::new(data);
    fields.digit(|d| d <= b'1')?;
    fields.vli_field(b'0', b'6', 6)?;
    fields.take(6)?;
    fields.vli_field(b'0', b'9', 6)?;
    if fields.done() {
        Ok(())
    } else {
        Err((InvalidValue, fields.at))
    }
}
