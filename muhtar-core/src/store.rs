//! The storage contract every store implements.
//!
//! Stores only persist; business rules live in pure functions. One [`Commit`] carries a
//! request's new events, its new state and deadlines (the query tables) and the outbox
//! messages the events cause; a store writes all of it in **one transaction** or none
//! of it. Appends carry the version they expect (optimistic concurrency).
//!
//! Every store runs the one conformance suite in `testkit::conformance` through
//! `store_conformance_tests!` (feature `testkit`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MuhtarlikCode, RequestId, TenantId, UnitCode};
use crate::outbox::{OutboxEntry, OutboxMessage};
use crate::request::{Channel, Event, RequestState, Status};
use crate::tracking::TrackingNumber;

mod council;
mod decisions;
mod documents;
mod meetings;
mod member_login;
mod proposals;
mod works;
pub use council::{check_close, vote_frozen, vote_open, BallotKey, CouncilStore, BALLOT_CAST};
pub use decisions::{check_decision, decision_sent, DecisionStore, DECISION_SENT};
pub use documents::{add_count, check_documents, DocumentStore, SEQUENCE_TAKEN};
pub use meetings::{meeting_frozen, MeetingStore};
pub use member_login::{MemberLoginStore, IDENTITY_TAKEN};
pub use proposals::{ProposalStore, SupportOutcome, SUPPORT_GIVEN};
pub use works::{check_work, WorkStore};

/// The cause of a [`StoreError`]: the adapter's own error (rusqlite's, sqlx's, serde's…),
/// boxed so that core names no adapter type. Read it through
/// [`std::error::Error::source`] (and downcast it where the adapter is known); never
/// decide anything by its message text.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage failure. Separate from domain errors; adapters map their own errors here
/// (keeping them as the [`Cause`], the `source()`) and never expose their types.
///
/// `Display` names what failed, then the cause's own words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Nothing with that key (in that tenant).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// Someone else changed the record first.
    #[error("version conflict: expected version {expected}, found {actual}")]
    Conflict {
        /// The version the writer expected.
        expected: u32,
        /// The version in the store.
        actual: u32,
    },
    /// A unique key is taken.
    #[error("duplicate {what}")]
    Duplicate {
        /// Which key.
        what: String,
    },
    /// The data or the call given cannot be stored or carried out: a malformed commit, a
    /// value outside the store's range or that cannot be encoded, a retry of a message
    /// no longer pending, a constraint the row violates.
    #[error("invalid data: {what}{}", Because(.source))]
    Invalid {
        /// What was refused, and why where there is no cause.
        what: String,
        /// The encoder's or the database's error, if one said so.
        #[source]
        source: Option<Cause>,
    },
    /// What the store holds cannot be read back: an undecodable column or document, a
    /// name this build does not know, a damaged database file. Retrying does not help.
    #[error("corrupt stored data: {what}{}", Because(.source))]
    Corrupt {
        /// What could not be read.
        what: String,
        /// The decoder's or the database's error, if one said so.
        #[source]
        source: Option<Cause>,
    },
    /// The store cannot be reached or used now; the operation may succeed later.
    #[error("store unavailable: {reason}{}", Because(.source))]
    Unavailable {
        /// Why, as far as the store can tell.
        reason: UnavailableReason,
        /// The driver's or the database's error, if there is one.
        #[source]
        source: Option<Cause>,
    },
    /// What no longer changes was asked to change: a closed vote took a ballot, a
    /// change or a second close; a held meeting's minutes or attendance.
    #[error("{what} is closed and no longer changes")]
    Frozen {
        /// What.
        what: String,
    },
    /// A listing's `after` is not a cursor a listing gave out: the caller's input, not
    /// stored data (every store refuses it through [`Cursor::decode`]).
    #[error(transparent)]
    BadCursor(#[from] CursorError),
}

/// `: <cause>` when there is a cause, for `Display`.
struct Because<'a>(&'a Option<Cause>);

impl std::fmt::Display for Because<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(c) => write!(f, ": {c}"),
            None => Ok(()),
        }
    }
}

