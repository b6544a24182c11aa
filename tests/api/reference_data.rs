//! `PUT /v1/reference/{kind}` as a steward sees it: good lines stored in canonical form, line
//! numbers that count blank and unreadable lines, upserts, recalls, and the roles allowed to
//! load. Field-by-field validation is in `reference_data_validation.rs`.

use crate::common;
use crate::common::fixtures::{gtin13, wrong_last_digit};

use common::{rejections, Answer, TestApp};
use originguard::auth::Role;
use serde_json::{json, Value};

const MANUFACTURER: &str = "0300588569";

fn product_line(gtin: &str, name: &str) -> String {
    json!({"gtin": gtin, "name": name, "manufacturer_tax_code": MANUFACTURER,
           "country_of_origin": "VN"})
    .to_string()
}

fn stored(app: &TestApp, key: &str) -> Option<Value> {
    let text: Option<String> = redis::cmd("GET")
        .arg(key)
        .query(&mut app.redis.connection())
        .expect("redis GET");
    text.map(|t| serde_json::from_str(&t).expect("stored JSON"))
}

#[tokio::test]
async fn good_lines_of_every_kind_are_stored_in_canonical_form() {
    let app = TestApp::spawn().await;
    let gtin = gtin13(1);
    let product = json!({"gtin": gtin, "name": " Sữa tươi ", "brand": "Mẫu",
        "manufacturer_tax_code": MANUFACTURER, "country_of_origin": "VN",
        "authorized_sellers": ["0100109106001"],
        "lots": [{"lot": "L1", "produced_on": "2025-01-01", "expires_on": "2026-01-01"}]});
    let report = app.load("products", product.to_string()).await;
    assert_eq!(
        (report["accepted"].clone(), report["rejected_count"].clone()),
        (json!(1), json!(0)),
        "{report}"
    );
    assert_eq!(report["rejected"], json!([]));
    let record = stored(&app, &format!("og:ref:product:0{gtin}")).expect("stored by 14 digits");
    assert_eq!(record["gtin"], format!("0{gtin}"));
    assert_eq!(record["name"], "Sữa tươi", "text fields are trimmed");
    assert_eq!(record["authorized_sellers"], json!(["0100109106-001"]));
    assert_eq!(record["lots"][0]["expires_on"], "2026-01-01");

    let taxpayer = r#"{"tax_code":"0100109106001","name":"Chi nhánh","status":"suspended","province":"Đà Nẵng"}"#;
    assert_eq!(app.load("taxpayers", taxpayer).await["accepted"], 1);
    let record = stored(&app, "og:ref:taxpayer:0100109106-001").expect("branch with dash");
    assert_eq!(record["status"], "suspended");

    let invoice = json!({"seller_tax_code": MANUFACTURER, "template": "1", "symbol": "K25TAA",
        "number": "00000042", "issued_on": "2025-05-05", "status": "issued",
        "items": [{"gtin": gtin, "quantity": 3}]});
    assert_eq!(
        app.load("invoices", invoice.to_string()).await["accepted"],
        1
    );
    let record = stored(&app, &format!("og:ref:invoice:{MANUFACTURER}|1|K25TAA|42"))
        .expect("invoice keyed by its canonical number");
    assert_eq!(record["items"][0]["gtin"], format!("0{gtin}"));

    let recall = json!({"gtin": gtin, "lot": "L9"}).to_string();
    assert_eq!(app.load("recalls", recall).await["accepted"], 1);
    let member: bool = redis::cmd("SISMEMBER")
        .arg(format!("og:ref:recalls:0{gtin}"))
        .arg("L9")
        .query(&mut app.redis.connection())
        .unwrap();
    assert!(member, "the recalled lot is in the GTIN's recall set");
}

