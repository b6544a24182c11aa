//! `POST /v1/claims/verify` and `/verify-batch` with reference data loaded through the API.

use crate::common;
use crate::common::fixtures::{INVOICES, PRODUCTS, RECALLS, TAXPAYERS};

use common::TestApp;
use originguard::auth::Role;
use serde_json::{json, Value};

/// An invoice on record: 0300588569 sold 08935049500018 to 0101248141.
const TA_CODE: &str = "00A1B2C3D4E5F60718293A4B5C6D7E8F90";

async fn loaded_app() -> TestApp {
    let app = TestApp::spawn().await;
    for (kind, body) in [
        ("products", PRODUCTS),
        ("taxpayers", TAXPAYERS),
        ("invoices", INVOICES),
        ("recalls", RECALLS),
    ] {
        let answer = app
            .put_ndjson_as(Role::Steward, &format!("/v1/reference/{kind}"), body)
            .send()
            .await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.text);
        assert_eq!(answer.json["rejected_count"], 0, "{kind}: {}", answer.text);
    }
    app
}

fn invoice_123() -> Value {
    json!({"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"123",
           "issued_on":"2026-03-01","tax_authority_code": TA_CODE})
}

fn claim(seller: &str, code: &str, origin: &str, manufacturer: &str, invoices: Value) -> Value {
    json!({"seller":{"tax_code":seller,"shop_url":"https://shop.example.vn/p/1"},
           "product":{"code":code,"claimed_origin":origin,"claimed_manufacturer_tax_code":manufacturer},
           "invoices":invoices})
}

async fn verify(app: &TestApp, body: &Value) -> Value {
    let answer = app
        .post_as(Role::Platform, "/v1/claims/verify", body)
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.json["checked_at"].is_string());
    answer.json
}

fn codes(result: &Value) -> Vec<String> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn finding<'a>(result: &'a Value, code: &str) -> &'a Value {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {result}"))
}

#[tokio::test]
async fn a_claim_backed_by_its_records_and_invoice_is_consistent() {
    let app = loaded_app().await;
    let body = claim(
        "0101248141",
        "(01)08935049500018(10)LOT7(21)SN1",
        "VN",
        "0300588569",
        json!([invoice_123()]),
    );
    let result = verify(&app, &body).await;
    assert_eq!(result["verdict"], "consistent", "{result}");
    assert_eq!(codes(&result), Vec::<String>::new());
    let again = verify(&app, &body).await;
    assert_eq!(
        again["verdict"], "consistent",
        "the same seller repeating a claim is no clone"
    );
}

#[tokio::test]
async fn a_c_invoice_quoted_without_the_tax_authority_code_still_proves_the_claim() {
    let app = loaded_app().await;
    let with_invoice = |invoice: Value| {
        let code = "(01)08935049500018(10)LOT7(21)SN2";
        claim("0101248141", code, "VN", "0300588569", json!([invoice]))
    };
    let mut without_code = invoice_123();
    without_code["tax_authority_code"] = Value::Null;
    let result = verify(&app, &with_invoice(without_code)).await;
    assert_eq!(result["verdict"], "consistent", "{result}");
    assert_eq!(codes(&result), Vec::<String>::new());

    let mut wrong_code = invoice_123();
    wrong_code["tax_authority_code"] = json!(TA_CODE.replace("00A1", "11A1"));
    let result = verify(&app, &with_invoice(wrong_code)).await;
    assert_eq!(
        finding(&result, "invoice_authority_code_mismatch")["subject"],
        "invoices[0]",
        "a code that is given is compared with the record: {result}"
    );
}