/// Why a store is [`StoreError::Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnavailableReason {
    /// The database cannot be reached: connection refused, lost or timed out, no
    /// connection free in the pool.
    Unreachable,
    /// The database is busy or locked by another connection or process (or the
    /// transaction was rolled back by a lock conflict).
    Busy,
    /// The database (or its file) cannot be written.
    ReadOnly,
    /// The disk or the database is full, or the server is out of resources.
    Full,
    /// The database's schema is not the one this build uses: not migrated yet, or
    /// migrated by a newer version.
    Schema,
    /// The store was closed.
    Closed,
    /// Anything else: an I/O error, a failed worker, a refusal the store cannot name.
    Failed,
}

impl std::fmt::Display for UnavailableReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnavailableReason::Unreachable => "the database cannot be reached",
            UnavailableReason::Busy => "the database is busy or locked",
            UnavailableReason::ReadOnly => "the database is read-only",
            UnavailableReason::Full => "the disk or the database is full",
            UnavailableReason::Schema => "the database schema does not match this build",
            UnavailableReason::Closed => "the store is closed",
            UnavailableReason::Failed => "the store failed",
        })
    }
}

/// The kind of a [`StoreError`], without its context or cause: to tell failures apart
/// (is it the same problem as last time?), count them or choose a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// [`StoreError::NotFound`].
    NotFound,
    /// [`StoreError::Conflict`].
    Conflict,
    /// [`StoreError::Duplicate`].
    Duplicate,
    /// [`StoreError::Invalid`].
    Invalid,
    /// [`StoreError::Corrupt`].
    Corrupt,
    /// [`StoreError::Unavailable`], and why.
    Unavailable(UnavailableReason),
    /// [`StoreError::BadCursor`].
    BadCursor,
    /// [`StoreError::Frozen`].
    Frozen,
}

impl StoreError {
    /// [`StoreError::Invalid`] with no cause: `what` says what was refused and why.
    pub fn invalid(what: impl Into<String>) -> Self {
        StoreError::Invalid {
            what: what.into(),
            source: None,
        }
    }

    /// [`StoreError::Invalid`] because of `source` (an encoder's or database's error).
    pub fn invalid_because(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Invalid {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// [`StoreError::Corrupt`] with no cause: `what` says what cannot be read and why.
    pub fn corrupt(what: impl Into<String>) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            source: None,
        }
    }

    /// [`StoreError::Corrupt`] because of `source` (a decoder's or database's error).
    pub fn corrupt_because(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            source: Some(Box::new(source)),
        }
    }

    /// [`StoreError::Unavailable`] for `reason`, because of `source`.
    pub fn unavailable(
        reason: UnavailableReason,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable {
            reason,
            source: Some(Box::new(source)),
        }
    }

    /// The kind of failure, without context or cause.
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            StoreError::NotFound { .. } => StoreErrorKind::NotFound,
            StoreError::Conflict { .. } => StoreErrorKind::Conflict,
            StoreError::Duplicate { .. } => StoreErrorKind::Duplicate,
            StoreError::Invalid { .. } => StoreErrorKind::Invalid,
            StoreError::Corrupt { .. } => StoreErrorKind::Corrupt,
            StoreError::Unavailable { reason, .. } => StoreErrorKind::Unavailable(*reason),
            StoreError::BadCursor(_) => StoreErrorKind::BadCursor,
            StoreError::Frozen { .. } => StoreErrorKind::Frozen,
        }
    }
}

/// A cursor that is not one a listing gave out ([`Cursor::decode`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad cursor {text:?}: not the `next` of a listing")]
#[non_exhaustive]
pub struct CursorError {
    /// The cursor as given.
    pub text: String,
}

/// The query-table deadlines of a request, computed by the SLA module.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Deadlines {
    /// When the first response is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the answer is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_due: Option<DateTime<Utc>>,
    /// The calendar version the deadlines were computed with.
    #[serde(default)]
    pub calendar_version: String,
    /// Working days from receipt to the (last) answer, in the request's counting mode,
    /// once answered: the figure the quarterly report's median and mean are made of
    /// (see [`crate::report`]). Computed with the calendar of the moment of the answer,
    /// like the deadlines, and kept when the calendar changes later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_working_days: Option<u32>,
}

