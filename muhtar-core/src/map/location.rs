//! A request's location checked against its muhtarlık's boundary: a warning on the
//! request, never a refusal (a muhtar may report a road just over the line).

use serde::Serialize;

use crate::ids::MuhtarlikCode;
use crate::org::Organisation;
use crate::request::RequestContent;

/// A request located outside its muhtarlık's boundary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LocationWarning {
    /// The request's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// Its name (the code when the organisation no longer has it).
    pub muhtarlik_name: String,
    /// The muhtarlık whose boundary holds the point, if any.
    pub inside: Option<MuhtarlikCode>,
    /// Its name.
    pub inside_name: Option<String>,
    /// The location: latitude.
    pub lat: f64,
    /// The location: longitude.
    pub lon: f64,
}

impl LocationWarning {
    /// The warning in Turkish: "Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta
    /// Beylerbeyi Mahallesi içinde."
    pub fn describe(&self) -> String {
        match &self.inside_name {
            Some(other) => format!(
                "Konum, {} sınırlarının dışında; nokta {other} içinde.",
                self.muhtarlik_name
            ),
            None => format!(
                "Konum, {} sınırlarının dışında; nokta kurumun hiçbir muhtarlığının \
                 sınırları içinde değil.",
                self.muhtarlik_name
            ),
        }
    }
}

/// The warning for a request whose location lies outside its muhtarlık's boundary;
/// `None` when it lies inside, when the request has no location or when the muhtarlık
/// has no boundary.
///
/// ```
/// # use muhtar_core::map::{location_warning, Boundaries, Shape};
/// # use muhtar_core::testkit::fixtures;
/// let mut org = fixtures::organisation("t1");
/// let mut content = fixtures::new_request("kuzguncuk").validate(&org, fixtures::t0()).unwrap();
/// let square = |x: f64, y: f64| Shape(geo::Geometry::Polygon(geo::Polygon::new(
///     vec![(x, y), (x + 0.01, y), (x + 0.01, y + 0.01), (x, y + 0.01), (x, y)].into(),
///     vec![],
/// )));
/// org.boundaries.0.insert(content.muhtarlik.clone(), square(29.0, 41.0));
/// content.location = Some(muhtar_core::request::Location { lat: 41.005, lon: 29.005 });
/// assert_eq!(location_warning(&org, &content), None);
/// content.location = Some(muhtar_core::request::Location { lat: 41.5, lon: 29.005 });
/// let w = location_warning(&org, &content).unwrap();
/// assert!(w.describe().starts_with("Konum, "));
/// assert_eq!(w.inside, None);
/// ```
pub fn location_warning(org: &Organisation, content: &RequestContent) -> Option<LocationWarning> {
    let l = content.location.as_ref()?;
    if org.boundaries.contains(&content.muhtarlik, l.lon, l.lat)? {
        return None;
    }
    let name = |code: &MuhtarlikCode| {
        org.muhtarlik(code)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let inside = org.boundaries.muhtarlik_at(l.lon, l.lat).cloned();
    Some(LocationWarning {
        muhtarlik_name: name(&content.muhtarlik),
        muhtarlik: content.muhtarlik.clone(),
        inside_name: inside.as_ref().map(name),
        inside,
        lat: l.lat,
        lon: l.lon,
    })
}
