//! `PUT /v1/reference/{kind}`: streamed NDJSON loads of reference data (steward, admin).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::extract::allow;
use super::problem::{ApiError, Problem, Text};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::ndjson::LineReader;
use crate::reference::ReferenceKind;
use crate::service::import::{audit_load, import, ImportError, ImportReport};

/// The reference-data routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_reference).layer(allow(&[Role::Steward])))
}

/// Which reference data a load replaces.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindParam {
    /// Product records: `gtin`, `name`, `brand`, `manufacturer_tax_code` (or, for imported
    /// goods made abroad, `importer_tax_code` with the foreign `manufacturer_name`),
    /// `manufacturer_name`, `country_of_origin`, `authorized_sellers`, `lots`.
    Products,
    /// Recalled lots: `gtin`, `lot`.
    Recalls,
    /// Taxpayers: `tax_code`, `name`, `status`, `province`.
    Taxpayers,
    /// E-invoices: seller, template, symbol, number, `issued_on`, buyer, status, items.
    Invoices,
    /// Platforms: `id`, `name`, `kind`, `domains`, `account_pattern`.
    Platforms,
    /// Shared infrastructure: `name`, `kind` (`cdn`, `hosting`), `cidrs`.
    #[serde(rename = "shared-infrastructure")]
    SharedInfrastructure,
}

/// Path of a load.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KindPath {
    /// Which reference data the load replaces.
    #[param(inline)]
    pub kind: KindParam,
}

impl From<KindParam> for ReferenceKind {
    fn from(kind: KindParam) -> ReferenceKind {
        match kind {
            KindParam::Products => ReferenceKind::Products,
            KindParam::Recalls => ReferenceKind::Recalls,
            KindParam::Taxpayers => ReferenceKind::Taxpayers,
            KindParam::Invoices => ReferenceKind::Invoices,
            KindParam::Platforms => ReferenceKind::Platforms,
            KindParam::SharedInfrastructure => ReferenceKind::SharedInfrastructure,
        }
    }
}

/// Loads or replaces reference records from an NDJSON body, one record a line. The body is
/// streamed (any size, bounded memory); each line is accepted or rejected on its own.
#[utoipa::path(put, path = "/v1/reference/{kind}", tag = "reference",
    params(KindPath),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON record per line; records as in the product, recall, taxpayer, invoice, platform and shared-infrastructure schemas",
        example = json!("{\"gtin\":\"08935049500018\",\"name\":\"Sữa tươi tiệt trùng 180ml\",\"brand\":\"Mẫu Sữa\",\"manufacturer_tax_code\":\"0300588569\",\"manufacturer_name\":\"Công ty sữa mẫu\",\"country_of_origin\":\"VN\",\"authorized_sellers\":[\"0101248141\"],\"lots\":[{\"lot\":\"LOT7\",\"produced_on\":\"2026-01-10\",\"expires_on\":\"2027-12-31\"}]}\n{\"gtin\":\"08934567890120\",\"name\":\"Nước mắm cá cơm 500ml\",\"brand\":\"Mẫu Phú Quốc\",\"manufacturer_tax_code\":\"0101248141\",\"manufacturer_name\":\"Công ty nước mắm mẫu\",\"country_of_origin\":\"VN\"}\n")),
    responses(
        (status = 200, description = "Load finished; per-line rejections listed", body = ImportReport),
        (status = 400, description = "The body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a kind of reference data this service loads", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn put_reference(
    State(state): State<AppState>,
    caller: Caller,
    lang: Lang,
    path: Result<Path<KindPath>, axum::extract::rejection::PathRejection>,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    let Ok(Path(KindPath { kind })) = path else {
        return Err(ApiError::not_found().with_detail(Text::fixed(
            "Reference data kinds are products, recalls, taxpayers, invoices, platforms and shared-infrastructure.",
            "Các loại dữ liệu tham chiếu là products, recalls, taxpayers, invoices, platforms và shared-infrastructure.",
        )));
    };
    let mut reader = LineReader::new(body.into_data_stream());
    let kind = ReferenceKind::from(kind);
    match import(state.store(), kind, &mut reader, lang, |_| {}).await {
        Ok(report) => {
            tracing::info!(caller = %caller.name, kind = kind.as_str(), accepted = report.accepted, rejected = report.rejected_count, "reference load");
            audit_load(state.store(), caller.actor(), kind, &report).await?;
            Ok(Json(report))
        }
        Err(ImportError::Input(error)) => Err(ApiError::malformed(Text::new(
            format!("The body could not be read: {error}"),
            format!("Không đọc được nội dung yêu cầu: {error}"),
        ))),
        Err(ImportError::Store(error)) => Err(error.into()),
    }
}
