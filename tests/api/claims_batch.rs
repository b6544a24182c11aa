//! Serial clones across claims, `POST /v1/claims/verify-batch` (NDJSON in, NDJSON out in input
//! order, one error object per bad line, bounded length) and who may verify claims.

use crate::common;
use crate::common::fixtures::with_gs1_check_digit;

use common::TestApp;
use originguard::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

const VERIFY: &str = "/v1/claims/verify";
const BATCH: &str = "/v1/claims/verify-batch";
const MAKER: &str = "0300588569";
const SELLER_A: &str = "0101248141";
const SELLER_B: &str = "0100109106";
const SELLER_C: &str = "0310012340";
/// Most lines in one batch (API.md).
const MAX_BATCH_LINES: usize = 10_000;

/// A product registered as made in VN by MAKER, without an authorised-seller list.
fn registered() -> String {
    with_gs1_check_digit("0893600000029")
}

async fn app_with_product() -> TestApp {
    let app = TestApp::spawn().await;
    let product = json!({"gtin": registered(), "name": "P", "manufacturer_tax_code": MAKER,
                         "country_of_origin": "VN"});
    let answer = app
        .put_ndjson_as(Role::Steward, "/v1/reference/products", product.to_string())
        .send()
        .await;
    assert_eq!(answer.json["accepted"], 1, "{}", answer.text);
    app
}

fn claim(seller: &str, code: &str, origin: &str) -> Value {
    json!({"seller": {"tax_code": seller}, "product": {"code": code, "claimed_origin": origin,
           "claimed_manufacturer_tax_code": MAKER}})
}

