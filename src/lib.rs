//! originguard: checks where goods come from, finds the infrastructure behind flagged online
//! shops, files takedown requests and publishes the operators' blocklist.
//!
//! `main` only parses the command line and calls [`run`]; the integration tests build the same
//! app through [`app`].

pub mod app;
pub mod auth;
pub mod config;
pub mod http;
pub mod i18n;
pub mod logging;
pub mod ndjson;
pub mod network;
pub mod origin;
pub mod reference;
pub mod rpz_dns;
pub mod run;
pub mod service;
pub mod store;
pub mod takedown;
pub mod verify;
pub mod worker;
