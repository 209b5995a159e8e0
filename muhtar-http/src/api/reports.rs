//! The quarterly reports of Genelge 2015/8 item 7: by quarter or any period, signed
//! versions, sign-off.

use super::*;

/// How a report is written.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Narrow to this unit and the units below it.
    pub unit: Option<String>,
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
    /// CSV separator: `comma` (default) or `semicolon` (decimal comma, Turkish spreadsheets).
    pub csv_separator: Option<String>,
}

pub(crate) fn quarter(q: &str) -> ApiResult<muhtar_core::report::Quarter> {
    q.parse::<muhtar_core::report::Quarter>()
        .map_err(|e| ApiError::invalid("quarter", e.to_string()))
}

pub(crate) fn report_unit(u: Option<&str>) -> ApiResult<Option<UnitCode>> {
    u.map(|u| UnitCode::new(u).map_err(|e| ApiError::invalid("unit", e.to_string())))
        .transpose()
}

pub(crate) fn rendered(
    p: &ReportParams,
    render: impl FnOnce(
        muhtar_core::report::render::Format,
        muhtar_core::report::render::CsvOptions,
    ) -> String,
) -> ApiResult<Response> {
    use muhtar_core::report::render::{CsvOptions, Format, Separator};
    let format: Format = p
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(|e: String| ApiError::invalid("format", e))?;
    let separator: Separator = p
        .csv_separator
        .as_deref()
        .unwrap_or("comma")
        .parse()
        .map_err(|e: String| ApiError::invalid("csv_separator", e))?;
    let content_type = match format {
        Format::Json => "application/json",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    let body = render(format, CsvOptions { separator });
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The quarterly report (draft): received, positive, negative with reasons, open,
/// on time and late, by unit, category, channel and neighbourhood.
#[utoipa::path(get, path = "/reports/{quarter}", tag = "reports",
    params(("quarter" = String, Path, description = "e.g. 2026Q1"), ReportParams),
    responses((status = 200, description = "The report as JSON, CSV or HTML", body = Object),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(s): St,
    Auth(actor): Auth,
    Path(q): Path<String>,
    Params(p): Params<ReportParams>,
) -> ApiResult<Response> {
    let unit = report_unit(p.unit.as_deref())?;
    let r = s.mbs.report(&actor, quarter(&q)?, unit.as_ref()).await?;
    rendered(&p, |f, c| muhtar_core::report::render::render(&r, f, c))
}

/// What a period report covers and how it is written.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Required: a year (`2026`), a quarter (`2026Q2`) or a range of Istanbul dates, both
    /// included (`2026-01-01..2026-06-30`), at most ten years.
    pub period: Option<String>,
    /// Narrow to this unit and the units below it.
    pub unit: Option<String>,
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
    /// CSV separator: `comma` (default) or `semicolon` (decimal comma, Turkish spreadsheets).
    pub csv_separator: Option<String>,
}

/// The report of any period (a year, a quarter or a range of dates) with the quarterly
/// report's definitions, counts per channel, and working-day and calendar-day completion
/// times. Only quarters are signed (`POST /reports/{quarter}/sign`); a report of another
/// period says it is not signable (JSON: `quarter` is null).
#[utoipa::path(get, path = "/reports", tag = "reports",
    params(PeriodParams),
    responses((status = 200, description = "The report as JSON, CSV or HTML", body = Object),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`period` missing or malformed (expected 2026, 2026Q2 or 2026-01-01..2026-06-30), or another field invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn period_report(
    State(s): St,
    Auth(actor): Auth,
    Params(p): Params<PeriodParams>,
) -> ApiResult<Response> {
    let period = p
        .period
        .as_deref()
        .ok_or_else(|| {
            ApiError::invalid(
                "period",
                "period is required: a year (2026), a quarter (2026Q2) or a range of dates \
                 (2026-01-01..2026-06-30)",
            )
        })?
        .parse::<muhtar_core::report::ReportPeriod>()
        .map_err(|e| ApiError::invalid("period", e.to_string()))?;
    let unit = report_unit(p.unit.as_deref())?;
    let r = s.mbs.report_period(&actor, period, unit.as_ref()).await?;
    let out = ReportParams {
        unit: None,
        format: p.format,
        csv_separator: p.csv_separator,
    };
    rendered(&out, |f, c| muhtar_core::report::render::render(&r, f, c))
}

/// A sign-off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// Narrow to this unit and the units below it (default: the whole tenant).
    #[serde(default)]
    pub unit: Option<String>,
    /// The sign-off note (for a correction: what was corrected).
    pub note: String,
}

/// A signed report without its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedView {
    /// Id.
    pub id: String,
    /// Quarter.
    pub quarter: String,
    /// Unit, if narrowed.
    pub unit: Option<String>,
    /// Version (a correction is the next one).
    pub version: u32,
    /// The version it corrects.
    pub supersedes: Option<String>,
    /// Who signed.
    pub signed_by: String,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The note.
    pub note: String,
    /// SHA-256 of the frozen content.
    pub content_hash: String,
    /// Requests were entered afterwards with a receipt forced into this quarter: a
    /// correction (the next version) should be signed.
    pub needs_correction: bool,
}