#[tokio::test]
async fn a_mixed_file_reports_exact_line_numbers_counting_blank_and_unreadable_lines() {
    let app = TestApp::spawn().await;
    let mut body: Vec<u8> = Vec::new();
    let mut push = |line: &[u8]| {
        body.extend_from_slice(line);
        body.extend_from_slice(b"\n");
    };
    push(product_line(&gtin13(10), "one").as_bytes()); // 1 accepted
    push(b""); // 2 blank
    push(b"   \t"); // 3 blank (white space only)
    push(b"{\"gtin\": \"\xff\xfe\"}"); // 4 invalid UTF-8
    push(product_line(&gtin13(11), &"x".repeat(70 * 1024)).as_bytes()); // 5 over 64 KiB
    push(product_line(&gtin13(12), "after the long line").as_bytes()); // 6 accepted
    push(b"\r"); // 7 blank (CRLF)
    push(product_line(&wrong_last_digit(&gtin13(13)), "bad").as_bytes()); // 8 check digit
    body.extend_from_slice(product_line(&gtin13(14), "last, unterminated").as_bytes()); // 9
    let report = app.load("products", body).await;
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(report["rejected_count"], 3, "{report}");
    let got = rejections(&report);
    let lines: Vec<u64> = got.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, vec![4, 5, 8], "blank lines count in the numbering");
    assert_eq!(got[0].1, vec![(String::new(), "invalid_utf8".to_owned())]);
    assert_eq!(got[1].1, vec![(String::new(), "line_too_long".to_owned())]);
    assert_eq!(
        got[2].1,
        vec![("gtin".to_owned(), "check_digit".to_owned())]
    );
    for (n, name) in [
        (10, "one"),
        (12, "after the long line"),
        (14, "last, unterminated"),
    ] {
        assert_eq!(app.check(&gtin13(n)).await["product"]["name"], name);
    }
    assert!(app.check(&gtin13(11)).await["product"].is_null());
}

#[tokio::test]
async fn rejection_messages_follow_accept_language_and_codes_do_not() {
    let app = TestApp::spawn().await;
    let line = json!({"gtin": gtin13(4), "name": "P", "manufacturer_tax_code": MANUFACTURER,
                      "country_of_origin": "XX"})
    .to_string();
    let send = |lang: &'static str| {
        app.put_ndjson_as(Role::Steward, "/v1/reference/products", line.clone())
            .header("accept-language", lang)
            .send()
    };
    let (english, vietnamese): (Answer, Answer) = (send("en").await, send("vi").await);
    let (en, vi) = (
        &english.json["rejected"][0]["errors"][0],
        &vietnamese.json["rejected"][0]["errors"][0],
    );
    assert_eq!(en["code"], "invalid_country");
    assert_eq!(vi["code"], en["code"]);
    assert_ne!(vi["message"], en["message"]);
    assert!(
        vi["message"].as_str().unwrap().contains("mã quốc gia"),
        "{vi}"
    );
}

#[tokio::test]
async fn an_unknown_kind_is_a_404_problem() {
    let app = TestApp::spawn().await;
    for kind in ["widgets", "product", "PRODUCTS"] {
        app.put_ndjson_as(
            Role::Steward,
            &format!("/v1/reference/{kind}"),
            product_line(&gtin13(1), "x"),
        )
        .send()
        .await
        .assert_problem(404, "not_found");
    }
    assert!(app.check(&gtin13(1)).await["product"].is_null());
}

#[tokio::test]
async fn a_second_load_of_the_same_gtin_replaces_the_record() {
    let app = TestApp::spawn().await;
    let gtin = gtin13(5);
    let first = json!({"gtin": gtin, "name": "Old", "manufacturer_tax_code": MANUFACTURER,
        "country_of_origin": "VN", "lots": [{"lot": "A", "recalled": true}]});
    app.load("products", first.to_string()).await;
    assert_eq!(
        app.check(&format!("(01)0{gtin}(10)A")).await["lot"]["recalled"],
        true
    );
    let second = json!({"gtin": format!("0{gtin}"), "name": "New",
        "manufacturer_tax_code": "0101248141", "country_of_origin": "DE"});
    assert_eq!(
        app.load("products", second.to_string()).await["accepted"],
        1
    );
    let answer = app.check(&format!("(01)0{gtin}(10)A")).await;
    assert_eq!(answer["product"]["name"], "New");
    assert_eq!(answer["product"]["country_of_origin"], "DE");
    assert_eq!(answer["product"]["lots"], json!([]));
    assert!(
        answer["lot"].is_null(),
        "the replaced record's lots are gone: {answer}"
    );
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("og:ref:product:*")
        .query(&mut app.redis.connection())
        .unwrap();
    assert_eq!(
        keys,
        vec![format!("og:ref:product:0{gtin}")],
        "one record per GTIN"
    );
}

