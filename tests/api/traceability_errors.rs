//! `POST /v1/traceability/check` with invalid and hostile input: every error is a 200 result
//! with its code, AI and 0-based character position, oversized or missing input is a 422
//! problem, nothing is ever a 500, and messages follow `Accept-Language`.

use crate::common;
use crate::common::fixtures::wrong_last_digit;

use common::{Answer, TestApp};
use originguard::auth::Role;
use serde_json::{json, Value};

/// An error as `(code, ai, position)`.
type Located = (String, Option<String>, Option<u64>);

const CHECK: &str = "/v1/traceability/check";

/// `(code, ai, position)` of each error.
fn errors(answer: &Value) -> Vec<Located> {
    answer["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["code"].as_str().unwrap().to_owned(),
                e["ai"].as_str().map(str::to_owned),
                e["position"].as_u64(),
            )
        })
        .collect()
}

fn error(code: &str, ai: Option<&str>, position: Option<u64>) -> Located {
    (code.to_owned(), ai.map(str::to_owned), position)
}

#[tokio::test]
async fn invalid_codes_are_200_results_with_code_ai_and_position() {
    let app = TestApp::spawn().await;
    let gtin = "08935049500018";
    let cases: Vec<(String, Vec<Located>)> = vec![
        (
            format!("(01){}", wrong_last_digit(gtin)),
            vec![error("check_digit", Some("01"), Some(17))],
        ),
        (
            format!("]d201{}", wrong_last_digit(gtin)),
            vec![error("check_digit", Some("01"), Some(18))],
        ),
        (
            format!("(01){gtin}(89)X"),
            vec![error("unknown_ai", Some("89"), Some(19))],
        ),
        (
            format!("(01){gtin}(10)LO\u{7}T"),
            vec![error("bad_character", Some("10"), Some(24))],
        ),
        (
            format!("(01){gtin}(10)Lô7"),
            vec![error("bad_character", Some("10"), Some(23))],
        ),
        (
            format!("]d201{gtin}10ABCDEFGHIJ21KLMNOPQRSTUV"),
            vec![error("missing_separator", Some("10"), Some(41))],
        ),
        (
            "(10)LOT7".to_owned(),
            vec![error("missing_required_ai", Some("10"), Some(1))],
        ),
        (
            format!("(01){gtin}(10)A(10)B"),
            vec![error("duplicate_ai", Some("10"), Some(24))],
        ),
        (
            format!("(01){gtin}(21)S1(235)T1"),
            vec![error("conflicting_ai", Some("21"), Some(19))],
        ),
        (
            format!("https://id.gs1.org/01/{gtin}?10=LOT7"),
            vec![error("key_qualifier_order", Some("10"), None)],
        ),
        (
            format!("https://id.gs1.org/01/{gtin}/21/S1/10/L1"),
            vec![error("key_qualifier_order", Some("10"), None)],
        ),
        (
            "https://id.gs1.org/".to_owned(),
            vec![error("bad_digital_link", None, None)],
        ),
    ];
    for (code, expected) in cases {
        let answer = app.check(&code).await;
        assert_eq!(answer["valid"], false, "{code:?}: {answer}");
        let got = errors(&answer);
        // Digital Link positions are not pinned down by the contract: compare code and AI.
        let got: Vec<_> = if code.starts_with("https://") {
            got.into_iter().map(|(c, ai, _)| (c, ai, None)).collect()
        } else {
            got
        };
        assert_eq!(got, expected, "errors of {code:?}");
    }
    let dates = app.check(&format!("(01){gtin}(17)271332")).await;
    let (code, ai, position) = errors(&dates).remove(0);
    assert_eq!((code.as_str(), ai.as_deref()), ("invalid_date", Some("17")));
    assert!(
        position.is_some_and(|p| (22..28).contains(&p)),
        "inside the date: {position:?}"
    );
    let bad_gtin = app.check(&format!("(01){}", wrong_last_digit(gtin))).await;
    assert!(
        bad_gtin["gtin"].is_null()
            && bad_gtin["product"].is_null()
            && bad_gtin["gs1_prefix"].is_null()
    );
}

#[tokio::test]
async fn bad_input_is_a_result_or_a_422_never_a_500() {
    let app = TestApp::spawn().await;
    let empty = app.check("").await;
    assert_eq!(empty["valid"], false);
    assert_eq!(errors(&empty)[0].0, "empty");
    assert_eq!(errors(&app.check(" \r\n").await)[0].0, "empty");
    for code in [
        "\u{0}",
        "\u{1d}\u{1d}",
        "]d2",
        "]X9010893504950001",
        "((((",
        "(01)",
        "https://",
        "💥".repeat(600).as_str(),
        "1".repeat(4_096).as_str(),
    ] {
        let answer = app.post_check(code).await;
        assert_eq!(answer.status, 200, "{code:?}: {}", answer.text);
        assert_eq!(answer.json["valid"], false, "{code:?}");
        assert!(!errors(&answer.json).is_empty(), "{code:?}");
    }
    let long = app.check(&"1".repeat(4_096)).await;
    assert_eq!(errors(&long)[0].0, "bad_length");
    let too_long = app.post_check(&"1".repeat(5_000)).await;
    let problem = too_long.assert_problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["field"], "code");
    assert_eq!(problem["errors"][0]["code"], "too_long");
    let missing = app.post_as(Role::Platform, CHECK, &json!({})).send().await;
    missing.assert_problem(422, "invalid_request");
    let null = app
        .post_as(Role::Platform, CHECK, &json!({"code": null}))
        .send()
        .await;
    null.assert_problem(422, "invalid_request");
    let extra = app
        .post_as(
            Role::Platform,
            CHECK,
            &json!({"code": "4006381333931", "lot": "X"}),
        )
        .send()
        .await;
    extra.assert_problem(422, "invalid_request");
}

#[tokio::test]
async fn messages_are_vietnamese_with_accept_language_vi_and_codes_stay() {
    let app = TestApp::spawn().await;
    let code = json!({"code": "(01)08935049500019(99)"});
    let english = app.post_as(Role::Platform, CHECK, &code).send().await;
    let vietnamese = app
        .post_as(Role::Platform, CHECK, &code)
        .header("accept-language", "vi-VN,vi;q=0.9")
        .send()
        .await;
    let (en, vi) = (errors(&english.json), errors(&vietnamese.json));
    assert!(en.len() >= 2, "{}", english.text);
    assert_eq!(
        en, vi,
        "codes, AIs and positions never change with the language"
    );
    let message = |answer: &Answer, i: usize| {
        answer.json["errors"][i]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        message(&vietnamese, 0).contains("Mã kiểm tra không đúng"),
        "{}",
        vietnamese.text
    );
    assert!(
        message(&english, 0).to_lowercase().contains("check digit"),
        "{}",
        english.text
    );
    for i in 0..en.len() {
        assert_ne!(message(&english, i), message(&vietnamese, i));
    }
}