async fn verify(app: &TestApp, body: &Value) -> Value {
    let answer = app.post_as(Role::Platform, VERIFY, body).send().await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

fn codes(result: &Value) -> Vec<String> {
    result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn batch(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, Option<String>, Vec<Value>) {
    let answer = app
        .request(Method::POST, BATCH)
        .key(&app.keys[&Role::Platform])
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await;
    let lines = if answer.status == 200 {
        answer
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    } else {
        Vec::new()
    };
    (
        answer.status,
        answer.header("content-type").map(str::to_owned),
        lines,
    )
}

#[tokio::test]
async fn a_serial_claimed_by_a_second_seller_is_cloned_for_every_seller_after() {
    let app = app_with_product().await;
    let code = format!("(01){}(21)SN-0001", registered());
    let first = verify(&app, &claim(SELLER_A, &code, "VN")).await;
    assert_eq!(
        (codes(&first), first["verdict"].clone()),
        (vec![], json!("consistent")),
        "{first}"
    );
    let again = verify(&app, &claim(SELLER_A, &code, "VN")).await;
    assert_eq!(
        codes(&again),
        Vec::<String>::new(),
        "the same seller repeating a claim is no clone"
    );
    let second = verify(&app, &claim(SELLER_B, &code, "VN")).await;
    assert_eq!(codes(&second), ["serial_cloned"]);
    let cloned = &second["findings"][0];
    assert_eq!(
        (cloned["severity"].clone(), cloned["subject"].clone()),
        (json!("critical"), json!("product.code"))
    );
    assert!(
        cloned["message"]
            .as_str()
            .unwrap()
            .contains("2 different sellers"),
        "{cloned}"
    );
    assert_eq!(second["verdict"], "inconsistent");
    let back = verify(&app, &claim(SELLER_A, &code, "VN")).await;
    assert_eq!(
        codes(&back),
        ["serial_cloned"],
        "the first seller now sees the clone too"
    );
    assert!(
        back["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 different sellers"),
        "{back}"
    );
    let third = verify(&app, &claim(SELLER_C, &code, "VN")).await;
    assert!(
        third["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 different sellers"),
        "{third}"
    );
    let sellers: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("og:serial:{}:SN-0001", registered()))
        .query(&mut app.redis.connection())
        .unwrap();
    assert_eq!(sellers.len(), 3, "{sellers:?}");
    let other_serial = verify(
        &app,
        &claim(SELLER_B, &format!("(01){}(21)SN-0002", registered()), "VN"),
    )
    .await;
    assert_eq!(
        codes(&other_serial),
        Vec::<String>::new(),
        "clones are per serial"
    );
    let no_serial = verify(&app, &claim(SELLER_C, &registered(), "VN")).await;
    assert_eq!(
        codes(&no_serial),
        Vec::<String>::new(),
        "a code without AI 21 is never a clone"
    );
}

#[tokio::test]
async fn a_batch_answers_each_line_in_order_with_its_line_number() {
    let app = app_with_product().await;
    let good = claim(SELLER_A, &registered(), "VN").to_string();
    let contradicted = claim(SELLER_A, &registered(), "DE").to_string();
    let unregistered = claim(SELLER_A, &with_gs1_check_digit("0893600000999"), "VN").to_string();
    let many_invoices = json!({"seller": {"tax_code": SELLER_A}, "product": {"code": registered()},
        "invoices": vec![json!({"seller_tax_code": MAKER}); 51]})
    .to_string();
    let mut body: Vec<u8> = Vec::new();
    for line in [
        good.as_bytes(),                                 // 1
        b"",                                             // 2 blank
        b"{\"seller\": ",                                // 3 malformed JSON
        b"{\"seller\": {\"tax_code\": \"0101248141\"}}", // 4 no product
        contradicted.as_bytes(),                         // 5
        b"  \r",                                         // 6 blank
        b"{\"seller\": \"\xff\"}",                       // 7 not UTF-8
        many_invoices.as_bytes(),                        // 8
        b"{\"seller\": {\"tax_code\": \"0101248141\"}, \"product\": {\"code\": \"1\"}, \"x\": 1}", // 9
        unregistered.as_bytes(), // 10
    ] {
        body.extend_from_slice(line);
        body.push(b'\n');
    }
    let (status, content_type, lines) = batch(&app, body).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("application/x-ndjson"));
    let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(
        numbers,
        [1, 3, 4, 5, 7, 8, 9, 10],
        "one answer per non-blank line, in order"
    );
    let verdict = |i: usize| lines[i]["verdict"].as_str().map(str::to_owned);
    let error = |i: usize| lines[i]["error"]["code"].as_str().map(str::to_owned);
    assert_eq!(
        (verdict(0).as_deref(), error(0)),
        (Some("consistent"), None),
        "{}",
        lines[0]
    );
    assert!(lines[0]["checked_at"].is_string() && lines[0]["findings"] == json!([]));
    assert_eq!(error(1).as_deref(), Some("malformed_json"));
    assert_eq!(error(2).as_deref(), Some("invalid_record"));
    assert_eq!(verdict(3).as_deref(), Some("inconsistent"));
    assert!(
        codes(&lines[3]).contains(&"origin_mismatch".to_owned()),
        "{}",
        lines[3]
    );
    assert_eq!(error(4).as_deref(), Some("invalid_utf8"));
    assert_eq!(error(5).as_deref(), Some("too_many_invoices"));
    assert_eq!(error(6).as_deref(), Some("invalid_record"));
    assert_eq!(verdict(7).as_deref(), Some("suspicious"));
    for i in [1, 2, 4, 5, 6] {
        assert!(
            lines[i]["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            lines[i]
        );
        assert!(
            lines[i].get("verdict").is_none(),
            "an error line has no verdict: {}",
            lines[i]
        );
    }
}

#[tokio::test]
async fn a_batch_keeps_input_order_under_concurrency() {
    let app = app_with_product().await;
    let origins = ["VN", "DE", "VN", "CN", "VN"];
    let body: String = (0..500)
        .map(|i| {
            format!(
                "{}\n",
                claim(SELLER_A, &registered(), origins[i % origins.len()])
            )
        })
        .collect();
    let (status, _, lines) = batch(&app, body).await;
    assert_eq!(status, 200);
    assert_eq!(lines.len(), 500);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["line"], i + 1);
        let expected = if origins[i % origins.len()] == "VN" {
            "consistent"
        } else {
            "inconsistent"
        };
        assert_eq!(line["verdict"], expected, "line {}", i + 1);
    }
}

