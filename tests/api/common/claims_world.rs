//! The reference data the claim tests verify against, loaded through the API, and helpers to
//! build claims and read findings. Dates are relative to today, so no test depends on the
//! calendar.

#![allow(dead_code)]

use chrono::{Datelike, Duration, NaiveDate, Utc};
use originguard::auth::Role;
use serde_json::{json, Value};

pub use crate::common::fixtures::{tax_code_from, with_gs1_check_digit, wrong_last_digit};
use crate::common::TestApp;

/// The registered manufacturer of the products.
pub const MAKER: &str = "0300588569";
/// Authorised sellers of P1.
pub const SELLER_A: &str = "0101248141";
pub const SELLER_B: &str = "0100109106";
/// Taxpayers on record that are suspended and closed.
pub const SUSPENDED: &str = "0310012340";
pub const CLOSED: &str = "0105682342";

pub struct World {
    pub app: TestApp,
    pub today: NaiveDate,
    /// GS1 Vietnam prefix, made in VN, authorised sellers A and B, lots CUR, OLD, RCL.
    pub p1: String,
    /// GS1 China prefix, made in VN, no authorised-seller list.
    pub p2: String,
    /// A seller on no list and not on record.
    pub outsider: String,
}

/// An invoice record and the reference a client quotes for it.
pub fn invoice(
    number: u32,
    issued_on: NaiveDate,
    seller: &str,
    buyer: &str,
    status: &str,
    gtin: &str,
) -> (Value, Value) {
    let symbol = format!("K{:02}TAA", issued_on.year() % 100);
    let record = json!({"seller_tax_code": seller, "template": "1", "symbol": symbol,
        "number": number.to_string(), "issued_on": issued_on.to_string(), "buyer_tax_code": buyer,
        "status": status, "items": [{"gtin": gtin, "quantity": 1}]});
    let reference = json!({"seller_tax_code": seller, "template": "1", "symbol": symbol,
        "number": number.to_string()});
    (record, reference)
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::spawn().await;
        let today = originguard::origin::vietnam_date(Utc::now());
        let world = World {
            app,
            today,
            p1: with_gs1_check_digit("0893600000012"),
            p2: with_gs1_check_digit("0690123400001"),
            outsider: tax_code_from(790_000_001),
        };
        let day = |d: i64| (today + Duration::days(d)).to_string();
        let products = [
            json!({"gtin": world.p1, "name": "P1", "manufacturer_tax_code": MAKER, "country_of_origin": "VN",
                "authorized_sellers": [SELLER_A, SELLER_B], "lots": [
                    {"lot": "CUR", "produced_on": day(-100), "expires_on": day(300)},
                    {"lot": "OLD", "produced_on": day(-400), "expires_on": day(-10)},
                    {"lot": "RCL", "expires_on": day(300), "recalled": true}]}),
            json!({"gtin": world.p2, "name": "P2", "manufacturer_tax_code": MAKER, "country_of_origin": "VN"}),
        ];
        world.load("products", &products).await;
        world
            .load("recalls", &[json!({"gtin": world.p1, "lot": "LISTED"})])
            .await;
        let taxpayers: Vec<Value> = [(MAKER, "active"), (SELLER_A, "active"), (SELLER_B, "active"),
            (SUSPENDED, "suspended"), (CLOSED, "closed")]
            .iter()
            .map(|(code, status)| json!({"tax_code": code, "name": format!("TP {code}"), "status": status}))
            .collect();
        world.load("taxpayers", &taxpayers).await;
        let records: Vec<Value> = (1..=7).map(|n| world.invoice(n).0).collect();
        world.load("invoices", &records).await;
        world
    }

    pub async fn load(&self, kind: &str, records: &[Value]) {
        let body: String = records.iter().map(|r| format!("{r}\n")).collect();
        let answer = self
            .app
            .put_ndjson_as(Role::Steward, &format!("/v1/reference/{kind}"), body)
            .send()
            .await;
        assert_eq!(
            answer.json["accepted"],
            records.len(),
            "{kind}: {}",
            answer.text
        );
    }

    /// The invoices on record, by number: 1 supports seller A's claim of P1; the others each
    /// have one flaw.
    pub fn invoice(&self, number: u32) -> (Value, Value) {
        let ago = self.today - Duration::days(30);
        let p1 = self.p1.as_str();
        match number {
            1 => invoice(1, ago, MAKER, SELLER_A, "issued", p1),
            2 => invoice(2, ago, MAKER, SELLER_A, "cancelled", p1),
            3 => invoice(3, ago, &self.outsider, SELLER_A, "issued", p1),
            4 => invoice(4, ago, MAKER, SELLER_B, "issued", p1),
            5 => invoice(5, ago, MAKER, SELLER_A, "issued", &self.p2),
            6 => invoice(
                6,
                self.today + Duration::days(20),
                MAKER,
                SELLER_A,
                "issued",
                p1,
            ),
            7 => invoice(
                7,
                self.today - Duration::days(105),
                MAKER,
                SELLER_A,
                "issued",
                p1,
            ),
            _ => unreachable!(),
        }
    }

    pub async fn verify_in(&self, lang: &str, body: &Value) -> Value {
        let answer = self
            .app
            .post_as(Role::Platform, "/v1/claims/verify", body)
            .header("accept-language", lang)
            .send()
            .await;
        assert_eq!(answer.status, 200, "{body}: {}", answer.text);
        assert!(
            answer.json["checked_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{}",
            answer.text
        );
        answer.json
    }

    pub async fn verify(&self, body: &Value) -> Value {
        self.verify_in("en", body).await
    }
}

pub fn claim(
    seller: &str,
    code: &str,
    origin: &str,
    manufacturer: &str,
    invoices: Vec<Value>,
) -> Value {
    json!({"seller": {"tax_code": seller, "platform_seller_id": "shop-1", "shop_url": "https://shop.example.vn/p/1"},
           "product": {"code": code, "claimed_origin": origin, "claimed_manufacturer_tax_code": manufacturer},
           "invoices": invoices})
}

/// `(code, severity, subject)` of each finding.
pub fn findings(result: &Value) -> Vec<(String, String, String)> {
    result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            (text("code"), text("severity"), text("subject"))
        })
        .collect()
}

pub fn f(code: &str, severity: &str, subject: &str) -> (String, String, String) {
    (code.to_owned(), severity.to_owned(), subject.to_owned())
}

pub fn message(result: &Value, index: usize) -> String {
    result["findings"][index]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}
