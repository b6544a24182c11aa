//! Reference-data validation through `PUT /v1/reference/{kind}`: every bad field of a
//! product, recall, taxpayer or invoice line is named with its JSON path and a stable code, and
//! nothing of a rejected line is stored.

use crate::common;
use crate::common::fixtures::{gtin13, wrong_last_digit};

use common::{rejections, TestApp};
use serde_json::{json, Value};

const MANUFACTURER: &str = "0300588569";

/// Loads `cases` (one line each) and asserts each line is rejected with exactly its errors.
async fn assert_each_line_rejected(
    app: &TestApp,
    kind: &str,
    cases: &[(String, Vec<(&str, &str)>)],
) {
    let body: String = cases.iter().map(|(line, _)| format!("{line}\n")).collect();
    let report = app.load(kind, body).await;
    assert_eq!(report["accepted"], 0, "{report}");
    assert_eq!(report["rejected_count"], cases.len() as u64, "{report}");
    assert_eq!(report["rejected_truncated"], false);
    let got = rejections(&report);
    for (index, (line, expected)) in cases.iter().enumerate() {
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(got[index].0, index as u64 + 1, "line number of {line}");
        assert_eq!(
            got[index].1,
            expected,
            "errors of line {}: {line}",
            index + 1
        );
    }
}

