//! What can be wrong with a boundaries file: every problem with its line, its feature and
//! its muhtarlık code, an error or a warning, in English ([`std::fmt::Display`]) and in
//! Turkish ([`BoundaryProblem::describe`]).

use std::fmt;

/// A ring of a boundary: the exterior ring or a hole, of the only polygon of a `Polygon`
/// or of one polygon of a `MultiPolygon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingRef {
    /// The polygon of a `MultiPolygon`, from 1; `None` in a `Polygon`.
    pub polygon: Option<usize>,
    /// The hole, from 1; `None`: the exterior ring.
    pub hole: Option<usize>,
}

impl fmt::Display for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.polygon {
            write!(f, "polygon {p}, ")?;
        }
        match self.hole {
            None => f.write_str("exterior ring"),
            Some(h) => write!(f, "hole {h}"),
        }
    }
}

impl RingRef {
    /// The ring in Turkish: `dış halka`, `2. delik`, `3. poligonun dış halkası`.
    pub fn describe(&self) -> String {
        match (self.polygon, self.hole) {
            (None, None) => "dış halka".into(),
            (None, Some(h)) => format!("{h}. delik"),
            (Some(p), None) => format!("{p}. poligonun dış halkası"),
            (Some(p), Some(h)) => format!("{p}. poligonun {h}. deliği"),
        }
    }
}

/// What makes a polygon invalid (from `geo`'s validation, OGC simple features).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// A ring has fewer than 3 distinct positions.
    TooFewDistinctPositions(RingRef),
    /// A ring crosses or touches itself.
    SelfIntersection(RingRef),
    /// A hole lies (partly) outside the exterior ring.
    HoleOutside(RingRef),
    /// Two rings of one polygon cross or share a line.
    RingsIntersect(RingRef, RingRef),
    /// Two polygons of a `MultiPolygon` overlap or share a line (polygon numbers from 1).
    PolygonsIntersect(usize, usize),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooFewDistinctPositions(r) => {
                write!(f, "{r} has fewer than 3 distinct positions")
            }
            Fault::SelfIntersection(r) => write!(f, "{r} intersects itself"),
            Fault::HoleOutside(r) => write!(f, "{r} is not inside the exterior ring"),
            Fault::RingsIntersect(a, b) => write!(f, "{a} and {b} intersect"),
            Fault::PolygonsIntersect(a, b) => {
                write!(f, "polygons {a} and {b} overlap or share a line")
            }
        }
    }
}

