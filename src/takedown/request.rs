//! A takedown request as an agency sends it, and its validation into the request the service
//! stores: every bad field is reported, each with a stable code.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{LegalText, Note};
use crate::i18n::Text;
use crate::network::cidr::{never_target, Cidr};
use crate::network::names::Target;

/// Most evidence items in one request.
pub const MAX_EVIDENCE: usize = 50;
/// Longest free text (notes, descriptions, reasons), in characters.
pub const MAX_TEXT: usize = 4000;
/// Longest legal-basis field, in characters.
pub const MAX_LEGAL_FIELD: usize = 300;
/// Longest evidence URL, in bytes.
pub const MAX_URL: usize = 2048;
/// Broadest IPv4 block operators may be asked to block.
pub const MIN_V4_PREFIX: u8 = 16;
/// Broadest IPv6 block operators may be asked to block.
pub const MIN_V6_PREFIX: u8 = 32;
/// Clock skew allowed for `captured_at`.
const FUTURE_SKEW_SECS: i64 = 300;

/// The kind of violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Counterfeit goods.
    Counterfeit,
    /// Smuggled goods.
    Smuggled,
    /// Intellectual-property infringement.
    IpInfringement,
    /// Goods that may not be traded.
    ProhibitedGoods,
    /// Trading without the required licence.
    UnlicensedTrading,
}

/// What the authority asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedAction {
    /// Temporary suspension of a `.vn` domain.
    Suspend,
    /// Revocation of a `.vn` domain.
    Revoke,
    /// Blocking by the operators (domains outside `.vn`, IPs, CIDR blocks).
    Block,
}

/// What the target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    /// A host name.
    Domain,
    /// One address.
    Ip,
    /// An address block.
    Cidr,
}

/// The decision that gives the authority its power to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LegalBasis {
    /// The document's number (`123/QĐ-QLTT`).
    pub document_number: String,
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Who issued it.
    pub issuer: String,
}

/// One piece of evidence, identified by the SHA-256 of what was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// Where it was captured.
    pub url: String,
    /// SHA-256 of the captured content, lower-case hex.
    pub sha256: String,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// What it shows.
    pub description: Option<String>,
}

/// A validated request, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TakedownRequest {
    /// The target as given.
    pub target: String,
    /// What the target is.
    pub target_type: TargetType,
    /// The target in canonical form: ASCII (punycode) lower-case domain, canonical IP or CIDR.
    pub target_value: String,
    /// Whether the target is a domain under `.vn` (the registry's channel).
    pub is_vn: bool,
    /// The kind of violation.
    pub category: Category,
    /// The legal basis.
    pub legal_basis: LegalBasis,
    /// The evidence, at least one item.
    pub evidence: Vec<Evidence>,
    /// What the authority asks for.
    pub requested_action: Option<RequestedAction>,
    /// Free text from the authority: context for whoever acts on the request.
    pub notes: Option<String>,
}

// The inputs below keep their fields optional so that a missing one is refused by
// `TakedownInput::validate` with field and code, like every other bad field; their schemas say
// what a valid request holds.

/// The legal basis as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LegalBasisInput {
    /// The document's number.
    #[schema(value_type = LegalText, example = "123/QĐ-QLTT")]
    pub document_number: Option<String>,
    /// When it was issued: `YYYY-MM-DD`, not after tomorrow.
    #[schema(value_type = String, format = Date, example = "2026-11-02")]
    pub issued_on: Option<String>,
    /// Who issued it.
    #[schema(value_type = LegalText, example = "Cục Quản lý thị trường Hà Nội")]
    pub issuer: Option<String>,
}

