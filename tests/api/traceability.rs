//! `POST /v1/traceability/check` as a platform sees it: every code form read to the same
//! 14-digit GTIN, the GS1 prefix reported as an issuer (never an origin), product and lot from
//! the reference data. Invalid and hostile input is in `traceability_errors.rs`.

use crate::common;
use crate::common::fixtures::with_gs1_check_digit;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::TestApp;
use originguard::auth::Role;
use serde_json::json;

const CHECK: &str = "/v1/traceability/check";
const GS: char = '\u{1d}';

/// A date as GS1 `YYMMDD`.
fn yymmdd(date: NaiveDate) -> String {
    date.format("%y%m%d").to_string()
}

#[tokio::test]
async fn bare_gtins_of_every_length_are_normalised_to_14_digits() {
    let app = TestApp::spawn().await;
    let gtin8 = with_gs1_check_digit("9638507");
    let gtin12 = with_gs1_check_digit("03600029145");
    let gtin13 = with_gs1_check_digit("893504950001");
    let gtin14 = with_gs1_check_digit("1893504950001");
    for code in [&gtin8, &gtin12, &gtin13, &gtin14] {
        let answer = app.check(code).await;
        let padded = format!("{code:0>14}");
        assert_eq!(answer["valid"], true, "{code}: {answer}");
        assert_eq!(answer["format"], "gtin");
        assert_eq!(answer["gtin"], padded, "{code}");
        assert_eq!(
            answer["elements"],
            json!([{"ai": "01", "title": "GTIN", "value": padded}])
        );
        assert_eq!(answer["errors"], json!([]));
        assert!(answer["product"].is_null() && answer["lot"].is_null());
    }
    assert_eq!(app.check(&gtin12).await["gs1_prefix"]["country"], "US");
    assert_eq!(app.check(&gtin14).await["gs1_prefix"]["prefix"], "893");
}

