//! A new work: what a unit publishes, and the checks of its fields that changes reuse.

use chrono::{DateTime, Datelike, Timelike, Utc};
use geo::{CoordsIter, Orient, Validation};

use super::{Work, WorkId, WorkKind, WorkStatus};
use crate::ids::{TenantId, UnitCode};
use crate::map::Shape;
use crate::org::Organisation;
use crate::request::{InputError, TURKEY_BOUNDS};

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest contact, in characters.
pub const MAX_CONTACT: usize = 200;
/// The most coordinates an area may have (a street's line or a neighbourhood's polygon
/// needs far fewer; the limit keeps clash checks and notices cheap).
pub const MAX_AREA_POINTS: usize = 5_000;
/// The years a work's start and end may fall in.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A work or announcement as a unit publishes it, before it is checked
/// ([`NewWork::publish`]).
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use muhtar_core::map::work::{NewWork, WorkKind};
/// use muhtar_core::map::Shape;
/// let start = Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap();
/// let w = NewWork::new(
///     "iski".parse().unwrap(),
///     "Paşalimanı Caddesi su şebekesi yenileme",
///     WorkKind::Excavation,
///     Shape::point(29.0306, 41.0369),
///     start,
///     start + Duration::days(30),
/// )
/// .with_contact("İSKİ 185");
/// assert_eq!(w.contact.as_deref(), Some("İSKİ 185"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewWork {
    /// The unit (body) doing it.
    pub unit: UnitCode,
    /// Title: one line, at most [`MAX_TITLE`] characters.
    pub title: String,
    /// Kind.
    pub kind: WorkKind,
    /// Where: a point, a line, a polygon or a multipolygon inside Turkey.
    pub area: Shape,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until (after `starts_at`).
    pub ends_at: DateTime<Utc>,
    /// Planned (default) or already ongoing; never closed.
    pub status: WorkStatus,
    /// Whom to ask (public): a phone number or an office.
    pub contact: Option<String>,
}