/// Evidence as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EvidenceInput {
    /// Where it was captured: an `http` or `https` URL without spaces, at most 2,048 bytes.
    #[schema(
        value_type = String,
        max_length = 2048,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1F\x7F-\x9F]+$",
        example = "https://shopee.vn/giaygia.hn/p/123"
    )]
    pub url: Option<String>,
    /// SHA-256 of the captured content: 64 hexadecimal digits.
    #[schema(
        value_type = String,
        pattern = "^[0-9A-Fa-f]{64}$",
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )]
    pub sha256: Option<String>,
    /// When it was captured: an RFC 3339 time, not in the future.
    #[schema(value_type = String, format = DateTime, example = "2026-11-01T08:00:00Z")]
    pub captured_at: Option<String>,
    /// What it shows.
    #[schema(value_type = Option<Note>, example = "Listing of fake shoes")]
    pub description: Option<String>,
}

/// `POST /v1/takedowns` body.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "target": "https://giay-gia.vn/p/1",
    "category": "counterfeit",
    "legal_basis": {
        "document_number": "123/QĐ-QLTT",
        "issued_on": "2026-11-02",
        "issuer": "Cục Quản lý thị trường Hà Nội"
    },
    "evidence": [{
        "url": "https://giay-gia.vn/p/1",
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "captured_at": "2026-11-01T08:00:00Z",
        "description": "Listing of fake shoes"
    }],
    "requested_action": "suspend",
    "notes": "Seller relists under new shop names every week."
}))]
pub struct TakedownInput {
    /// A URL, domain, IP address or CIDR block (IPv4 /16 or narrower, IPv6 /32 or narrower),
    /// never in a private or reserved range.
    #[schema(
        value_type = String,
        min_length = 1,
        max_length = 2048,
        example = "https://giay-gia.vn/p/1"
    )]
    pub target: Option<String>,
    /// The kind of violation.
    #[schema(value_type = Category)]
    pub category: Option<String>,
    /// The decision behind the request.
    #[schema(value_type = LegalBasisInput)]
    pub legal_basis: Option<LegalBasisInput>,
    /// The evidence: 1 to 50 items.
    #[schema(value_type = Vec<EvidenceInput>, min_items = 1, max_items = 50)]
    pub evidence: Option<Vec<EvidenceInput>>,
    /// `suspend` or `revoke` for a `.vn` domain (the registry), `block` for anything else (the
    /// operators); absent or null leaves it to routing.
    #[schema(value_type = Option<RequestedAction>)]
    pub requested_action: Option<String>,
    /// Free text from the authority: context for whoever acts on the request.
    #[schema(value_type = Option<Note>)]
    pub notes: Option<String>,
}

/// One bad field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path of the field.
    pub field: String,
    /// Stable machine code.
    pub code: &'static str,
    /// What is wrong.
    pub message: Text,
}

fn error(field: impl Into<String>, code: &'static str, en: &str, vi: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code,
        message: Text::new(en.to_owned(), vi.to_owned()),
    }
}

fn required(field: impl Into<String>) -> FieldError {
    error(
        field,
        "required",
        "This field is required.",
        "Trường này là bắt buộc.",
    )
}

/// Text that is present, not blank after trimming, at most `max` characters, and free of
/// control characters other than newline and tab.
pub(crate) fn text(
    value: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        errors.push(required(field));
        return None;
    };
    optional_text(Some(value), field, max, errors)
}

/// Like [`text`], but absent or blank is `None` without an error.
pub(crate) fn optional_text(
    value: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.push(error(
            field,
            "too_long",
            &format!("At most {max} characters."),
            &format!("Tối đa {max} ký tự."),
        ));
        return None;
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(error(
            field,
            "bad_character",
            "Control characters are not allowed.",
            "Không được dùng ký tự điều khiển.",
        ));
        return None;
    }
    Some(value.to_owned())
}

fn parse_enum<T: serde::de::DeserializeOwned>(
    value: &str,
    field: &str,
    allowed: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match serde_json::from_value(serde_json::Value::String(value.to_owned())) {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            errors.push(error(
                field,
                "invalid_value",
                &format!("Must be one of: {allowed}."),
                &format!("Phải là một trong: {allowed}."),
            ));
            None
        }
    }
}

