//! The sample reference data under `fixtures/reference/`, shared by the tests that load it
//! through the API.

/// Product records.
pub const PRODUCTS: &str = include_str!("../../../fixtures/reference/products.ndjson");
/// Taxpayers.
pub const TAXPAYERS: &str = include_str!("../../../fixtures/reference/taxpayers.ndjson");
/// E-invoices.
pub const INVOICES: &str = include_str!("../../../fixtures/reference/invoices.ndjson");
/// Recalled lots.
pub const RECALLS: &str = include_str!("../../../fixtures/reference/recalls.ndjson");
