//! `POST /v1/claims/verify` against reference data loaded through the API: every finding code
//! about the product code, the product record and the seller, with its severity and subject,
//! and the verdict precedence invalid > inconsistent > suspicious > consistent. Invoice
//! findings are in `claims_invoices.rs`.

use crate::common::claims_world;

use chrono::Duration;
use claims_world::*;
use serde_json::json;

#[tokio::test]
async fn a_claim_its_records_and_invoice_back_is_consistent_without_findings() {
    let w = World::new().await;
    let code = format!("(01){}(10)CUR", w.p1);
    let result = w
        .verify(&claim(SELLER_A, &code, "VN", MAKER, vec![w.invoice(1).1]))
        .await;
    assert_eq!(
        (result["verdict"].clone(), findings(&result)),
        (json!("consistent"), vec![]),
        "{result}"
    );
    let branch = w
        .verify(&claim("0100109106001", &code, "vn", MAKER, vec![]))
        .await;
    assert_eq!(
        findings(&branch),
        vec![],
        "a branch of an authorised seller is authorised: {branch}"
    );
    assert_eq!(branch["verdict"], "consistent");
}

#[tokio::test]
async fn contradictions_with_the_product_record_are_critical() {
    let w = World::new().await;
    let code = format!("(01){}(10)CUR", w.p1);
    let origin = w.verify(&claim(SELLER_A, &code, "CN", MAKER, vec![])).await;
    assert_eq!(
        findings(&origin),
        vec![
            f("prefix_issuer_differs", "info", "product.code"),
            f("origin_mismatch", "critical", "product.claimed_origin"),
        ]
    );
    assert_eq!(origin["verdict"], "inconsistent");
    assert!(
        message(&origin, 1).contains("CN") && message(&origin, 1).contains("VN"),
        "{origin}"
    );
    let stated = w
        .verify(&claim(
            SELLER_A,
            &format!("(01){}(422)156", w.p1),
            "VN",
            MAKER,
            vec![],
        ))
        .await;
    assert_eq!(
        findings(&stated),
        vec![f("origin_mismatch", "critical", "product.claimed_origin")],
        "AI 422 says CN"
    );
    assert!(message(&stated, 0).contains("AI 422"), "{stated}");
    let agreeing = w
        .verify(&claim(
            SELLER_A,
            &format!("(01){}(422)704", w.p1),
            "VN",
            MAKER,
            vec![],
        ))
        .await;
    assert_eq!(findings(&agreeing), vec![], "704 is Viet Nam");
    let maker = w
        .verify(&claim(SELLER_A, &code, "VN", SELLER_B, vec![]))
        .await;
    assert_eq!(
        findings(&maker),
        vec![f(
            "manufacturer_mismatch",
            "critical",
            "product.claimed_manufacturer_tax_code"
        )]
    );
    assert_eq!(maker["verdict"], "inconsistent");
}

#[tokio::test]
async fn a_foreign_gs1_prefix_alone_is_information_and_the_claim_stays_consistent() {
    let w = World::new().await;
    let result = w.verify(&claim(SELLER_A, &w.p2, "VN", MAKER, vec![])).await;
    assert_eq!(
        findings(&result),
        vec![f("prefix_issuer_differs", "info", "product.code")]
    );
    assert_eq!(result["verdict"], "consistent", "{result}");
    assert!(message(&result, 0).contains("690"), "{result}");
}

#[tokio::test]
async fn recalled_and_expired_lots_are_critical() {
    let w = World::new().await;
    let past = (w.today - Duration::days(3)).format("%y%m%d").to_string();
    let cases = [
        (format!("(01){}(10)RCL", w.p1), "lot_recalled"),
        (format!("(01){}(10)LISTED", w.p1), "lot_recalled"),
        (format!("(01){}(10)OLD", w.p1), "lot_expired"),
        (format!("(01){}(17){past}", w.p1), "lot_expired"),
        (format!("(01){}(17){past}(10)UNKNOWN", w.p1), "lot_expired"),
    ];
    for (code, expected) in cases {
        let result = w.verify(&claim(SELLER_A, &code, "VN", MAKER, vec![])).await;
        assert_eq!(
            findings(&result),
            vec![f(expected, "critical", "product.code")],
            "{code}"
        );
        assert_eq!(result["verdict"], "inconsistent", "{code}");
    }
}

#[tokio::test]
async fn an_unregistered_gtin_is_a_warning() {
    let w = World::new().await;
    let unknown = with_gs1_check_digit("0893600000099");
    let result = w
        .verify(&claim(SELLER_A, &unknown, "VN", MAKER, vec![]))
        .await;
    assert_eq!(
        findings(&result),
        vec![f("gtin_unregistered", "warning", "product.code")]
    );
    assert_eq!(result["verdict"], "suspicious");
}