impl From<&muhtar_core::report::SignedReport> for SignedView {
    fn from(s: &muhtar_core::report::SignedReport) -> Self {
        SignedView {
            id: s.id.to_string(),
            quarter: s.quarter.to_string(),
            unit: s.unit.as_ref().map(|u| u.to_string()),
            version: s.version,
            supersedes: s.supersedes.map(|u| u.to_string()),
            signed_by: s.signed_by.clone(),
            signed_at: s.signed_at,
            note: s.note.clone(),
            content_hash: s.content_hash.clone(),
            needs_correction: false,
        }
    }
}

/// Sign off an ended quarter's report (the responsible official). Signing again makes a
/// correction: the next version; a signed version never changes.
#[utoipa::path(post, path = "/reports/{quarter}/sign", tag = "reports",
    params(("quarter" = String, Path, description = "e.g. 2026Q1")),
    request_body = SignBody,
    responses((status = 201, body = SignedView,
            headers(("Location" = String, description = "The signed report's URL, under the prefix the API is mounted at"))),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The quarter has not ended", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sign_report(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Path(q): Path<String>,
    JsonBody(b): JsonBody<SignBody>,
) -> ApiResult<Response> {
    let unit = report_unit(b.unit.as_deref())?;
    let signed = s
        .mbs
        .sign_report(&actor, quarter(&q)?, unit.as_ref(), &b.note)
        .await?;
    let view = SignedView::from(&signed);
    let location = mount.url(&format!("/api/v1/reports/signed/{}", view.id));
    Ok(created(location, view))
}

/// The signed reports the actor may see.
#[utoipa::path(get, path = "/reports/signed", tag = "reports",
    responses((status = 200, body = Vec<SignedView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signed_reports(State(s): St, Auth(actor): Auth) -> ApiResult<Json<Vec<SignedView>>> {
    let all = s.mbs.signed_reports_marked(&actor).await?;
    Ok(Json(
        all.iter()
            .map(|(r, marks)| SignedView {
                needs_correction: !marks.is_empty(),
                ..SignedView::from(r)
            })
            .collect(),
    ))
}

/// One signed report, as signed, in JSON, CSV or HTML.
#[utoipa::path(get, path = "/reports/signed/{id}", tag = "reports",
    params(("id" = String, Path, description = "The signed report's id"), ReportParams),
    responses((status = 200, description = "The frozen report", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signed_report(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Params(p): Params<ReportParams>,
) -> ApiResult<Response> {
    let all = s.mbs.signed_reports_marked(&actor).await?;
    let (one, marks) = all
        .iter()
        .find(|(r, _)| r.id.to_string() == id)
        .ok_or_else(|| ApiError::not_found(format!("signed report {id}")))?;
    rendered(&p, |f, c| {
        muhtar_core::report::render::render_signed_marked(one, f, c, marks)
    })
}