#[tokio::test]
async fn a_claim_on_imported_goods_by_the_importers_authorised_seller_is_consistent() {
    let app = loaded_app().await;
    // Sunscreen made in Japan, imported by 0319876546, which sold 2,000 to 0100109106 on
    // invoice C26TAD 45 (quoted without the tax-authority code, as sellers usually do).
    let from_importer = json!({"seller_tax_code":"0319876546","template":"1","symbol":"C26TAD",
                               "number":"45","issued_on":"2026-05-20"});
    let body = claim(
        "0100109106",
        "https://id.gs1.org/01/4901234567894/10/JP2601",
        "JP",
        "0319876546",
        json!([from_importer]),
    );
    let result = verify(&app, &body).await;
    assert_eq!(result["verdict"], "consistent", "{result}");
    assert_eq!(codes(&result), Vec::<String>::new());

    let by_importer = verify(
        &app,
        &claim("0319876546", "4901234567894", "JP", "0319876546", json!([])),
    )
    .await;
    assert_eq!(by_importer["verdict"], "consistent", "{by_importer}");

    let outsider = verify(
        &app,
        &claim("0101248141", "4901234567894", "VN", "0319876546", json!([])),
    )
    .await;
    assert_eq!(
        codes(&outsider),
        [
            "prefix_issuer_differs",
            "origin_mismatch",
            "seller_not_authorized"
        ],
        "{outsider}"
    );
    assert_eq!(outsider["verdict"], "inconsistent");

    let checked = app
        .post_as(
            Role::Platform,
            "/v1/traceability/check",
            &json!({"code": "4901234567894"}),
        )
        .send()
        .await;
    let product = &checked.json["product"];
    assert_eq!(product["importer_tax_code"], "0319876546", "{product}");
    assert!(product.get("manufacturer_tax_code").is_none(), "{product}");
}

