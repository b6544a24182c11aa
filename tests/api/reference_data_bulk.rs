//! Large reference loads through `PUT /v1/reference/{kind}`: a streamed body of tens of
//! thousands of lines is stored whole, and rejection details stop at their cap while the
//! count goes on.

use crate::common;
use crate::common::fixtures::gs1_check_digit;

use common::TestApp;
use originguard::auth::Role;
use serde_json::{json, Value};

/// Product lines in the streamed load.
const LARGE_LOAD_LINES: u32 = 50_000;
/// Rejected lines described in detail (API: the rest are only counted).
const REJECTED_DETAILS_CAP: usize = 1_000;

/// A valid GTIN-14 (indicator 0, prefix 893) for item `n`.
fn gtin14(n: u32) -> String {
    let body = format!("0893{n:09}");
    format!("{body}{}", gs1_check_digit(&body))
}

fn stored_name(app: &TestApp, gtin: &str) -> Option<String> {
    let text: Option<String> = redis::cmd("GET")
        .arg(format!("og:ref:product:{gtin}"))
        .query(&mut app.redis.connection())
        .expect("redis GET");
    text.map(|t| {
        let record: Value = serde_json::from_str(&t).expect("stored JSON");
        record["name"].as_str().expect("name").to_owned()
    })
}

#[tokio::test]
async fn a_large_streamed_load_is_accepted_whole_and_stored() {
    let app = TestApp::spawn().await;
    // Chunks of 1,000 lines, so the body arrives as a stream of pieces, never as one buffer.
    let chunks: Vec<Result<String, std::io::Error>> = (0..LARGE_LOAD_LINES / 1_000)
        .map(|chunk| {
            Ok((chunk * 1_000..(chunk + 1) * 1_000)
                .map(|n| {
                    let line = json!({"gtin": gtin14(n), "name": format!("Product {n}"),
                        "manufacturer_tax_code": "0300588569", "country_of_origin": "VN",
                        "lots": [{"lot": format!("L{n}")}]});
                    format!("{line}\n")
                })
                .collect())
        })
        .collect();
    let report = app
        .load(
            "products",
            reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
        )
        .await;
    assert_eq!(
        report["accepted"], LARGE_LOAD_LINES,
        "{}",
        report["rejected"]
    );
    assert_eq!(report["rejected_count"], 0);
    assert_eq!(report["rejected"], json!([]));
    for n in [0, 1, 499, 500, 24_999, LARGE_LOAD_LINES - 1] {
        assert_eq!(
            stored_name(&app, &gtin14(n)).as_deref(),
            Some(format!("Product {n}").as_str()),
            "product {n} is in Redis"
        );
    }
    let mut conn = app.redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("og:ref:product:*")
        .query(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), LARGE_LOAD_LINES as usize);
    let answer = app
        .post_as(
            Role::Authority,
            "/v1/traceability/check",
            &json!({"code": format!("(01){}(10)L31337", gtin14(31_337))}),
        )
        .send()
        .await;
    assert_eq!(answer.json["product"]["name"], "Product 31337");
    assert_eq!(answer.json["lot"]["lot"], "L31337");
}

#[tokio::test]
async fn rejection_details_stop_at_the_cap_while_the_count_goes_on() {
    let app = TestApp::spawn().await;
    let bad_lines = 1_500usize;
    let mut body = String::new();
    for n in 0..bad_lines {
        // A wrong check digit: the right one plus one.
        let good = gtin14(n as u32);
        let digit = good.as_bytes()[13] - b'0';
        body.push_str(&format!(
            "{}\n",
            json!({"gtin": format!("{}{}", &good[..13], (digit + 1) % 10), "name": "x",
                   "manufacturer_tax_code": "0300588569", "country_of_origin": "VN"})
        ));
    }
    body.push_str(&format!(
        "{}\n",
        json!({"gtin": gtin14(9_999), "name": "the one good line",
               "manufacturer_tax_code": "0300588569", "country_of_origin": "VN"})
    ));
    let report = app.load("products", body).await;
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected_count"], bad_lines as u64);
    assert_eq!(report["rejected_truncated"], true);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), REJECTED_DETAILS_CAP);
    let lines: Vec<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    let first: Vec<u64> = (1..=REJECTED_DETAILS_CAP as u64).collect();
    assert_eq!(
        lines, first,
        "the details are the first rejected lines, in order"
    );
    assert!(rejected
        .iter()
        .all(|r| r["errors"][0]["code"] == "check_digit"));
    assert_eq!(
        stored_name(&app, &gtin14(9_999)).as_deref(),
        Some("the one good line")
    );
}

#[tokio::test]
async fn exactly_the_cap_of_rejections_is_not_truncated() {
    let app = TestApp::spawn().await;
    let report = app
        .load(
            "products",
            "{\"gtin\":\"1\"}\n".repeat(REJECTED_DETAILS_CAP),
        )
        .await;
    assert_eq!(report["rejected_count"], REJECTED_DETAILS_CAP as u64);
    assert_eq!(
        report["rejected"].as_array().unwrap().len(),
        REJECTED_DETAILS_CAP
    );
    assert_eq!(report["rejected_truncated"], false);
}

#[tokio::test]
async fn an_empty_body_loads_nothing_and_rejects_nothing() {
    let app = TestApp::spawn().await;
    for body in ["", "\n\n\r\n   \n"] {
        let report = app.load("products", body).await;
        assert_eq!(
            report,
            json!({"accepted": 0, "rejected": [], "rejected_count": 0, "rejected_truncated": false}),
            "{body:?}"
        );
    }
}

/// A product line of exactly `bytes` bytes (its name is padded).
fn line_of(bytes: usize, n: u32) -> String {
    let empty = json!({"gtin": gtin14(n), "name": "", "manufacturer_tax_code": "0300588569",
                       "country_of_origin": "VN"})
    .to_string();
    let line = empty.replace(
        "\"name\":\"\"",
        &format!("\"name\":\"{}\"", "x".repeat(bytes - empty.len())),
    );
    assert_eq!(line.len(), bytes);
    line
}

#[tokio::test]
async fn the_64_kib_line_limit_holds_when_lines_arrive_in_small_chunks() {
    let app = TestApp::spawn().await;
    let limit = 64 * 1024;
    let body = format!(
        "{}\n{}\n{}\n{}",
        line_of(limit, 1),
        line_of(limit + 1, 2),
        line_of(200, 3),
        line_of(limit * 3, 4),
    );
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(1_000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let report = app
        .load(
            "products",
            reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
        )
        .await;
    assert_eq!(report["accepted"], 1, "{report}");
    let rejected: Vec<(u64, String, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let e = &r["errors"][0];
            (
                r["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        (1, "name", "too_long"),
        (2, "", "line_too_long"),
        (4, "", "line_too_long"),
    ]
    .map(|(l, f, c)| (l, f.to_owned(), c.to_owned()));
    assert_eq!(
        rejected, expected,
        "a line of exactly 64 KiB is read; one byte more is not"
    );
    assert!(
        stored_name(&app, &gtin14(3)).is_some(),
        "the line after a long one is read"
    );
}
