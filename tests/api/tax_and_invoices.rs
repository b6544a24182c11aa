//! `GET /v1/tax-codes/{code}` and `POST /v1/invoices/check` as a platform sees them: kinds and
//! canonical forms of tax codes, taxpayers from the reference data, every invoice format rule
//! named by field and code. Look-ups against invoices on record are in
//! `tax_and_invoices_lookup.rs`.

use crate::common;
use crate::common::fixtures::wrong_last_digit;
use crate::common::invoices::{
    check_invoice, loaded_app, reference, BUYER, ON_INVOICE, SELLER, TA_CODE,
};

use common::TestApp;
use originguard::auth::Role;
use serde_json::{json, Value};

/// N10 of a 10-digit tax code from N1…N9 (RULES.md); `None` when no valid code has this body.
fn tax_check_digit(body: &str) -> Option<char> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match sum % 11 {
        0 => None,
        r => Some(char::from(b'0' + (10 - r) as u8)),
    }
}

async fn tax_code(app: &TestApp, code: &str) -> Value {
    let answer = app
        .get_as(Role::Platform, &format!("/v1/tax-codes/{code}"))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{code}: {}", answer.text);
    answer.json
}

/// `(field, code)` of each error.
fn field_errors(answer: &Value) -> Vec<(String, String)> {
    answer["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn tax_code_check_digits_follow_the_mod_11_rule() {
    let app = TestApp::spawn().await;
    assert_eq!(
        tax_check_digit("010010910"),
        Some('6'),
        "the helper agrees with RULES.md"
    );
    let (mut valid_bodies, mut bodies_without_code) = (0, 0);
    for seq in 1_000_000u32..1_000_040 {
        let body = format!("01{seq:07}");
        match tax_check_digit(&body) {
            Some(digit) => {
                let code = format!("{body}{digit}");
                let answer = tax_code(&app, &code).await;
                assert_eq!(
                    (answer["valid"].clone(), answer["kind"].clone()),
                    (json!(true), json!("enterprise")),
                    "{code}"
                );
                assert_eq!(answer["tax_code"], code);
                assert_eq!(answer["errors"], json!([]));
                let wrong = tax_code(&app, &wrong_last_digit(&code)).await;
                assert_eq!(wrong["valid"], false, "{code} with a wrong check digit");
                assert_eq!(
                    field_errors(&wrong),
                    vec![(String::new(), "check_digit".to_owned())]
                );
                assert!(wrong["kind"].is_null());
                valid_bodies += 1;
            }
            None => {
                for last in 0..10 {
                    let code = format!("{body}{last}");
                    let answer = tax_code(&app, &code).await;
                    assert_eq!(
                        answer["valid"], false,
                        "{code}: remainder 0 has no valid code"
                    );
                    assert_eq!(field_errors(&answer)[0].1, "check_digit", "{code}");
                }
                bodies_without_code += 1;
            }
        }
    }
    assert!(
        valid_bodies > 0 && bodies_without_code > 0,
        "both branches ran"
    );
}

#[tokio::test]
async fn branch_and_personal_codes_have_their_kind_and_canonical_form() {
    let app = loaded_app().await;
    for input in ["0100109106-001", "0100109106001"] {
        let branch = tax_code(&app, input).await;
        assert_eq!(branch["valid"], true, "{input}");
        assert_eq!(branch["kind"], "branch");
        assert_eq!(
            branch["tax_code"], "0100109106-001",
            "{input} is written with the dash"
        );
        assert_eq!(branch["taxpayer"]["name"], "Chi nhánh A");
    }
    let personal = tax_code(&app, "001099012345").await;
    assert_eq!(
        (personal["kind"].clone(), personal["tax_code"].clone()),
        (json!("personal"), json!("001099012345"))
    );
    assert_eq!(personal["taxpayer"]["name"], "Hộ kinh doanh C");
    let invalid = [
        ("0100109106-000", "bad_branch"),
        (
            &*format!("{}-001", wrong_last_digit("0100109106")),
            "check_digit",
        ),
        ("097099012345", "bad_province"),
        ("000099012345", "bad_province"),
        ("12345", "bad_length"),
        ("01001091061", "bad_length"),
        ("0100109106-01", "bad_length"),
        ("01001O9106", "bad_character"),
        ("0100-109106", "bad_character"),
    ];
    for (input, code) in invalid {
        let answer = tax_code(&app, input).await;
        assert_eq!(answer["valid"], false, "{input}");
        assert_eq!(
            field_errors(&answer),
            vec![(String::new(), code.to_owned())],
            "{input}"
        );
        assert!(
            answer["kind"].is_null() && answer["taxpayer"].is_null(),
            "{input}"
        );
        assert_eq!(
            answer["tax_code"], input,
            "an invalid code is echoed as given"
        );
    }
    let unissued = "010000000";
    let digit = tax_check_digit(unissued).expect("this body has a check digit");
    let answer = tax_code(&app, &format!("{unissued}{digit}")).await;
    assert_eq!(
        field_errors(&answer),
        vec![(String::new(), "unissued_sequence".to_owned())]
    );
}

#[tokio::test]
async fn the_taxpayer_on_record_is_returned_with_its_status() {
    let app = loaded_app().await;
    let active = tax_code(&app, "0100109106").await;
    assert_eq!(
        active["taxpayer"],
        json!({"tax_code": "0100109106", "name": "Công ty A", "status": "active", "province": "Hà Nội"})
    );
    assert_eq!(
        tax_code(&app, "0100109106001").await["taxpayer"]["status"],
        "suspended"
    );
    assert_eq!(
        tax_code(&app, "0310012340").await["taxpayer"]["status"],
        "closed"
    );
    let unknown = tax_code(&app, SELLER).await;
    assert_eq!(unknown["valid"], true);
    assert!(
        unknown["taxpayer"].is_null(),
        "a valid code not on record: {unknown}"
    );
}

#[tokio::test]
async fn tax_code_and_invoice_checks_need_a_verification_role() {
    let app = TestApp::spawn().await;
    for role in [Role::Steward, Role::Registry, Role::Operator] {
        app.get_as(role, "/v1/tax-codes/0100109106")
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post_as(role, "/v1/invoices/check", &reference(json!({})))
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/v1/tax-codes/0100109106")
        .send()
        .await
        .assert_problem(401, "unauthorized");
    for role in [Role::Authority, Role::Admin] {
        assert_eq!(
            app.get_as(role, "/v1/tax-codes/0100109106")
                .send()
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn each_invoice_format_rule_is_reported_on_its_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"template": "0"}), "template", "out_of_range"),
        (json!({"template": "A"}), "template", "bad_character"),
        (json!({"template": "12"}), "template", "bad_length"),
        (json!({"template": ""}), "template", "empty"),
        (
            json!({"template": "2", "symbol": "1C25TAA"}),
            "template",
            "template_conflict",
        ),
        (
            json!({"symbol": "X25TAA"}),
            "symbol",
            "bad_authority_letter",
        ),
        (json!({"symbol": "C25TA"}), "symbol", "bad_length"),
        (json!({"symbol": "C2XTAA"}), "symbol", "bad_year"),
        (json!({"symbol": "C25QAA"}), "symbol", "bad_kind_letter"),
        (json!({"symbol": "C25T1A"}), "symbol", "bad_suffix"),
        (json!({"symbol": "C25Taa"}), "symbol", "lowercase"),
        (
            json!({"symbol": "C24TAA"}),
            "symbol",
            "symbol_year_mismatch",
        ),
        (
            json!({"issued_on": "2026-03-01"}),
            "symbol",
            "symbol_year_mismatch",
        ),
        (
            json!({"symbol": "C25NAA"}),
            "symbol",
            "symbol_template_mismatch",
        ),
        (
            json!({"symbol": "K25TAA"}),
            "tax_authority_code",
            "tax_authority_code_unexpected",
        ),
        (
            json!({"tax_authority_code": "SHORT"}),
            "tax_authority_code",
            "bad_length",
        ),
        (
            json!({"tax_authority_code": TA_CODE.to_lowercase()}),
            "tax_authority_code",
            "lowercase",
        ),
        (json!({"number": "0"}), "number", "out_of_range"),
        (json!({"number": "123456789"}), "number", "bad_length"),
        (json!({"number": "12a"}), "number", "bad_character"),
        (json!({"number": ""}), "number", "empty"),
        (
            json!({"issued_on": "2025-02-30"}),
            "issued_on",
            "invalid_date",
        ),
        (
            json!({"issued_on": "01/03/2025"}),
            "issued_on",
            "bad_format",
        ),
        (
            json!({"seller_tax_code": wrong_last_digit(SELLER)}),
            "seller_tax_code",
            "check_digit",
        ),
        (
            json!({"seller_tax_code": "123"}),
            "seller_tax_code",
            "bad_length",
        ),
        (
            json!({"buyer_tax_code": wrong_last_digit(BUYER)}),
            "buyer_tax_code",
            "check_digit",
        ),
        (
            json!({"gtin": wrong_last_digit(ON_INVOICE)}),
            "gtin",
            "check_digit",
        ),
    ];
    for (changes, field, code) in cases {
        let answer = check_invoice(&app, &reference(changes.clone())).await;
        assert_eq!(answer["valid_format"], false, "{changes}: {answer}");
        assert_eq!(
            field_errors(&answer),
            vec![(field.to_owned(), code.to_owned())],
            "{changes}"
        );
        assert!(
            answer["status"].is_null() && answer["invoice"].is_null(),
            "no look-up: {answer}"
        );
        assert_eq!(answer["findings"], json!([]));
    }
    let k_with_bad_code = check_invoice(
        &app,
        &reference(json!({"symbol": "K25TAA", "tax_authority_code": "x"})),
    )
    .await;
    assert_eq!(
        field_errors(&k_with_bad_code),
        vec![
            ("tax_authority_code".to_owned(), "lowercase".to_owned()),
            (
                "tax_authority_code".to_owned(),
                "tax_authority_code_unexpected".to_owned()
            ),
        ]
    );
    let vietnamese = app
        .post_as(
            Role::Platform,
            "/v1/invoices/check",
            &reference(json!({"symbol": "C24TAA"})),
        )
        .header("accept-language", "vi")
        .send()
        .await;
    assert_eq!(vietnamese.json["errors"][0]["code"], "symbol_year_mismatch");
    assert!(vietnamese.json["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Năm trong ký hiệu"));
}