#[tokio::test]
async fn a_batch_of_more_than_10000_lines_is_refused_and_an_empty_one_answers_nothing() {
    let app = TestApp::spawn().await;
    let (status, _, lines) = batch(&app, "{}\n".repeat(MAX_BATCH_LINES)).await;
    assert_eq!(status, 200, "exactly the limit is accepted");
    assert_eq!(lines.len(), MAX_BATCH_LINES);
    assert_eq!(lines[MAX_BATCH_LINES - 1]["line"], MAX_BATCH_LINES);
    let over = app
        .request(Method::POST, BATCH)
        .key(&app.keys[&Role::Platform])
        .header("content-type", "application/x-ndjson")
        .body("{}\n".repeat(MAX_BATCH_LINES + 1))
        .send()
        .await;
    over.assert_problem(413, "payload_too_large");
    for empty in ["", "\n\n  \n"] {
        let answer = app
            .request(Method::POST, BATCH)
            .key(&app.keys[&Role::Platform])
            .header("content-type", "application/x-ndjson")
            .body(empty)
            .send()
            .await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (200, ""),
            "{empty:?}"
        );
    }
}

#[tokio::test]
async fn claims_need_a_platform_authority_or_admin_key() {
    let app = app_with_product().await;
    let body = claim(SELLER_A, &registered(), "VN");
    app.request(Method::POST, VERIFY)
        .json(&body)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.request(Method::POST, BATCH)
        .header("content-type", "application/x-ndjson")
        .body(body.to_string())
        .send()
        .await
        .assert_problem(401, "unauthorized");
    for role in [Role::Steward, Role::Registry, Role::Operator] {
        app.post_as(role, VERIFY, &body)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.request(Method::POST, BATCH)
            .key(&app.keys[&role])
            .body(body.to_string())
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    for role in [Role::Authority, Role::Admin] {
        assert_eq!(
            app.post_as(role, VERIFY, &body).send().await.json["verdict"],
            "consistent",
            "{role}"
        );
        let answer = app
            .request(Method::POST, BATCH)
            .key(&app.keys[&role])
            .body(body.to_string())
            .send()
            .await;
        assert_eq!(answer.status, 200, "{role}");
    }
}

#[tokio::test]
async fn a_claim_with_missing_parts_or_too_many_invoices_is_a_422() {
    let app = app_with_product().await;
    let no_product = json!({"seller": {"tax_code": SELLER_A}});
    app.post_as(Role::Platform, VERIFY, &no_product)
        .send()
        .await
        .assert_problem(422, "invalid_request");
    let unknown_field =
        json!({"seller": {"tax_code": SELLER_A, "name": "x"}, "product": {"code": registered()}});
    app.post_as(Role::Platform, VERIFY, &unknown_field)
        .send()
        .await
        .assert_problem(422, "invalid_request");
    let many = json!({"seller": {"tax_code": SELLER_A}, "product": {"code": registered()},
        "invoices": vec![json!({"seller_tax_code": MAKER}); 51]});
    let answer = app.post_as(Role::Platform, VERIFY, &many).send().await;
    let problem = answer.assert_problem(422, "invalid_request");
    assert_eq!(
        (
            problem["errors"][0]["field"].clone(),
            problem["errors"][0]["code"].clone()
        ),
        (json!("invoices"), json!("too_many_invoices"))
    );
    let fifty = json!({"seller": {"tax_code": SELLER_A}, "product": {"code": registered()},
        "invoices": vec![json!({"seller_tax_code": MAKER}); 50]});
    assert_eq!(
        verify(&app, &fifty).await["verdict"],
        "invalid",
        "50 unreadable invoices are checked"
    );
}

#[tokio::test]
async fn a_batch_over_16_mib_is_refused_and_an_over_long_line_is_that_lines_error() {
    let app = app_with_product().await;
    let long = format!(
        "{}\n{}\n",
        "x".repeat(70 * 1024),
        claim(SELLER_A, &registered(), "VN")
    );
    let (status, _, lines) = batch(&app, long).await;
    assert_eq!(status, 200);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["error"]["code"], "line_too_long");
    assert_eq!(
        (lines[1]["line"].clone(), lines[1]["verdict"].clone()),
        (json!(2), json!("consistent"))
    );
    let mib = "x".repeat(1024 * 1024 - 1) + "\n";
    let chunks: Vec<Result<String, std::io::Error>> = (0..17).map(|_| Ok(mib.clone())).collect();
    let answer = app
        .request(Method::POST, BATCH)
        .key(&app.keys[&Role::Platform])
        .header("content-type", "application/x-ndjson")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    answer.assert_problem(413, "payload_too_large");
}
