//! The service layer: each use case reads and writes through [`crate::store`] and decides
//! with the pure domain ([`crate::origin`], [`crate::verify`], [`crate::takedown`],
//! [`crate::reference`]). The HTTP handlers, the worker and the command line call it; it never
//! knows HTTP.
//!
//! - [`takedowns`]: submit, route, registry decisions, platform outcomes, withdrawal, the end
//!   of a suspension.
//! - [`blocklist`]: rendered deltas and the operators' compliance figures.
//! - [`import`]: streaming loads of reference data; [`samples`]: the development samples.

pub mod blocklist;
pub mod import;
pub mod samples;
pub mod takedowns;
