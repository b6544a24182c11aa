//! Fuzz target: `TaxCode::parse` never panics, and whatever it accepts round-trips through its
//! canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use originguard::origin::tax_code::TaxCode;

fuzz_target!(|text: &str| {
    if let Ok(code) = TaxCode::parse(text) {
        assert_eq!(TaxCode::parse(code.as_str()), Ok(code));
        if let Some(parent) = code.parent() {
            assert_eq!(TaxCode::parse(parent.as_str()), Ok(parent));
        }
    }
});
