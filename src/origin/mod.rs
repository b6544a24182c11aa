//! Pure rules about where goods come from: GS1 codes, countries, tax codes, e-invoices and
//! the findings checks report. Nothing here does I/O or reads the clock.

pub mod claim;
pub mod country;
pub mod einvoice;
pub mod findings;
pub mod gs1;
pub mod invoice_match;
pub mod tax_code;
mod text;