/// Parses and checks the target: a domain (from a URL or bare), an IP address or a CIDR block
/// no broader than /16 (IPv4) or /32 (IPv6).
pub fn parse_target(
    input: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(TargetType, String, bool)> {
    match Target::parse(input) {
        Ok(Target::Domain { name, .. }) => {
            let is_vn = name.is_vn();
            Some((TargetType::Domain, name.as_str().to_owned(), is_vn))
        }
        Ok(Target::Ip { ip, .. }) => {
            refuse_never_target(&Cidr::single(ip), errors)?;
            Some((TargetType::Ip, ip.to_string(), false))
        }
        Ok(Target::Cidr(block)) => {
            refuse_never_target(&block, errors)?;
            let min = if block.network().is_ipv4() {
                MIN_V4_PREFIX
            } else {
                MIN_V6_PREFIX
            };
            if block.prefix() < min {
                errors.push(error(
                    "target",
                    "cidr_too_broad",
                    &format!("The block is broader than /{min}; ask for narrower blocks."),
                    &format!("Dải địa chỉ rộng hơn /{min}; hãy yêu cầu các dải hẹp hơn."),
                ));
                return None;
            }
            Some((TargetType::Cidr, block.to_string(), false))
        }
        Err(e) => {
            errors.push(FieldError {
                field: "target".into(),
                code: "invalid_target",
                message: Text::new(
                    format!(
                        "Not a URL, domain, IP address or CIDR block ({}).",
                        e.code()
                    ),
                    format!(
                        "Không phải URL, tên miền, địa chỉ IP hay dải CIDR ({}).",
                        e.code()
                    ),
                ),
            });
            None
        }
    }
}

/// Refuses an address or block that overlaps a never-a-target range (private, loopback,
/// link-local, CGNAT, multicast, reserved): as an RPZ address rule it would break the
/// operators' own networks. `--allow-loopback-targets` does not change this.
fn refuse_never_target(block: &Cidr, errors: &mut Vec<FieldError>) -> Option<()> {
    let Some(range) = never_target(block) else {
        return Some(());
    };
    errors.push(error(
        "target",
        "reserved_address",
        &format!("{block} lies in {range}, a private or reserved range that is never a target."),
        &format!(
            "{block} nằm trong {range}, một dải riêng hoặc dành riêng, không bao giờ là mục tiêu."
        ),
    ));
    None
}

fn evidence_item(
    item: &EvidenceInput,
    i: usize,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<Evidence> {
    let at = |name: &str| format!("evidence[{i}].{name}");
    let url = text(item.url.as_deref(), &at("url"), MAX_URL, errors).and_then(|url| {
        let lower = url.to_ascii_lowercase();
        let web = lower.starts_with("https://") || lower.starts_with("http://");
        if web && url.len() <= MAX_URL && !url.contains(char::is_whitespace) {
            Some(url)
        } else {
            errors.push(error(
                at("url"),
                "invalid_url",
                "Must be an http or https URL without spaces.",
                "Phải là URL http hoặc https, không có khoảng trắng.",
            ));
            None
        }
    });
    let sha256 = text(item.sha256.as_deref(), &at("sha256"), 64, errors).and_then(|digest| {
        if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(digest.to_ascii_lowercase())
        } else {
            errors.push(error(
                at("sha256"),
                "invalid_digest",
                "Must be a SHA-256 digest: 64 hexadecimal digits.",
                "Phải là mã băm SHA-256: 64 chữ số thập lục phân.",
            ));
            None
        }
    });
    let captured_at =
        text(item.captured_at.as_deref(), &at("captured_at"), 64, errors).and_then(|t| {
            match DateTime::parse_from_rfc3339(&t) {
                Ok(t)
                    if t.with_timezone(&Utc)
                        <= now + chrono::Duration::seconds(FUTURE_SKEW_SECS) =>
                {
                    Some(t.with_timezone(&Utc))
                }
                Ok(_) => {
                    errors.push(error(
                        at("captured_at"),
                        "in_future",
                        "The capture time is in the future.",
                        "Thời điểm thu thập ở tương lai.",
                    ));
                    None
                }
                Err(_) => {
                    errors.push(error(
                        at("captured_at"),
                        "invalid_datetime",
                        "Must be an RFC 3339 time (2026-11-02T08:00:00Z).",
                        "Phải là thời điểm theo RFC 3339 (2026-11-02T08:00:00Z).",
                    ));
                    None
                }
            }
        });
    let description = optional_text(
        item.description.as_deref(),
        &at("description"),
        MAX_TEXT,
        errors,
    );
    Some(Evidence {
        url: url?,
        sha256: sha256?,
        captured_at: captured_at?,
        description,
    })
}

impl TakedownInput {
    /// Validates the request at `now`; every bad field is reported.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<TakedownRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let target = text(self.target.as_deref(), "target", 2048, &mut errors);
        let parsed = target.as_deref().and_then(|t| parse_target(t, &mut errors));
        let category = match self.category.as_deref() {
            None => {
                errors.push(required("category"));
                None
            }
            Some(c) => parse_enum::<Category>(
                c,
                "category",
                "counterfeit, smuggled, ip_infringement, prohibited_goods, unlicensed_trading",
                &mut errors,
            ),
        };
        let basis = self.legal_basis.clone().unwrap_or_default();
        if self.legal_basis.is_none() {
            errors.push(required("legal_basis"));
        }
        let legal_basis = if self.legal_basis.is_some() {
            let number = text(
                basis.document_number.as_deref(),
                "legal_basis.document_number",
                MAX_LEGAL_FIELD,
                &mut errors,
            );
            let issuer = text(
                basis.issuer.as_deref(),
                "legal_basis.issuer",
                MAX_LEGAL_FIELD,
                &mut errors,
            );
            let issued_on = text(
                basis.issued_on.as_deref(),
                "legal_basis.issued_on",
                10,
                &mut errors,
            )
            .and_then(|d| match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                Ok(d) if d <= now.date_naive() + chrono::Duration::days(1) => Some(d),
                Ok(_) => {
                    errors.push(error(
                        "legal_basis.issued_on",
                        "in_future",
                        "The decision's date is in the future.",
                        "Ngày ban hành ở tương lai.",
                    ));
                    None
                }
                Err(_) => {
                    errors.push(error(
                        "legal_basis.issued_on",
                        "invalid_date",
                        "Must be a date as YYYY-MM-DD.",
                        "Phải là ngày dạng YYYY-MM-DD.",
                    ));
                    None
                }
            });
            match (number, issued_on, issuer) {
                (Some(document_number), Some(issued_on), Some(issuer)) => Some(LegalBasis {
                    document_number,
                    issued_on,
                    issuer,
                }),
                _ => None,
            }
        } else {
            None
        };
        let evidence: Vec<Option<Evidence>> = match &self.evidence {
            None => {
                errors.push(required("evidence"));
                Vec::new()
            }
            Some(items) if items.is_empty() => {
                errors.push(error(
                    "evidence",
                    "required",
                    "At least one piece of evidence is required.",
                    "Cần ít nhất một chứng cứ.",
                ));
                Vec::new()
            }
            Some(items) if items.len() > MAX_EVIDENCE => {
                errors.push(error(
                    "evidence",
                    "too_many",
                    &format!("At most {MAX_EVIDENCE} pieces of evidence."),
                    &format!("Tối đa {MAX_EVIDENCE} chứng cứ."),
                ));
                Vec::new()
            }
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| evidence_item(item, i, now, &mut errors))
                .collect(),
        };
        let requested_action = self.requested_action.as_deref().and_then(|a| {
            parse_enum::<RequestedAction>(
                a,
                "requested_action",
                "suspend, revoke, block",
                &mut errors,
            )
        });
        if let (Some(action), Some((_, _, is_vn))) = (requested_action, &parsed) {
            let fits = match action {
                RequestedAction::Suspend | RequestedAction::Revoke => *is_vn,
                RequestedAction::Block => !*is_vn,
            };
            if !fits {
                errors.push(error(
                    "requested_action",
                    "action_not_applicable",
                    "Suspension and revocation apply to .vn domains (the registry); blocking applies to other domains, IPs and CIDR blocks (the operators).",
                    "Tạm ngừng và thu hồi áp dụng cho tên miền .vn (VNNIC); chặn áp dụng cho tên miền khác, IP và dải CIDR (nhà mạng).",
                ));
            }
        }
        let notes = optional_text(self.notes.as_deref(), "notes", MAX_TEXT, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let (
            Some(target),
            Some((target_type, target_value, is_vn)),
            Some(category),
            Some(legal_basis),
        ) = (target, parsed, category, legal_basis)
        else {
            return Err(vec![required("body")]);
        };
        let evidence: Option<Vec<Evidence>> = evidence.into_iter().collect();
        let Some(evidence) = evidence else {
            return Err(vec![required("evidence")]);
        };
        Ok(TakedownRequest {
            target,
            target_type,
            target_value,
            is_vn,
            category,
            legal_basis,
            evidence,
            requested_action,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: serde_json::Value) -> TakedownInput {
        serde_json::from_value(value).unwrap()
    }

    fn good() -> serde_json::Value {
        json!({
            "target": "https://Giay-Gia.vn/p/1",
            "category": "counterfeit",
            "legal_basis": {"document_number": "123/QĐ-QLTT", "issued_on": "2026-11-02", "issuer": "Cục QLTT Hà Nội"},
            "evidence": [{"url": "https://giay-gia.vn/p/1", "sha256": "A".repeat(64), "captured_at": "2026-11-01T08:00:00Z"}],
            "requested_action": "suspend"
        })
    }

    fn now() -> DateTime<Utc> {
        "2026-11-20T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_request_is_normalised() {
        let request = input(good()).validate(now()).unwrap();
        assert_eq!(request.target_type, TargetType::Domain);
        assert_eq!(request.target_value, "giay-gia.vn");
        assert!(request.is_vn);
        assert_eq!(request.evidence[0].sha256, "a".repeat(64));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let errors = input(json!({
            "target": "not a target",
            "category": "fake",
            "legal_basis": {"document_number": " ", "issued_on": "2030-01-01", "issuer": "x"},
            "evidence": [{"url": "ftp://x", "sha256": "zz", "captured_at": "yesterday"}],
            "requested_action": "nuke"
        }))
        .validate(now())
        .unwrap_err();
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        for expected in [
            ("target", "invalid_target"),
            ("category", "invalid_value"),
            ("legal_basis.document_number", "required"),
            ("legal_basis.issued_on", "in_future"),
            ("evidence[0].url", "invalid_url"),
            ("evidence[0].sha256", "invalid_digest"),
            ("evidence[0].captured_at", "invalid_datetime"),
            ("requested_action", "invalid_value"),
        ] {
            assert!(
                fields.contains(&expected),
                "{expected:?} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn actions_must_fit_the_channel_and_blocks_must_be_narrow() {
        let mut body = good();
        body["requested_action"] = json!("block");
        let errors = input(body).validate(now()).unwrap_err();
        assert_eq!(errors[0].code, "action_not_applicable");
        let mut body = good();
        body["target"] = json!("203.0.0.0/8");
        body["requested_action"] = json!(null);
        let errors = input(body).validate(now()).unwrap_err();
        assert_eq!(errors[0].code, "cidr_too_broad");
        let mut body = good();
        body["target"] = json!("2001:db8::/48");
        body["requested_action"] = json!("block");
        let request = input(body).validate(now()).unwrap();
        assert_eq!(request.target_type, TargetType::Cidr);
        assert!(!request.is_vn);
    }

    #[test]
    fn evidence_is_required_and_bounded() {
        let mut body = good();
        body["evidence"] = json!([]);
        assert_eq!(
            input(body).validate(now()).unwrap_err()[0].field,
            "evidence"
        );
        let mut body = good();
        let item = body["evidence"][0].clone();
        body["evidence"] = json!(vec![item; MAX_EVIDENCE + 1]);
        assert_eq!(input(body).validate(now()).unwrap_err()[0].code, "too_many");
    }
}
