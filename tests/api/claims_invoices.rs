//! `POST /v1/claims/verify` with invoices offered as proof: each invoice finding on the
//! invoice's index, with its severity and the verdict it leads to.

use crate::common::claims_world;

use chrono::{Datelike, Duration, NaiveDate};
use claims_world::*;
use serde_json::{json, Value};

#[tokio::test]
async fn invoices_that_do_not_prove_the_claim_are_reported_on_their_index() {
    let w = World::new().await;
    let code = format!("(01){}(10)CUR", w.p1);
    let with = |references: Vec<Value>| claim(SELLER_A, &code, "VN", MAKER, references);
    let cases = [
        (2, "invoice_cancelled", "critical", "inconsistent"),
        (3, "invoice_seller_mismatch", "critical", "inconsistent"),
        (4, "invoice_buyer_mismatch", "critical", "inconsistent"),
        (5, "invoice_item_missing", "warning", "suspicious"),
        (6, "invoice_date_inconsistent", "warning", "suspicious"),
        (7, "invoice_date_inconsistent", "warning", "suspicious"),
    ];
    for (number, expected, severity, verdict) in cases {
        let result = w
            .verify(&with(vec![w.invoice(1).1, w.invoice(number).1]))
            .await;
        assert_eq!(
            findings(&result),
            vec![f(expected, severity, "invoices[1]")],
            "invoice {number}"
        );
        assert_eq!(result["verdict"], verdict, "invoice {number}");
    }
    let mut missing = w.invoice(1).1;
    missing["number"] = json!("999");
    let result = w.verify(&with(vec![missing])).await;
    assert_eq!(
        findings(&result),
        vec![f("invoice_not_found", "warning", "invoices[0]")]
    );
    assert_eq!(result["verdict"], "suspicious");
    let (record, mut dated) = w.invoice(1);
    let stored =
        NaiveDate::parse_from_str(record["issued_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let other_day = if stored.day() > 1 {
        stored - Duration::days(1)
    } else {
        stored + Duration::days(1)
    };
    dated["issued_on"] = json!(other_day.to_string());
    let result = w.verify(&with(vec![dated])).await;
    assert_eq!(
        findings(&result),
        vec![f("invoice_date_inconsistent", "warning", "invoices[0]")]
    );
    let mut buyer = w.invoice(1).1;
    buyer["buyer_tax_code"] = json!(SELLER_B);
    let result = w.verify(&with(vec![buyer])).await;
    assert_eq!(
        findings(&result),
        vec![f("invoice_buyer_mismatch", "critical", "invoices[0]")]
    );
    let mut unreadable = w.invoice(1).1;
    unreadable["symbol"] = json!("X25TAA");
    let result = w.verify(&with(vec![w.invoice(1).1, unreadable])).await;
    assert_eq!(
        findings(&result),
        vec![f("invoice_invalid", "critical", "invoices[1]")]
    );
    assert_eq!(result["verdict"], "invalid");
    assert!(
        message(&result, 0).contains("bad_authority_letter"),
        "{result}"
    );
}

#[tokio::test]
async fn goods_bought_from_a_branch_of_the_manufacturer_or_of_an_authorised_seller_are_no_seller_mismatch(
) {
    let w = World::new().await;
    let ago = w.today - Duration::days(30);
    let (from_maker_branch, maker_ref) =
        invoice(8, ago, "0300588569-001", SELLER_A, "issued", &w.p1);
    let (from_seller_branch, seller_ref) =
        invoice(9, ago, "0100109106-001", SELLER_A, "issued", &w.p1);
    w.load("invoices", &[from_maker_branch, from_seller_branch])
        .await;
    let code = format!("(01){}(10)CUR", w.p1);
    for reference in [maker_ref, seller_ref] {
        let result = w
            .verify(&claim(
                SELLER_A,
                &code,
                "VN",
                MAKER,
                vec![reference.clone()],
            ))
            .await;
        assert_eq!(
            findings(&result),
            vec![],
            "a supplier that is a branch of the registered manufacturer or of an authorised seller \
             sells on its behalf; {} gives {result}",
            reference["seller_tax_code"]
        );
    }
}

#[tokio::test]
async fn an_invoice_the_claimant_issued_supports_its_claim() {
    let w = World::new().await;
    let (record, reference) = w.invoice(5);
    assert_eq!(record["seller_tax_code"], MAKER);
    let result = w
        .verify(&claim(MAKER, &w.p2, "", MAKER, vec![reference]))
        .await;
    assert_eq!(
        findings(&result),
        vec![],
        "the manufacturer sold P2 on invoice 5: {result}"
    );
    assert_eq!(result["verdict"], "consistent");
    let several = w
        .verify(&claim(
            SELLER_A,
            &format!("(01){}(10)CUR", w.p1),
            "VN",
            MAKER,
            vec![w.invoice(1).1, w.invoice(2).1, w.invoice(5).1],
        ))
        .await;
    assert_eq!(
        findings(&several),
        vec![
            f("invoice_cancelled", "critical", "invoices[1]"),
            f("invoice_item_missing", "warning", "invoices[2]"),
        ]
    );
    assert_eq!(several["verdict"], "inconsistent");
}