/// A request as a store holds it: the folded state and its deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The state.
    pub state: RequestState,
    /// The deadlines.
    pub deadlines: Deadlines,
}

/// A mark on a quarter's signed reports: a request was entered afterwards with a receipt
/// instant inside the quarter (forced by the coordinator with a reason), so the signed
/// figures are out of date and need a correction (a new signed version). Written by the
/// store in the same transaction as the request's first commit
/// ([`Commit::report_correction`]); append-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportCorrection {
    /// Tenant.
    pub tenant: TenantId,
    /// The signed quarter.
    pub quarter: crate::report::Quarter,
    /// The request entered late.
    pub request: RequestId,
    /// Its tracking number.
    pub tracking: crate::tracking::TrackingNumber,
    /// The unit it was routed to at entry (unit-scoped reports it falls in are marked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<crate::ids::UnitCode>,
    /// The coordinator's reason.
    pub reason: String,
    /// Who forced it.
    pub by: String,
    /// When it was entered.
    pub at: DateTime<Utc>,
}

impl ReportCorrection {
    /// Whether this mark makes `report` need a correction: same tenant and quarter, made
    /// after it was signed, and (for a unit's report) the request's unit is in its scope.
    pub fn applies_to(&self, report: &crate::report::SignedReport) -> bool {
        self.tenant == report.tenant
            && self.quarter == report.quarter
            && self.at >= report.signed_at
            && match &report.unit {
                None => true,
                Some(_) => self
                    .unit
                    .as_ref()
                    .is_some_and(|u| report.report.scope.units.contains(u)),
            }
    }
}

/// Everything one command writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The version the request had when the command was decided (0 for a new request).
    pub expected_version: u32,
    /// New events, versions `expected_version + 1 ..`.
    pub events: Vec<Event>,
    /// The state after the events.
    pub record: RequestRecord,
    /// Notices caused by the events.
    pub outbox: Vec<OutboxMessage>,
    /// Official documents the command registers or issues, each its registry's next
    /// number (see [`DocumentStore`]): written in the same transaction, or nothing is.
    pub documents: Vec<crate::document::Document>,
    /// The council decision this new request carries ([`DecisionStore`]): written in the
    /// same transaction, once per vote ([`DECISION_SENT`]), or nothing is.
    pub decision: Option<crate::council::DecisionLink>,
}

impl Commit {
    /// Whether the commit erases the citizen contact (KVKK): then the store also removes
    /// the contact from the request's stored `received` event, in the same transaction
    /// (see [`crate::request::redact_contact`]). The events stay; the personal data goes.
    pub fn erases_contact(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.kind, crate::request::EventKind::ContactErased))
    }

    /// The report-correction mark this commit writes: a new request whose receipt instant
    /// the coordinator forced into a signed quarter ([`crate::request::ForcedReceipt`]).
    pub fn report_correction(&self) -> Option<ReportCorrection> {
        if self.expected_version != 0 {
            return None;
        }
        let e = self.events.first()?;
        let crate::request::EventKind::Received { content, .. } = &e.kind else {
            return None;
        };
        let f = content.received_at_forced.as_ref()?;
        let s = &self.record.state;
        Some(ReportCorrection {
            tenant: s.tenant.clone(),
            quarter: f.quarter,
            request: s.id,
            tracking: s.tracking,
            unit: s.unit.clone(),
            reason: f.reason.clone(),
            by: e.actor.to_string(),
            at: e.at,
        })
    }

    /// Checks the commit is well formed: its events are numbered
    /// `expected_version + 1, + 2, …` in order, and the state's version is the last
    /// event's. Every store calls this (after its version check) before writing.
    pub fn check_shape(&self) -> Result<(), StoreError> {
        for (i, e) in self.events.iter().enumerate() {
            let want = u32::try_from(i)
                .ok()
                .and_then(|i| self.expected_version.checked_add(1)?.checked_add(i));
            if Some(e.version) != want {
                return Err(StoreError::invalid(format!(
                    "commit: event version {} out of sequence",
                    e.version
                )));
            }
        }
        if self.events.last().map(|e| e.version) != Some(self.record.state.version) {
            return Err(StoreError::invalid(
                "commit: state version does not match the events",
            ));
        }
        Ok(())
    }
}