#[tokio::test]
async fn unauthorised_and_inactive_sellers_are_warnings() {
    let w = World::new().await;
    let p1 = format!("(01){}(10)CUR", w.p1);
    let outsider = w
        .verify(&claim(&w.outsider, &p1, "VN", MAKER, vec![]))
        .await;
    assert_eq!(
        findings(&outsider),
        vec![f("seller_not_authorized", "warning", "seller.tax_code")]
    );
    assert_eq!(outsider["verdict"], "suspicious");
    let p2 = format!("(01){}", w.p2);
    for (seller, en, vi) in [
        (SUSPENDED, "suspended", "tạm ngừng"),
        (CLOSED, "closed", "đã đóng"),
    ] {
        let result = w.verify(&claim(seller, &p2, "", MAKER, vec![])).await;
        assert_eq!(
            findings(&result),
            vec![f("taxcode_inactive", "warning", "seller.tax_code")],
            "{seller}"
        );
        assert_eq!(result["verdict"], "suspicious");
        assert!(message(&result, 0).contains(en), "{result}");
        let vietnamese = w
            .verify_in("vi", &claim(seller, &p2, "", MAKER, vec![]))
            .await;
        assert!(message(&vietnamese, 0).contains(vi), "{vietnamese}");
    }
}

#[tokio::test]
async fn invalid_tax_codes_are_critical_and_an_unreadable_seller_makes_the_claim_invalid() {
    let w = World::new().await;
    let p1 = format!("(01){}(10)CUR", w.p1);
    let seller = w
        .verify(&claim(
            &wrong_last_digit(SELLER_A),
            &p1,
            "VN",
            MAKER,
            vec![],
        ))
        .await;
    assert_eq!(
        findings(&seller),
        vec![f("taxcode_invalid", "critical", "seller.tax_code")]
    );
    assert_eq!(seller["verdict"], "invalid");
    assert!(message(&seller, 0).contains("check_digit"), "{seller}");
    let maker = w.verify(&claim(SELLER_A, &p1, "VN", "0300", vec![])).await;
    assert_eq!(
        findings(&maker),
        vec![f(
            "taxcode_invalid",
            "critical",
            "product.claimed_manufacturer_tax_code"
        )]
    );
    assert_eq!(
        maker["verdict"], "inconsistent",
        "claim.rs: only the product code, seller and invoices make it invalid"
    );
}

#[tokio::test]
async fn an_unreadable_product_code_makes_the_claim_invalid() {
    let w = World::new().await;
    for code in [
        wrong_last_digit(&w.p1),
        format!("(01){}(17)271332", w.p1),
        "(10)LOT".to_owned(),
        String::new(),
    ] {
        let result = w.verify(&claim(SELLER_A, &code, "VN", MAKER, vec![])).await;
        assert_eq!(
            findings(&result),
            vec![f("code_invalid", "critical", "product.code")],
            "{code:?}"
        );
        assert_eq!(result["verdict"], "invalid", "{code:?}");
    }
}

#[tokio::test]
async fn the_verdict_follows_the_precedence_invalid_inconsistent_suspicious_consistent() {
    let w = World::new().await;
    let p1 = format!("(01){}(10)CUR", w.p1);
    let invalid = w
        .verify(&claim(
            &wrong_last_digit(SELLER_A),
            &p1,
            "CN",
            SELLER_B,
            vec![],
        ))
        .await;
    let codes: Vec<String> = findings(&invalid).into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(
        codes,
        [
            "taxcode_invalid",
            "prefix_issuer_differs",
            "origin_mismatch",
            "manufacturer_mismatch"
        ]
    );
    assert_eq!(
        invalid["verdict"], "invalid",
        "unreadable input beats critical findings"
    );
    let inconsistent = w
        .verify(&claim(&w.outsider, &p1, "CN", MAKER, vec![]))
        .await;
    let codes: Vec<String> = findings(&inconsistent)
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    assert_eq!(
        codes,
        [
            "prefix_issuer_differs",
            "origin_mismatch",
            "seller_not_authorized"
        ]
    );
    assert_eq!(
        inconsistent["verdict"], "inconsistent",
        "critical beats warning"
    );
    let unknown_chinese = with_gs1_check_digit("0690123400099");
    let suspicious = w
        .verify(&claim(SELLER_A, &unknown_chinese, "VN", MAKER, vec![]))
        .await;
    assert_eq!(
        findings(&suspicious),
        vec![
            f("prefix_issuer_differs", "info", "product.code"),
            f("gtin_unregistered", "warning", "product.code")
        ]
    );
    assert_eq!(suspicious["verdict"], "suspicious", "warning beats info");
}

#[tokio::test]
async fn findings_are_worded_in_vietnamese_with_the_same_codes() {
    let w = World::new().await;
    let body = claim(
        SELLER_A,
        &format!("(01){}(10)CUR", w.p1),
        "CN",
        MAKER,
        vec![],
    );
    let (en, vi) = (w.verify(&body).await, w.verify_in("vi", &body).await);
    assert_eq!(findings(&en), findings(&vi));
    assert_eq!(vi["findings"][1]["code"], "origin_mismatch");
    assert!(message(&vi, 1).starts_with("Xuất xứ khai báo"), "{vi}");
    assert!(message(&vi, 0).contains("Tiền tố GS1"), "{vi}");
    assert_ne!(message(&en, 1), message(&vi, 1));
}
