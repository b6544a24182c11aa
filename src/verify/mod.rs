//! Checks of what a seller states against the reference data: a traceability code's product,
//! recall and expiry ([`traceability`]), an e-invoice against the stored one
//! ([`invoice_match`]), and a whole origin claim ([`claim`]). Pure like [`crate::origin`],
//! whose code rules they use: the records come in as arguments, nothing here does I/O.

pub mod claim;
pub mod invoice_match;
pub mod traceability;
