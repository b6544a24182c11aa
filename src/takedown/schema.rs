//! OpenAPI schemas of what takedown requests, decisions and filters take, built from the same
//! limits and state lists the checks use: texts as [`super::request::text`] reads them, the
//! `true` a confirmation needs, and the states the registry's queue and a platform's notices
//! are listed by.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::request::{MAX_LEGAL_FIELD, MAX_TEXT};
use super::state::{State, ALL_STATES};

/// Characters a text field refuses: control characters other than tab and newline.
const NO_CONTROLS: &str = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$";
/// A required text: not blank, and no control characters other than tab and newline.
const NOT_BLANK: &str =
    r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$";

fn text(required: bool, max: usize, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(required.then_some(1))
        .max_length(Some(max))
        .pattern(Some(if required { NOT_BLANK } else { NO_CONTROLS }))
        .description(Some(description))
        .examples([example])
        .into()
}

/// A string schema that is one of `states`.
fn states<'a>(states: impl IntoIterator<Item = &'a State>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(states.into_iter().map(|s| s.as_str())))
        .description(Some(description))
        .into()
}

/// Declares a schema type whose schema `body` builds.
macro_rules! schema_type {
    ($(#[$doc:meta])* $name:ident => $body:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $body
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

schema_type!(
    /// A required reason, as withdrawals, decisions and confirmations take it.
    Reason => text(
        true,
        MAX_TEXT,
        "Why: 1 to 4,000 characters, not blank, no control characters but tab and newline.",
        "Lifted by court order 45/2026/QĐ-TA.",
    )
);

schema_type!(
    /// An optional free text (notes, descriptions, a platform's reason).
    Note => text(
        false,
        MAX_TEXT,
        "At most 4,000 characters, no control characters but tab and newline; blank counts as absent.",
        "Seller relists under new shop names every week.",
    )
);

schema_type!(
    /// A required field of a legal basis.
    LegalText => text(
        true,
        MAX_LEGAL_FIELD,
        "1 to 300 characters, not blank, no control characters but tab and newline.",
        "Cục Quản lý thị trường Hà Nội",
    )
);

schema_type!(
    /// `accept_collateral`: only `true` confirms.
    AcceptCollateral => ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .description(Some("Must be `true`: the authority accepts what the findings say enforcement also hits."))
        .into()
);

schema_type!(
    /// The states the registry's queue is listed by.
    RegistryState => states(
        ALL_STATES.iter().filter(|s| s.is_registry()),
        "A state of the registry's queue.",
    )
);

schema_type!(
    /// The states a platform's notices are listed by.
    NoticeState => states(
        ALL_STATES.iter().filter(|s| s.is_platform_notice()),
        "A state of a platform's notice.",
    )
);
