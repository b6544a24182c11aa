//! The network layer: everything originguard learns about a shop's infrastructure.
//!
//! - [`names`]: targets and domain names (IDNA, public suffixes, `.vn`) — pure;
//! - [`cidr`]: CIDR block targets — pure;
//! - [`guard`]: which addresses may ever be connected to — pure;
//! - [`allocations`]: IP address → country from RIR delegation files;
//! - [`dns`]: DNS look-ups through the configured name servers only;
//! - `exchange`: the common query asked directly over UDP, the rest left to hickory;
//! - [`lookups`]: the look-ups of one request, each asked once and shared by its targets;
//! - [`tls`]: a TLS handshake that reports the server certificate, guarded;
//! - [`resolve`]: one `POST /v1/resolve` request, target by target.
//!
//! Nothing in this layer connects to an address the [`guard::AddressGuard`] refuses, and DNS
//! goes only to the name servers the [`dns::Resolver`] was built with.

pub mod allocations;
pub mod cidr;
pub mod dns;
mod exchange;
pub mod guard;
pub mod lookups;
pub mod names;
pub mod resolve;
pub mod tls;