#[tokio::test]
async fn recalls_loaded_on_their_own_show_up_in_the_check_answer() {
    let app = TestApp::spawn().await;
    let (known, unknown) = (gtin13(6), gtin13(7));
    app.load("products", product_line(&known, "Known")).await;
    let recalls = format!(
        "{}\n{}\n",
        json!({"gtin": known, "lot": "R1"}),
        json!({"gtin": format!("0{unknown}"), "lot": "R2"})
    );
    assert_eq!(app.load("recalls", recalls).await["accepted"], 2);
    let listed = app.check(&format!("(01)0{known}(10)R1")).await;
    assert_eq!(listed["lot"]["lot"], "R1");
    assert_eq!(listed["lot"]["recalled"], true, "{listed}");
    assert_eq!(listed["product"]["name"], "Known");
    let no_product = app.check(&format!("(01)0{unknown}(10)R2")).await;
    assert!(no_product["product"].is_null());
    assert_eq!(no_product["lot"]["recalled"], true, "{no_product}");
    assert!(
        app.check(&format!("(01)0{known}(10)R2")).await["lot"].is_null(),
        "recalls are per GTIN"
    );
}

#[tokio::test]
async fn only_stewards_and_admins_may_load() {
    let app = TestApp::spawn().await;
    for role in [
        Role::Platform,
        Role::Authority,
        Role::Registry,
        Role::Operator,
    ] {
        app.put_ndjson_as(
            role,
            "/v1/reference/products",
            product_line(&gtin13(8), "x"),
        )
        .send()
        .await
        .assert_problem(403, "forbidden");
    }
    assert!(
        app.check(&gtin13(8)).await["product"].is_null(),
        "a refused load stores nothing"
    );
    app.request(reqwest::Method::PUT, "/v1/reference/products")
        .header("content-type", "application/x-ndjson")
        .body(product_line(&gtin13(8), "x"))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    for (role, n) in [(Role::Steward, 8), (Role::Admin, 9)] {
        let report = load_as(&app, role, &product_line(&gtin13(n), &format!("by {role}"))).await;
        assert_eq!(report["accepted"], 1, "{role}: {report}");
        assert_eq!(
            app.check(&gtin13(n)).await["product"]["name"],
            format!("by {role}")
        );
    }
}

async fn load_as(app: &TestApp, role: Role, body: &str) -> Value {
    let answer = app
        .put_ndjson_as(role, "/v1/reference/products", body.to_owned())
        .send()
        .await;
    assert_eq!(answer.status, 200, "{role}: {}", answer.text);
    answer.json
}

/// The dev samples are flagged as loaded only once their records are in, so a load cut short
/// (the flag absent, a record missing) is done again at the next start, and a finished one
/// is not.
#[tokio::test]
async fn samples_load_once_and_again_after_a_load_cut_short() {
    use originguard::service::samples::load_once;
    use originguard::store::keys;

    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    let mut conn = app.redis.connection();
    let product = keys::product("08935049500018");
    assert!(
        load_once(&store).await.unwrap(),
        "an empty Redis gets the samples"
    );
    let flag: Option<String> = redis::cmd("GET")
        .arg(keys::samples_loaded())
        .query(&mut conn)
        .unwrap();
    assert!(flag.is_some());
    let claim: bool = redis::cmd("EXISTS")
        .arg(keys::samples_loading())
        .query(&mut conn)
        .unwrap();
    assert!(!claim, "the claim is given up once the load is done");
    assert!(!load_once(&store).await.unwrap(), "loaded once only");

    // A process died half-way: its records partly in, no flag, its claim expired.
    let _: () = redis::cmd("DEL")
        .arg(keys::samples_loaded())
        .arg(&product)
        .query(&mut conn)
        .unwrap();
    assert!(
        load_once(&store).await.unwrap(),
        "the next start loads again"
    );
    let stored: Option<String> = redis::cmd("GET").arg(&product).query(&mut conn).unwrap();
    assert!(stored.is_some(), "the missing record is back");

    // While another process holds the claim, a start does not load beside it.
    let _: () = redis::cmd("DEL")
        .arg(keys::samples_loaded())
        .query(&mut conn)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(keys::samples_loading())
        .arg("other")
        .arg("EX")
        .arg(60)
        .query(&mut conn)
        .unwrap();
    assert!(!load_once(&store).await.unwrap());
}