#[tokio::test]
async fn each_bad_product_field_is_named_with_its_code() {
    let app = TestApp::spawn().await;
    let good = gtin13(2);
    let with = |extra: Value| {
        let mut line = json!({"gtin": good, "name": "P", "manufacturer_tax_code": MANUFACTURER,
                              "country_of_origin": "VN"});
        for (k, v) in extra.as_object().unwrap() {
            line[k] = v.clone();
        }
        line.to_string()
    };
    let many_lots: Vec<Value> = (0..1001).map(|i| json!({"lot": format!("L{i}")})).collect();
    let cases = vec![
        (
            with(json!({"gtin": wrong_last_digit(&good)})),
            vec![("gtin", "check_digit")],
        ),
        (with(json!({"gtin": "12345"})), vec![("gtin", "bad_length")]),
        (
            with(json!({"gtin": "893A049500018"})),
            vec![("gtin", "bad_character")],
        ),
        (with(json!({"gtin": null})), vec![("gtin", "missing_field")]),
        (
            with(json!({"name": "   "})),
            vec![("name", "missing_field")],
        ),
        (
            with(json!({"name": "x".repeat(301)})),
            vec![("name", "too_long")],
        ),
        (
            with(json!({"manufacturer_tax_code": wrong_last_digit(MANUFACTURER)})),
            vec![("manufacturer_tax_code", "check_digit")],
        ),
        (
            with(json!({"manufacturer_tax_code": null, "importer_tax_code": MANUFACTURER})),
            vec![("manufacturer_name", "missing_field")],
        ),
        (
            with(
                json!({"manufacturer_tax_code": null, "manufacturer_name": "Foreign Co.",
                        "importer_tax_code": wrong_last_digit(MANUFACTURER)}),
            ),
            vec![("importer_tax_code", "check_digit")],
        ),
        (
            with(json!({"country_of_origin": "XX"})),
            vec![("country_of_origin", "invalid_country")],
        ),
        (
            with(json!({"country_of_origin": "vn"})),
            vec![("country_of_origin", "invalid_country")],
        ),
        (
            with(json!({"authorized_sellers": ["0101248141", "123"]})),
            vec![("authorized_sellers[1]", "bad_length")],
        ),
        (
            with(json!({"lots": [{"lot": "L 1"}]})),
            vec![("lots[0].lot", "bad_character")],
        ),
        (
            with(json!({"lots": [{"lot": "L".repeat(21)}]})),
            vec![("lots[0].lot", "too_long")],
        ),
        (
            with(json!({"lots": [{"expires_on": "2026-01-01"}]})),
            vec![("lots[0].lot", "missing_field")],
        ),
        (
            with(json!({"lots": [{"lot": "A"}, {"lot": "B", "expires_on": "2026-02-30"}]})),
            vec![("lots[1].expires_on", "invalid_date")],
        ),
        (
            with(
                json!({"lots": [{"lot": "A", "produced_on": "2026-03-01", "expires_on": "2026-02-01"}]}),
            ),
            vec![("lots[0].expires_on", "expires_before_produced")],
        ),
        (
            with(json!({"lots": [{"lot": "A"}, {"lot": "A"}]})),
            vec![("lots[1].lot", "duplicate_lot")],
        ),
        (with(json!({"lots": many_lots})), vec![("lots", "too_many")]),
        (with(json!({"countri": "VN"})), vec![("", "invalid_record")]),
        (with(json!({"name": 5})), vec![("", "invalid_record")]),
        ("{\"gtin\": ".to_owned(), vec![("", "malformed_json")]),
        (
            json!({"gtin": wrong_last_digit(&good), "country_of_origin": "XX"}).to_string(),
            vec![
                ("gtin", "check_digit"),
                ("name", "missing_field"),
                ("manufacturer_tax_code", "missing_field"),
                ("country_of_origin", "invalid_country"),
            ],
        ),
    ];
    assert_each_line_rejected(&app, "products", &cases).await;
    assert!(
        app.check(&good).await["product"].is_null(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn each_bad_recall_taxpayer_and_invoice_field_is_named_with_its_code() {
    let app = TestApp::spawn().await;
    let gtin = gtin13(3);
    let recalls = vec![
        (
            json!({"gtin": gtin}).to_string(),
            vec![("lot", "missing_field")],
        ),
        (
            json!({"gtin": wrong_last_digit(&gtin), "lot": "A"}).to_string(),
            vec![("gtin", "check_digit")],
        ),
        (
            json!({"gtin": gtin, "lot": "é"}).to_string(),
            vec![("lot", "bad_character")],
        ),
        (
            json!({"gtin": gtin, "lot": "A", "reason": "x"}).to_string(),
            vec![("", "invalid_record")],
        ),
    ];
    assert_each_line_rejected(&app, "recalls", &recalls).await;

    let taxpayers = vec![
        (
            json!({"tax_code": wrong_last_digit("0100109106"), "name": "A", "status": "active"})
                .to_string(),
            vec![("tax_code", "check_digit")],
        ),
        (
            json!({"tax_code": "0100109106-000", "name": "A", "status": "active"}).to_string(),
            vec![("tax_code", "bad_branch")],
        ),
        (
            json!({"tax_code": "0100109106", "name": "A", "status": "gone"}).to_string(),
            vec![("status", "invalid_status")],
        ),
        (
            json!({"tax_code": "0100109106", "status": "active"}).to_string(),
            vec![("name", "missing_field")],
        ),
        (
            json!({"tax_code": "0100109106", "name": "A"}).to_string(),
            vec![("status", "missing_field")],
        ),
    ];
    assert_each_line_rejected(&app, "taxpayers", &taxpayers).await;

    let invoice = |extra: Value| {
        let mut line = json!({"seller_tax_code": MANUFACTURER, "template": "1", "symbol": "K25TAA",
            "number": "7", "issued_on": "2025-05-05", "status": "issued"});
        for (k, v) in extra.as_object().unwrap() {
            line[k] = v.clone();
        }
        line.to_string()
    };
    let invoices = vec![
        (
            invoice(json!({"issued_on": null})),
            vec![("issued_on", "missing_field")],
        ),
        (
            invoice(json!({"status": null})),
            vec![("status", "missing_field")],
        ),
        (
            invoice(json!({"status": "lost"})),
            vec![("", "invalid_record")],
        ),
        (
            invoice(json!({"symbol": "K24TAA"})),
            vec![("symbol", "symbol_year_mismatch")],
        ),
        (
            invoice(json!({"number": "0"})),
            vec![("number", "out_of_range")],
        ),
        (
            invoice(json!({"items": [{"gtin": wrong_last_digit(&gtin)}]})),
            vec![("items[0].gtin", "check_digit")],
        ),
        (
            invoice(json!({"items": [{"gtin": gtin}, {"quantity": -1}]})),
            vec![("items[1].quantity", "invalid_quantity")],
        ),
        (
            invoice(json!({"symbol": "C25TAA"})),
            vec![("tax_authority_code", "tax_authority_code_missing")],
        ),
    ];
    assert_each_line_rejected(&app, "invoices", &invoices).await;
}
