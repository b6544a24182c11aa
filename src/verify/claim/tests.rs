//! The claim rules without Redis: each finding from constructed look-ups, and the verdict
//! precedence.

use chrono::NaiveDate;

use super::*;
use crate::reference::product::Lot;

const TODAY: (i32, u32, u32) = (2026, 11, 22);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

fn product() -> Product {
    Product {
        gtin: "08935049500018".into(),
        name: "Milk".into(),
        brand: None,
        manufacturer_tax_code: Some("0300588569".into()),
        importer_tax_code: None,
        manufacturer_name: None,
        country_of_origin: "VN".into(),
        authorized_sellers: vec!["0101248141".into()],
        lots: vec![
            Lot {
                lot: "OK".into(),
                produced_on: NaiveDate::from_ymd_opt(2026, 1, 1),
                expires_on: NaiveDate::from_ymd_opt(2027, 1, 1),
                recalled: false,
            },
            Lot {
                lot: "OLD".into(),
                produced_on: None,
                expires_on: NaiveDate::from_ymd_opt(2026, 1, 1),
                recalled: false,
            },
            Lot {
                lot: "BAD".into(),
                produced_on: None,
                expires_on: None,
                recalled: true,
            },
        ],
    }
}

fn input(seller: &str, code: &str, origin: &str) -> ClaimInput {
    ClaimInput {
        seller_tax_code: seller.into(),
        product_code: code.into(),
        claimed_origin: Some(origin.into()),
        claimed_manufacturer_tax_code: Some("0300588569".into()),
        ..ClaimInput::default()
    }
}

fn run(input: &ClaimInput, found: Lookups) -> Outcome {
    evaluate(&ParsedClaim::parse(input, TODAY.0), &found, today())
}

fn with_product() -> Lookups {
    Lookups {
        product: Some(product()),
        ..Lookups::default()
    }
}

fn codes(outcome: &Outcome) -> Vec<&'static str> {
    outcome.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn verdict_precedence_is_invalid_then_critical_then_warning() {
    let critical = Finding::new(FindingCode::LotRecalled, "p");
    let warning = Finding::new(FindingCode::GtinUnregistered, "p");
    let info = Finding::new(FindingCode::PrefixIssuerDiffers, "p");
    assert_eq!(
        verdict(true, std::slice::from_ref(&warning)),
        Verdict::Invalid
    );
    assert_eq!(
        verdict(false, &[warning.clone(), critical]),
        Verdict::Inconsistent
    );
    assert_eq!(
        verdict(false, &[info.clone(), warning]),
        Verdict::Suspicious
    );
    assert_eq!(verdict(false, &[info]), Verdict::Consistent);
    assert_eq!(verdict(false, &[]), Verdict::Consistent);
}

#[test]
fn a_matching_claim_has_no_findings() {
    let outcome = run(
        &input("0101248141", "(01)08935049500018(10)OK", "VN"),
        with_product(),
    );
    assert_eq!(codes(&outcome), Vec::<&str>::new());
    assert_eq!(outcome.verdict, Verdict::Consistent);
}

#[test]
fn each_product_rule_gives_its_finding() {
    let recalled = run(
        &input("0101248141", "(01)08935049500018(10)BAD", "VN"),
        with_product(),
    );
    assert_eq!(codes(&recalled), vec!["lot_recalled"]);
    let listed = run(
        &input("0101248141", "(01)08935049500018(10)OK", "VN"),
        Lookups {
            lot_on_recall_list: true,
            ..with_product()
        },
    );
    assert_eq!(codes(&listed), vec!["lot_recalled"]);
    let expired = run(
        &input("0101248141", "(01)08935049500018(10)OLD", "VN"),
        with_product(),
    );
    assert_eq!(codes(&expired), vec!["lot_expired"]);
    let expiry_in_code = run(
        &input("0101248141", "(01)08935049500018(17)250101", "VN"),
        with_product(),
    );
    assert_eq!(codes(&expiry_in_code), vec!["lot_expired"]);
    let origin = run(&input("0101248141", "08935049500018", "TH"), with_product());
    assert_eq!(
        codes(&origin),
        vec!["prefix_issuer_differs", "origin_mismatch"]
    );
    assert_eq!(origin.verdict, Verdict::Inconsistent);
    let unauthorised = run(&input("0100109106", "08935049500018", "VN"), with_product());
    assert_eq!(codes(&unauthorised), vec!["seller_not_authorized"]);
    assert_eq!(unauthorised.verdict, Verdict::Suspicious);
    let unknown = run(
        &input("0101248141", "08935049500018", "VN"),
        Lookups::default(),
    );
    assert_eq!(codes(&unknown), vec!["gtin_unregistered"]);
    let mut other_maker = input("0101248141", "08935049500018", "VN");
    other_maker.claimed_manufacturer_tax_code = Some("0100109106".into());
    assert_eq!(
        codes(&run(&other_maker, with_product())),
        vec!["manufacturer_mismatch"]
    );
    let cloned = run(
        &input("0101248141", "(01)08935049500018(21)S1", "VN"),
        Lookups {
            serial_sellers: 3,
            ..with_product()
        },
    );
    assert_eq!(codes(&cloned), vec!["serial_cloned"]);
    assert!(cloned.findings[0]
        .message
        .get(crate::i18n::Lang::En)
        .contains("3 different sellers"));
}