#[tokio::test]
async fn element_strings_and_digital_links_read_the_same_elements() {
    let app = TestApp::spawn().await;
    let gtin = "08935049500018";
    let expected = json!([
        {"ai": "01", "title": "GTIN", "value": gtin},
        {"ai": "10", "title": "BATCH/LOT", "value": "LOT7"},
        {"ai": "17", "title": "USE BY or EXPIRY", "value": "271231"},
    ]);
    let forms = [
        (
            "(01)08935049500018(10)LOT7(17)271231".to_owned(),
            "element_string",
        ),
        (
            format!("]d20108935049500018{GS}10LOT7{GS}17271231"),
            "element_string",
        ),
        (
            format!("]d20108935049500018{GS}10LOT7{GS}17271231{GS}"),
            "element_string",
        ),
        (
            format!("]C1{GS}0108935049500018{GS}10LOT7{GS}17271231"),
            "element_string",
        ),
        (
            format!("0108935049500018(10)LOT7{GS}17271231").replace("(10)", "10"),
            "element_string",
        ),
        (
            "https://id.gs1.org/01/08935049500018/10/LOT7?17=271231".to_owned(),
            "digital_link",
        ),
        (
            "https://brand.example.vn/01/8935049500018/10/LOT7?17=271231&utm=x".to_owned(),
            "digital_link",
        ),
    ];
    for (code, format) in forms {
        let answer = app.check(&code).await;
        assert_eq!(answer["valid"], true, "{code:?}: {answer}");
        assert_eq!(answer["format"], format, "{code:?}");
        assert_eq!(answer["gtin"], gtin, "{code:?}");
        let values: Vec<(&str, &str)> = answer["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["ai"].as_str().unwrap(), e["value"].as_str().unwrap()))
            .collect();
        assert_eq!(
            values,
            vec![("01", gtin), ("10", "LOT7"), ("17", "271231")],
            "{code:?}"
        );
    }
    for id in ["]e0", "]Q3", "]J1"] {
        let answer = app.check(&format!("{id}0108935049500018{GS}10LOT7")).await;
        assert_eq!(
            (answer["valid"].clone(), answer["gtin"].clone()),
            (json!(true), json!(gtin)),
            "{id}"
        );
    }
    let gtin8 = with_gs1_check_digit("9638507");
    let short = app.check(&format!("https://example.com/01/{gtin8}")).await;
    assert_eq!(
        short["gtin"],
        format!("000000{gtin8}"),
        "a GTIN-8 in a Digital Link path"
    );
    let escaped = app
        .check("https://id.gs1.org/01/08935049500018/10/A%2FB%25")
        .await;
    assert_eq!(escaped["elements"][1]["value"], "A/B%", "{escaped}");
    let titled = app.check("(01)08935049500018(10)LOT7(17)271231").await;
    assert_eq!(titled["elements"], expected);
}

#[tokio::test]
async fn the_gs1_prefix_names_the_issuing_office_and_is_never_called_origin() {
    let app = TestApp::spawn().await;
    let vietnam = app.check("08935049500018").await;
    assert_eq!(
        vietnam["gs1_prefix"],
        json!({"prefix": "893", "issuer": "GS1 Vietnam", "country": "VN"})
    );
    assert!(
        !vietnam.to_string().to_lowercase().contains("origin"),
        "without a product record nothing in the answer speaks of origin: {vietnam}"
    );
    let china = app.check(&with_gs1_check_digit("690123456789")).await;
    assert_eq!(china["gs1_prefix"]["country"], "CN");
    assert_eq!(china["gs1_prefix"]["prefix"], "690");
    let germany = app.check("4006381333931").await;
    assert_eq!(germany["gs1_prefix"]["country"], "DE");
    let isbn = app.check(&with_gs1_check_digit("978604123456")).await;
    assert!(
        isbn["gs1_prefix"]["country"].is_null(),
        "ISBN has no country: {isbn}"
    );
    assert!(
        app.check("08935049500019").await["gs1_prefix"].is_null(),
        "no prefix without a valid GTIN"
    );
}

#[tokio::test]
async fn product_and_lot_come_from_the_reference_data() {
    let app = TestApp::spawn().await;
    let today = originguard::origin::vietnam_date(Utc::now());
    let (past, future) = (today - Duration::days(10), today + Duration::days(300));
    let gtin = with_gs1_check_digit("0893600000001");
    let product = json!({"gtin": gtin, "name": "Cà phê", "manufacturer_tax_code": "0300588569",
        "country_of_origin": "VN", "lots": [
            {"lot": "FRESH", "expires_on": future.to_string()},
            {"lot": "STALE", "expires_on": past.to_string()},
            {"lot": "RECALLED", "expires_on": future.to_string(), "recalled": true},
            {"lot": "UNDATED"}]});
    let loaded = app
        .put_ndjson_as(Role::Steward, "/v1/reference/products", product.to_string())
        .send()
        .await;
    assert_eq!(loaded.json["accepted"], 1, "{}", loaded.text);
    let lot = |code: String| {
        let app = &app;
        async move { app.check(&code).await }
    };
    let fresh = lot(format!("(01){gtin}(10)FRESH")).await;
    assert_eq!(fresh["product"]["name"], "Cà phê");
    assert_eq!(fresh["product"]["country_of_origin"], "VN");
    assert_eq!(
        fresh["lot"],
        json!({"lot": "FRESH", "recalled": false, "expires_on": future.to_string(), "expired": false})
    );
    let stale = lot(format!("(01){gtin}(10)STALE")).await;
    assert_eq!(
        (
            stale["lot"]["expired"].clone(),
            stale["lot"]["recalled"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(stale["lot"]["expires_on"], past.to_string());
    let recalled = lot(format!("https://id.gs1.org/01/{gtin}/10/RECALLED")).await;
    assert_eq!(
        (
            recalled["lot"]["recalled"].clone(),
            recalled["lot"]["expired"].clone()
        ),
        (json!(true), json!(false))
    );
    let dated_by_code = lot(format!("(01){gtin}(17){}(10)UNDATED", yymmdd(past))).await;
    assert_eq!(
        dated_by_code["lot"]["expires_on"],
        past.to_string(),
        "AI 17 dates a lot the record leaves undated"
    );
    assert_eq!(dated_by_code["lot"]["expired"], true);
    let record_wins = lot(format!("(01){gtin}(17){}(10)FRESH", yymmdd(past))).await;
    assert_eq!(
        record_wins["lot"]["expires_on"],
        future.to_string(),
        "the record's date comes first"
    );
    let unknown_lot = lot(format!("(01){gtin}(10)NOPE")).await;
    assert!(
        unknown_lot["lot"].is_null() && unknown_lot["product"].is_object(),
        "{unknown_lot}"
    );
    let no_lot = lot(gtin.clone()).await;
    assert!(no_lot["lot"].is_null() && no_lot["product"]["lots"].as_array().unwrap().len() == 4);
}

#[tokio::test]
async fn expiry_dates_in_codes_follow_day_zero_and_the_century_rule() {
    let app = TestApp::spawn().await;
    let gtin = with_gs1_check_digit("0893600000002");
    let recall = json!({"gtin": gtin, "lot": "R"}).to_string();
    let loaded = app
        .put_ndjson_as(Role::Steward, "/v1/reference/recalls", recall)
        .send()
        .await;
    assert_eq!(loaded.json["accepted"], 1, "{}", loaded.text);
    let today = originguard::origin::vietnam_date(Utc::now());
    let expiry = |yymmdd: String| {
        let app = &app;
        let code = format!("(01){gtin}(10)R(17){yymmdd}");
        async move {
            let answer = app.check(&code).await;
            assert_eq!(answer["valid"], true, "{code}: {answer}");
            (
                answer["lot"]["expires_on"].as_str().unwrap().to_owned(),
                answer["lot"]["expired"].clone(),
            )
        }
    };
    let first_of_next_month = if today.month() == 12 {
        NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
    }
    .unwrap();
    let end_of_month = first_of_next_month - Duration::days(1);
    assert_eq!(
        expiry(today.format("%y%m00").to_string()).await,
        (end_of_month.to_string(), json!(false)),
        "day 00 is the last day of the month"
    );
    let year = today.year();
    let ahead_50 = format!("{:02}0101", (year + 50) % 100);
    assert_eq!(
        expiry(ahead_50).await,
        (format!("{}-01-01", year + 50), json!(false))
    );
    let ahead_51 = format!("{:02}0101", (year + 51) % 100);
    assert_eq!(
        expiry(ahead_51).await,
        (format!("{}-01-01", year + 51 - 100), json!(true)),
        "51 or more years ahead is the previous century"
    );
}

#[tokio::test]
async fn only_platform_authority_and_admin_keys_may_check() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "4006381333931"});
    for role in [Role::Steward, Role::Registry, Role::Operator] {
        app.post_as(role, CHECK, &body)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    for role in [Role::Platform, Role::Authority, Role::Admin] {
        let answer = app.post_as(role, CHECK, &body).send().await;
        assert_eq!(
            (answer.status, answer.json["valid"].clone()),
            (200, json!(true)),
            "{role}"
        );
    }
}
