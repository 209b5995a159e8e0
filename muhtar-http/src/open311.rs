//! Open311 GeoReport v2 under `/open311/v2`, in `.json` and `.xml`.
//!
//! - Services are the tenant's categories (group, keywords; attributes where a category
//!   has extra fields). `jurisdiction_id` selects the tenant (optional when the database
//!   holds one).
//! - `POST requests` needs an `api_key`: a token from `muhtar token create` (or whatever the
//!   host's [`Authenticator`](crate::auth::Authenticator) accepts); the request is
//!   submitted as that actor with channel `open311`. A muhtar's token submits for their
//!   muhtarlık; other actors name it with `attribute[muhtarlik]`.
//! - Reads are public: they run as core's `Role::Public`, which may read public views
//!   only, and are written from core's `PublicView` alone, a type without personal data
//!   (no citizen contact, no messages, no answer text). The tenant setting
//!   `[open311] private_reads = true` requires an `api_key` for them, and the key's
//!   actor then gets the public views of what core lets it read.
//! - Our statuses map to `open`/`closed`; the outcome goes to `status_notes`, the
//!   resolution deadline to `expected_datetime`, the unit's name to `agency_responsible`.
//!   The `token` of a new request is its id, resolvable at `tokens/{id}`.
//! - Errors are the specification's arrays `[{"code": 400, "description": "..."}]`.
//! - Every response is a typed document (module `documents`), written as JSON by serde_json and
//!   as XML by quick-xml (module `xml`) from the same struct.
//! - The discovery document's endpoint URL carries the prefix the router is mounted under
//!   ([`crate::mount`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use muhtar_core::access::{Actor, Role};
use muhtar_core::clock::Clock;
use muhtar_core::document::Direction;
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::public::PublicView;
use muhtar_core::request::{Outcome, Status};
use muhtar_core::service::{ServiceError, TenantContext};
use muhtar_core::store::{ConfigStore, Order, RequestQuery, RequestRecord};

use self::documents::{
    Attribute, AttributeValue, CreatedRequest, Discovery, Document, Endpoint, List, MediaType,
    RequestToken, Service, ServiceDefinition, ServiceRequest,
};

use crate::auth::{AuthError, Credentials, FailedAttempt};
use crate::mount::Mount;
use crate::AppState;

mod documents;
mod xml;

type St = State<Arc<AppState>>;

/// The routes under `/open311/v2`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/{file}", get(root_get).post(root_post))
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
}

/// Most rows a listing returns.
pub const MAX_ROWS: usize = 1000;
/// Widest date range of a listing, and the default window (the last 90 days).
pub const MAX_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// An Open311 error: an HTTP status and the description in the error array.
#[derive(Debug)]
struct O311Error {
    status: StatusCode,
    description: String,
    /// Seconds for a `Retry-After` header (429).
    retry_after: Option<u64>,
    /// Refuses bad credentials: a [`FailedAttempt`].
    failed_attempt: bool,
}

fn err(status: StatusCode, description: impl Into<String>) -> O311Error {
    O311Error {
        status,
        description: crate::error::capped(description.into()),
        retry_after: None,
        failed_attempt: false,
    }
}

