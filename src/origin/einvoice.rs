//! Vietnamese e-invoice references (Decree 123/2020/NĐ-CP, Circular 78/2021/TT-BTC, as amended
//! in 2025): the parts a buyer can quote to identify an invoice, each as a type that can only be
//! built valid, and the pure cross-field check of a whole reference.
//!
//! * [`template`]: the template number (ký hiệu mẫu số), one digit with its table of meanings;
//! * [`symbol`]: the six-character invoice symbol (ký hiệu hóa đơn) with its type-letter table;
//! * [`number`]: the invoice number (số hóa đơn);
//! * [`authority_code`]: the tax authority's code (mã của cơ quan thuế);
//! * [`reference`](mod@reference): [`validate`] of an [`InvoiceRefInput`] into an [`InvoiceRef`], collecting
//!   every [`FieldError`] ([`validate_record`] for the invoice on record, which must carry the
//!   tax-authority code when it is a `C` invoice).
//!
//! No I/O, no clock, no panics: whether an invoice exists is a question for reference data.

pub mod authority_code;
pub mod number;
pub mod reference;
pub mod symbol;
pub mod template;

pub use authority_code::{AuthorityCodeError, TaxAuthorityCode};
pub use number::{InvoiceNumber, NumberError};
pub use reference::{
    parse_issue_date, validate, validate_record, CrossCheckError, DateError, FieldError,
    InvoiceRef, InvoiceRefInput,
};
pub use symbol::{InvoiceSymbol, SymbolError};
pub use template::{InvoiceTemplate, TemplateError};