/// Sort order of a request listing. In every order urgent requests (İVEDİ, Genelge
/// 2015/8 item 9) come first: the order is that of [`Position`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Urgent first, then resolution deadline first (none last), then id: a unit's queue.
    #[default]
    Deadline,
    /// Urgent first, then most recently received first, then id descending.
    Newest,
}

impl Order {
    /// How two positions compare in this order (`Less`: `a` is listed first).
    pub fn compare(self, a: &Position, b: &Position) -> std::cmp::Ordering {
        a.rank.cmp(&b.rank).then_with(|| match self {
            Order::Deadline => (a.key, a.id).cmp(&(b.key, b.id)),
            Order::Newest => (b.key, b.id).cmp(&(a.key, a.id)),
        })
    }

    /// Sorts records into this order.
    pub fn sort<R: std::borrow::Borrow<RequestRecord>>(self, records: &mut [R]) {
        records.sort_by(|a, b| {
            self.compare(
                &Position::of(a.borrow(), self),
                &Position::of(b.borrow(), self),
            )
        });
    }
}

/// The rank of a priority in every listing: 0 for urgent, 1 for normal (ascending).
/// Stores keep it as a column (`priority_rank`).
pub fn priority_rank(p: crate::request::Priority) -> i16 {
    match p {
        crate::request::Priority::Urgent => 0,
        crate::request::Priority::Normal => 1,
    }
}

