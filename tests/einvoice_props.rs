//! Property tests of the invoice-reference check: it never panics, and well-formed references
//! built from the rules always pass.

use originguard::origin::einvoice::{validate, InvoiceNumber, InvoiceRefInput, InvoiceSymbol};
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
}
