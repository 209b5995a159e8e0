//! Changing and closing a work: each gives the next version and says what changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::new::{check_area, check_contact, check_times, check_title};
use super::{Work, WorkError, WorkKind, WorkStatus};
use crate::map::Shape;
use crate::org::Organisation;
use crate::request::InputError;

/// A field of a work that a change may change (named in the change's notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WorkField {
    /// The title.
    Title,
    /// The kind.
    Kind,
    /// The area.
    Area,
    /// The start.
    StartsAt,
    /// The end.
    EndsAt,
    /// The status.
    Status,
    /// The contact.
    Contact,
}

crate::names::named_enum! {
    impl WorkField: "work field" {
        Title => ("title", "başlık"),
        Kind => ("kind", "tür"),
        Area => ("area", "yer"),
        StartsAt => ("starts-at", "başlangıç"),
        EndsAt => ("ends-at", "bitiş"),
        Status => ("status", "durum"),
        Contact => ("contact", "iletişim"),
    }
}

/// A change to a published work: each field given replaces the work's (`contact`
/// `Some("")` removes it); fields left `None` stay. Applied by [`Work::change`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkChange {
    /// A new title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A new kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<WorkKind>,
    /// A new area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Shape>,
    /// A new start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// A new end (the usual change: the work takes longer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// A new status: planned or ongoing (closed: the same as [`Work::close`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WorkStatus>,
    /// A new contact; empty removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl WorkChange {
    /// A change of nothing yet (set its fields).
    pub fn new() -> Self {
        Self::default()
    }

    /// With a new end.
    pub fn ends_at(mut self, at: DateTime<Utc>) -> Self {
        self.ends_at = Some(at);
        self
    }

    /// With a new status.
    pub fn status(mut self, status: WorkStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// With a new title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// With a new area.
    pub fn area(mut self, area: Shape) -> Self {
        self.area = Some(area);
        self
    }
}

impl Work {
    /// The fields in which `other` differs from this work, in [`WorkField`] order.
    pub fn differences(&self, other: &Work) -> Vec<WorkField> {
        let mut out = Vec::new();
        let mut differ = |field, d: bool| {
            if d {
                out.push(field);
            }
        };
        differ(WorkField::Title, self.title != other.title);
        differ(WorkField::Kind, self.kind != other.kind);
        differ(WorkField::Area, self.area != other.area);
        differ(WorkField::StartsAt, self.starts_at != other.starts_at);
        differ(WorkField::EndsAt, self.ends_at != other.ends_at);
        differ(WorkField::Status, self.status != other.status);
        differ(WorkField::Contact, self.contact != other.contact);
        out
    }

    /// The next version with `change` applied, checked like a new work (a new area's
    /// muhtarlıklar recomputed from `org`'s boundaries), and the fields that changed.
    /// A closed work does not change ([`WorkError::Closed`]); a change that changes
    /// nothing is refused naming the field `change`.
    pub fn change(
        &self,
        change: &WorkChange,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<(Work, Vec<WorkField>), WorkError> {
        if self.status == WorkStatus::Closed {
            return Err(WorkError::Closed { id: self.id });
        }
        let mut next = self.clone();
        if let Some(t) = &change.title {
            next.title = check_title(t)?;
        }
        if let Some(k) = change.kind {
            next.kind = k;
        }
        if let Some(a) = &change.area {
            next.area = check_area(a)?;
            next.muhtarliklar = org.boundaries.touching(&next.area);
        }
        let (s, e) = check_times(
            change.starts_at.unwrap_or(next.starts_at),
            change.ends_at.unwrap_or(next.ends_at),
        )?;
        (next.starts_at, next.ends_at) = (s, e);
        if let Some(s) = change.status {
            next.status = s;
        }
        if let Some(c) = &change.contact {
            next.contact = check_contact(Some(c))?;
        }
        let changed = self.differences(&next);
        if changed.is_empty() {
            return Err(InputError::Invalid {
                field: "change",
                message: "nothing changes: give a new title, kind, area, starts_at, ends_at, \
                          status or contact"
                    .into(),
            }
            .into());
        }
        next.version = self.version.saturating_add(1);
        next.updated_at = now;
        Ok((next, changed))
    }

    /// The next version, closed (finished or called off). Refused when already closed.
    pub fn close(&self, now: DateTime<Utc>) -> Result<Work, WorkError> {
        if self.status == WorkStatus::Closed {
            return Err(WorkError::Closed { id: self.id });
        }
        let mut next = self.clone();
        next.status = WorkStatus::Closed;
        next.version = self.version.saturating_add(1);
        next.updated_at = now;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NewWork, WorkId};
    use super::*;
    use crate::testkit::fixtures::{organisation, t0, tenant};
    use chrono::Duration;

    fn work() -> Work {
        NewWork::new(
            "asfalt".parse().unwrap(),
            "Asfalt",
            WorkKind::RoadWorks,
            Shape::point(29.0, 41.0),
            t0(),
            t0() + Duration::days(3),
        )
        .publish(
            &organisation("a"),
            tenant("a"),
            WorkId(uuid::Uuid::from_u128(1)),
            "x",
            t0(),
        )
        .unwrap()
    }

    #[test]
    fn a_change_gives_the_next_version_and_names_what_changed() {
        let w = work();
        let later = t0() + Duration::hours(1);
        let (next, changed) = w
            .change(
                &WorkChange::new()
                    .ends_at(t0() + Duration::days(5))
                    .status(WorkStatus::Ongoing),
                &organisation("a"),
                later,
            )
            .unwrap();
        assert_eq!(changed, vec![WorkField::EndsAt, WorkField::Status]);
        assert_eq!((next.version, next.updated_at), (2, later));
        assert_eq!(next.created_at, w.created_at);
        // The same values again change nothing.
        let e = next
            .change(
                &WorkChange::new().ends_at(next.ends_at),
                &organisation("a"),
                later,
            )
            .unwrap_err();
        assert!(
            matches!(e, WorkError::Input(ref i) if i.field() == "change"),
            "{e}"
        );
        // An end before the start names the end.
        let e = w
            .change(
                &WorkChange::new().ends_at(t0() - Duration::days(1)),
                &organisation("a"),
                later,
            )
            .unwrap_err();
        assert!(
            matches!(e, WorkError::Input(ref i) if i.field() == "ends_at"),
            "{e}"
        );
    }

    #[test]
    fn a_closed_work_does_not_change() {
        let closed = work().close(t0()).unwrap();
        assert_eq!((closed.version, closed.status), (2, WorkStatus::Closed));
        assert!(matches!(closed.close(t0()), Err(WorkError::Closed { .. })));
        assert!(matches!(
            closed.change(&WorkChange::new().title("x"), &organisation("a"), t0()),
            Err(WorkError::Closed { .. })
        ));
    }
}
