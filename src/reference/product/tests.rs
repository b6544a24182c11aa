//! Unit tests of product and recall record validation.

use super::*;

#[test]
fn a_gtin13_is_stored_as_14_digits_with_its_lots() {
    let p = validate_product(
        r#"{"gtin":"8935049500018","name":"Sữa","manufacturer_tax_code":"0300588569","country_of_origin":"VN",
           "lots":[{"lot":"L1","produced_on":"2025-01-01","expires_on":"2026-01-01"}]}"#,
    );
    let p = p.unwrap();
    assert_eq!(p.gtin, "08935049500018");
    assert_eq!(
        p.lot("L1").unwrap().expires_on,
        NaiveDate::from_ymd_opt(2026, 1, 1)
    );
}

#[test]
fn bad_fields_are_each_named() {
    let errors = validate_product(
        r#"{"gtin":"8935049500019","name":"x","manufacturer_tax_code":"0300588569","country_of_origin":"XX",
           "authorized_sellers":["123"],"lots":[{"lot":"L 1","expires_on":"2026-02-30"}]}"#,
    )
    .unwrap_err();
    let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        fields,
        vec![
            ("gtin", "check_digit"),
            ("country_of_origin", "invalid_country"),
            ("authorized_sellers[0]", errors[2].code),
            ("lots[0].lot", "bad_character"),
            ("lots[0].expires_on", "invalid_date"),
        ]
    );
}

#[test]
fn imported_goods_name_the_importer_and_the_foreign_manufacturer() {
    let p = validate_product(
        r#"{"gtin":"4901234567894","name":"Kem","importer_tax_code":"0319876546",
           "manufacturer_name":"Sample Cosmetics Co., Ltd.","country_of_origin":"JP"}"#,
    )
    .unwrap();
    assert_eq!(p.manufacturer_tax_code, None);
    assert_eq!(p.importer_tax_code.as_deref(), Some("0319876546"));
    assert_eq!(p.source_tax_codes().collect::<Vec<_>>(), ["0319876546"]);
    let fields = |line: &str| -> Vec<(String, &str)> {
        validate_product(line)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    };
    assert_eq!(
        fields(
            r#"{"gtin":"4901234567894","name":"Kem","importer_tax_code":"0319876546","country_of_origin":"JP"}"#
        ),
        [("manufacturer_name".to_owned(), "missing_field")]
    );
    assert_eq!(
        fields(
            r#"{"gtin":"4901234567894","name":"Kem","manufacturer_tax_code":null,"manufacturer_name":"M","country_of_origin":"JP"}"#
        ),
        [("manufacturer_tax_code".to_owned(), "missing_field")]
    );
    let bad = fields(
        r#"{"gtin":"4901234567894","name":"Kem","importer_tax_code":"0319876547","manufacturer_name":"M","country_of_origin":"JP"}"#,
    );
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, "importer_tax_code");
}

#[test]
fn unknown_fields_and_broken_json_are_refused() {
    let unknown = validate_product(r#"{"gtin":"8935049500018","countri":"VN"}"#).unwrap_err();
    assert_eq!(unknown[0].code, "invalid_record");
    assert!(unknown[0].message.get(Lang::En).contains("countri"));
    assert_eq!(
        validate_recall("{\"gtin\":").unwrap_err()[0].code,
        "malformed_json"
    );
}

#[test]
fn a_rendered_product_answers_exactly_what_the_product_serialises_to() {
    let product = validate_product(
        r#"{"gtin":"8935049500018","name":"Sữa \"A\" <b>","manufacturer_tax_code":"0300588569","country_of_origin":"VN",
           "authorized_sellers":["0300588569"],"lots":[{"lot":"L1","expires_on":"2026-01-01"},{"lot":"L2"}]}"#,
    )
    .unwrap();
    let rendered = Rendered::new(product.clone());
    assert_eq!(
        serde_json::to_string(&rendered).unwrap(),
        serde_json::to_string(&product).unwrap()
    );
    assert_eq!(rendered.lot("L2").map(|l| l.lot.as_str()), Some("L2"));
    // Inside a larger answer, the fragment is written in place, not as a string.
    let answer = serde_json::json!({ "product": serde_json::to_value(&rendered).unwrap() });
    assert_eq!(answer["product"]["lots"][0]["lot"], "L1");
}
