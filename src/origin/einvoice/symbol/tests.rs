//! Unit tests of invoice-symbol parsing.

use super::*;

fn template(digit: u8) -> InvoiceTemplate {
    match InvoiceTemplate::parse(&digit.to_string()) {
        Ok(template) => template,
        Err(e) => panic!("template {digit}: {e}"),
    }
}

#[test]
fn every_type_letter_with_c_and_k() {
    for letter in "TDLMNBGH".chars() {
        for authority in ['C', 'K'] {
            let text = format!("{authority}25{letter}AA");
            let symbol = InvoiceSymbol::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(symbol.as_str(), text);
            assert_eq!(symbol.to_string(), text);
            assert_eq!(symbol.has_tax_authority_code(), authority == 'C');
            assert_eq!(symbol.year_two_digits(), 25);
            assert_eq!(symbol.kind_letter(), letter);
            assert_eq!(char::from(symbol.kind().letter), letter);
            assert_eq!(symbol.seller_letters(), "AA");
        }
    }
}

#[test]
fn every_two_digit_year_is_read_back() {
    for year in 0..=99u8 {
        let text = format!("K{year:02}TYY");
        assert_eq!(
            InvoiceSymbol::parse(&text).map(|s| s.year_two_digits()),
            Ok(year)
        );
    }
}

#[test]
fn surrounding_whitespace_is_removed() {
    assert_eq!(
        InvoiceSymbol::parse("  C25TAA\t")
            .map(|s| s.to_string())
            .as_deref(),
        Ok("C25TAA")
    );
}

#[test]
fn only_delivery_note_letters_are_tied_to_template_6() {
    for digit in 1..=9u8 {
        for letter in "TDLMNBGH".chars() {
            let symbol = InvoiceSymbol::parse(&format!("K25{letter}YY"));
            let goes = symbol.map(|s| s.goes_with(template(digit)));
            let expected = !matches!(letter, 'N' | 'B') || digit == 6;
            assert_eq!(goes, Ok(expected), "{digit} {letter}");
        }
    }
}

#[test]
fn each_error_code() {
    let cases = [
        ("", SymbolError::Empty, "empty"),
        ("   ", SymbolError::Empty, "empty"),
        ("C25TA", SymbolError::BadLength, "bad_length"),
        ("C25TAAA", SymbolError::BadLength, "bad_length"),
        ("1C25TAA", SymbolError::BadLength, "bad_length"),
        ("C 25TAA", SymbolError::BadLength, "bad_length"),
        ("Ç25TA", SymbolError::BadLength, "bad_length"),
        ("C25TÀ", SymbolError::BadLength, "bad_length"),
        (
            "X25TAA",
            SymbolError::BadAuthorityLetter,
            "bad_authority_letter",
        ),
        (
            "Ç25TAA",
            SymbolError::BadAuthorityLetter,
            "bad_authority_letter",
        ),
        ("C2ATAA", SymbolError::BadYear, "bad_year"),
        ("CA5TAA", SymbolError::BadYear, "bad_year"),
        ("C２5TAA", SymbolError::BadYear, "bad_year"),
        ("C25XAA", SymbolError::BadKindLetter, "bad_kind_letter"),
        ("C251AA", SymbolError::BadKindLetter, "bad_kind_letter"),
        ("C25TA1", SymbolError::BadSuffix, "bad_suffix"),
        ("C25T-A", SymbolError::BadSuffix, "bad_suffix"),
        ("C25TAĐ", SymbolError::BadSuffix, "bad_suffix"),
        ("c25TAA", SymbolError::Lowercase, "lowercase"),
        ("C25tAA", SymbolError::Lowercase, "lowercase"),
        ("C25TaA", SymbolError::Lowercase, "lowercase"),
        ("C25TAa", SymbolError::Lowercase, "lowercase"),
        (
            "x25TAA",
            SymbolError::BadAuthorityLetter,
            "bad_authority_letter",
        ),
        ("C25xAA", SymbolError::BadKindLetter, "bad_kind_letter"),
    ];
    for (input, error, code) in cases {
        assert_eq!(InvoiceSymbol::parse(input), Err(error), "{input:?}");
        assert_eq!(error.code(), code);
        assert!(!error.message(Lang::Vi).is_ascii());
        assert_ne!(error.message(Lang::En), error.message(Lang::Vi));
        assert_eq!(error.to_string(), error.message(Lang::En));
    }
}
