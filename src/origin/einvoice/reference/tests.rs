//! Unit tests of the invoice-reference cross-field check.

use super::*;

const AUTHORITY_CODE: &str = "00A1B2C3D4E5F60718293A4B5C6D7E8F90";

fn good_c_invoice() -> InvoiceRefInput {
    InvoiceRefInput {
        seller_tax_code: "0100109106".into(),
        template: "1".into(),
        symbol: "C25TAA".into(),
        number: "00000123".into(),
        issued_on: Some("2025-03-01".into()),
        tax_authority_code: Some(AUTHORITY_CODE.into()),
        buyer_tax_code: Some("0300588569-001".into()),
        gtin: Some(" 08935049500018 ".into()),
    }
}

fn good_k_invoice() -> InvoiceRefInput {
    InvoiceRefInput {
        seller_tax_code: "0101248141".into(),
        template: "2".into(),
        symbol: "K24THY".into(),
        number: "7".into(),
        issued_on: Some("2024-12-31".into()),
        tax_authority_code: None,
        buyer_tax_code: None,
        gtin: None,
    }
}

/// The (field, code) pairs of a failed validation, in order.
fn codes(input: &InvoiceRefInput) -> Vec<(&'static str, &'static str)> {
    match validate(input) {
        Ok(reference) => panic!("unexpectedly valid: {reference:?}"),
        Err(errors) => errors.iter().map(|e| (e.field, e.code)).collect(),
    }
}