impl From<crate::error::ApiError> for O311Error {
    fn from(api: crate::error::ApiError) -> Self {
        let status = match api.status {
            // The specification's clients expect 400 for anything wrong with the input.
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        let d = match api.detail.field {
            Some(f) => format!("{f}: {}", api.detail.message),
            None => api.detail.message,
        };
        O311Error {
            status,
            description: crate::error::capped(d),
            retry_after: api.retry_after,
            failed_attempt: false,
        }
    }
}

fn bad(description: impl Into<String>) -> O311Error {
    err(StatusCode::BAD_REQUEST, description)
}

impl From<ServiceError> for O311Error {
    fn from(e: ServiceError) -> Self {
        crate::error::ApiError::from(e).into()
    }
}

impl From<muhtar_core::store::StoreError> for O311Error {
    fn from(e: muhtar_core::store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

/// Splits `services.json` into the name and its format.
fn split(file: &str) -> Result<(&str, Format), O311Error> {
    let (name, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| err(StatusCode::NOT_FOUND, "add .json or .xml to the path"))?;
    let f = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => {
            return Err(err(
                StatusCode::NOT_FOUND,
                format!("unknown format .{ext}: use .json or .xml"),
            ))
        }
    };
    Ok((name, f))
}

fn format_of(file: &str) -> Format {
    split(file).map(|(_, f)| f).unwrap_or(Format::Json)
}

/// The 429 of [`crate::auth::FailedAuthLimitLayer`] in Open311's error format (JSON or XML
/// by the path's extension) when `path` is an Open311 path (`…/open311/v2/…`, under any
/// prefix); `None` for any other path.
pub(crate) fn too_many_for_path(path: &str, wait: std::time::Duration) -> Option<Response> {
    error_for_path(path, crate::auth::too_many(wait))
}

/// `error` in Open311's error format (JSON or XML by the path's extension) when `path`
/// is an Open311 path (`…/open311/v2/…`, under any prefix); `None` for any other path.
pub(crate) fn error_for_path(path: &str, error: crate::error::ApiError) -> Option<Response> {
    let segments: Vec<&str> = path.split('/').collect();
    let at = segments.windows(2).position(|w| w == ["open311", "v2"])?;
    let last = segments.get(at + 2..).and_then(|s| s.last())?;
    Some(error_response(format_of(last), error.into()))
}

// ---------------------------------------------------------------------------------------
// Output

fn respond<D: Document>(format: Format, status: StatusCode, doc: &D) -> Response {
    match format {
        Format::Json => (status, axum::Json(doc)).into_response(),
        Format::Xml => match xml::to_string(doc) {
            Ok(body) => (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                body,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, root = D::ROOT, "an Open311 document could not be written as XML");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
    }
}

fn error_response(format: Format, e: O311Error) -> Response {
    let doc = List(vec![documents::Error {
        code: e.status.as_u16(),
        description: e.description,
    }]);
    let mut r = respond(format, e.status, &doc);
    if let Some(s) = e.retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, s.into());
    }
    if e.failed_attempt {
        r = FailedAttempt::mark(r);
    }
    r
}

// ---------------------------------------------------------------------------------------
// Parameters and tenants

/// Query or form parameters (core's decoding); one that is not UTF-8 is a 400 naming it.
fn params(text: Option<&[u8]>) -> Result<BTreeMap<String, String>, O311Error> {
    muhtar_core::open311::parse_params(text.unwrap_or_default()).map_err(|e| bad(e.to_string()))
}

async fn tenant_of(
    s: &AppState,
    p: &BTreeMap<String, String>,
) -> Result<Arc<TenantContext>, O311Error> {
    let tenant = match p.get("jurisdiction_id").filter(|j| !j.is_empty()) {
        Some(j) => TenantId::new(j.clone()).map_err(|_| {
            err(
                StatusCode::NOT_FOUND,
                format!("unknown jurisdiction_id {j:?}"),
            )
        })?,
        None => {
            let all = s.mbs.store().tenants().await?;
            match all.as_slice() {
                [one] => one.clone(),
                [] => return Err(err(StatusCode::NOT_FOUND, "no jurisdiction is set up")),
                _ => return Err(bad("jurisdiction_id is required")),
            }
        }
    };
    s.mbs.context(&tenant).await.map_err(|e| match e {
        ServiceError::NotConfigured(_) => err(
            StatusCode::NOT_FOUND,
            format!("unknown jurisdiction_id {tenant}"),
        ),
        e => e.into(),
    })
}

/// The actor the host's authenticator names for the request and its `api_key`, in the
/// tenant, or a 403; bad credentials are a [`FailedAttempt`], an actor of another tenant
/// is not.
async fn key_actor(
    s: &AppState,
    parts: &Parts,
    p: &BTreeMap<String, String>,
    tenant: &TenantId,
) -> Result<Actor, O311Error> {
    let credentials = Credentials::open311(parts, p.get("api_key").map(String::as_str));
    let not_valid = || {
        err(
            StatusCode::FORBIDDEN,
            "api_key is not valid for this jurisdiction",
        )
    };
    match s.authenticator.authenticate(&credentials).await {
        Ok(a) if &a.tenant == tenant => Ok(a),
        Ok(_) => Err(not_valid()),
        Err(AuthError::Missing) => Err(err(StatusCode::FORBIDDEN, "api_key is required")),
        Err(e) if e.is_failure() => Err(O311Error {
            failed_attempt: true,
            ..not_valid()
        }),
        Err(e) => Err(crate::error::ApiError::from(e).into()),
    }
}

/// Who reads: the public (core's public actor, who may read public views only) or,
/// when the tenant requires it, the api_key's actor. Either way every read gets core's
/// `PublicView`s only.
async fn reader(
    s: &AppState,
    parts: &Parts,
    p: &BTreeMap<String, String>,
    ctx: &TenantContext,
) -> Result<Actor, O311Error> {
    if ctx.settings.open311.private_reads {
        key_actor(s, parts, p, &ctx.org.tenant.id).await
    } else {
        Ok(Actor::new(
            ctx.org.tenant.id.clone(),
            "open311-public",
            Role::Public,
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Views

fn service(c: &muhtar_core::org::Category) -> Service {
    Service {
        service_code: c.code.clone(),
        service_name: c.name.clone(),
        description: c.name.clone(),
        metadata: !c.attributes.is_empty(),
        kind: "realtime",
        keywords: c.keywords.join(","),
        group: c.group.clone().unwrap_or_default(),
    }
}

/// A request as Open311 shows it, from core's public view (which holds no personal data:
/// no citizen, no messages, no answer text).
fn service_request(app: &AppState, mount: &Mount, v: &PublicView) -> ServiceRequest {
    let open = v.is_open();
    let notes = match (v.status, v.outcome) {
        (Status::Merged, _) => match &v.merged_into {
            Some(t) => format!("duplicate of {t}"),
            None => "duplicate".into(),
        },
        (Status::Withdrawn, _) => "withdrawn".into(),
        (_, Some(Outcome::Positive)) if !open => "positive (olumlu)".into(),
        (_, Some(Outcome::Negative)) if !open => format!(
            "negative (olumsuz): {}",
            v.reason.as_ref().map(|r| r.0.as_str()).unwrap_or("-")
        ),
        (st, _) => st.as_str().to_owned(),
    };
    ServiceRequest {
        service_request_id: v.tracking.to_string(),
        status: if open { "open" } else { "closed" }.to_owned(),
        status_notes: notes,
        service_name: v.category_name.clone().unwrap_or_default(),
        service_code: v.category.clone(),
        description: v.description.clone(),
        agency_responsible: v.unit_name.clone(),
        service_notice: documents_notice(v.documents.iter().map(|d| (d.direction, &d.number))),
        requested_datetime: datetime(v.received_at),
        updated_datetime: datetime(v.updated_at),
        expected_datetime: v.resolution_due.map(datetime),
        address: v.address.clone(),
        address_id: None,
        zipcode: None,
        lat: v.location.as_ref().map(|l| l.lat),
        long: v.location.as_ref().map(|l| l.lon),
        media_url: crate::uploads::media_url(
            app.uploads.as_ref(),
            mount.prefix(),
            &v.files,
            v.media_url.as_deref(),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn root_get(
    State(s): St,
    mount: Mount,
    parts: Parts,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let format = format_of(&file);
    let r = async {
        let p = params(q.as_deref().map(str::as_bytes))?;
        let (name, format) = split(&file)?;
        match name {
            "discovery" => Ok(respond(format, StatusCode::OK, &discovery(&mount))),
            "services" => {
                let ctx = tenant_of(&s, &p).await?;
                let services: List<Service> = ctx.org.categories.iter().map(service).collect();
                Ok(respond(format, StatusCode::OK, &services))
            }
            "requests" => list_requests(&s, &parts, &p, format).await,
            _ => Err(err(StatusCode::NOT_FOUND, format!("no resource {name}"))),
        }
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

fn discovery(mount: &Mount) -> Discovery {
    Discovery {
        changeset: "2026-01-01T00:00:00Z",
        contact: "The operator of this muhtar server",
        key_service: "API keys are issued by the operator: muhtar token create --as <actor>",
        endpoints: List(vec![Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2",
            url: mount.url("/open311/v2"),
            changeset: "2026-01-01T00:00:00Z",
            kind: "production",
            formats: List(vec![MediaType("application/json"), MediaType("text/xml")]),
        }]),
    }
}

/// A service's definition: its attributes, in order.
fn service_definition_of(c: &muhtar_core::org::Category) -> ServiceDefinition {
    ServiceDefinition {
        service_code: c.code.clone(),
        attributes: c
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| Attribute {
                variable: true,
                code: a.code.clone(),
                datatype: if a.values.is_empty() {
                    "string"
                } else {
                    "singlevaluelist"
                },
                required: a.required,
                datatype_description: None,
                order: i + 1,
                description: a.description.clone(),
                values: a
                    .values
                    .iter()
                    .map(|v| AttributeValue {
                        key: v.key.clone(),
                        name: v.name.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn service_definition(
    State(s): St,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let format = format_of(&file);
    let r = async {
        let p = params(q.as_deref().map(str::as_bytes))?;
        let (code, format) = split(&file)?;
        let ctx = tenant_of(&s, &p).await?;
        let c = ctx.org.category(code).ok_or_else(|| {
            err(
                StatusCode::NOT_FOUND,
                format!("unknown service_code {code}"),
            )
        })?;
        Ok(respond(format, StatusCode::OK, &service_definition_of(c)))
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

async fn root_post(State(s): St, parts: Parts, Path(file): Path<String>, body: Bytes) -> Response {
    let format = format_of(&file);
    let r = async {
        let (name, format) = split(&file)?;
        if name != "requests" {
            return Err(err(StatusCode::NOT_FOUND, format!("cannot POST {name}")));
        }
        let p = params(Some(&body))?;
        let ctx = tenant_of(&s, &p).await?;
        let actor = key_actor(&s, &parts, &p, &ctx.org.tenant.id).await?;
        let new = muhtar_core::open311::new_request(&ctx.org, &actor, &p).map_err(|e| match e {
            // Like the REST API: a field nobody may set here is a 422 naming it.
            muhtar_core::open311::FormError::NotAllowed { .. } => {
                err(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            e => bad(e.to_string()),
        })?;
        let rec = s.mbs.submit(&actor, new).await?;
        let created = List(vec![CreatedRequest {
            service_request_id: rec.state.tracking.to_string(),
            token: rec.state.id.to_string(),
            service_notice: service_notice(&rec),
            account_id: None,
        }]);
        Ok(respond(format, StatusCode::CREATED, &created))
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

/// An instant as Open311 writes it: RFC 3339 in Europe/Istanbul local time (`+03:00`),
/// the offset the specification allows.
fn datetime(at: DateTime<Utc>) -> String {
    muhtar_core::calendar::to_istanbul(at).to_rfc3339()
}

/// What the client tells the person who filed a new request: the tracking number, the
/// answer's deadline in Istanbul time and, when the request was registered on receipt,
/// its document number.
fn service_notice(rec: &RequestRecord) -> String {
    let mut notice = match rec.deadlines.resolution_due {
        Some(due) => format!(
            "takip numarası {}; cevap süresi {} (İstanbul saati)",
            rec.state.tracking,
            muhtar_core::calendar::local_time(due)
        ),
        None => format!("takip numarası {}", rec.state.tracking),
    };
    let docs = rec.state.documents.iter().map(|d| (d.direction, &d.number));
    if let Some(d) = documents_notice(docs) {
        notice.push_str("; ");
        notice.push_str(&d);
    }
    notice
}

/// A request's official document numbers as its `service_notice` shows them
/// (`Evrak: E-…; Cevap yazısı: E-…`), or none.
fn documents_notice<'a>(
    docs: impl Iterator<Item = (Direction, &'a muhtar_core::document::RegistryNumber)>,
) -> Option<String> {
    let parts: Vec<String> = docs
        .map(|(direction, number)| match direction {
            Direction::Incoming => format!("Evrak: {number}"),
            _ => format!("Cevap yazısı: {number}"),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn date(p: &BTreeMap<String, String>, k: &str) -> Result<Option<DateTime<Utc>>, O311Error> {
    p.get(k)
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    bad(format!(
                        "{k}: {v:?} is not a W3C date-time (2026-01-31T09:00:00+03:00)"
                    ))
                })
        })
        .transpose()
}

/// The prefix the router is mounted under, recorded by [`crate::mount::record`].
fn mount_of(parts: &Parts) -> Mount {
    parts.extensions.get::<Mount>().cloned().unwrap_or_default()
}

async fn list_requests(
    s: &AppState,
    parts: &Parts,
    p: &BTreeMap<String, String>,
    format: Format,
) -> Result<Response, O311Error> {
    let ctx = tenant_of(s, p).await?;
    let actor = reader(s, parts, p, &ctx).await?;
    let mount = mount_of(parts);
    let mut out = Vec::new();
    if let Some(ids) = p.get("service_request_id").filter(|v| !v.is_empty()) {
        for id in ids.split(',').take(MAX_ROWS) {
            let Ok(t) = id.trim().parse() else { continue };
            match s.mbs.public_view(&actor, &t).await {
                Ok(v) => out.push(service_request(s, &mount, &v)),
                Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(respond(format, StatusCode::OK, &List(out)));
    }
    let now = s.mbs.clock().now();
    let end = date(p, "end_date")?;
    let start = date(p, "start_date")?;
    let (start, end) = match (start, end) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, (a + Duration::days(MAX_DAYS)).min(now)),
        (None, Some(b)) => (b - Duration::days(MAX_DAYS), b),
        (None, None) => (now - Duration::days(MAX_DAYS), now),
    };
    if end < start {
        return Err(bad("end_date is before start_date"));
    }
    if end - start > Duration::days(MAX_DAYS) {
        return Err(bad(format!(
            "the date range may span at most {MAX_DAYS} days"
        )));
    }
    let statuses: Option<Vec<Status>> = match p.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(list) => {
            let mut v = Vec::new();
            for st in list.split(',') {
                match st.trim() {
                    "open" => v.extend(Status::ALL.into_iter().filter(|s| s.is_open())),
                    "closed" => v.extend(Status::ALL.into_iter().filter(|s| !s.is_open())),
                    other => {
                        return Err(bad(format!("status: {other:?} is neither open nor closed")))
                    }
                }
            }
            Some(v)
        }
    };
    let q = RequestQuery {
        statuses,
        category: p.get("service_code").filter(|c| !c.is_empty()).cloned(),
        received_from: Some(start),
        received_until: Some(end + Duration::microseconds(1)),
        order: Order::Newest,
        limit: MAX_ROWS as u32,
        ..RequestQuery::default()
    };
    // A muhtar's key (private reads) lists its own muhtarlık's: core narrows it.
    let page = s.mbs.public_list(&actor, q).await?;
    out.extend(
        page.items
            .iter()
            .take(MAX_ROWS)
            .map(|v| service_request(s, &mount, v)),
    );
    Ok(respond(format, StatusCode::OK, &List(out)))
}

async fn one_request(
    State(s): St,
    parts: Parts,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    lookup(&s, &parts, &file, q.as_deref(), false).await
}

async fn token(
    State(s): St,
    parts: Parts,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    lookup(&s, &parts, &file, q.as_deref(), true).await
}

/// `requests/{service_request_id}` (the public view) or `tokens/{token}` (the request's
/// id to its tracking number), as the reader sees them.
async fn lookup(
    s: &AppState,
    parts: &Parts,
    file: &str,
    q: Option<&str>,
    by_token: bool,
) -> Response {
    let format = format_of(file);
    let r = async {
        let p = params(q.map(str::as_bytes))?;
        let (id, format) = split(file)?;
        let ctx = tenant_of(s, &p).await?;
        let actor = reader(s, parts, &p, &ctx).await?;
        let what = if by_token { "token" } else { "service request" };
        let not_found = || err(StatusCode::NOT_FOUND, format!("no {what} {id}"));
        let found = if by_token {
            let rid: RequestId = id.parse().map_err(|_| not_found())?;
            s.mbs.public_view_by_id(&actor, rid).await
        } else {
            let t = id
                .parse()
                .map_err(|e| bad(format!("service_request_id {id:?}: {e}")))?;
            s.mbs.public_view(&actor, &t).await
        };
        let view = found.map_err(|e| match e {
            ServiceError::NotFound(_) => not_found(),
            e => e.into(),
        })?;
        Ok(if by_token {
            let token = RequestToken {
                token: id.to_owned(),
                service_request_id: view.tracking.to_string(),
            };
            respond(format, StatusCode::OK, &List(vec![token]))
        } else {
            let request = service_request(s, &mount_of(parts), &view);
            respond(format, StatusCode::OK, &List(vec![request]))
        })
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

#[cfg(test)]
mod tests {
    use super::documents::Error;
    use super::xml::is_xml_char;
    use super::*;
    use proptest::prelude::*;

    /// Any text, with the characters XML cannot carry (C0 controls, U+FFFE, U+FFFF) and
    /// the ones it must escape mixed in often.
    fn any_text() -> impl Strategy<Value = String> {
        let special = prop_oneof![
            Just('\u{FFFE}'),
            Just('\u{FFFF}'),
            Just('\u{0}'),
            Just('\u{1B}'),
            Just('\r'),
            Just('\n'),
            Just('\t'),
            Just('<'),
            Just('&'),
            Just(']'),
            Just('>'),
            Just('"'),
            Just('\''),
            Just('\u{85}'),
            Just('\u{D7FF}'),
            Just('\u{E000}'),
            Just('\u{10FFFF}'),
        ];
        proptest::collection::vec(prop_oneof![any::<char>(), special], 0..24)
            .prop_map(|cs| cs.into_iter().collect())
    }

    /// What an XML reader must get back for `s`: the text, with each character XML
    /// cannot carry replaced by U+FFFD.
    fn readable(s: &str) -> String {
        s.chars()
            .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
            .collect()
    }

    fn xml_of<D: Document>(doc: &D) -> String {
        xml::to_string(doc).unwrap()
    }

    /// The text of the child element `name` of `node` ("" when empty).
    fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
        node.children()
            .find(|n| n.has_tag_name(name))
            .unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()))
            .text()
            .unwrap_or("")
    }

    /// Every element of `xml` as its path from the root (`a/b/c`), in document order,
    /// each path once.
    fn paths(xml: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let mut out: Vec<String> = Vec::new();
        for n in doc.descendants().filter(|n| n.is_element()) {
            let mut names: Vec<&str> = n
                .ancestors()
                .filter(|a| a.is_element())
                .map(|a| a.tag_name().name())
                .collect();
            names.reverse();
            let p = names.join("/");
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    fn sample_request() -> ServiceRequest {
        ServiceRequest {
            service_request_id: "2026-000042".into(),
            status: "closed".into(),
            status_notes: "negative (olumsuz): yetki-disi".into(),
            service_name: "Asfalt onarımı <acil> & \"hızlı\"".into(),
            service_code: "asfalt-onarim".into(),
            description: "Çukur\r\nderin".into(),
            agency_responsible: Some("Fen İşleri".into()),
            service_notice: None,
            requested_datetime: "2026-01-05T09:00:00+00:00".into(),
            updated_datetime: "2026-01-06T10:30:00+00:00".into(),
            expected_datetime: Some("2026-02-04T09:00:00+00:00".into()),
            address: None,
            address_id: None,
            zipcode: None,
            lat: Some(41.0082),
            long: Some(28.9784),
            media_url: Some("https://example.invalid/m?a=1&b=2".into()),
        }
    }

    fn sample_definition() -> ServiceDefinition {
        use muhtar_core::org::{AttributeValue as Value, Category, CategoryAttribute};
        service_definition_of(&Category {
            code: "asfalt-onarim".into(),
            name: "Asfalt onarımı".into(),
            group: None,
            keywords: Vec::new(),
            attributes: vec![CategoryAttribute {
                code: "muhtarlik".into(),
                description: "Muhtarlık".into(),
                required: true,
                values: vec![
                    Value {
                        key: "moda".into(),
                        name: "Moda".into(),
                    },
                    Value {
                        key: "fenerbahce".into(),
                        name: "Fenerbahçe".into(),
                    },
                ],
            }],
        })
    }

    /// Issue 19: every document's XML has the GeoReport v2 element names and nesting
    /// (lists wrapped, one element per item), in the specification's order.
    #[test]
    fn xml_documents_have_the_georeport_v2_element_names() {
        let requests = List(vec![sample_request(), sample_request()]);
        let xml = xml_of(&requests);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><service_request_id>2026-000042</service_request_id>"),
            "{xml}"
        );
        let fields = [
            "service_request_id",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
        ];
        let mut want = vec![
            "service_requests".to_owned(),
            "service_requests/request".into(),
        ];
        want.extend(
            fields
                .iter()
                .map(|f| format!("service_requests/request/{f}")),
        );
        assert_eq!(paths(&xml), want);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(
            doc.root_element()
                .children()
                .filter(|n| n.has_tag_name("request"))
                .count(),
            2
        );

        let services = List(vec![service(&muhtar_core::org::Category {
            code: "asfalt-onarim".into(),
            name: "Asfalt onarımı".into(),
            group: Some("Yol".into()),
            keywords: vec!["yol".into(), "çukur".into()],
            attributes: Vec::new(),
        })]);
        let xml = xml_of(&services);
        assert_eq!(
            paths(&xml),
            [
                "services",
                "services/service",
                "services/service/service_code",
                "services/service/service_name",
                "services/service/description",
                "services/service/metadata",
                "services/service/type",
                "services/service/keywords",
                "services/service/group",
            ]
        );
        assert!(
            xml.contains("<metadata>false</metadata><type>realtime</type><keywords>yol,çukur</keywords><group>Yol</group>"),
            "{xml}"
        );

        let xml = xml_of(&sample_definition());
        assert_eq!(
            paths(&xml),
            [
                "service_definition",
                "service_definition/service_code",
                "service_definition/attributes",
                "service_definition/attributes/attribute",
                "service_definition/attributes/attribute/variable",
                "service_definition/attributes/attribute/code",
                "service_definition/attributes/attribute/datatype",
                "service_definition/attributes/attribute/required",
                "service_definition/attributes/attribute/datatype_description",
                "service_definition/attributes/attribute/order",
                "service_definition/attributes/attribute/description",
                "service_definition/attributes/attribute/values",
                "service_definition/attributes/attribute/values/value",
                "service_definition/attributes/attribute/values/value/key",
                "service_definition/attributes/attribute/values/value/name",
            ]
        );
        assert!(
            xml.contains("<values><value><key>moda</key><name>Moda</name></value><value><key>fenerbahce</key>"),
            "{xml}"
        );

        let created = List(vec![CreatedRequest {
            service_request_id: "2026-000042".into(),
            token: "0b7c".into(),
            service_notice: "takip numarası 2026-000042".into(),
            account_id: None,
        }]);
        assert_eq!(
            paths(&xml_of(&created)),
            [
                "service_requests",
                "service_requests/request",
                "service_requests/request/service_request_id",
                "service_requests/request/token",
                "service_requests/request/service_notice",
                "service_requests/request/account_id",
            ]
        );

        let token = List(vec![RequestToken {
            token: "0b7c".into(),
            service_request_id: "2026-000042".into(),
        }]);
        assert_eq!(
            paths(&xml_of(&token)),
            [
                "service_requests",
                "service_requests/request",
                "service_requests/request/token",
                "service_requests/request/service_request_id",
            ]
        );

        let errors = List(vec![Error {
            code: 404,
            description: "no service request 2026-1".into(),
        }]);
        let xml = xml_of(&errors);
        assert!(
            xml.ends_with("<errors><error><code>404</code><description>no service request 2026-1</description></error></errors>"),
            "{xml}"
        );

        let xml = xml_of(&discovery(&Mount::default()));
        assert_eq!(
            paths(&xml),
            [
                "discovery",
                "discovery/changeset",
                "discovery/contact",
                "discovery/key_service",
                "discovery/endpoints",
                "discovery/endpoints/endpoint",
                "discovery/endpoints/endpoint/specification",
                "discovery/endpoints/endpoint/url",
                "discovery/endpoints/endpoint/changeset",
                "discovery/endpoints/endpoint/type",
                "discovery/endpoints/endpoint/formats",
                "discovery/endpoints/endpoint/formats/format",
            ]
        );
        assert!(
            xml.contains(
                "<formats><format>application/json</format><format>text/xml</format></formats>"
            ),
            "{xml}"
        );

        // An empty list is an empty root element.
        let none: List<ServiceRequest> = List(Vec::new());
        assert!(xml_of(&none).ends_with("<service_requests></service_requests>"));
    }

    /// Issue 19: the JSON and the XML of a request are written from one struct and carry
    /// the same fields with the same values (a null is an empty element).
    #[test]
    fn json_and_xml_carry_the_same_values() {
        let requests = List(vec![sample_request()]);
        let json = serde_json::to_value(&requests).unwrap();
        let json = json.as_array().unwrap()[0].as_object().unwrap().clone();
        let xml = xml_of(&requests);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let request = doc.root_element().first_element_child().unwrap();
        let xml_fields: Vec<&str> = request
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect();
        let mut json_fields: Vec<&str> = json.keys().map(String::as_str).collect();
        let mut sorted = xml_fields.clone();
        sorted.sort_unstable();
        json_fields.sort_unstable();
        assert_eq!(sorted, json_fields);
        for (k, v) in &json {
            let text = child_text(request, k);
            match v {
                serde_json::Value::Null => assert_eq!(text, "", "{k}"),
                serde_json::Value::String(s) => assert_eq!(text, s, "{k}"),
                serde_json::Value::Number(n) => {
                    assert_eq!(text.parse::<f64>().ok(), n.as_f64(), "{k}")
                }
                other => panic!("{k}: unexpected {other}"),
            }
        }
        // The values the sample was made of, read back from both.
        assert_eq!(json["description"], "Çukur\r\nderin");
        assert_eq!(child_text(request, "description"), "Çukur\r\nderin");
        assert_eq!(child_text(request, "lat"), "41.0082");

        // Lists inside a document too: JSON arrays, XML elements per item.
        let def = sample_definition();
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["attributes"][0]["values"][1]["name"], "Fenerbahçe");
        assert_eq!(
            json["attributes"][0]["datatype_description"],
            serde_json::Value::Null
        );
        let xml = xml_of(&def);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let names: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("name"))
            .filter_map(|n| n.text())
            .collect();
        let json_names: Vec<&str> = json["attributes"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, json_names);
    }

    /// Issue 20: people read Istanbul time. A new request's notice gives its deadline at
    /// the end of office hours in Istanbul (17:30, not 14:30 UTC) and the request's
    /// times carry the +03:00 offset.
    #[test]
    fn the_notice_and_the_times_are_istanbul_local_time() {
        use muhtar_core::testkit::{block_on, fixtures};
        block_on(async {
            // Given a request submitted by a muhtar.
            let (mbs, t) = fixtures::service("open311-times", 1).await;
            let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
            let rec = mbs
                .submit(&muhtar, fixtures::new_request("kuzguncuk"))
                .await
                .unwrap();
            let due = rec.deadlines.resolution_due.unwrap();
            // When Open311 writes its notice and its deadline.
            let notice = service_notice(&rec);
            let expected = datetime(due);
            // Then both are Istanbul local time.
            assert_eq!(
                notice,
                format!(
                    "takip numarası {}; cevap süresi {} 17:30 (İstanbul saati)",
                    rec.state.tracking,
                    muhtar_core::calendar::local_date(due)
                )
            );
            assert!(expected.ends_with("T17:30:00+03:00"), "{expected}");
            assert_eq!(
                DateTime::parse_from_rfc3339(&expected).unwrap().to_utc(),
                due
            );
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Issue 17, defect 5: whatever text a request or a category holds (data stored
        /// before validation refused it included), the XML parses with a real XML
        /// parser, and each field reads back as stored (unwritable characters as U+FFFD).
        #[test]
        fn xml_output_is_always_well_formed(texts in proptest::collection::vec(any_text(), 12)) {
            let t = |i: usize| texts[i].clone();
            let one = ServiceRequest {
                service_request_id: t(0),
                status_notes: t(1),
                service_name: t(2),
                service_code: t(3),
                description: t(4),
                agency_responsible: Some(t(5)),
                address: Some(t(6)),
                media_url: Some(t(7)),
                requested_datetime: t(8),
                updated_datetime: t(9),
                expected_datetime: Some(t(10)),
                status: t(11),
                ..sample_request()
            };
            let fields = [
                "service_request_id", "status_notes", "service_name", "service_code",
                "description", "agency_responsible", "address", "media_url",
                "requested_datetime", "updated_datetime", "expected_datetime", "status",
            ];
            let two = ServiceRequest { lat: Some(41.0), long: None, ..sample_request() };
            let xml = xml::to_string(&List(vec![one, two]));
            prop_assert!(xml.is_ok(), "{:?}", xml.err());
            let xml = xml.unwrap();
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
            let doc = doc.unwrap();
            let first = doc.root_element().children().find(|n| n.is_element()).unwrap();
            for (k, t) in fields.iter().zip(&texts) {
                prop_assert_eq!(child_text(first, k), readable(t));
            }
            // A category's texts in the service list and its definition, and an
            // error's description.
            let services = List(vec![Service {
                service_code: t(0),
                service_name: t(1),
                description: t(1),
                metadata: false,
                kind: "realtime",
                keywords: t(2),
                group: t(3),
            }]);
            let xml = xml_of(&services);
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
            let doc = doc.unwrap();
            let s = doc.root_element().first_element_child().unwrap();
            prop_assert_eq!(child_text(s, "group"), readable(&texts[3]));
            let mut def = sample_definition();
            def.attributes.0[0].description = t(5);
            def.attributes.0[0].values.0[0].name = t(6);
            let xml = xml_of(&def);
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
            let doc = doc.unwrap();
            let name = doc.descendants().find(|n| n.has_tag_name("name")).unwrap();
            prop_assert_eq!(name.text().unwrap_or(""), readable(&texts[6]));
            let errors = List(vec![Error { code: 400, description: t(4) }]);
            let xml = xml_of(&errors);
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
            let doc = doc.unwrap();
            let e = doc.root_element().first_element_child().unwrap();
            prop_assert_eq!(child_text(e, "description"), readable(&texts[4]));
        }
    }
}
