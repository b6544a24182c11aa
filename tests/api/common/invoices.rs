//! Invoices and taxpayers on record for the invoice and tax-code tests, loaded through the API.

use originguard::auth::Role;
use serde_json::{json, Value};

use crate::common::TestApp;

/// A seller with invoices on record.
pub const SELLER: &str = "0300588569";
/// Its customer.
pub const BUYER: &str = "0101248141";
/// A tax-authority code of the common 34-character shape (made up).
pub const TA_CODE: &str = "00A1B2C3D4E5F60718293A4B5C6D7E8F90";
/// A valid GTIN-13 on the invoices.
pub const ON_INVOICE: &str = "8935049500018";

pub async fn check_invoice(app: &TestApp, body: &Value) -> Value {
    let answer = app
        .post_as(Role::Platform, "/v1/invoices/check", body)
        .send()
        .await;
    assert_eq!(answer.status, 200, "{body}: {}", answer.text);
    answer.json
}

/// A reference to the `C` invoice on record, with `changes` applied.
pub fn reference(changes: Value) -> Value {
    let mut body = json!({"seller_tax_code": SELLER, "template": "1", "symbol": "C25TAA",
        "number": "123", "issued_on": "2025-03-01", "tax_authority_code": TA_CODE,
        "buyer_tax_code": BUYER, "gtin": ON_INVOICE});
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

pub async fn loaded_app() -> TestApp {
    let app = TestApp::spawn().await;
    let invoices = [
        json!({"seller_tax_code": SELLER, "template": "1", "symbol": "C25TAA", "number": "123",
            "issued_on": "2025-03-01", "tax_authority_code": TA_CODE, "buyer_tax_code": BUYER,
            "status": "issued", "items": [{"gtin": ON_INVOICE, "quantity": 10}]}),
        json!({"seller_tax_code": SELLER, "template": "1", "symbol": "K25TAB", "number": "124",
            "issued_on": "2025-04-15", "buyer_tax_code": BUYER, "status": "cancelled",
            "items": [{"gtin": ON_INVOICE}]}),
        json!({"seller_tax_code": SELLER, "template": "1", "symbol": "K25TAB", "number": "125",
            "issued_on": "2025-04-16", "status": "replaced", "items": [{"gtin": ON_INVOICE}]}),
        json!({"seller_tax_code": "0100109106-001", "template": "2", "symbol": "K25TYY",
            "number": "9", "issued_on": "2025-06-01", "status": "issued"}),
    ];
    let body: String = invoices.iter().map(|i| format!("{i}\n")).collect();
    let loaded = app
        .put_ndjson_as(Role::Steward, "/v1/reference/invoices", body)
        .send()
        .await;
    assert_eq!(loaded.json["accepted"], invoices.len(), "{}", loaded.text);
    let taxpayers = [
        json!({"tax_code": "0100109106", "name": "Công ty A", "status": "active", "province": "Hà Nội"}),
        json!({"tax_code": "0100109106001", "name": "Chi nhánh A", "status": "suspended"}),
        json!({"tax_code": "0310012340", "name": "Cửa hàng B", "status": "closed"}),
        json!({"tax_code": "001099012345", "name": "Hộ kinh doanh C", "status": "active"}),
    ];
    let body: String = taxpayers.iter().map(|t| format!("{t}\n")).collect();
    let loaded = app
        .put_ndjson_as(Role::Steward, "/v1/reference/taxpayers", body)
        .send()
        .await;
    assert_eq!(loaded.json["accepted"], taxpayers.len(), "{}", loaded.text);
    app
}
