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
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::public::PublicView;
use muhtar_core::request::{Outcome, Status};
use muhtar_core::service::{ServiceError, TenantContext};
use muhtar_core::store::{ConfigStore, Order, RequestQuery};
use serde_json::{json, Value};

use crate::auth::{AuthError, Credentials, FailedAttempt};
use crate::mount::Mount;
use crate::AppState;

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
    let segments: Vec<&str> = path.split('/').collect();
    let at = segments.windows(2).position(|w| w == ["open311", "v2"])?;
    let last = segments.get(at + 2..).and_then(|s| s.last())?;
    Some(error_response(
        format_of(last),
        crate::auth::too_many(wait).into(),
    ))
}

// ---------------------------------------------------------------------------------------
// Output

fn respond(format: Format, status: StatusCode, root: &str, item: &str, v: &Value) -> Response {
    match format {
        Format::Json => (status, axum::Json(v.clone())).into_response(),
        Format::Xml => (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            xml_document(root, item, v),
        )
            .into_response(),
    }
}

/// `v` as the specification's XML: an array is `<root>` holding one `<item>` per
/// element; anything else is `<root>` itself.
fn xml_document(root: &str, item: &str, v: &Value) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    match v {
        Value::Array(items) => {
            s.push_str(&format!("<{root}>"));
            for i in items {
                xml_element(&mut s, item, i);
            }
            s.push_str(&format!("</{root}>"));
        }
        other => xml_element(&mut s, root, other),
    }
    s
}

fn error_response(format: Format, e: O311Error) -> Response {
    let v = json!([{ "code": e.status.as_u16(), "description": e.description }]);
    let mut r = respond(format, e.status, "errors", "error", &v);
    if let Some(s) = e.retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, s.into());
    }
    if e.failed_attempt {
        r = FailedAttempt::mark(r);
    }
    r
}

/// The element name of an array's items in the specification's XML.
fn singular(name: &str) -> &str {
    match name {
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "services" => "service",
        "keywords" => "keyword",
        other => other,
    }
}

/// Whether XML 1.0 can carry `c` (its `Char` production: tab, line feed, carriage
/// return, U+0020..U+D7FF, U+E000..U+FFFD, U+10000 and up; Rust strings hold no
/// surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Writes `s` as XML character data that always parses: markup characters escaped, a
/// carriage return as `&#13;` (a reader would turn it into a line feed), and every
/// character XML 1.0 cannot carry ([`is_xml_char`]: C0 controls, U+FFFE, U+FFFF, which
/// validation refuses but an old database may hold) as U+FFFD.
fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