impl Fault {
    /// The fault in Turkish.
    pub fn describe(&self) -> String {
        match self {
            Fault::TooFewDistinctPositions(r) => {
                format!("{} en az 3 farklı noktadan oluşmalı", r.describe())
            }
            Fault::SelfIntersection(r) => format!("{} kendini kesiyor", r.describe()),
            Fault::HoleOutside(r) => format!("{} dış halkanın içinde değil", r.describe()),
            Fault::RingsIntersect(a, b) => {
                format!("{} ile {} kesişiyor", a.describe(), b.describe())
            }
            Fault::PolygonsIntersect(a, b) => {
                format!("{a}. ve {b}. poligonlar örtüşüyor ya da bir kenarı paylaşıyor")
            }
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BoundaryProblemKind {
    /// The file is not JSON (the line is serde_json's).
    #[error("not JSON: {message}")]
    NotJson {
        /// What the JSON reader said.
        message: String,
    },
    /// The file is not a GeoJSON FeatureCollection.
    #[error("not a GeoJSON FeatureCollection: {found}")]
    NotFeatureCollection {
        /// What was found instead.
        found: String,
    },
    /// A member of `features` is not a Feature.
    #[error("not a GeoJSON Feature: {found}")]
    NotFeature {
        /// What was found instead.
        found: String,
    },
    /// A feature without a `code` property (text).
    #[error("no muhtarlık code: the feature needs a text property \"code\"")]
    NoCode,
    /// A code no muhtarlık of the organisation has.
    #[error("muhtarlık {code:?} is not in the organisation")]
    UnknownMuhtarlik {
        /// The code.
        code: String,
    },
    /// A second feature for the same muhtarlık.
    #[error("muhtarlık {code:?} already has a boundary (feature {first_feature})")]
    DuplicateCode {
        /// The code.
        code: String,
        /// The feature that gave it first (from 1).
        first_feature: usize,
    },
    /// The geometry is not a Polygon or MultiPolygon.
    #[error("the geometry is {found}, expected a Polygon or MultiPolygon")]
    NotPolygon {
        /// The type found (`null` for a feature without geometry).
        found: String,
    },
    /// The coordinates are not what the geometry's type needs.
    #[error("coordinates: {reason}")]
    BadCoordinates {
        /// What is wrong.
        reason: String,
    },
    /// A ring whose last position is not its first (RFC 7946 §3.1.6).
    #[error("{ring} is not closed: its last position must repeat its first")]
    UnclosedRing {
        /// The ring.
        ring: RingRef,
    },
    /// A ring with fewer than 4 positions (RFC 7946 §3.1.6).
    #[error("{ring} has {count} positions; a ring needs at least 4 (the first repeated last)")]
    TooFewPositions {
        /// The ring.
        ring: RingRef,
        /// How many it has.
        count: usize,
    },
    /// An invalid polygon.
    #[error("invalid polygon: {fault}")]
    InvalidPolygon {
        /// Why.
        fault: Fault,
    },
    /// A position outside Turkey ([`crate::request::TURKEY_BOUNDS`]); or longitude and
    /// latitude swapped.
    #[error("position [{lon}, {lat}] is outside Turkey (expected [lon, lat] with lon {}–{} and lat {}–{})", crate::request::TURKEY_BOUNDS.2, crate::request::TURKEY_BOUNDS.3, crate::request::TURKEY_BOUNDS.0, crate::request::TURKEY_BOUNDS.1)]
    OutsideTurkey {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
    },
    /// Warning: two boundaries overlap beyond the tolerance ([`super::OVERLAP_TOLERANCE_M2`],
    /// [`super::OVERLAP_TOLERANCE_SHARE`]).
    #[error("overlaps muhtarlık {other:?} (feature {other_feature}) by {area_m2} m² ({}% of the smaller)", *share_permille as f64 / 10.0)]
    Overlap {
        /// The other muhtarlık.
        other: String,
        /// Its feature (from 1).
        other_feature: usize,
        /// Area of the overlap, square metres (geodesic, rounded).
        area_m2: u64,
        /// The overlap as a share of the smaller boundary, per mille (rounded).
        share_permille: u32,
    },
    /// Warning: a ring wound against the right-hand rule (exterior clockwise or a hole
    /// counterclockwise); turned round on reading.
    #[error("{ring} is wound {found}; RFC 7946 wants exterior rings counterclockwise and holes clockwise (turned round)")]
    Winding {
        /// The ring.
        ring: RingRef,
        /// `clockwise` or `counterclockwise`.
        found: &'static str,
    },
}

// Never NaN: every number is read from JSON, which has none.
impl Eq for BoundaryProblemKind {}

impl BoundaryProblemKind {
    /// Whether this is only a warning (the file is still used).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            BoundaryProblemKind::Overlap { .. } | BoundaryProblemKind::Winding { .. }
        )
    }

    /// The problem in Turkish.
    pub fn describe(&self) -> String {
        let (lat_min, lat_max, lon_min, lon_max) = crate::request::TURKEY_BOUNDS;
        match self {
            BoundaryProblemKind::NotJson { message } => {
                format!("dosya JSON değil: {message}")
            }
            BoundaryProblemKind::NotFeatureCollection { found } => {
                format!("dosya bir GeoJSON FeatureCollection değil ({found})")
            }
            BoundaryProblemKind::NotFeature { found } => {
                format!("öğe bir GeoJSON Feature değil ({found})")
            }
            BoundaryProblemKind::NoCode => {
                "muhtarlık kodu yok: öğenin \"code\" özelliği (metin) olmalı".into()
            }
            BoundaryProblemKind::UnknownMuhtarlik { code } => {
                format!("{code:?} kodlu muhtarlık teşkilatta yok")
            }
            BoundaryProblemKind::DuplicateCode {
                code,
                first_feature,
            } => format!("{code:?} muhtarlığının sınırı {first_feature}. öğede de var"),
            BoundaryProblemKind::NotPolygon { found } => {
                format!("geometri {found}; Polygon ya da MultiPolygon olmalı")
            }
            BoundaryProblemKind::BadCoordinates { reason } => {
                format!("koordinatlar okunamadı: {reason}")
            }
            BoundaryProblemKind::UnclosedRing { ring } => format!(
                "{} kapalı değil: son nokta ilk noktanın aynısı olmalı",
                ring.describe()
            ),
            BoundaryProblemKind::TooFewPositions { ring, count } => format!(
                "{} {count} noktalı; bir halka en az 4 noktadan oluşur (ilk nokta sonda tekrarlanır)",
                ring.describe()
            ),
            BoundaryProblemKind::InvalidPolygon { fault } => {
                format!("poligon geçersiz: {}", fault.describe())
            }
            BoundaryProblemKind::OutsideTurkey { lon, lat } => format!(
                "[{lon}, {lat}] noktası Türkiye dışında ([boylam, enlem] sırasıyla boylam \
                 {lon_min}–{lon_max}, enlem {lat_min}–{lat_max} olmalı)"
            ),
            BoundaryProblemKind::Overlap {
                other,
                other_feature,
                area_m2,
                share_permille,
            } => format!(
                "{other:?} muhtarlığının sınırıyla ({other_feature}. öğe) {area_m2} m² \
                 (küçüğünün %{}'i) örtüşüyor",
                *share_permille as f64 / 10.0
            ),
            BoundaryProblemKind::Winding { ring, .. } => format!(
                "{} ters yönde çizilmiş (dış halka saatin tersine, delikler saat yönünde \
                 olmalı); okunurken düzeltildi",
                ring.describe()
            ),
        }
    }
}

/// One problem of a boundaries file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryProblem {
    /// 1-based line: of the feature, or of the JSON error (0: unknown).
    pub line: usize,
    /// 1-based feature number in `features` (0: the file as a whole).
    pub feature: usize,
    /// The feature's muhtarlık code, when it has one.
    pub code: Option<String>,
    /// What is wrong.
    pub kind: BoundaryProblemKind,
}

