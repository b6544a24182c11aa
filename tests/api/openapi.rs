//! The committed OpenAPI document must be exactly what the code generates.

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = originguard::http::router::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != generated {
        panic!(
            "openapi/openapi.json is out of date with the code.\n\
             Regenerate it with:\n\n    cargo run --quiet -- openapi > openapi/openapi.json\n"
        );
    }
}
