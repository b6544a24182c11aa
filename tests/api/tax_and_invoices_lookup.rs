//! `POST /v1/invoices/check` against invoices loaded through the API: found, not found,
//! mismatching fields, cancelled and replaced invoices and missing items, each with the finding
//! code and severity a client sees.

use crate::common::invoices::{check_invoice, loaded_app, reference, ON_INVOICE, TA_CODE};

use originguard::auth::Role;
use serde_json::{json, Value};

const NOT_ON_INVOICE: &str = "4006381333931";

/// `(code, severity, subject)` of each finding.
fn findings(answer: &Value) -> Vec<(String, String, String)> {
    answer["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            (text("code"), text("severity"), text("subject"))
        })
        .collect()
}

fn finding(code: &str, severity: &str) -> (String, String, String) {
    (code.to_owned(), severity.to_owned(), "invoice".to_owned())
}

#[tokio::test]
async fn an_invoice_that_agrees_with_its_record_is_found_without_findings() {
    let app = loaded_app().await;
    for changes in [
        json!({}),
        json!({"number": "00000123", "gtin": format!("0{ON_INVOICE}")}),
        json!({"template": "", "symbol": "1C25TAA"}),
        json!({"issued_on": null, "buyer_tax_code": null, "gtin": null}),
        // The public look-up does not ask for the tax-authority code: a `C` invoice without it
        // is checked on its other fields and found.
        json!({"tax_authority_code": null}),
        json!({"tax_authority_code": ""}),
    ] {
        let answer = check_invoice(&app, &reference(changes.clone())).await;
        assert_eq!(answer["valid_format"], true, "{changes}: {answer}");
        assert_eq!(answer["status"], "found", "{changes}: {answer}");
        assert_eq!(answer["findings"], json!([]), "{changes}");
        assert_eq!(answer["invoice"]["number"], "123");
        assert_eq!(answer["invoice"]["status"], "issued");
    }
    let branch = json!({"seller_tax_code": "0100109106001", "template": "2", "symbol": "K25TYY",
                        "number": "9", "issued_on": "2025-06-01"});
    let answer = check_invoice(&app, &branch).await;
    assert_eq!(
        answer["status"], "found",
        "a branch seller written without the dash: {answer}"
    );
}

#[tokio::test]
async fn an_invoice_not_on_record_is_not_found() {
    let app = loaded_app().await;
    let answer = check_invoice(&app, &reference(json!({"number": "999"}))).await;
    assert_eq!(answer["valid_format"], true);
    assert_eq!(answer["status"], "not_found");
    assert!(answer["invoice"].is_null());
    assert_eq!(
        findings(&answer),
        vec![finding("invoice_not_found", "warning")]
    );
    let other_seller =
        check_invoice(&app, &reference(json!({"seller_tax_code": "0100109106"}))).await;
    assert_eq!(
        other_seller["status"], "not_found",
        "the seller is part of the key"
    );
}

#[tokio::test]
async fn fields_that_differ_from_the_record_are_a_mismatch() {
    let app = loaded_app().await;
    let cases = [
        (
            json!({"issued_on": "2025-03-02"}),
            "invoice_date_inconsistent",
            "warning",
        ),
        (
            json!({"buyer_tax_code": "0100109106"}),
            "invoice_buyer_mismatch",
            "critical",
        ),
        (
            json!({"tax_authority_code": TA_CODE.replace("00A1", "11A1")}),
            "invoice_authority_code_mismatch",
            "critical",
        ),
    ];
    for (changes, code, severity) in cases {
        let answer = check_invoice(&app, &reference(changes.clone())).await;
        assert_eq!(answer["status"], "mismatch", "{changes}: {answer}");
        assert_eq!(
            findings(&answer),
            vec![finding(code, severity)],
            "{changes}"
        );
        assert_eq!(
            answer["invoice"]["issued_on"], "2025-03-01",
            "the record is shown"
        );
    }
    let vietnamese = app
        .post_as(
            Role::Platform,
            "/v1/invoices/check",
            &reference(json!({"issued_on": "2025-03-02"})),
        )
        .header("accept-language", "vi")
        .send()
        .await;
    assert!(vietnamese.json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2025-03-01"));
}

#[tokio::test]
async fn cancelled_and_replaced_invoices_and_missing_items_are_findings() {
    let app = loaded_app().await;
    let cancelled = reference(
        json!({"symbol": "K25TAB", "number": "124", "issued_on": "2025-04-15",
                                     "tax_authority_code": null}),
    );
    let answer = check_invoice(&app, &cancelled).await;
    assert_eq!(answer["status"], "found", "{answer}");
    assert_eq!(answer["invoice"]["status"], "cancelled");
    assert_eq!(
        findings(&answer),
        vec![finding("invoice_cancelled", "critical")]
    );
    let replaced = reference(
        json!({"symbol": "K25TAB", "number": "125", "issued_on": "2025-04-16",
                                    "tax_authority_code": null, "buyer_tax_code": null}),
    );
    let answer = check_invoice(&app, &replaced).await;
    assert_eq!(
        findings(&answer),
        vec![finding("invoice_replaced", "warning")]
    );
    let answer = check_invoice(&app, &reference(json!({"gtin": NOT_ON_INVOICE}))).await;
    assert_eq!(answer["status"], "found");
    assert_eq!(
        findings(&answer),
        vec![finding("invoice_item_missing", "warning")]
    );
    assert!(answer["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("0{NOT_ON_INVOICE}")));
}