#[test]
fn a_complete_c_invoice_is_typed_and_keyed() {
    let reference = validate(&good_c_invoice()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(reference.seller_tax_code().as_str(), "0100109106");
    assert_eq!(reference.template().digit(), 1);
    assert_eq!(reference.symbol().as_str(), "C25TAA");
    assert_eq!(reference.number().value(), 123);
    assert_eq!(reference.issued_on(), NaiveDate::from_ymd_opt(2025, 3, 1));
    assert_eq!(
        reference.tax_authority_code().map(|c| c.as_str()),
        Some(AUTHORITY_CODE)
    );
    assert_eq!(
        reference.buyer_tax_code().map(|c| c.to_string()).as_deref(),
        Some("0300588569-001")
    );
    assert_eq!(reference.gtin(), Some(" 08935049500018 "));
    assert_eq!(reference.lookup_key(), "0100109106|1|C25TAA|123");
}

#[test]
fn a_k_invoice_needs_no_authority_code_and_blank_optionals_are_absent() {
    let mut input = good_k_invoice();
    input.tax_authority_code = Some("  ".into());
    input.buyer_tax_code = Some(String::new());
    input.issued_on = Some(String::new());
    let reference = validate(&input).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(reference.tax_authority_code(), None);
    assert_eq!(reference.buyer_tax_code(), None);
    assert_eq!(reference.issued_on(), None);
    assert_eq!(reference.lookup_key(), "0101248141|2|K24THY|7");
}

#[test]
fn branch_seller_is_keyed_in_canonical_form() {
    let mut input = good_k_invoice();
    input.seller_tax_code = "0101248141002".into();
    let key = validate(&input).map(|r| r.lookup_key());
    assert_eq!(key.as_deref(), Ok("0101248141-002|2|K24THY|7"));
}

#[test]
fn symbol_year_must_match_the_issue_year() {
    let mut input = good_c_invoice();
    input.issued_on = Some("2026-01-02".into());
    assert_eq!(codes(&input), [("symbol", "symbol_year_mismatch")]);
    input.issued_on = Some("1925-03-01".into());
    assert!(
        validate(&input).is_ok(),
        "only the last two digits are compared"
    );
    input.issued_on = None;
    assert!(validate(&input).is_ok(), "no date, nothing to compare");
}

#[test]
fn c_symbol_without_authority_code_is_checked_on_its_other_fields() {
    let mut c = good_c_invoice();
    c.tax_authority_code = None;
    let reference = validate(&c).expect("the code is optional in a check");
    assert_eq!(reference.tax_authority_code(), None);
    assert_eq!(reference.symbol().to_string(), "C25TAA");
    c.tax_authority_code = Some("   ".into());
    assert!(validate(&c).is_ok(), "a blank code is an absent one");
    c.number = "0".into();
    assert_eq!(codes(&c), [("number", "out_of_range")]);
}

#[test]
fn a_given_authority_code_is_still_validated() {
    let mut c = good_c_invoice();
    c.tax_authority_code = Some("SHORT".into());
    assert_eq!(codes(&c), [("tax_authority_code", "bad_length")]);
}

#[test]
fn an_invoice_record_needs_the_authority_code_on_a_c_symbol() {
    let mut c = good_c_invoice();
    c.tax_authority_code = None;
    let codes: Vec<_> = validate_record(&c)
        .expect_err("a record of a C invoice carries its code")
        .iter()
        .map(|e| (e.field, e.code))
        .collect();
    assert_eq!(
        codes,
        [("tax_authority_code", "tax_authority_code_missing")]
    );
    assert!(validate_record(&good_c_invoice()).is_ok());
    assert!(validate_record(&good_k_invoice()).is_ok());
}

#[test]
fn k_symbol_with_an_authority_code_is_inconsistent() {
    let mut k = good_k_invoice();
    k.tax_authority_code = Some(AUTHORITY_CODE.into());
    assert_eq!(
        codes(&k),
        [("tax_authority_code", "tax_authority_code_unexpected")]
    );
    k.tax_authority_code = Some("short".into());
    assert_eq!(
        codes(&k),
        [
            ("tax_authority_code", "lowercase"),
            ("tax_authority_code", "tax_authority_code_unexpected")
        ]
    );
}

#[test]
fn delivery_note_letters_need_template_6() {
    for letter in ['N', 'B'] {
        let mut input = good_k_invoice();
        input.symbol = format!("K24{letter}AB");
        assert_eq!(codes(&input), [("symbol", "symbol_template_mismatch")]);
        input.template = "6".into();
        assert!(validate(&input).is_ok());
    }
}

#[test]
fn the_combined_form_is_split() {
    let mut input = good_c_invoice();
    input.symbol = "1C25TAA".into();
    assert_eq!(
        validate(&input).map(|r| r.lookup_key()).as_deref(),
        Ok("0100109106|1|C25TAA|123")
    );
    input.template = String::new();
    assert_eq!(validate(&input).map(|r| r.template().digit()), Ok(1));
    input.symbol = "6C25NAA".into();
    assert_eq!(validate(&input).map(|r| r.template().digit()), Ok(6));
    input.symbol = "0C25TAA".into();
    assert_eq!(codes(&input), [("symbol", "out_of_range")]);
    input.template = "2".into();
    input.symbol = "1C25TAA".into();
    assert_eq!(codes(&input), [("template", "template_conflict")]);
}

/// A change to a good input and the one (field, code) it must cause.
type Case = (fn(&mut InvoiceRefInput), (&'static str, &'static str));

#[test]
fn field_errors_of_each_field() {
    let cases: [Case; 9] = [
        (
            |i| i.seller_tax_code = "0100109107".into(),
            ("seller_tax_code", "check_digit"),
        ),
        (|i| i.template = "0".into(), ("template", "out_of_range")),
        (|i| i.symbol = "C25TA".into(), ("symbol", "bad_length")),
        (|i| i.number = "0".into(), ("number", "out_of_range")),
        (|i| i.number = "123456789".into(), ("number", "bad_length")),
        (
            |i| i.issued_on = Some("01/03/2025".into()),
            ("issued_on", "bad_format"),
        ),
        (
            |i| i.issued_on = Some("2025-02-29".into()),
            ("issued_on", "invalid_date"),
        ),
        (
            |i| i.tax_authority_code = Some("A".repeat(19)),
            ("tax_authority_code", "bad_length"),
        ),
        (
            |i| i.buyer_tax_code = Some("0100109106-000".into()),
            ("buyer_tax_code", "bad_branch"),
        ),
    ];
    for (change, expected) in cases {
        let mut input = good_c_invoice();
        change(&mut input);
        assert_eq!(codes(&input), [expected], "{input:?}");
    }
}

#[test]
fn all_errors_are_collected() {
    let input = InvoiceRefInput {
        seller_tax_code: "12".into(),
        template: "x".into(),
        symbol: "C24NAA".into(),
        number: "abc".into(),
        issued_on: Some("2025-13-01".into()),
        tax_authority_code: None,
        buyer_tax_code: Some("999000000000".into()),
        gtin: Some("not checked here".into()),
    };
    assert_eq!(
        codes(&input),
        [
            ("seller_tax_code", "bad_length"),
            ("template", "bad_character"),
            ("number", "bad_character"),
            ("issued_on", "invalid_date"),
            ("buyer_tax_code", "bad_province"),
        ]
    );
    let mut cross = good_c_invoice();
    cross.symbol = "C24NAA".into();
    cross.tax_authority_code = None;
    assert_eq!(
        codes(&cross),
        [
            ("symbol", "symbol_year_mismatch"),
            ("symbol", "symbol_template_mismatch"),
        ]
    );
}

#[test]
fn an_empty_input_reports_each_required_field() {
    assert_eq!(
        codes(&InvoiceRefInput::default()),
        [
            ("seller_tax_code", "empty"),
            ("template", "empty"),
            ("symbol", "empty"),
            ("number", "empty"),
        ]
    );
}

#[test]
fn issue_dates_are_strict() {
    assert_eq!(
        parse_issue_date(" 2024-02-29 "),
        Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default())
    );
    for bad in [
        "2025-3-01",
        "2025-03-1",
        "25-03-01",
        "2025/03/01",
        "+2025-03-01",
        "2025-03-01T00:00",
    ] {
        assert_eq!(parse_issue_date(bad), Err(DateError::BadFormat), "{bad}");
    }
    for impossible in ["2025-02-29", "2025-00-10", "2025-04-31", "2025-01-00"] {
        assert_eq!(
            parse_issue_date(impossible),
            Err(DateError::InvalidDate),
            "{impossible}"
        );
    }
}

#[test]
fn messages_exist_in_both_languages() {
    let errors = [
        CrossCheckError::SymbolYearMismatch,
        CrossCheckError::TaxAuthorityCodeMissing,
        CrossCheckError::TaxAuthorityCodeUnexpected,
        CrossCheckError::SymbolTemplateMismatch,
        CrossCheckError::TemplateConflict,
    ];
    for error in errors {
        let field = field_error!("symbol", error);
        assert_eq!(field.code, error.code());
        assert_eq!(field.message(Lang::En), error.to_string());
        assert!(!field.message(Lang::Vi).is_ascii());
    }
    for error in [DateError::BadFormat, DateError::InvalidDate] {
        assert!(!error.message(Lang::Vi).is_ascii());
    }
}
