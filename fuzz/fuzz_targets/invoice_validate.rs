//! Fuzz target: `validate` never panics on any invoice reference, reports at least one error
//! when it refuses, and an accepted reference's parts re-validate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use originguard::origin::einvoice::{validate, InvoiceRefInput};

/// Splits the fuzzer's bytes into the eight fields at `|`; `~` marks an absent optional.
fn input_from(text: &str) -> InvoiceRefInput {
    let mut parts = text.split('|');
    let mut required = || parts.next().unwrap_or("").to_owned();
    let seller_tax_code = required();
    let template = required();
    let symbol = required();
    let number = required();
    let mut optional = || match parts.next() {
        None | Some("~") => None,
        Some(value) => Some(value.to_owned()),
    };
    InvoiceRefInput {
        seller_tax_code,
        template,
        symbol,
        number,
        issued_on: optional(),
        tax_authority_code: optional(),
        buyer_tax_code: optional(),
        gtin: optional(),
    }
}

fuzz_target!(|text: &str| {
    let input = input_from(text);
    match validate(&input) {
        Ok(reference) => {
            let again = InvoiceRefInput {
                seller_tax_code: reference.seller_tax_code().to_string(),
                template: reference.template().to_string(),
                symbol: reference.symbol().to_string(),
                number: reference.number().to_string(),
                issued_on: reference
                    .issued_on()
                    .map(|d| d.format("%Y-%m-%d").to_string()),
                tax_authority_code: reference.tax_authority_code().map(|c| c.to_string()),
                buyer_tax_code: reference.buyer_tax_code().map(|c| c.to_string()),
                gtin: reference.gtin().map(str::to_owned),
            };
            assert_eq!(
                validate(&again).map(|r| r.lookup_key()),
                Ok(reference.lookup_key())
            );
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
});