#[test]
fn a_branch_of_an_authorised_seller_is_authorised() {
    let outcome = run(
        &input("0101248141-002", "08935049500018", "VN"),
        with_product(),
    );
    assert_eq!(codes(&outcome), Vec::<&str>::new());
}

#[test]
fn tax_codes_and_taxpayers() {
    let invalid = run(&input("0101248142", "08935049500018", "VN"), with_product());
    assert_eq!(codes(&invalid), vec!["taxcode_invalid"]);
    assert_eq!(invalid.verdict, Verdict::Invalid);
    let closed = Taxpayer {
        tax_code: "0101248141".into(),
        name: "x".into(),
        status: TaxpayerStatus::Closed,
        province: None,
    };
    let inactive = run(
        &input("0101248141", "08935049500018", "VN"),
        Lookups {
            seller_taxpayer: Some(closed),
            ..with_product()
        },
    );
    assert_eq!(codes(&inactive), vec!["taxcode_inactive"]);
    assert!(inactive.findings[0]
        .message
        .get(crate::i18n::Lang::Vi)
        .contains("đã đóng"));
}

#[test]
fn shop_blocked_is_critical_when_the_lookup_says_so() {
    let outcome = run(
        &input("0101248141", "08935049500018", "VN"),
        Lookups {
            shop_blocked: true,
            ..with_product()
        },
    );
    assert_eq!(codes(&outcome), vec!["shop_blocked"]);
    assert_eq!(outcome.verdict, Verdict::Inconsistent);
}

#[test]
fn an_unreadable_code_is_invalid_and_skips_product_rules() {
    let outcome = run(
        &input("0101248141", "(01)08935049500019", "TH"),
        with_product(),
    );
    assert_eq!(codes(&outcome), vec!["code_invalid"]);
    assert_eq!(outcome.verdict, Verdict::Invalid);
}

/// Sunscreen made in Japan, imported by 0319876546, sold on by 0100109106.
fn imported() -> Lookups {
    Lookups {
        product: Some(Product {
            gtin: "04901234567894".into(),
            name: "Sunscreen".into(),
            brand: None,
            manufacturer_tax_code: None,
            importer_tax_code: Some("0319876546".into()),
            manufacturer_name: Some("Sample Cosmetics Co., Ltd.".into()),
            country_of_origin: "JP".into(),
            authorized_sellers: vec!["0100109106".into()],
            lots: Vec::new(),
        }),
        ..Lookups::default()
    }
}

fn imported_claim(seller: &str, manufacturer: &str) -> ClaimInput {
    ClaimInput {
        seller_tax_code: seller.into(),
        product_code: "04901234567894".into(),
        claimed_origin: Some("JP".into()),
        claimed_manufacturer_tax_code: Some(manufacturer.into()),
        ..ClaimInput::default()
    }
}

#[test]
fn the_importer_and_its_authorised_sellers_claim_imported_goods_like_a_manufacturer() {
    for seller in ["0319876546", "0319876546-001", "0100109106"] {
        let outcome = run(&imported_claim(seller, "0319876546"), imported());
        assert_eq!(codes(&outcome), Vec::<&str>::new(), "{seller}");
        assert_eq!(outcome.verdict, Verdict::Consistent);
    }
    let outsider = run(&imported_claim("0101248141", "0319876546"), imported());
    assert_eq!(codes(&outsider), vec!["seller_not_authorized"]);
    let other_importer = run(&imported_claim("0100109106", "0300588569"), imported());
    assert_eq!(codes(&other_importer), vec!["manufacturer_mismatch"]);
}

#[test]
fn the_manufacturer_selling_its_own_goods_is_authorised() {
    let outcome = run(&input("0300588569", "08935049500018", "VN"), with_product());
    assert_eq!(codes(&outcome), Vec::<&str>::new());
}

#[test]
fn goods_bought_from_the_importer_are_from_a_source() {
    let invoice = |seller: &str| Invoice {
        seller_tax_code: seller.into(),
        template: "1".into(),
        symbol: "K26TAD".into(),
        number: "45".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 5, 20).unwrap(),
        tax_authority_code: None,
        buyer_tax_code: Some("0100109106".into()),
        status: crate::reference::invoice::InvoiceStatus::Issued,
        items: vec![crate::reference::invoice::InvoiceItem {
            gtin: Some("04901234567894".into()),
            name: None,
            quantity: Some(10.0),
        }],
    };
    let mut claim = imported_claim("0100109106", "0319876546");
    claim.invoices = vec![InvoiceRefInput {
        seller_tax_code: "0319876546".into(),
        template: "1".into(),
        symbol: "K26TAD".into(),
        number: "45".into(),
        ..InvoiceRefInput::default()
    }];
    let from_importer = run(
        &claim,
        Lookups {
            invoices: vec![Some(invoice("0319876546"))],
            ..imported()
        },
    );
    assert_eq!(codes(&from_importer), Vec::<&str>::new());
    claim.invoices[0].seller_tax_code = "0101248141".into();
    let elsewhere = run(
        &claim,
        Lookups {
            invoices: vec![Some(invoice("0101248141"))],
            ..imported()
        },
    );
    assert_eq!(codes(&elsewhere), vec!["invoice_seller_mismatch"]);
}