/// The SQL condition of a status filter, as both stores write it: `status IN
/// ('routed', 'in-progress')` with the names as literals in the order of [`Status::ALL`]
/// (a database uses a partial index, such as one on open requests, only when the query
/// states its condition in the same words; the names are fixed and quote-free), or
/// `false` when no status is allowed.
pub fn status_condition(statuses: &[Status]) -> String {
    let names: Vec<String> = Status::ALL
        .into_iter()
        .filter(|s| statuses.contains(s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    match names.is_empty() {
        true => "false".to_owned(),
        false => format!("status IN ({})", names.join(", ")),
    }
}

/// A record's place in a listing: its priority rank, its sort key in the order and its
/// id. Compared with [`Order::compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// [`priority_rank`] of the request's priority.
    pub rank: i16,
    /// [`sort_key`] in the order.
    pub key: i64,
    /// The request id (the tie-breaker).
    pub id: RequestId,
}

impl Position {
    /// The position of `record` in `order`.
    pub fn of(record: &RequestRecord, order: Order) -> Position {
        Position {
            rank: priority_rank(record.state.content.priority),
            key: sort_key(record, order),
            id: record.state.id,
        }
    }
}

/// An opaque position in a listing (keyset pagination): `rank~key~id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    /// The cursor just after `record` in `order`.
    pub fn after(record: &RequestRecord, order: Order) -> Cursor {
        let p = Position::of(record, order);
        Cursor(format!("{}~{}~{}", p.rank, p.key, p.id))
    }

    /// The position in the cursor.
    pub fn decode(&self) -> Result<Position, CursorError> {
        let bad = || CursorError {
            text: self.0.clone(),
        };
        let mut parts = self.0.splitn(3, '~');
        let (Some(rank), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        Ok(Position {
            rank: rank.parse().map_err(|_| bad())?,
            key: key.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// A record's sort key in `order`: the resolution deadline in microseconds (`i64::MAX`
/// when none) for [`Order::Deadline`], the receipt instant for [`Order::Newest`].
pub fn sort_key(record: &RequestRecord, order: Order) -> i64 {
    match order {
        Order::Deadline => record
            .deadlines
            .resolution_due
            .map(|d| d.timestamp_micros())
            .unwrap_or(i64::MAX),
        Order::Newest => record.state.content.received_at.timestamp_micros(),
    }
}

/// Filters and paging of a request listing. Every filter narrows; `None` means any.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RequestQuery {
    /// Only requests with one of these units.
    #[serde(default)]
    pub units: Option<Vec<UnitCode>>,
    /// Only this muhtarlık's requests.
    #[serde(default)]
    pub muhtarlik: Option<MuhtarlikCode>,
    /// Only these statuses.
    #[serde(default)]
    pub statuses: Option<Vec<Status>>,
    /// Only this category.
    #[serde(default)]
    pub category: Option<String>,
    /// Only this channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Received at or after.
    #[serde(default)]
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    #[serde(default)]
    pub received_until: Option<DateTime<Utc>>,
    /// Resolution deadline before this instant (with `statuses` = open: overdue).
    #[serde(default)]
    pub due_before: Option<DateTime<Utc>>,
    /// Only requests located in this box (edges included); a request without a
    /// location never matches. Stores answer it through a spatial index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<crate::map::BBox>,
    /// Order.
    #[serde(default)]
    pub order: Order,
    /// Page size (1 to 1000; 0 means 50).
    #[serde(default)]
    pub limit: u32,
    /// Continue after this cursor.
    #[serde(default)]
    pub after: Option<Cursor>,
}

/// Largest page a store returns.
pub const MAX_PAGE: u32 = 1000;

impl RequestQuery {
    /// The effective page size.
    pub fn page_size(&self) -> u32 {
        match self.limit {
            0 => 50,
            n => n.min(MAX_PAGE),
        }
    }

    /// Whether `record` passes the filters (not the cursor). Stores that filter in SQL
    /// must agree with this; the conformance suite checks that they do.
    pub fn matches(&self, r: &RequestRecord) -> bool {
        let s = &r.state;
        self.units
            .as_ref()
            .is_none_or(|us| s.unit.as_ref().is_some_and(|u| us.contains(u)))
            && self
                .muhtarlik
                .as_ref()
                .is_none_or(|m| &s.content.muhtarlik == m)
            && self
                .statuses
                .as_ref()
                .is_none_or(|st| st.contains(&s.status))
            && self
                .category
                .as_ref()
                .is_none_or(|c| &s.content.category == c)
            && self.channel.is_none_or(|c| s.content.channel == c)
            && self
                .received_from
                .is_none_or(|f| s.content.received_at >= f)
            && self
                .received_until
                .is_none_or(|u| s.content.received_at < u)
            && self
                .due_before
                .is_none_or(|d| r.deadlines.resolution_due.is_some_and(|due| due < d))
            && self.bbox.is_none_or(|b| {
                s.content
                    .location
                    .as_ref()
                    .is_some_and(|l| b.contains(l.lon, l.lat))
            })
    }

    /// Whether `record` comes after the cursor in the query's order.
    pub fn after_cursor(&self, r: &RequestRecord) -> Result<bool, StoreError> {
        let Some(c) = &self.after else {
            return Ok(true);
        };
        let at = c.decode()?;
        Ok(self.order.compare(&Position::of(r, self.order), &at) == std::cmp::Ordering::Greater)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Cursor>,
}

/// A kind of tenant configuration document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DocumentKind {
    /// The organisation (JSON of [`crate::org::Organisation`]).
    Organisation,
    /// The routing rule set (its TOML text).
    RuleSet,
    /// Calendar additions: idari izin days, closures, corrections.
    Calendar,
    /// Other tenant settings (SLA policies, quiet hours, SMS).
    Settings,
}

crate::names::named_enum! {
    impl DocumentKind: "document kind" {
        Organisation => ("organisation", "kuruluş yapısı"),
        RuleSet => ("rule-set", "yönlendirme kuralları"),
        Calendar => ("calendar", "takvim"),
        Settings => ("settings", "ayarlar"),
    }
}

/// The latest version of each of a tenant's configuration documents (0: none yet).
///
/// Read in one round trip by [`ConfigStore::document_versions`]; the service compares it
/// with the versions its cached [`crate::service::TenantContext`] was built from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentVersions {
    /// [`DocumentKind::Organisation`].
    pub organisation: u32,
    /// [`DocumentKind::RuleSet`].
    pub rule_set: u32,
    /// [`DocumentKind::Calendar`].
    pub calendar: u32,
    /// [`DocumentKind::Settings`].
    pub settings: u32,
}

impl DocumentVersions {
    /// The version of one kind.
    pub fn get(&self, kind: DocumentKind) -> u32 {
        match kind {
            DocumentKind::Organisation => self.organisation,
            DocumentKind::RuleSet => self.rule_set,
            DocumentKind::Calendar => self.calendar,
            DocumentKind::Settings => self.settings,
        }
    }

    /// Sets the version of one kind.
    pub fn set(&mut self, kind: DocumentKind, version: u32) {
        match kind {
            DocumentKind::Organisation => self.organisation = version,
            DocumentKind::RuleSet => self.rule_set = version,
            DocumentKind::Calendar => self.calendar = version,
            DocumentKind::Settings => self.settings = version,
        }
    }

    /// Builds the versions from `(kind name, version)` rows such as a store's
    /// `GROUP BY kind`; rows of kinds this version of muhtar does not know are ignored.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, u32)>) -> Self {
        let mut v = Self::default();
        for (name, version) in rows {
            if let Some(kind) = DocumentKind::from_name(&name) {
                v.set(kind, version);
            }
        }
        v
    }
}

/// A versioned tenant configuration document. Every version is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Tenant.
    pub tenant: TenantId,
    /// Kind.
    pub kind: DocumentKind,
    /// Version, from 1.
    pub version: u32,
    /// The text.
    pub body: String,
    /// When it was written.
    pub updated_at: DateTime<Utc>,
    /// Who wrote it.
    pub updated_by: String,
}

/// Tenant configuration documents.
#[async_trait::async_trait]
pub trait ConfigStore: Send + Sync {
    /// Writes a new version; `doc.version` must be the current version plus one
    /// (1 for the first), otherwise [`StoreError::Conflict`].
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError>;
    /// The latest version of a document, if any.
    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError>;
    /// The latest version number of a document (0 if none); cheaper than reading it.
    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError>;
    /// The latest version of every document kind of a tenant, in one read.
    ///
    /// The default asks [`ConfigStore::document_version`] once per kind; stores override
    /// it with a single query, since the service calls it before every command.
    async fn document_versions(&self, tenant: &TenantId) -> Result<DocumentVersions, StoreError> {
        let mut v = DocumentVersions::default();
        for kind in DocumentKind::ALL {
            v.set(kind, self.document_version(tenant, kind).await?);
        }
        Ok(v)
    }
    /// Every tenant that has an organisation.
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError>;
}

/// Requests: events as the source of truth, state and deadlines as query tables.
#[async_trait::async_trait]
pub trait RequestStore: Send + Sync {
    /// Writes a commit in one transaction: events, state, deadlines and outbox, or nothing.
    ///
    /// Fails with [`StoreError::Conflict`] when the stored version is not
    /// `commit.expected_version`, and [`StoreError::Duplicate`] when a new request's
    /// tracking number is taken in its tenant.
    ///
    /// A commit that [erases the contact](Commit::erases_contact) also removes the
    /// citizen contact from the request's stored `received` event (JSON path
    /// `content.citizen`), so no copy of it remains in the history, and deletes the
    /// request's outbox rows addressed to the citizen
    /// ([`crate::outbox::NoticeKind::is_for_citizen`]), whatever their state: their
    /// recipient, key and payload hold the contact.
    ///
    /// A commit with a [report correction](Commit::report_correction) also records that
    /// mark ([`ReportStore::report_corrections`]).
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError>;
    /// A request by id.
    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError>;
    /// A request by tracking number.
    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError>;
    /// A request's events, oldest first.
    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError>;
    /// A page of requests.
    async fn query(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError>;
    /// Replaces the deadlines of a request (after a calendar change) without new events;
    /// fails with [`StoreError::Conflict`] if the request moved past `version`.
    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError>;
    /// The located requests that pass `query`'s filters (its `bbox` through the store's
    /// spatial index), as [`crate::map::MapPoint`]s read from columns, without decoding
    /// any request's state: at most `limit`, in `query.order` (urgent first). The
    /// query's cursor and page size are not used. Equal to
    /// [`crate::map::MapPoint::reference`] over the tenant's records (the conformance
    /// suite checks it).
    async fn map_points(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<crate::map::MapPoint>, StoreError>;
}

/// The notification outbox.
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Adds messages not tied to a request commit (sweeps, reports). A message whose
    /// idempotency key is already present is skipped; returns how many were added.
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError>;
    /// Claims up to `limit` pending messages due at `now` (not claimed by anyone else
    /// until `now + lease`), oldest first, counting an attempt on each. Two claimers never
    /// get the same message while its lease runs.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Like [`Self::claim`], but only `tenant`'s messages: for a dispatcher that delivers
    /// one tenant's notices with that tenant's settings (quiet hours, SMS gateway).
    /// Claims of both kinds exclude each other the same way.
    async fn claim_tenant(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Marks a message sent.
    async fn mark_sent(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Puts a message back for a retry at `next_attempt_at` after a failed delivery,
    /// recording the error and counting the failure (`OutboxEntry::failures`).
    async fn mark_retry(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Puts a message back until `next_attempt_at` without a delivery having failed
    /// (quiet hours, a pass that stopped trying): records `note` as the last error and
    /// leaves the failure count as it is.
    async fn defer(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        note: &str,
    ) -> Result<(), StoreError>;
    /// Marks a message permanently failed, counting the failure.
    async fn mark_failed(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// A tenant's outbox (optionally one request's), oldest first: for inspection and tests.
    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
}

/// Quarterly reports: the SQL side of the aggregation, and signed-off reports.
#[async_trait::async_trait]
pub trait ReportStore: Send + Sync {
    /// The report cube of the tenant's requests for `query`: exactly what
    /// [`crate::report::aggregate`] gives over the [`crate::report::Facts`] of every
    /// request of the tenant (the conformance suite checks it). Stores compute it with
    /// their own aggregation so that it scales to tens of millions of requests.
    async fn report_cube(
        &self,
        tenant: &TenantId,
        query: &crate::report::CubeQuery,
    ) -> Result<crate::report::Cube, StoreError>;
    /// Stores a signed report. Another report with the same tenant, quarter, scope
    /// (unit or none) and version, or the same id, is a [`StoreError::Conflict`] and
    /// nothing is written. A signed report is never changed or deleted.
    async fn put_signed_report(
        &self,
        report: &crate::report::SignedReport,
    ) -> Result<(), StoreError>;
    /// The tenant's signed reports, ordered by quarter, scope (whole tenant first, then
    /// unit code) and version.
    async fn signed_reports(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<crate::report::SignedReport>, StoreError>;
    /// The tenant's report-correction marks ([`ReportCorrection`], written by
    /// [`RequestStore::commit`] with the request), oldest first.
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ReportCorrection>, StoreError>;
}

/// A complete store.
pub trait Store:
    ConfigStore
    + RequestStore
    + OutboxStore
    + ReportStore
    + crate::token::TokenStore
    + crate::account::AccountStore
    + WorkStore
    + DocumentStore
    + CouncilStore
    + ProposalStore
    + MeetingStore
    + DecisionStore
    + MemberLoginStore
{
}
impl<
        T: ConfigStore
            + RequestStore
            + OutboxStore
            + ReportStore
            + crate::token::TokenStore
            + crate::account::AccountStore
            + WorkStore
            + DocumentStore
            + CouncilStore
            + ProposalStore
            + MeetingStore
            + DecisionStore
            + MemberLoginStore,
    > Store for T
{
}

#[async_trait::async_trait]
impl<T: ReportStore + ?Sized> ReportStore for std::sync::Arc<T> {
    async fn report_cube(
        &self,
        tenant: &TenantId,
        query: &crate::report::CubeQuery,
    ) -> Result<crate::report::Cube, StoreError> {
        (**self).report_cube(tenant, query).await
    }
    async fn put_signed_report(
        &self,
        report: &crate::report::SignedReport,
    ) -> Result<(), StoreError> {
        (**self).put_signed_report(report).await
    }
    async fn signed_reports(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<crate::report::SignedReport>, StoreError> {
        (**self).signed_reports(tenant).await
    }
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ReportCorrection>, StoreError> {
        (**self).report_corrections(tenant).await
    }
}

/// Orders signed reports the way [`ReportStore::signed_reports`] returns them.
pub fn signed_report_order(
    a: &crate::report::SignedReport,
    b: &crate::report::SignedReport,
) -> std::cmp::Ordering {
    (a.quarter, a.scope_key(), a.version).cmp(&(b.quarter, b.scope_key(), b.version))
}

/// A shared store is a store: lets applications pick a backend at run time
/// (`Arc<dyn Store>`).
#[async_trait::async_trait]
impl<T: ConfigStore + ?Sized> ConfigStore for std::sync::Arc<T> {
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError> {
        (**self).put_document(doc).await
    }
    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError> {
        (**self).document(tenant, kind).await
    }
    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        (**self).document_version(tenant, kind).await
    }
    async fn document_versions(&self, tenant: &TenantId) -> Result<DocumentVersions, StoreError> {
        (**self).document_versions(tenant).await
    }
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        (**self).tenants().await
    }
}

#[async_trait::async_trait]
impl<T: RequestStore + ?Sized> RequestStore for std::sync::Arc<T> {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        (**self).commit(commit).await
    }
    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError> {
        (**self).load(tenant, id).await
    }
    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError> {
        (**self).load_by_tracking(tenant, tracking).await
    }
    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError> {
        (**self).events(tenant, id).await
    }
    async fn query(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError> {
        (**self).query(tenant, query).await
    }
    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError> {
        (**self)
            .update_deadlines(tenant, id, version, deadlines)
            .await
    }
    async fn map_points(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<crate::map::MapPoint>, StoreError> {
        (**self).map_points(tenant, query, limit).await
    }
}

#[async_trait::async_trait]
impl<T: OutboxStore + ?Sized> OutboxStore for std::sync::Arc<T> {
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        (**self).enqueue(messages).await
    }
    async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        (**self).claim(now, limit, lease).await
    }
    async fn claim_tenant(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        (**self).claim_tenant(tenant, now, limit, lease).await
    }
    async fn mark_sent(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        (**self).mark_sent(id, at).await
    }
    async fn mark_retry(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        (**self).mark_retry(id, next_attempt_at, error).await
    }
    async fn defer(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        note: &str,
    ) -> Result<(), StoreError> {
        (**self).defer(id, next_attempt_at, note).await
    }
    async fn mark_failed(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        (**self).mark_failed(id, at, error).await
    }
    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        (**self).outbox(tenant, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_that_no_listing_gave_out_is_a_bad_cursor() {
        for text in [
            "",
            "garbage",
            "1~2",
            "x~2~3",
            "0~1~not-a-uuid",
            "0~9x~00000000-0000-0000-0000-000000000000",
        ] {
            let e = Cursor(text.into()).decode().unwrap_err();
            assert_eq!(e.text, text);
            // Through `?` in a store, the variant says what it is.
            assert!(matches!(StoreError::from(e), StoreError::BadCursor(_)));
        }
        let id = RequestId(uuid::Uuid::from_u128(7));
        let p = Cursor(format!("1~-5~{id}")).decode().unwrap();
        assert_eq!((p.rank, p.key, p.id), (1, -5, id));
    }

    /// A cause in core's tests: any error type will do.
    #[derive(Debug, thiserror::Error)]
    #[error("driver said no")]
    struct Driver;

    #[test]
    fn a_store_error_names_what_failed_and_keeps_its_cause() {
        use std::error::Error as _;
        let e = StoreError::corrupt_because("instant \"x\"", Driver);
        assert_eq!(
            e.to_string(),
            "corrupt stored data: instant \"x\": driver said no"
        );
        assert!(e.source().is_some_and(|s| s.is::<Driver>()));
        assert_eq!(e.kind(), StoreErrorKind::Corrupt);

        let e = StoreError::unavailable(UnavailableReason::Busy, Driver);
        assert_eq!(
            e.to_string(),
            "store unavailable: the database is busy or locked: driver said no"
        );
        assert!(e.source().is_some_and(|s| s.is::<Driver>()));
        assert_eq!(
            e.kind(),
            StoreErrorKind::Unavailable(UnavailableReason::Busy)
        );

        let e = StoreError::invalid("commit: event version 3 out of sequence");
        assert_eq!(
            e.to_string(),
            "invalid data: commit: event version 3 out of sequence"
        );
        assert!(e.source().is_none());
        let e = StoreError::from(Cursor("x".into()).decode().unwrap_err());
        assert_eq!(e.kind(), StoreErrorKind::BadCursor);
    }
}
