//! Reference data loads, traceability checks, tax codes and invoice checks over HTTP with a
//! real Redis.

use crate::common;
use crate::common::fixtures::{INVOICES, PRODUCTS, TAXPAYERS};

use common::TestApp;
use originguard::auth::Role;
use serde_json::{json, Value};

/// GS1 mod-10 check digit, written independently of the service's.
fn check_digit(body: &str) -> char {
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap() * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap()
}

fn gtin(n: u32) -> String {
    let body = format!("893600{n:06}");
    format!("{body}{}", check_digit(&body))
}

#[tokio::test]
async fn a_mixed_load_accepts_good_lines_and_names_each_bad_one() {
    let app = TestApp::spawn().await;
    let good = format!(
        r#"{{"gtin":"{}","name":"A","manufacturer_tax_code":"0300588569","country_of_origin":"VN"}}"#,
        gtin(1)
    );
    let mut body = Vec::new();
    body.extend_from_slice(good.as_bytes());
    body.extend_from_slice(b"\n\n{\"gtin\":\"8936000000019\",\"name\":\"B\",\"manufacturer_tax_code\":\"0300588569\",\"country_of_origin\":\"VN\"}\n");
    body.extend_from_slice(b"{\"gtin\":\n");
    body.extend_from_slice(b"{\"gtin\":\"\xff\xfe\"}\n");
    body.extend_from_slice(format!("{{\"gtin\":\"{}\",\"name\":\"{}\",\"manufacturer_tax_code\":\"0300588569\",\"country_of_origin\":\"VN\"}}\n", gtin(2), "x".repeat(70_000)).as_bytes());
    body.extend_from_slice(format!(r#"{{"gtin":"{}","name":"C","manufacturer_tax_code":"0300588560","country_of_origin":"vn"}}"#, gtin(3)).as_bytes());
    let report = app.load("products", body).await;
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected_count"], 5);
    let rejected = report["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    let first_code = |i: usize| {
        rejected[i]["errors"][0]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(first_code(0), "check_digit");
    assert_eq!(rejected[0]["errors"][0]["field"], "gtin");
    assert_eq!(first_code(1), "malformed_json");
    assert_eq!(first_code(2), "invalid_utf8");
    assert_eq!(first_code(3), "line_too_long");
    let fields: Vec<&str> = rejected[4]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["manufacturer_tax_code", "country_of_origin"]);
    let stored = app.check(&gtin(1)).await;
    assert_eq!(stored["product"]["name"], "A");
    app.put_ndjson_as(Role::Steward, "/v1/reference/widgets", "{}")
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_large_streamed_load_is_stored_whole_and_rejections_are_capped() {
    let app = TestApp::spawn().await;
    let lines: Vec<Result<String, std::io::Error>> = (0..30_000u32)
        .map(|n| Ok(format!("{{\"gtin\":\"{}\",\"name\":\"P{n}\",\"manufacturer_tax_code\":\"0300588569\",\"country_of_origin\":\"VN\"}}\n", gtin(n))))
        .collect();
    let report = app
        .load(
            "products",
            reqwest::Body::wrap_stream(futures::stream::iter(lines)),
        )
        .await;
    assert_eq!(report["accepted"], 30_000);
    let last: Option<String> = redis::cmd("GET")
        .arg(format!("og:ref:product:0{}", gtin(29_999)))
        .query(&mut app.redis.connection())
        .unwrap();
    assert!(last.unwrap().contains("P29999"));
    let bad = "{\"gtin\":\"1\"}\n".repeat(1_500);
    let report = app.load("products", bad).await;
    assert_eq!(report["rejected_count"], 1_500);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1_000);
    assert_eq!(report["rejected_truncated"], true);
}

#[tokio::test]
async fn every_code_form_reads_the_same_gtin_and_finds_the_product_and_lot() {
    let app = TestApp::spawn().await;
    app.load("products", PRODUCTS).await;
    app.load("recalls", r#"{"gtin":"4006381333931","lot":"R1"}"#)
        .await;
    for code in [
        "(01)08935049500018(10)LOT8",
        "]d20108935049500018\u{1d}10LOT8",
        "https://example.com/01/8935049500018/10/LOT8",
    ] {
        let result = app.check(code).await;
        assert_eq!(result["valid"], true, "{code}: {result}");
        assert_eq!(result["gtin"], "08935049500018");
        assert_eq!(result["gs1_prefix"]["issuer"], "GS1 Vietnam");
        assert_eq!(result["gs1_prefix"]["country"], "VN");
        assert!(result["gs1_prefix"].get("country_of_origin").is_none());
        assert_eq!(result["product"]["country_of_origin"], "VN");
        assert_eq!(result["lot"]["recalled"], true, "{code}");
        assert_eq!(result["lot"]["expired"], true);
        assert_eq!(result["lot"]["expires_on"], "2026-06-30");
    }
    assert_eq!(
        app.check("(01)08935049500018(10)LOT7").await["lot"]["recalled"],
        false
    );
    assert_eq!(app.check("4006381333931").await["format"], "gtin");
    let listed = app.check("(01)04006381333931(10)R1").await;
    assert_eq!(
        listed["lot"]["recalled"], true,
        "a recall loaded on its own"
    );
    assert!(app.check("(01)04006381333931(10)UNKNOWN").await["lot"].is_null());
    let gtin8 = app.check("96385074").await;
    assert_eq!(gtin8["gtin"], "00000096385074");
}

#[tokio::test]
async fn invalid_codes_are_results_with_located_errors_never_500() {
    let app = TestApp::spawn().await;
    let wrong = app.check("(01)08935049500019").await;
    assert_eq!(wrong["valid"], false);
    assert_eq!(wrong["errors"][0]["code"], "check_digit");
    assert_eq!(wrong["errors"][0]["ai"], "01");
    assert!(wrong["errors"][0]["position"].is_u64());
    assert!(wrong["product"].is_null());
    assert_eq!(
        app.check("(01)08935049500018(17)271332").await["errors"][0]["code"],
        "invalid_date"
    );
    assert_eq!(
        app.check("(01)08935049500018(89)X").await["errors"][0]["code"],
        "unknown_ai"
    );
    assert_eq!(app.check("").await["errors"][0]["code"], "empty");
    let control = app.check("(01)0893504950\u{7}0018").await;
    assert_eq!(control["valid"], false);
    let vi = app
        .post_as(
            Role::Platform,
            "/v1/traceability/check",
            &json!({"code": "(01)08935049500019"}),
        )
        .header("accept-language", "vi")
        .send()
        .await;
    assert_eq!(
        vi.json["errors"][0]["code"], "check_digit",
        "codes never change with the language"
    );
    assert_ne!(
        vi.json["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    let huge = app
        .post_as(
            Role::Platform,
            "/v1/traceability/check",
            &json!({"code": "1".repeat(5_000)}),
        )
        .send()
        .await;
    huge.assert_problem(422, "invalid_request");
    let missing = app
        .post_as(
            Role::Platform,
            "/v1/traceability/check",
            &json!({"cod": "1"}),
        )
        .send()
        .await;
    missing.assert_problem(422, "invalid_request");
}

#[tokio::test]
async fn tax_codes_are_checked_canonicalised_and_looked_up() {
    let app = TestApp::spawn().await;
    app.load("taxpayers", TAXPAYERS).await;
    let get = |code: &str| {
        app.get_as(Role::Authority, &format!("/v1/tax-codes/{code}"))
            .send()
    };
    let branch = get("0100109106001").await.json;
    assert_eq!(
        (branch["valid"].clone(), branch["kind"].clone()),
        (json!(true), json!("branch"))
    );
    assert_eq!(branch["tax_code"], "0100109106-001");
    assert_eq!(branch["taxpayer"]["province"], "Đà Nẵng");
    let enterprise = get("0310012340").await.json;
    assert_eq!(enterprise["kind"], "enterprise");
    assert_eq!(enterprise["taxpayer"]["status"], "suspended");
    let personal = get("001099012345").await.json;
    assert_eq!(personal["kind"], "personal");
    assert!(personal["taxpayer"].is_null());
    let wrong = get("0100109107").await.json;
    assert_eq!(wrong["valid"], false);
    assert_eq!(wrong["errors"][0]["code"], "check_digit");
    assert!(wrong["kind"].is_null());
    assert_eq!(
        get("0100109106-000").await.json["errors"][0]["code"],
        "bad_branch"
    );
    app.get_as(Role::Steward, "/v1/tax-codes/0100109106")
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn invoices_are_format_checked_and_compared_with_the_record() {
    let app = TestApp::spawn().await;
    app.load("invoices", INVOICES).await;
    let check_invoice = |body: Value| {
        app.post_as(Role::Platform, "/v1/invoices/check", &body)
            .send()
    };
    let base = json!({"seller_tax_code":"0300588569","template":"1","symbol":"C26TAA","number":"123",
        "issued_on":"2026-03-01","tax_authority_code":"00A1B2C3D4E5F60718293A4B5C6D7E8F90",
        "buyer_tax_code":"0101248141","gtin":"8935049500018"});
    let found = check_invoice(base.clone()).await.json;
    assert_eq!(found["status"], "found", "{found}");
    assert_eq!(found["findings"], json!([]));
    assert_eq!(found["invoice"]["items"][0]["gtin"], "08935049500018");

    let mut changed = base.clone();
    changed["issued_on"] = json!("2026-03-05");
    changed["buyer_tax_code"] = json!("0100109106");
    changed["gtin"] = json!("4006381333931");
    let mismatch = check_invoice(changed).await.json;
    assert_eq!(mismatch["status"], "mismatch");
    let codes: Vec<&str> = mismatch["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            "invoice_date_inconsistent",
            "invoice_buyer_mismatch",
            "invoice_item_missing"
        ]
    );
    assert_eq!(mismatch["findings"][0]["severity"], "warning");

    let mut other_code = base.clone();
    other_code["tax_authority_code"] = json!("FFA1B2C3D4E5F60718293A4B5C6D7E8F90");
    let authority = check_invoice(other_code).await.json;
    assert_eq!(authority["status"], "mismatch");
    assert_eq!(
        authority["findings"][0]["code"],
        "invoice_authority_code_mismatch"
    );

    let cancelled = check_invoice(json!({"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"00000124"})).await.json;
    assert_eq!(cancelled["status"], "found");
    assert_eq!(cancelled["findings"][0]["code"], "invoice_cancelled");
    let unknown = check_invoice(
        json!({"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"9"}),
    )
    .await
    .json;
    assert_eq!(unknown["status"], "not_found");
    assert_eq!(unknown["findings"][0]["code"], "invoice_not_found");

    let bad = check_invoice(json!({"seller_tax_code":"0300588568","template":"0","symbol":"K25TAA","number":"0",
        "issued_on":"2026-01-01","tax_authority_code":"00A1B2C3D4E5F60718293A4B5C6D7E8F90","gtin":"123"})).await.json;
    assert_eq!(bad["valid_format"], false);
    assert!(bad["status"].is_null());
    let fields: Vec<(&str, &str)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    for expected in [
        ("gtin", "bad_length"),
        ("seller_tax_code", "check_digit"),
        ("template", "out_of_range"),
        ("number", "out_of_range"),
    ] {
        assert!(fields.contains(&expected), "{expected:?} in {fields:?}");
    }
    let year = check_invoice(json!({"seller_tax_code":"0300588569","template":"1","symbol":"C25TAA","number":"1","issued_on":"2026-01-01"})).await.json;
    let fields: Vec<&str> = year["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["symbol_year_mismatch"],
        "a C invoice without the tax-authority code is checked on its other fields"
    );
}

#[tokio::test]
async fn taxpayer_and_invoice_loads_reject_bad_lines_field_by_field() {
    let app = TestApp::spawn().await;
    let taxpayers = concat!(
        r#"{"tax_code":"0100109106","name":"A","status":"active"}"#,
        "\n",
        r#"{"tax_code":"0100109106-000","name":"B","status":"active"}"#,
        "\n",
        r#"{"tax_code":"0300588569","name":"C","status":"dormant"}"#,
        "\n",
        r#"{"tax_code":"0300588569","name":"D","status":"closed","extra":1}"#,
        "\n",
    );
    let report = app.load("taxpayers", taxpayers).await;
    assert_eq!(report["accepted"], 1);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected[0]["errors"][0]["code"], "bad_branch");
    assert_eq!(rejected[1]["errors"][0]["field"], "status");
    assert_eq!(rejected[2]["errors"][0]["code"], "invalid_record");
    let invoices = concat!(
        r#"{"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"5","issued_on":"2026-04-15","status":"issued","items":[{"gtin":"8935049500018","quantity":2}]}"#,
        "\n",
        r#"{"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"6","status":"issued"}"#,
        "\n",
        r#"{"seller_tax_code":"0300588569","template":"1","symbol":"K25TAB","number":"7","issued_on":"2026-04-15","status":"voided"}"#,
        "\n",
        r#"{"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"8","issued_on":"2026-04-15","status":"issued","items":[{"gtin":"8935049500019","quantity":-1}]}"#,
        "\n",
    );
    let report = app.load("invoices", invoices).await;
    assert_eq!(report["accepted"], 1);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected[0]["errors"][0]["field"], "issued_on");
    assert_eq!(
        rejected[1]["errors"][0]["code"], "invalid_record",
        "an unknown status is a shape error"
    );
    let fields: Vec<&str> = rejected[2]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["items[0].gtin", "items[0].quantity"]);
    let stored = app
        .post_as(Role::Platform, "/v1/invoices/check", &json!({"seller_tax_code":"0300588569","template":"1","symbol":"K26TAB","number":"5","gtin":"08935049500018"}))
        .send()
        .await;
    assert_eq!(stored.json["status"], "found", "{}", stored.text);
    assert_eq!(stored.json["findings"], json!([]));
}
