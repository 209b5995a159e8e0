//! The export of requests (audits, backups, data-subject requests): one flat
//! [`ExportRow`] per request, made by [`ExportRow::of`], and the paged listing of them
//! ([`Mbs::export_page`], [`Action::Export`]). The row is what `muhtar export` writes as
//! one JSON line; an application writes rows, it does not build them.
//!
//! The row holds personal data (the citizen's contact): exporting is for the roles
//! [`crate::access::authorize`] lets take [`Action::Export`] (the coordinator, the
//! responsible official, auditors, administrators).
//!
//! Its fields are declared (and so serialised) in alphabetical order, the order of
//! every export written so far: exports of equal data stay byte-equal across versions,
//! except where a version adds a column (`document_number`, `letter_numbers`: issue 23).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{authorize, Action, Actor, Target};
use crate::clock::Clock;
use crate::document::{Direction, RegistryNumber};
use crate::ids::{MuhtarlikCode, RequestId, UnitCode};
use crate::reason::ReasonCode;
use crate::request::{Channel, CitizenContact, Outcome, Priority, ReplyBy, RequestKind, Status};
use crate::service::{Mbs, ServiceError};
use crate::store::{Cursor, Order, Page, RequestQuery, RequestRecord, Store, MAX_PAGE};
use crate::tracking::TrackingNumber;

/// One exported request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// When it was (last) answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Category code.
    pub category: String,
    /// How it arrived.
    pub channel: Channel,
    /// The citizen behind it (personal data).
    pub citizen: Option<CitizenContact>,
    /// District of the muhtarlık.
    pub district: String,
    /// Its number as an incoming official document (gelen evrak), if registered.
    pub document_number: Option<RegistryNumber>,
    /// The first response (interim reply or answer).
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the first response is due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// Internal id.
    pub id: RequestId,
    /// What sort of request it is.
    pub kind: RequestKind,
    /// The numbers of the letters (giden evrak) its answers were issued as, oldest first
    /// (a request reopened and answered again may have more than one).
    pub letter_numbers: Vec<RegistryNumber>,
    /// The muhtarlık it comes from.
    pub muhtarlik: MuhtarlikCode,
    /// Olumlu / olumsuz, once answered.
    pub outcome: Option<Outcome>,
    /// Priority.
    pub priority: Priority,
    /// Gerekçe of a request not fulfilled.
    pub reason: Option<ReasonCode>,
    /// Explanation of the reason.
    pub reason_text: Option<String>,
    /// When it reached the body.
    pub received_at: DateTime<Utc>,
    /// The date the letter asks the answer by (günlü yazı).
    pub reply_by: Option<ReplyBy>,
    /// When the answer is due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Status.
    pub status: Status,
    /// Subject.
    pub subject: String,
    /// Tracking number.
    pub tracking: TrackingNumber,
    /// The unit it is with.
    pub unit: Option<UnitCode>,
    /// Whether it is urgent (İVEDİ).
    pub urgent: bool,
    /// Number of events so far.
    pub version: u32,
}

impl ExportRow {
    /// The row of a request.
    pub fn of(r: &RequestRecord) -> Self {
        let s = &r.state;
        let c = &s.content;
        ExportRow {
            answered_at: s.answered_at,
            category: c.category.clone(),
            channel: c.channel,
            citizen: c.citizen.clone(),
            district: c.district.clone(),
            document_number: s.registration().map(|d| d.number.clone()),
            first_response_at: s.first_response_at,
            first_response_due: r.deadlines.first_response_due,
            id: s.id,
            kind: c.kind,
            letter_numbers: s
                .documents
                .iter()
                .filter(|d| d.direction == Direction::Outgoing)
                .map(|d| d.number.clone())
                .collect(),
            muhtarlik: c.muhtarlik.clone(),
            outcome: s.outcome,
            priority: c.priority,
            reason: s.reason.clone(),
            reason_text: s.reason_text.clone(),
            received_at: c.received_at,
            reply_by: c.reply_by,
            resolution_due: r.deadlines.resolution_due,
            status: s.status,
            subject: c.subject.clone(),
            tracking: s.tracking,
            unit: s.unit.clone(),
            urgent: c.priority.is_urgent(),
            version: s.version,
        }
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// One page of the tenant's export, urgent first then newest first, continuing
    /// after `after` (the previous page's `next`): [`Action::Export`] on the tenant, or
    /// [`ServiceError::Forbidden`].
    pub async fn export_page(
        &self,
        actor: &Actor,
        after: Option<Cursor>,
    ) -> Result<Page<ExportRow>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::Export,
            &Target::Tenant(&actor.tenant),
            &ctx.org,
        )?;
        let page = self
            .list(
                actor,
                RequestQuery {
                    order: Order::Newest,
                    limit: MAX_PAGE,
                    after,
                    ..RequestQuery::default()
                },
            )
            .await?;
        Ok(Page {
            items: page.items.iter().map(ExportRow::of).collect(),
            next: page.next,
        })
    }
}
