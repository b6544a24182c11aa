//! Property tests of the invoice-reference check: it never panics, well-formed references
//! built from the rules always pass, and the tax-authority code is optional in a check of a
//! `C` invoice but required in its record.

use originguard::origin::einvoice::{
    validate, validate_record, InvoiceNumber, InvoiceRefInput, InvoiceSymbol,
};
use proptest::prelude::*;

fn optional_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

proptest! {
    #[test]
    fn validate_never_panics(
        seller_tax_code in any::<String>(),
        template in any::<String>(),
        symbol in "[0-9CKTDLMNBGHYA-Za-z]{0,8}",
        number in any::<String>(),
        issued_on in optional_text(),
        tax_authority_code in optional_text(),
        buyer_tax_code in optional_text(),
        gtin in optional_text(),
    ) {
        let input = InvoiceRefInput {
            seller_tax_code, template, symbol, number, issued_on, tax_authority_code,
            buyer_tax_code, gtin,
        };
        if let Err(errors) = validate(&input) {
            prop_assert!(!errors.is_empty());
        }
    }

    #[test]
    fn symbol_and_number_parsers_never_panic(text in any::<String>()) {
        let _ = InvoiceSymbol::parse(&text);
        let _ = InvoiceNumber::parse(&text);
    }

    #[test]
    fn well_formed_references_pass(
        c_invoice in any::<bool>(),
        year in 2000i32..2100,
        letter in proptest::sample::select(vec!['T', 'D', 'L', 'M', 'G', 'H']),
        suffix in "[A-Z]{2}",
        template in 1u8..=9,
        number in 1u32..=99_999_999,
        authority in "[A-Z0-9]{34}",
    ) {
        let symbol = format!("{}{:02}{letter}{suffix}", if c_invoice { 'C' } else { 'K' }, year % 100);
        let input = InvoiceRefInput {
            seller_tax_code: "0300588569".into(),
            template: template.to_string(),
            symbol: symbol.clone(),
            number: format!("{number:08}"),
            issued_on: Some(format!("{year}-06-15")),
            tax_authority_code: c_invoice.then_some(authority),
            buyer_tax_code: None,
            gtin: None,
        };
        let key = validate(&input).map(|r| r.lookup_key());
        prop_assert_eq!(key, Ok(format!("0300588569|{template}|{symbol}|{number}")));
    }

    #[test]
    fn a_c_invoice_without_the_authority_code_is_checked_on_its_other_fields(
        year in 2000i32..2100,
        letter in proptest::sample::select(vec!['T', 'D', 'L', 'M', 'G', 'H']),
        suffix in "[A-Z]{2}",
        number in 1u32..=99_999_999,
        blank in proptest::sample::select(vec![None, Some(String::new()), Some("  ".to_owned())]),
        authority in "[A-Z0-9]{34}",
    ) {
        let symbol = format!("C{:02}{letter}{suffix}", year % 100);
        let mut input = InvoiceRefInput {
            seller_tax_code: "0300588569".into(),
            template: "1".into(),
            symbol,
            number: number.to_string(),
            issued_on: Some(format!("{year}-06-15")),
            tax_authority_code: blank,
            buyer_tax_code: None,
            gtin: None,
        };
        let checked = validate(&input);
        prop_assert!(checked.is_ok(), "{:?}", checked);
        prop_assert!(checked.map(|r| r.tax_authority_code().is_none()).unwrap_or(false));
        let record = validate_record(&input).map_err(|e| e.iter().map(|e| e.code).collect::<Vec<_>>());
        prop_assert_eq!(record, Err(vec!["tax_authority_code_missing"]));
        input.issued_on = Some(format!("{}-06-15", year + 1));
        let codes: Vec<&str> = validate(&input).err().unwrap_or_default().iter().map(|e| e.code).collect();
        prop_assert_eq!(codes, vec!["symbol_year_mismatch"], "the other fields are still checked");
        input.issued_on = Some(format!("{year}-06-15"));
        input.symbol.replace_range(0..1, "K");
        input.tax_authority_code = Some(authority);
        let codes: Vec<&str> = validate(&input).err().unwrap_or_default().iter().map(|e| e.code).collect();
        prop_assert_eq!(codes, vec!["tax_authority_code_unexpected"]);
    }
}
