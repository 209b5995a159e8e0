//! What the public may read of a request: [`PublicView`], the one public projection.
//!
//! Every public read (Open311 GeoReport v2 reads, a request's status by tracking number,
//! a portal's public map) gets a `PublicView` and nothing else: the type has **no field
//! that can hold personal data**, so no endpoint can leak a citizen's contact by
//! forgetting to strip it. What it leaves out, by design:
//!
//! - the citizen's contact ([`crate::request::CitizenContact`]: name, phone, e-mail);
//! - the names of people: actors of events, staff, liaison staff, officials;
//! - the internal request id (a UUID v7 that dates the request; Open311's `token`,
//!   which only its submitter gets);
//! - the free texts written between the muhtar and the body: the subject line, the
//!   answer, the reason's explanation, interim replies, messages, pause and policy
//!   notes, the registration number, the category's extra fields and attachments.
//!
//! It keeps what Open311 publishes about a request: its status and outcome (with the
//! reason's *code*, a fixed list), the category, the description of the problem, where
//! it is (address, coordinates), a photo link the submitter gave, the unit handling it
//! (by name) and the times.
//!
//! The service hands it out through [`crate::service::Mbs::public_view`] and
//! [`crate::service::Mbs::public_list`], which authorize [`Action::ReadPublic`]
//! ([`Role::Public`] may take no other action). [`PublicStatus`] (the status page of a
//! tracking number) is built from a `PublicView`.
//!
//! [`Action::ReadPublic`]: crate::access::Action::ReadPublic
//! [`Role::Public`]: crate::access::Role::Public

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::org::Organisation;
use crate::reason::ReasonCode;
use crate::request::{Location, Outcome, Status};
use crate::store::RequestRecord;
use crate::tracking::TrackingNumber;

/// A request as the public sees it: no personal data, by construction (module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicView {
    /// Tracking number (takip numarası).
    pub tracking: TrackingNumber,
    /// Status (stable name).
    pub status: Status,
    /// Status, in Turkish.
    pub status_name: String,
    /// Outcome (stable name), once answered.
    pub outcome: Option<Outcome>,
    /// Outcome, in Turkish.
    pub outcome_name: Option<String>,
    /// The reason code (gerekçe) of a request not fulfilled; never its free-text
    /// explanation.
    pub reason: Option<ReasonCode>,
    /// The reason's Turkish name.
    pub reason_name: Option<String>,
    /// The request it was merged into, as a duplicate.
    pub merged_into: Option<TrackingNumber>,
    /// Category code (Open311 `service_code`).
    pub category: String,
    /// Category name (Open311 `service_name`), when the organisation still has it.
    pub category_name: Option<String>,
    /// The description of the problem.
    pub description: String,
    /// The unit handling it, by name (Open311 `agency_responsible`).
    pub unit_name: Option<String>,
    /// Where the problem is: address text.
    pub address: Option<String>,
    /// Where the problem is: coordinates.
    pub location: Option<Location>,
    /// A link to a photo held elsewhere (Open311 `media_url`).
    pub media_url: Option<String>,
    /// The files attached to it, by content address and type only (never their names,
    /// which may name a person): a host that publishes photos (Open311 `media_url`)
    /// finds them by these.
    pub files: Vec<PublicFile>,
    /// When it reached the body.
    pub received_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The resolution deadline (Open311 `expected_datetime`).
    pub resolution_due: Option<DateTime<Utc>>,
    /// Its official documents (resmî evrak), oldest first: numbers and directions only.
    pub documents: Vec<PublicDocumentRef>,
}

/// An official document of a request as the public may know it: its number and
/// direction (the verification code is not public: it is for the holder of the paper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDocumentRef {
    /// Sayı.
    pub number: crate::document::RegistryNumber,
    /// Incoming (the request, registered) or outgoing (the answer's letter).
    pub direction: crate::document::Direction,
}

/// An attached file as the public may know it: its content address and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicFile {
    /// SHA-256 of the content, lowercase hex: the upload store's key.
    pub sha256: String,
    /// Media type, like `image/jpeg`.
    pub media_type: String,
}

impl PublicView {
    /// The public view of a request, with the names `org` gives its unit, category and
    /// reason.
    pub fn of(rec: &RequestRecord, org: &Organisation) -> Self {
        let s = &rec.state;
        let c = &s.content;
        PublicView {
            tracking: s.tracking,
            status: s.status,
            status_name: s.status.display_name().to_owned(),
            outcome: s.outcome,
            outcome_name: s.outcome.map(|o| o.display_name().to_owned()),
            reason: s.reason.clone(),
            reason_name: s.reason.as_ref().map(|r| r.display_name(org)),
            merged_into: s.merged_into,
            category: c.category.clone(),
            category_name: org.category(&c.category).map(|x| x.name.clone()),
            description: c.description.clone(),
            unit_name: s
                .unit
                .as_ref()
                .and_then(|u| org.unit(u))
                .map(|u| u.name.clone()),
            address: c.address.clone(),
            location: c.location.clone(),
            media_url: c.media_url.clone(),
            files: c
                .attachments
                .iter()
                .map(|a| PublicFile {
                    sha256: a.sha256.clone(),
                    media_type: a.media_type.clone(),
                })
                .collect(),
            received_at: c.received_at,
            updated_at: s.updated_at,
            resolution_due: rec.deadlines.resolution_due,
            documents: s
                .documents
                .iter()
                .map(|d| PublicDocumentRef {
                    number: d.number.clone(),
                    direction: d.direction,
                })
                .collect(),
        }
    }

    /// Whether the request is still open (Open311 `open`; else `closed`).
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

/// What anyone holding a tracking number may read of a request: a narrower view than
/// [`PublicView`] (no description, no place), times in Europe/Istanbul. Built from a
/// `PublicView` only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicStatus {
    /// Tracking number.
    pub tracking: TrackingNumber,
    /// Status (stable name).
    pub status: Status,
    /// Status, in Turkish.
    pub status_name: String,
    /// The unit handling it, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// When it was received, Europe/Istanbul.
    pub received_at: DateTime<FixedOffset>,
    /// The resolution deadline, Europe/Istanbul.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_due: Option<DateTime<FixedOffset>>,
    /// Outcome (stable name), once answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Outcome, in Turkish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_name: Option<String>,
    /// The reason's Turkish name, for a negative outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_name: Option<String>,
}

impl From<PublicView> for PublicStatus {
    fn from(v: PublicView) -> Self {
        let ist = |t: DateTime<Utc>| crate::calendar::to_istanbul(t).fixed_offset();
        PublicStatus {
            tracking: v.tracking,
            status: v.status,
            status_name: v.status_name,
            unit_name: v.unit_name,
            received_at: ist(v.received_at),
            resolution_due: v.resolution_due.map(ist),
            outcome: v.outcome,
            outcome_name: v.outcome_name,
            reason_name: v.reason_name,
        }
    }
}

impl PublicStatus {
    /// The status view of a request.
    pub fn of(rec: &RequestRecord, org: &Organisation) -> Self {
        PublicView::of(rec, org).into()
    }
}
