//! The Open311 GeoReport v2 documents as typed structs, one definition for both formats:
//! serde_json writes them as JSON, [`super::xml`] (quick-xml) as XML, so the two cannot
//! drift. The field names are the specification's element names.
//!
//! A list is a [`List`]: a JSON array; in XML an element holding one element per item, named
//! by the item's [`Element::NAME`] (`<attributes><attribute>…</attribute></attributes>`). A
//! document written alone is a [`Document`], its XML root element named by
//! [`Document::ROOT`] (a top-level list: `<service_requests><request>…`).

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// An item of a [`List`]: the name of its element in XML.
pub(crate) trait Element {
    /// The element one item is written as (`request`, `service`, `attribute`, …).
    const NAME: &'static str;
}

/// A document an Open311 response carries: the name of its XML root element.
pub(crate) trait Document: Serialize {
    /// The XML root element (`service_requests`, `services`, `errors`, …).
    const ROOT: &'static str;
}

/// A list: a JSON array; in XML one `<T::NAME>` element per item inside the element of the
/// field (or document) that holds the list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<T: Element + Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if super::xml::writing() {
            let mut st = s.serialize_struct("List", 1)?;
            st.serialize_field(T::NAME, &self.0)?;
            st.end()
        } else {
            self.0.serialize(s)
        }
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List(iter.into_iter().collect())
    }
}

/// A service (one of the tenant's categories) in `services`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Service {
    pub(crate) service_code: String,
    pub(crate) service_name: String,
    pub(crate) description: String,
    /// Whether the service has a definition with attributes.
    pub(crate) metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// Comma-separated.
    pub(crate) keywords: String,
    pub(crate) group: String,
}

impl Element for Service {
    const NAME: &'static str = "service";
}

impl Document for List<Service> {
    const ROOT: &'static str = "services";
}

/// `services/{service_code}`: a service's attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ServiceDefinition {
    pub(crate) service_code: String,
    pub(crate) attributes: List<Attribute>,
}

impl Document for ServiceDefinition {
    const ROOT: &'static str = "service_definition";
}

/// An attribute of a service definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Attribute {
    /// Always true: the client supplies the value.
    pub(crate) variable: bool,
    pub(crate) code: String,
    /// `string`, or `singlevaluelist` when it has values.
    pub(crate) datatype: &'static str,
    pub(crate) required: bool,
    pub(crate) datatype_description: Option<String>,
    /// From 1.
    pub(crate) order: usize,
    pub(crate) description: String,
    pub(crate) values: List<AttributeValue>,
}

impl Element for Attribute {
    const NAME: &'static str = "attribute";
}

/// One value a `singlevaluelist` attribute may take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AttributeValue {
    pub(crate) key: String,
    pub(crate) name: String,
}

impl Element for AttributeValue {
    const NAME: &'static str = "value";
}

/// A service request as `requests` and `requests/{id}` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ServiceRequest {
    /// The tracking number.
    pub(crate) service_request_id: String,
    /// `open` or `closed`.
    pub(crate) status: String,
    pub(crate) status_notes: String,
    pub(crate) service_name: String,
    pub(crate) service_code: String,
    pub(crate) description: String,
    pub(crate) agency_responsible: Option<String>,
    pub(crate) service_notice: Option<String>,
    pub(crate) requested_datetime: String,
    pub(crate) updated_datetime: String,
    pub(crate) expected_datetime: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) address_id: Option<String>,
    pub(crate) zipcode: Option<String>,
    pub(crate) lat: Option<f64>,
    pub(crate) long: Option<f64>,
    pub(crate) media_url: Option<String>,
}

impl Element for ServiceRequest {
    const NAME: &'static str = "request";
}

impl Document for List<ServiceRequest> {
    const ROOT: &'static str = "service_requests";
}

/// The answer to `POST requests`: the new request's tracking number and token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CreatedRequest {
    pub(crate) service_request_id: String,
    /// The request's id, resolvable at `tokens/{token}`.
    pub(crate) token: String,
    pub(crate) service_notice: String,
    pub(crate) account_id: Option<String>,
}

impl Element for CreatedRequest {
    const NAME: &'static str = "request";
}

impl Document for List<CreatedRequest> {
    const ROOT: &'static str = "service_requests";
}

/// `tokens/{token}`: a token and the tracking number of its request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RequestToken {
    pub(crate) token: String,
    pub(crate) service_request_id: String,
}

impl Element for RequestToken {
    const NAME: &'static str = "request";
}

impl Document for List<RequestToken> {
    const ROOT: &'static str = "service_requests";
}

/// One error of an error response (always a list of one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Error {
    /// The HTTP status.
    pub(crate) code: u16,
    pub(crate) description: String,
}

impl Element for Error {
    const NAME: &'static str = "error";
}

impl Document for List<Error> {
    const ROOT: &'static str = "errors";
}

/// `discovery`: where the endpoint is and what it speaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Discovery {
    pub(crate) changeset: &'static str,
    pub(crate) contact: &'static str,
    pub(crate) key_service: &'static str,
    pub(crate) endpoints: List<Endpoint>,
}

impl Document for Discovery {
    const ROOT: &'static str = "discovery";
}

/// An endpoint of the discovery document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Endpoint {
    pub(crate) specification: &'static str,
    pub(crate) url: String,
    pub(crate) changeset: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) formats: List<MediaType>,
}

impl Element for Endpoint {
    const NAME: &'static str = "endpoint";
}

/// A media type an endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct MediaType(pub(crate) &'static str);

impl Element for MediaType {
    const NAME: &'static str = "format";
}