impl BoundaryProblem {
    /// Whether this is an error (the file is not used).
    pub fn is_error(&self) -> bool {
        !self.kind.is_warning()
    }

    /// Where, in Turkish: `Öğe 3 (kuzguncuk)`, or `Dosya`.
    pub fn place(&self) -> String {
        match (self.feature, &self.code) {
            (0, _) => "Dosya".into(),
            (n, Some(c)) => format!("Öğe {n} ({c})"),
            (n, None) => format!("Öğe {n}"),
        }
    }

    /// The problem in Turkish, with its line and place:
    /// `satır 12, öğe 3 (kuzguncuk): dış halka kapalı değil: …`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if self.line > 0 {
            out.push_str(&format!("satır {}, ", self.line));
        }
        out.push_str(&lower_first(&self.place()));
        out.push_str(": ");
        if !self.is_error() {
            out.push_str("uyarı: ");
        }
        out.push_str(&self.kind.describe());
        out
    }
}

/// Lower-cases the first letter of a place for the middle of a sentence (`Öğe` → `öğe`).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl fmt::Display for BoundaryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, ", self.line)?;
        }
        match (self.feature, &self.code) {
            (0, _) => f.write_str("file")?,
            (n, Some(c)) => write!(f, "feature {n} ({c})")?,
            (n, None) => write!(f, "feature {n}")?,
        }
        if self.is_error() {
            write!(f, ": {}", self.kind)
        } else {
            write!(f, ": warning: {}", self.kind)
        }
    }
}

/// A boundaries file that cannot be used: every problem found (warnings included), by
/// line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct BoundariesError {
    /// Every problem, errors and warnings, in the order of the file.
    pub problems: Vec<BoundaryProblem>,
}