fn xml_element(out: &mut String, name: &str, v: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match v {
        Value::Null => {}
        Value::String(s) => xml_escape(s, out),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Array(items) => {
            for i in items {
                xml_element(out, singular(name), i);
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                xml_element(out, k, v);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
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

fn service_json(c: &muhtar_core::org::Category) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.name,
        "description": c.name,
        "metadata": !c.attributes.is_empty(),
        "type": "realtime",
        "keywords": c.keywords.join(","),
        "group": c.group.clone().unwrap_or_default(),
    })
}

/// A request as Open311 shows it, from core's public view (which holds no personal data:
/// no citizen, no messages, no answer text).
fn request_json(app: &AppState, mount: &Mount, v: &PublicView) -> Value {
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
    json!({
        "service_request_id": v.tracking.to_string(),
        "status": if open { "open" } else { "closed" },
        "status_notes": notes,
        "service_name": v.category_name.clone().unwrap_or_default(),
        "service_code": v.category,
        "description": v.description,
        "agency_responsible": v.unit_name,
        "service_notice": Value::Null,
        "requested_datetime": v.received_at.to_rfc3339(),
        "updated_datetime": v.updated_at.to_rfc3339(),
        "expected_datetime": v.resolution_due.map(|d| d.to_rfc3339()),
        "address": v.address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": v.location.as_ref().map(|l| l.lat),
        "long": v.location.as_ref().map(|l| l.lon),
        "media_url": crate::uploads::media_url(
            app.uploads.as_ref(),
            mount.prefix(),
            &v.files,
            v.media_url.as_deref(),
        ),
    })
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
            "discovery" => Ok(respond(
                format,
                StatusCode::OK,
                "discovery",
                "",
                &discovery(&mount),
            )),
            "services" => {
                let ctx = tenant_of(&s, &p).await?;
                let v: Vec<Value> = ctx.org.categories.iter().map(service_json).collect();
                Ok(respond(
                    format,
                    StatusCode::OK,
                    "services",
                    "service",
                    &Value::Array(v),
                ))
            }
            "requests" => list_requests(&s, &parts, &p, format).await,
            _ => Err(err(StatusCode::NOT_FOUND, format!("no resource {name}"))),
        }
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

fn discovery(mount: &Mount) -> Value {
    json!({
        "changeset": "2026-01-01T00:00:00Z",
        "contact": "The operator of this muhtar server",
        "key_service": "API keys are issued by the operator: muhtar token create --as <actor>",
        "endpoints": [
            {"specification": "http://wiki.open311.org/GeoReport_v2", "url": mount.url("/open311/v2"),
             "changeset": "2026-01-01T00:00:00Z", "type": "production",
             "formats": ["application/json", "text/xml"]}
        ]
    })
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
        let c = ctx
            .org
            .category(code)
            .ok_or_else(|| err(StatusCode::NOT_FOUND, format!("unknown service_code {code}")))?;
        let attrs: Vec<Value> = c
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| {
                json!({
                    "variable": true,
                    "code": a.code,
                    "datatype": if a.values.is_empty() { "string" } else { "singlevaluelist" },
                    "required": a.required,
                    "datatype_description": Value::Null,
                    "order": i + 1,
                    "description": a.description,
                    "values": a.values.iter().map(|v| json!({"key": v.key, "name": v.name})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = json!({"service_code": c.code, "attributes": attrs});
        Ok(respond(format, StatusCode::OK, "service_definition", "", &v))
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
        let v = json!([{
            "service_request_id": rec.state.tracking.to_string(),
            "token": rec.state.id.to_string(),
            "service_notice": format!(
                "takip numarası {}; cevap süresi {}",
                rec.state.tracking,
                rec.deadlines.resolution_due.map(|d| d.to_rfc3339()).unwrap_or_default()
            ),
            "account_id": Value::Null,
        }]);
        Ok(respond(
            format,
            StatusCode::CREATED,
            "service_requests",
            "request",
            &v,
        ))
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
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
                Ok(v) => out.push(request_json(s, &mount, &v)),
                Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(respond(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &Value::Array(out),
        ));
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
            .map(|v| request_json(s, &mount, v)),
    );
    Ok(respond(
        format,
        StatusCode::OK,
        "service_requests",
        "request",
        &Value::Array(out),
    ))
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
        let v = if by_token {
            json!([{"token": id, "service_request_id": view.tracking.to_string()}])
        } else {
            Value::Array(vec![request_json(s, &mount_of(parts), &view)])
        };
        Ok(respond(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &v,
        ))
    }
    .await;
    r.unwrap_or_else(|e| error_response(format, e))
}

#[cfg(test)]
mod tests {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Issue 17, defect 5: whatever text a request or a category holds (data stored
        /// before validation refused it included), the XML parses with a real XML
        /// parser, and each field reads back as stored (unwritable characters as U+FFFD).
        #[test]
        fn xml_output_is_always_well_formed(texts in proptest::collection::vec(any_text(), 12)) {
            let fields = [
                "service_request_id", "status_notes", "service_name", "service_code",
                "description", "agency_responsible", "address", "media_url",
                "requested_datetime", "updated_datetime", "expected_datetime", "status",
            ];
            let mut one = serde_json::Map::new();
            for (k, t) in fields.iter().zip(&texts) {
                one.insert((*k).to_owned(), Value::String(t.clone()));
            }
            let requests = Value::Array(vec![Value::Object(one), json!({"lat": 41.0, "long": null})]);
            let xml = xml_document("service_requests", "request", &requests);
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
            let doc = doc.unwrap();
            let first = doc.root_element().children().find(|n| n.is_element()).unwrap();
            for (k, t) in fields.iter().zip(&texts) {
                let e = first.children().find(|n| n.has_tag_name(*k)).unwrap();
                prop_assert_eq!(e.text().unwrap_or(""), readable(t));
            }
            // A category's texts in the service list, and an error's description.
            let services = json!([{"service_code": texts[0], "service_name": texts[1],
                "keywords": texts[2], "group": texts[3], "metadata": false}]);
            let xml = xml_document("services", "service", &services);
            prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{}", xml);
            let errors = json!([{"code": 400, "description": texts[4]}]);
            let xml = xml_document("errors", "error", &errors);
            prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{}", xml);
        }
    }
}
