//! Property tests of product records for imported goods: any importer tax code with a foreign
//! manufacturer's name makes a product whose source is the importer; without the name, or
//! without either tax code, the line is refused on the field concerned.

use originguard::reference::product::validate_product;
use proptest::prelude::*;
use serde_json::json;

/// A valid 10-digit tax code from a 9-digit body (RULES.md mod-11 rule), when one exists.
fn tax_code(body: u32) -> Option<String> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let digits = format!("{body:09}");
    let sum: u32 = digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    (!sum.is_multiple_of(11) && !digits.ends_with("0000000"))
        .then(|| format!("{digits}{}", 10 - sum % 11))
}

fn fields(line: &str) -> Vec<(String, &'static str)> {
    validate_product(line)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

proptest! {
    #[test]
    fn an_importer_with_a_foreign_manufacturer_describes_imported_goods(
        body in 10_000_000u32..999_999_999,
        maker in "[A-Za-z][A-Za-z .,]{0,60}",
        origin in proptest::sample::select(vec!["JP", "KR", "CN", "DE", "US", "TH"]),
    ) {
        let Some(importer) = tax_code(body) else { return Ok(()) };
        let line = json!({"gtin": "4901234567894", "name": "Imported", "importer_tax_code": importer,
                          "manufacturer_name": maker, "country_of_origin": origin});
        let product = validate_product(&line.to_string());
        prop_assert!(product.is_ok(), "{:?}", product);
        let product = product.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(product.manufacturer_tax_code.as_deref(), None);
        prop_assert_eq!(product.source_tax_codes().collect::<Vec<_>>(), vec![importer.as_str()]);

        let nameless = json!({"gtin": "4901234567894", "name": "Imported",
                              "importer_tax_code": importer, "country_of_origin": origin});
        prop_assert_eq!(fields(&nameless.to_string()), vec![("manufacturer_name".to_owned(), "missing_field")]);
        let nobody = json!({"gtin": "4901234567894", "name": "Imported", "manufacturer_name": maker,
                            "country_of_origin": origin});
        prop_assert_eq!(fields(&nobody.to_string()), vec![("manufacturer_tax_code".to_owned(), "missing_field")]);
    }
}