impl NewWork {
    /// A planned work with no contact.
    pub fn new(
        unit: UnitCode,
        title: impl Into<String>,
        kind: WorkKind,
        area: Shape,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Self {
        NewWork {
            unit,
            title: title.into(),
            kind,
            area,
            starts_at,
            ends_at,
            status: WorkStatus::Planned,
            contact: None,
        }
    }

    /// With a contact.
    pub fn with_contact(mut self, contact: impl Into<String>) -> Self {
        self.contact = Some(contact.into());
        self
    }

    /// With a status (a work already going on is published [`WorkStatus::Ongoing`]).
    pub fn with_status(mut self, status: WorkStatus) -> Self {
        self.status = status;
        self
    }

    /// Checks every field against `org` and makes version 1 of the work: the title and
    /// contact trimmed, the instants to the second, polygons' exterior rings
    /// counterclockwise (RFC 7946), and the muhtarlıklar whose boundary the area touches
    /// ([`crate::map::Boundaries::touching`]). An error names the first bad field.
    pub fn publish(
        self,
        org: &Organisation,
        tenant: TenantId,
        id: WorkId,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Work, InputError> {
        if org.unit(&self.unit).is_none() {
            return Err(InputError::unknown(
                "unit",
                self.unit.as_str(),
                org.units.iter().map(|u| u.code.as_str()),
            ));
        }
        let title = check_title(&self.title)?;
        if self.status == WorkStatus::Closed {
            return Err(InputError::Invalid {
                field: "status",
                message: "a new work is planned or ongoing, not closed".into(),
            });
        }
        let area = check_area(&self.area)?;
        let (starts_at, ends_at) = check_times(self.starts_at, self.ends_at)?;
        let contact = check_contact(self.contact.as_deref())?;
        Ok(Work {
            id,
            tenant,
            unit: self.unit,
            title,
            kind: self.kind,
            muhtarliklar: org.boundaries.touching(&area),
            area,
            starts_at,
            ends_at,
            status: self.status,
            contact,
            version: 1,
            created_by: by.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }
}

/// A title: trimmed, not empty, one line, at most [`MAX_TITLE`] characters.
pub(super) fn check_title(title: &str) -> Result<String, InputError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(InputError::Empty { field: "title" });
    }
    let len = t.chars().count();
    if len > MAX_TITLE {
        return Err(InputError::TooLong {
            field: "title",
            len,
            max: MAX_TITLE,
        });
    }
    if t.chars().any(char::is_control) {
        return Err(InputError::Invalid {
            field: "title",
            message: "must be one line, without control characters".into(),
        });
    }
    Ok(t.to_owned())
}

/// A contact: trimmed, `None` when empty, at most [`MAX_CONTACT`] characters, one line.
pub(super) fn check_contact(contact: Option<&str>) -> Result<Option<String>, InputError> {
    let Some(c) = contact.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let len = c.chars().count();
    if len > MAX_CONTACT {
        return Err(InputError::TooLong {
            field: "contact",
            len,
            max: MAX_CONTACT,
        });
    }
    if c.chars().any(char::is_control) {
        return Err(InputError::Invalid {
            field: "contact",
            message: "must be one line, without control characters".into(),
        });
    }
    Ok(Some(c.to_owned()))
}

/// Start and end to the second, in the years 2000–2100, the start before the end.
pub(super) fn check_times(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), InputError> {
    let second = |field: &'static str, t: DateTime<Utc>| {
        if !YEARS.contains(&t.year()) {
            return Err(InputError::Invalid {
                field,
                message: format!(
                    "{} is not in the years {}–{}",
                    crate::calendar::local_time(t),
                    YEARS.start(),
                    YEARS.end()
                ),
            });
        }
        Ok(t.with_nanosecond(0).unwrap_or(t))
    };
    let (s, e) = (second("starts_at", starts_at)?, second("ends_at", ends_at)?);
    if e <= s {
        return Err(InputError::Invalid {
            field: "ends_at",
            message: format!(
                "the end ({}) must be after the start ({}, Istanbul time)",
                crate::calendar::local_time(e),
                crate::calendar::local_time(s)
            ),
        });
    }
    Ok((s, e))
}

/// Checks a work's area and gives it as stored: a Point, LineString, Polygon or
/// MultiPolygon, with at most [`MAX_AREA_POINTS`] coordinates, valid (`geo`'s OGC
/// validity: rings of at least four points without self-intersections, lines of two
/// distinct points, polygons of a multipolygon not overlapping) and every coordinate inside
/// Turkey's bounding box ([`TURKEY_BOUNDS`]); polygons' exterior rings counterclockwise
/// and holes clockwise (RFC 7946 §3.1.6). Errors name the field `area`.
pub fn check_area(area: &Shape) -> Result<Shape, InputError> {
    use geo::Geometry as G;
    let invalid = |message: String| InputError::Invalid {
        field: "area",
        message,
    };
    let kind = match &area.0 {
        G::Point(_) | G::LineString(_) | G::Polygon(_) | G::MultiPolygon(_) => None,
        G::Line(_) => Some("Line"),
        G::MultiPoint(_) => Some("MultiPoint"),
        G::MultiLineString(_) => Some("MultiLineString"),
        G::GeometryCollection(_) => Some("GeometryCollection"),
        G::Rect(_) => Some("Rect"),
        G::Triangle(_) => Some("Triangle"),
    };
    if let Some(kind) = kind {
        return Err(invalid(format!(
            "a Point, LineString, Polygon or MultiPolygon is accepted, not a {kind}"
        )));
    }
    let n = area.0.coords_count();
    if n > MAX_AREA_POINTS {
        return Err(invalid(format!(
            "{n} coordinates; at most {MAX_AREA_POINTS} are accepted"
        )));
    }
    let (lat_min, lat_max, lon_min, lon_max) = TURKEY_BOUNDS;
    for c in area.0.coords_iter() {
        for (value, min, max, axis) in [(c.y, lat_min, lat_max, 'N'), (c.x, lon_min, lon_max, 'E')]
        {
            if !(value.is_finite() && (min..=max).contains(&value)) {
                return Err(InputError::OutsideTurkey {
                    field: "area",
                    value: value.to_string(),
                    min: min.to_string(),
                    max: max.to_string(),
                    axis,
                });
            }
        }
    }
    if let Err(e) = area.0.check_validation() {
        return Err(invalid(format!("not a valid geometry: {e}")));
    }
    Ok(Shape(match &area.0 {
        G::Polygon(p) => G::Polygon(p.orient(geo::orient::Direction::Default)),
        G::MultiPolygon(p) => G::MultiPolygon(p.orient(geo::orient::Direction::Default)),
        other => other.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures::{organisation, t0, tenant};
    use chrono::Duration;

    fn shape(json: &str) -> Shape {
        serde_json::from_str(json).unwrap()
    }

    fn new(area: Shape) -> NewWork {
        NewWork::new(
            "asfalt".parse().unwrap(),
            "  Paşalimanı Caddesi asfalt  ",
            WorkKind::RoadWorks,
            area,
            t0(),
            t0() + Duration::days(3),
        )
    }

    fn publish(w: NewWork) -> Result<Work, InputError> {
        w.publish(
            &organisation("a"),
            tenant("a"),
            WorkId(uuid::Uuid::from_u128(1)),
            "coordinator@x",
            t0(),
        )
    }

    #[test]
    fn a_good_work_is_published_trimmed_and_oriented() {
        // A clockwise square: stored counterclockwise.
        let cw = shape(
            r#"{"type":"Polygon","coordinates":[[[29.0,41.0],[29.0,41.01],[29.01,41.01],[29.01,41.0],[29.0,41.0]]]}"#,
        );
        let w = publish(new(cw).with_contact(" 153 ")).unwrap();
        assert_eq!(w.title, "Paşalimanı Caddesi asfalt");
        assert_eq!(w.contact.as_deref(), Some("153"));
        assert_eq!((w.version, w.status), (1, WorkStatus::Planned));
        let geo::Geometry::Polygon(p) = &w.area.0 else {
            panic!("{:?}", w.area)
        };
        use geo::Winding;
        assert!(p.exterior().is_ccw());
    }

    #[test]
    fn every_bad_field_is_named() {
        let p = Shape::point(29.0, 41.0);
        let field = |w: NewWork| publish(w).unwrap_err().field();
        let mut w = new(p.clone());
        w.unit = "yok".parse().unwrap();
        let e = publish(w).unwrap_err();
        assert_eq!(e.field(), "unit");
        assert!(e.to_string().contains("asfalt"), "{e}");
        let mut w = new(p.clone());
        w.title = " ".into();
        assert_eq!(field(w), "title");
        let mut w = new(p.clone());
        w.title = "x".repeat(201);
        assert!(matches!(
            publish(w),
            Err(InputError::TooLong { max: 200, .. })
        ));
        let mut w = new(p.clone());
        w.title = "iki\nsatır".into();
        assert_eq!(field(w), "title");
        let mut w = new(p.clone());
        w.ends_at = w.starts_at;
        let e = publish(w).unwrap_err();
        assert_eq!(e.field(), "ends_at");
        assert!(e.to_string().contains("Istanbul"), "{e}");
        assert_eq!(
            field(new(p.clone()).with_status(WorkStatus::Closed)),
            "status"
        );
        assert_eq!(
            field(new(p.clone()).with_contact("x".repeat(201))),
            "contact"
        );
        // Paris is not in Turkey.
        assert!(matches!(
            publish(new(Shape::point(2.35, 48.85))),
            Err(InputError::OutsideTurkey {
                field: "area",
                axis: 'N',
                ..
            })
        ));
        let multipoint = shape(r#"{"type":"MultiPoint","coordinates":[[29.0,41.0]]}"#);
        let e = publish(new(multipoint)).unwrap_err();
        assert!(e.to_string().contains("MultiPoint"), "{e}");
        // A bow tie crosses itself.
        let bowtie = shape(
            r#"{"type":"Polygon","coordinates":[[[29.0,41.0],[29.01,41.01],[29.01,41.0],[29.0,41.01],[29.0,41.0]]]}"#,
        );
        let e = publish(new(bowtie)).unwrap_err();
        assert_eq!(e.field(), "area");
        assert!(e.to_string().contains("valid"), "{e}");
        let line = shape(r#"{"type":"LineString","coordinates":[[29.0,41.0],[29.0,41.0]]}"#);
        assert_eq!(field(new(line)), "area");
        let far = new(p).clone();
        let mut far = far;
        far.ends_at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2200, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(field(far), "ends_at");
    }
}
