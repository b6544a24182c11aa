//! Fuzz target: `gs1::parse` must never panic, and what it reports must be consistent, for any
//! input string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use originguard::i18n::Lang;
use originguard::origin::gs1;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let check = gs1::parse(&input, 2025);
    let chars = input.chars().count();
    for error in &check.errors {
        if let Some(position) = error.position {
            assert!(position <= chars, "position {position} past {chars} chars");
        }
        let _ = error.message(Lang::Vi);
    }
    if let Some(gtin) = &check.gtin {
        assert_eq!(gtin.as_str().len(), 14);
        let _ = gs1::prefix_lookup(gtin);
    }
    assert_eq!(check.valid(), check.errors.is_empty());
});