#[tokio::test]
async fn contradictions_with_the_product_record_are_critical() {
    let app = loaded_app().await;
    let result = verify(
        &app,
        &claim(
            "0101248141",
            "(01)08935049500018(10)LOT8",
            "CN",
            "0101248141",
            json!([]),
        ),
    )
    .await;
    assert_eq!(result["verdict"], "inconsistent");
    let origin = finding(&result, "origin_mismatch");
    assert_eq!(origin["severity"], "critical");
    assert_eq!(origin["subject"], "product.claimed_origin");
    assert_eq!(
        finding(&result, "manufacturer_mismatch")["severity"],
        "critical"
    );
    assert_eq!(finding(&result, "lot_recalled")["subject"], "product.code");
    assert_eq!(finding(&result, "lot_expired")["severity"], "critical");
    let prefix = finding(&result, "prefix_issuer_differs");
    assert_eq!(prefix["severity"], "info");

    let stated = verify(
        &app,
        &claim(
            "0101248141",
            "(01)08935049500018(422)156",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert!(finding(&stated, "origin_mismatch")["message"]
        .as_str()
        .unwrap()
        .contains("AI 422"));
}

#[tokio::test]
async fn a_prefix_from_another_country_alone_leaves_the_claim_consistent() {
    let app = loaded_app().await;
    let line = r#"{"gtin":"8935000000106","name":"Made in Japan, coded in Viet Nam","manufacturer_tax_code":"0100109106","country_of_origin":"JP"}"#;
    app.put_ndjson_as(Role::Steward, "/v1/reference/products", line)
        .send()
        .await;
    let result = verify(
        &app,
        &claim(
            "0100109106",
            "08935000000106",
            "JP",
            "0100109106",
            json!([]),
        ),
    )
    .await;
    assert_eq!(codes(&result), vec!["prefix_issuer_differs"]);
    assert_eq!(
        result["verdict"], "consistent",
        "info findings never change the verdict"
    );
}

#[tokio::test]
async fn unknown_gtins_unauthorised_and_inactive_sellers_are_warnings() {
    let app = loaded_app().await;
    let unknown = verify(
        &app,
        &claim("0101248141", "8934567890137", "VN", "0101248141", json!([])),
    )
    .await;
    assert_eq!(
        finding(&unknown, "gtin_unregistered")["severity"],
        "warning"
    );
    assert_eq!(unknown["verdict"], "suspicious");
    let unauthorised = verify(
        &app,
        &claim(
            "0100109106",
            "08935049500018",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert_eq!(
        finding(&unauthorised, "seller_not_authorized")["subject"],
        "seller.tax_code"
    );
    assert_eq!(unauthorised["verdict"], "suspicious");
    let suspended = verify(
        &app,
        &claim(
            "0310012340",
            "08935049500018",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert_eq!(
        finding(&suspended, "taxcode_inactive")["severity"],
        "warning"
    );
    let branch = verify(
        &app,
        &claim(
            "0100109106-001",
            "04006381333931",
            "DE",
            "0100109106",
            json!([]),
        ),
    )
    .await;
    assert_eq!(branch["verdict"], "consistent", "{branch}");
}

#[tokio::test]
async fn unreadable_codes_make_the_claim_invalid() {
    let app = loaded_app().await;
    let bad_code = verify(
        &app,
        &claim(
            "0101248141",
            "08935049500019",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert_eq!(bad_code["verdict"], "invalid");
    assert_eq!(finding(&bad_code, "code_invalid")["severity"], "critical");
    let bad_seller = verify(
        &app,
        &claim(
            "0101248142",
            "08935049500018",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert_eq!(bad_seller["verdict"], "invalid");
    assert_eq!(
        finding(&bad_seller, "taxcode_invalid")["subject"],
        "seller.tax_code"
    );
    let bad_invoice = verify(
        &app,
        &claim("0101248141", "08935049500018", "VN", "0300588569", json!([{"seller_tax_code":"0300588569","template":"1","symbol":"C25TAA","number":"1","issued_on":"2026-03-01"}])),
    )
    .await;
    assert_eq!(bad_invoice["verdict"], "invalid");
    let invalid = finding(&bad_invoice, "invoice_invalid");
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .contains("symbol_year_mismatch"),
        "{invalid}"
    );
    assert_eq!(invalid["subject"], "invoices[0]");
}

#[tokio::test]
async fn invoices_that_do_not_prove_the_claim_are_reported() {
    let app = loaded_app().await;
    let missing = json!({"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"999","issued_on":"2026-03-01","tax_authority_code":TA_CODE});
    let cancelled =
        json!({"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"124"});
    let result = verify(
        &app,
        &claim(
            "0310012340",
            "08935049500018",
            "VN",
            "0300588569",
            json!([missing, cancelled]),
        ),
    )
    .await;
    assert_eq!(
        finding(&result, "invoice_not_found")["subject"],
        "invoices[0]"
    );
    assert_eq!(
        finding(&result, "invoice_cancelled")["subject"],
        "invoices[1]"
    );
    assert_eq!(result["verdict"], "inconsistent");

    // Invoice 88: 0105682342 sold headphones to 0101248141.
    let headphones = json!({"seller_tax_code":"0105682342","template":"2","symbol":"K25TYY","number":"88","issued_on":"2025-11-20"});
    let bought_elsewhere = verify(
        &app,
        &claim(
            "0101248141",
            "08935049500018",
            "VN",
            "0300588569",
            json!([headphones.clone()]),
        ),
    )
    .await;
    assert_eq!(
        finding(&bought_elsewhere, "invoice_seller_mismatch")["severity"],
        "critical"
    );
    assert_eq!(
        finding(&bought_elsewhere, "invoice_item_missing")["severity"],
        "warning"
    );
    let not_the_buyer = verify(
        &app,
        &claim(
            "0300588569",
            "06901234567892",
            "CN",
            "0105682342",
            json!([headphones]),
        ),
    )
    .await;
    assert!(
        codes(&not_the_buyer).contains(&"invoice_buyer_mismatch".to_owned()),
        "{not_the_buyer}"
    );

    let mut wrong_date = invoice_123();
    wrong_date["issued_on"] = json!("2026-03-02");
    let dated = verify(
        &app,
        &claim(
            "0101248141",
            "08935049500018",
            "VN",
            "0300588569",
            json!([wrong_date]),
        ),
    )
    .await;
    assert_eq!(
        finding(&dated, "invoice_date_inconsistent")["subject"],
        "invoices[0]"
    );
    let early = r#"{"seller_tax_code":"0300588569","template":"1","symbol":"K26TAC","number":"7","issued_on":"2026-01-02","buyer_tax_code":"0101248141","status":"issued","items":[{"gtin":"08935049500018"}]}"#;
    app.put_ndjson_as(Role::Steward, "/v1/reference/invoices", early)
        .send()
        .await;
    let before_production =
        json!({"seller_tax_code":"0300588569","template":"1","symbol":"K26TAC","number":"7"});
    let result = verify(
        &app,
        &claim(
            "0101248141",
            "(01)08935049500018(10)LOT7",
            "VN",
            "0300588569",
            json!([before_production]),
        ),
    )
    .await;
    assert!(finding(&result, "invoice_date_inconsistent")["message"]
        .as_str()
        .unwrap()
        .contains("before the lot was produced"));
}

#[tokio::test]
async fn a_serial_claimed_by_a_second_seller_is_a_clone() {
    let app = loaded_app().await;
    let code = "https://id.gs1.org/01/08935049500018/21/CLONE-1";
    let first = verify(
        &app,
        &claim("0101248141", code, "VN", "0300588569", json!([])),
    )
    .await;
    assert!(!codes(&first).contains(&"serial_cloned".to_owned()));
    let repeat = verify(
        &app,
        &claim("0101248141", code, "VN", "0300588569", json!([])),
    )
    .await;
    assert!(
        !codes(&repeat).contains(&"serial_cloned".to_owned()),
        "same seller again is no clone"
    );
    let second = verify(
        &app,
        &claim("0310012340", code, "VN", "0300588569", json!([])),
    )
    .await;
    let clone = finding(&second, "serial_cloned");
    assert_eq!(clone["severity"], "critical");
    assert!(clone["message"].as_str().unwrap().contains('2'), "{clone}");
    assert_eq!(second["verdict"], "inconsistent");
    let first_again = verify(
        &app,
        &claim("0101248141", code, "VN", "0300588569", json!([])),
    )
    .await;
    assert!(finding(&first_again, "serial_cloned")["message"]
        .as_str()
        .unwrap()
        .contains('2'));
    let other_serial = verify(
        &app,
        &claim(
            "0310012340",
            "(01)08935049500018(21)CLONE-2",
            "VN",
            "0300588569",
            json!([]),
        ),
    )
    .await;
    assert!(!codes(&other_serial).contains(&"serial_cloned".to_owned()));
}

#[tokio::test]
async fn a_batch_answers_every_line_in_order_and_survives_bad_lines() {
    let app = loaded_app().await;
    let good = claim(
        "0101248141",
        "(01)08935049500018(10)LOT7",
        "VN",
        "0300588569",
        json!([invoice_123()]),
    )
    .to_string();
    let wrong = claim(
        "0101248141",
        "(01)08935049500018",
        "CN",
        "0300588569",
        json!([]),
    )
    .to_string();
    let body =
        format!("{good}\n{{not json\n\n{{\"seller\":{{\"tax_code\":\"0101248141\"}}}}\n{wrong}\n");
    let answer = app
        .request(reqwest::Method::POST, "/v1/claims/verify-batch")
        .key(&app.keys[&Role::Platform])
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = answer
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(
        numbers,
        vec![1, 2, 4, 5],
        "blank line 3 is numbered but not answered"
    );
    assert_eq!(lines[0]["verdict"], "consistent");
    assert_eq!(lines[1]["error"]["code"], "malformed_json");
    assert_eq!(lines[2]["error"]["code"], "invalid_record");
    assert_eq!(lines[3]["verdict"], "inconsistent");

    let empty = app
        .request(reqwest::Method::POST, "/v1/claims/verify-batch")
        .key(&app.keys[&Role::Platform])
        .body("")
        .send()
        .await;
    assert_eq!((empty.status, empty.text.as_str()), (200, ""));

    let too_many = format!("{good}\n").repeat(10_001);
    app.request(reqwest::Method::POST, "/v1/claims/verify-batch")
        .key(&app.keys[&Role::Platform])
        .body(too_many)
        .send()
        .await
        .assert_problem(413, "payload_too_large");
    app.request(reqwest::Method::POST, "/v1/claims/verify-batch")
        .key(&app.keys[&Role::Operator])
        .body(good)
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_claimed_origin_must_be_an_iso_country_code() {
    let app = loaded_app().await;
    let body = claim("0101248141", "08935049500018", "Vietnam", "", json!([]));
    let answer = app
        .post_as(Role::Platform, "/v1/claims/verify", &body)
        .send()
        .await;
    let problem = answer.assert_problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["field"], "product.claimed_origin");
    assert_eq!(problem["errors"][0]["code"], "invalid_country");
    // Lower case is read as the code it spells; in a batch, the bad line alone is refused.
    let good = claim("0101248141", "08935049500018", "vn", "", json!([]));
    let batch = format!("{good}\n{body}\n");
    let answer = app
        .request(reqwest::Method::POST, "/v1/claims/verify-batch")
        .key(&app.keys[&Role::Platform])
        .header("content-type", "application/x-ndjson")
        .body(batch)
        .send()
        .await;
    let lines: Vec<Value> = answer
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(lines[0]["verdict"].is_string(), "{}", answer.text);
    assert_eq!(
        lines[1]["error"]["code"], "invalid_country",
        "{}",
        answer.text
    );
}
