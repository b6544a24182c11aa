//! Every integration test, in one binary: the modules below share one build of the harness
//! (`common`: a real `redis-server` per test, the app on a loopback port, a loopback DNS
//! server, a local TLS server, fixtures), so `cargo test` links once instead of once per file.
//! `cargo test --test api <module>::` runs one module.

mod common;

mod allocations;
mod audit_api;
mod auth_and_errors;
mod blocklist_api;
mod blocklist_http_formats;
mod blocklist_rpz_unbound;
mod change_group_commit;
mod claims;
mod claims_api;
mod claims_batch;
mod claims_invoices;
mod cli;
mod cluster;
mod console;
mod console_sessions;
mod dns;
mod einvoice_props;
mod fair_use;
mod foundation;
mod gs1_ai_table;
mod gs1_dictionary;
mod gs1_digital_link;
mod gs1_element_string;
mod gs1_properties;
mod guard;
mod layers;
mod managed_redis;
mod names;
mod openapi;
mod openapi_conformance;
mod platforms_api;
mod reference_cache;
mod reference_data;
mod reference_data_bulk;
mod reference_data_validation;
mod reference_props;
mod replica_wait;
mod resolve;
mod resolve_api;
mod roles_first;
mod rpz_dns_input;
mod rpz_transfer;
mod takedown_durability;
mod takedown_webhook;
mod takedowns_api;
mod tax_and_invoices;
mod tax_and_invoices_lookup;
mod tax_code_props;
mod tls;
mod traceability;
mod traceability_errors;
mod url_host_props;
mod verification_api;
