//! Organisations: tenants, the unit tree, muhtarlıklar and request categories.
//!
//! An [`Organisation`] is what one tenant (a governorship or a municipality running the
//! system) knows about itself. It is loaded whole from a human-editable TOML file and
//! validated whole before anything is applied: [`Organisation::from_toml_str`] either
//! returns a valid organisation or every problem it found.
//!
//! The muhtarlıklar's boundaries live in a GeoJSON file of their own, named by the
//! organisation file (`boundaries = "boundaries.geojson"`, a path relative to the
//! organisation file, before the first table). Core reads no files: a file that names one is loaded
//! with [`Organisation::from_toml_str_with`], given a function that reads the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::ids::{MuhtarlikCode, TenantId, UnitCode};

/// The kind of a unit in the organisation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// Bakanlık: a ministry (e.g. the Interior Ministry).
    Ministry,
    /// Valilik: the governorship of a province.
    Governorship,
    /// Kaymakamlık: the governorship of a district.
    DistrictGovernorship,
    /// Büyükşehir belediyesi: a metropolitan municipality.
    MetropolitanMunicipality,
    /// İl belediyesi: a provincial municipality.
    ProvincialMunicipality,
    /// İlçe belediyesi: a district municipality.
    DistrictMunicipality,
    /// Daire başkanlığı: a department.
    Department,
    /// Müdürlük: a directorate.
    Directorate,
    /// İştirak şirketi: a municipal company (water, transport...).
    MunicipalCompany,
    /// Kurum dışı: an outside institution (electricity, gas, a ministry directorate).
    OutsideInstitution,
}

/// The title of a responsible official (Genelge 2015/8 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficialTitle {
    /// Vali yardımcısı: deputy governor, for a governorship.
    ValiYardimcisi,
    /// Genel sekreter yardımcısı: for a metropolitan municipality.
    GenelSekreterYardimcisi,
    /// Belediye başkan yardımcısı: for other municipalities.
    BelediyeBaskanYardimcisi,
}

crate::names::named_enum! {
    impl OfficialTitle: "official title" {
        ValiYardimcisi => ("vali-yardimcisi", "Vali Yardımcısı"),
        GenelSekreterYardimcisi => ("genel-sekreter-yardimcisi", "Genel Sekreter Yardımcısı"),
        BelediyeBaskanYardimcisi => ("belediye-baskan-yardimcisi", "Belediye Başkan Yardımcısı"),
    }
}

/// A person the system writes to: liaison staff, officials, muhtars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Full name.
    pub name: String,
    /// E-mail address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number, normalised to `+90XXXXXXXXXX` by validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The responsible official of a unit, who signs reports and receives escalations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Official {
    /// Their title.
    pub title: OfficialTitle,
    /// Who they are.
    #[serde(flatten)]
    pub person: Person,
}

/// A unit (birim): a body or a part of one that can act on requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Stable code.
    pub code: UnitCode,
    /// Name, in Turkish.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// The unit above this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<UnitCode>,
    /// The unit's shared e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether requests may be routed to it.
    #[serde(default = "yes")]
    pub active: bool,
    /// Province the unit serves (for governorships and municipalities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// District the unit serves (for district bodies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// İrtibat personeli: liaison staff who also receive the unit's notices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub liaison: Vec<Person>,
    /// The responsible official, if this unit has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official: Option<Official>,
    /// Its DETSİS number, if it keeps a document registry (evrak kayıt): documents of its
    /// requests, and of the units below it without one, are numbered in its registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detsis: Option<crate::document::Detsis>,
}

fn yes() -> bool {
    true
}

/// Whether a muhtarlık is a neighbourhood or a village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettlementKind {
    /// Mahalle: a neighbourhood.
    Mahalle,
    /// Köy: a village.
    Koy,
}

/// A muhtarlık: the office of a mahalle or köy headman.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Muhtarlik {
    /// Stable code.
    pub code: MuhtarlikCode,
    /// Name, e.g. "Kuzguncuk Mahallesi".
    pub name: String,
    /// Mahalle or köy.
    pub kind: SettlementKind,
    /// District (ilçe).
    pub district: String,
    /// Province (il).
    pub province: String,
    /// The muhtar.
    pub muhtar: Person,
    /// Whether the muhtarlık can submit requests.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its centre, `[lat, lon]` (WGS 84, inside Turkey), e.g. for the demo's locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<Centre>,
}

/// A muhtarlık's centre: in TOML `centre = [41.0369, 29.0306]` (latitude, longitude,
/// WGS 84). Only points inside Turkey's bounding box
/// ([`crate::request::TURKEY_BOUNDS`]) are read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct Centre {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

// Never NaN: every centre is checked to lie inside Turkey.
impl Eq for Centre {}

impl TryFrom<[f64; 2]> for Centre {
    type Error = String;
    fn try_from([lat, lon]: [f64; 2]) -> Result<Self, String> {
        let (lat_min, lat_max, lon_min, lon_max) = crate::request::TURKEY_BOUNDS;
        if (lat_min..=lat_max).contains(&lat) && (lon_min..=lon_max).contains(&lon) {
            Ok(Centre { lat, lon })
        } else {
            Err(format!(
                "centre [{lat}, {lon}] is not in Turkey: expected [lat, lon] with lat \
                 {lat_min}–{lat_max} and lon {lon_min}–{lon_max}"
            ))
        }
    }
}

impl From<Centre> for [f64; 2] {
    fn from(c: Centre) -> Self {
        [c.lat, c.lon]
    }
}

/// A request category (what Open311 calls a service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable code, e.g. `asfalt-onarim`.
    pub code: String,
    /// Name, in Turkish.
    pub name: String,
    /// The group it belongs to, e.g. `altyapi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Words people use for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Extra fields a request of this category carries (Open311 service attributes).
    #[serde(default, rename = "attribute", skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CategoryAttribute>,
}

/// An extra field of a category (an Open311 service attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryAttribute {
    /// Stable code, e.g. `hayvan-turu`.
    pub code: String,
    /// The question shown to the person filling in the request.
    pub description: String,
    /// Whether a request must give it.
    #[serde(default)]
    pub required: bool,
    /// Allowed values (`key`, shown name); empty: free text.
    #[serde(default, rename = "value", skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// An allowed value of a [`CategoryAttribute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    /// The value sent.
    pub key: String,
    /// The name shown.
    pub name: String,
}

/// The tenant itself and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Tenant id.
    pub id: TenantId,
    /// Name, e.g. "İstanbul Büyükşehir Belediyesi".
    pub name: String,
    /// The unit that runs the system for the tenant (Muhtarlıklar Müdürlüğü or Daire
    /// Başkanlığı); it is also the default triage queue.
    pub coordinator_unit: UnitCode,
    /// The unit whose responsible official signs the tenant's reports.
    pub reporting_unit: UnitCode,
    /// The SLA policy applied to new requests.
    #[serde(default = "default_policy")]
    pub default_policy: String,
    /// Days after an answer or closure in which the muhtar may reopen a request.
    #[serde(default = "default_reopen_days")]
    pub reopen_window_days: u32,
}

fn default_policy() -> String {
    "genelge-2015-8".to_owned()
}
fn default_reopen_days() -> u32 {
    30
}

/// A tenant's whole organisation, valid by construction when built through
/// [`Organisation::new`] or [`Organisation::from_toml_str`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// The tenant.
    pub tenant: Tenant,
    /// Units (tree by `parent`).
    #[serde(default, rename = "unit")]
    pub units: Vec<Unit>,
    /// Muhtarlıklar.
    #[serde(default, rename = "muhtarlik")]
    pub muhtarliklar: Vec<Muhtarlik>,
    /// Request categories.
    #[serde(default, rename = "category")]
    pub categories: Vec<Category>,
    /// Extra reason codes (gerekçe) beyond the built-in list.
    #[serde(default, rename = "reason")]
    pub reasons: Vec<crate::reason::ReasonDef>,
    /// The muhtarlıklar's boundaries (empty: none). In the organisation file a path,
    /// `boundaries = "boundaries.geojson"`, to a GeoJSON FeatureCollection keyed by
    /// muhtarlık code, read by the loader; stored inline.
    #[serde(default, skip_serializing_if = "crate::map::Boundaries::is_empty")]
    pub boundaries: crate::map::Boundaries,
}

/// One thing wrong with an organisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgProblem {
    /// A unit names a parent that does not exist.
    #[error("unit {unit}: parent {parent} does not exist")]
    UnknownParent {
        /// The unit.
        unit: String,
        /// The missing parent.
        parent: String,
    },
    /// Units whose parents form a cycle.
    #[error("units form a cycle: {}", units.join(" -> "))]
    Cycle {
        /// The units in the cycle.
        units: Vec<String>,
    },
    /// Two entries share a code.
    #[error("duplicate {what} code {code}")]
    DuplicateCode {
        /// What kind of entry: unit, muhtarlık, category, reason.
        what: &'static str,
        /// The code.
        code: String,
    },
    /// A malformed e-mail address.
    #[error("{owner}: {value:?} is not an e-mail address")]
    InvalidEmail {
        /// Whose address.
        owner: String,
        /// The address.
        value: String,
    },
    /// A malformed phone number.
    #[error("{owner}: {value:?} is not a Turkish phone number")]
    InvalidPhone {
        /// Whose number.
        owner: String,
        /// The number.
        value: String,
    },
    /// A unit that must receive requests is unknown.
    #[error("{role}: unit {unit} does not exist")]
    UnknownUnit {
        /// Where it was named.
        role: String,
        /// The unit.
        unit: String,
    },
    /// A unit that must receive requests is inactive.
    #[error("{role}: unit {unit} is inactive")]
    InactiveTarget {
        /// Where it was named.
        role: String,
        /// The unit.
        unit: String,
    },
    /// A required text is empty.
    #[error("{owner}: {field} is empty")]
    Empty {
        /// Whose field.
        owner: String,
        /// The field.
        field: &'static str,
    },
    /// The reporting unit has no responsible official to sign reports.
    #[error("reporting unit {unit} has no responsible official")]
    NoOfficial {
        /// The unit.
        unit: String,
    },
    /// A boundary for a muhtarlık the organisation does not have.
    #[error("boundaries: muhtarlık {code} does not exist")]
    BoundaryOfUnknownMuhtarlik {
        /// The code.
        code: String,
    },
    /// A name or text holds a character it may not: a control character (line breaks
    /// and tabs included: these texts are one line, and end up in e-mail headers such as
    /// the sender's display name) or U+FFFE / U+FFFF (not allowed in XML).
    #[error("{owner}: {field} contains the character U+{:04X}{}", u32::from(*character), if *line > 0 { format!(" (line {line})") } else { String::new() })]
    ForbiddenCharacter {
        /// Whose text.
        owner: String,
        /// The field.
        field: &'static str,
        /// The first forbidden character.
        character: char,
        /// 1-based line of the field in the organisation file; 0 when not read from a
        /// file.
        line: usize,
    },
}

/// Whether an organisation text (a name, a description, a keyword) may not hold `c`:
/// any control character, or U+FFFE / U+FFFF.
pub fn is_forbidden_in_name(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Why an organisation could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgError {
    /// The file is not valid TOML or does not have the expected fields.
    #[error("organisation file, line {line}: {message}")]
    Parse {
        /// 1-based line of the problem (0 if unknown).
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// The organisation is well-formed but invalid.
    #[error("organisation is invalid: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Every problem found.
        problems: Vec<OrgProblem>,
    },
    /// The file names a boundaries file, but was loaded without a way to read it
    /// ([`Organisation::from_toml_str`] instead of [`Organisation::from_toml_str_with`]).
    #[error("organisation file, line {line}: boundaries = {path:?} names a file, but this organisation was loaded without reading files (load it with its boundaries file, Organisation::from_toml_str_with)")]
    BoundariesNotRead {
        /// 1-based line of `boundaries`.
        line: usize,
        /// The path as written.
        path: String,
    },
    /// The boundaries file could not be read.
    #[error("boundaries file {path}: {reason}")]
    BoundariesUnreadable {
        /// The path as written.
        path: String,
        /// Why (the reader's words).
        reason: String,
    },
    /// The boundaries file has errors.
    #[error("boundaries file {path}: {error}")]
    Boundaries {
        /// The path as written.
        path: String,
        /// Every problem found (warnings included).
        error: crate::map::BoundariesError,
    },
}

/// The `boundaries` key of an organisation file: the path, its line and the byte span of
/// its value; `Ok(None)` without the key (or for text that is not TOML: the full parse
/// reports that).
#[allow(clippy::type_complexity)]
fn boundaries_ref(text: &str) -> Result<Option<(String, usize, std::ops::Range<usize>)>, OrgError> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(default)]
        boundaries: Option<toml::Spanned<toml::Value>>,
    }
    let Ok(Peek {
        boundaries: Some(value),
    }) = toml::from_str::<Peek>(text)
    else {
        return Ok(None);
    };
    let span = value.span();
    let line = line_of(text, span.start);
    match value.into_inner() {
        toml::Value::String(path) if !path.trim().is_empty() => Ok(Some((path, line, span))),
        _ => Err(OrgError::Parse {
            line,
            message: "boundaries: expected the path of a GeoJSON file, e.g. boundaries = \"boundaries.geojson\"".into(),
        }),
    }
}

/// 1-based line of a byte offset in a text.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The 1-based line a TOML parser's error points at (0 if it points nowhere).
pub(crate) fn toml_error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span().map(|sp| line_of(text, sp.start)).unwrap_or(0)
}

/// Checks an e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

/// Normalises a Turkish phone number to `+90XXXXXXXXXX`; `None` if it is not one.
///
/// ```
/// use muhtar_core::org::normalize_phone;
/// assert_eq!(normalize_phone("0532 123 45 67").as_deref(), Some("+905321234567"));
/// assert_eq!(normalize_phone("+90 (216) 555 00 11").as_deref(), Some("+902165550011"));
/// assert_eq!(normalize_phone("12345"), None);
/// ```
pub fn normalize_phone(s: &str) -> Option<String> {
    if s.chars()
        .any(|c| !(c.is_ascii_digit() || " ()-+.".contains(c)))
    {
        return None;
    }
    if s.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = if let Some(rest) = digits.strip_prefix("90").filter(|r| r.len() == 10) {
        rest
    } else if let Some(rest) = digits.strip_prefix('0').filter(|r| r.len() == 10) {
        rest
    } else if digits.len() == 10 {
        &digits
    } else {
        return None;
    };
    if !matches!(national.as_bytes()[0], b'2'..=b'5' | b'8') {
        return None;
    }
    Some(format!("+90{national}"))
}

impl Organisation {
    /// Validates and returns an organisation, normalising phone numbers.
    pub fn new(mut org: Organisation) -> Result<Self, OrgError> {
        let problems = org.validate_and_normalize();
        if problems.is_empty() {
            Ok(org)
        } else {
            Err(OrgError::Invalid { problems })
        }
    }

    /// Parses and validates an organisation from TOML.
    ///
    /// ```
    /// use muhtar_core::org::Organisation;
    /// let org = Organisation::from_toml_str(r#"
    /// [tenant]
    /// id = "ornek"
    /// name = "Örnek Belediyesi"
    /// coordinator_unit = "muhtarliklar"
    /// reporting_unit = "belediye"
    ///
    /// [[unit]]
    /// code = "belediye"
    /// name = "Örnek Belediyesi"
    /// kind = "district-municipality"
    /// official = { title = "belediye-baskan-yardimcisi", name = "Ayşe Yılmaz" }
    ///
    /// [[unit]]
    /// code = "muhtarliklar"
    /// name = "Muhtarlık İşleri Müdürlüğü"
    /// kind = "directorate"
    /// parent = "belediye"
    /// "#).unwrap();
    /// assert_eq!(org.units.len(), 2);
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Self, OrgError> {
        Self::load(text, None).map(|(org, _)| org)
    }

    /// Parses and validates an organisation from TOML, with its boundaries: when the
    /// file names one (`boundaries = "boundaries.geojson"`), `read` is given the path as
    /// written (the caller resolves it, relative to the organisation file) and returns the
    /// file's text or why it cannot. The boundaries are validated against the
    /// organisation's muhtarlıklar ([`crate::map::Boundaries::from_geojson_str`]); their
    /// warnings come back beside the organisation.
    ///
    /// ```
    /// use muhtar_core::org::Organisation;
    /// let org = include_str!("../../examples/data/org.toml");
    /// let (org, warnings) = Organisation::from_toml_str_with(org, |path| {
    ///     assert_eq!(path, "boundaries.geojson");
    ///     Ok(include_str!("../../examples/data/boundaries.geojson").to_owned())
    /// })
    /// .unwrap();
    /// assert!(warnings.is_empty());
    /// assert_eq!(org.boundaries.len(), org.muhtarliklar.len());
    /// ```
    pub fn from_toml_str_with(
        text: &str,
        mut read: impl FnMut(&str) -> Result<String, String>,
    ) -> Result<(Self, Vec<crate::map::BoundaryProblem>), OrgError> {
        Self::load(text, Some(&mut read))
    }

    /// The path of the boundaries file an organisation file names, if any (and its
    /// line); `None` also for text that is not TOML.
    pub fn boundaries_path(text: &str) -> Option<(String, usize)> {
        match boundaries_ref(text) {
            Ok(Some((path, line, _))) => Some((path, line)),
            _ => None,
        }
    }

    #[allow(clippy::type_complexity)]
    fn load(
        text: &str,
        read: Option<&mut dyn FnMut(&str) -> Result<String, String>>,
    ) -> Result<(Self, Vec<crate::map::BoundaryProblem>), OrgError> {
        let reference = boundaries_ref(text)?;
        // The path's place in the text holds an empty inline table while the rest is read:
        // the stored (JSON) organisation keeps its boundaries inline.
        let patched;
        let source = match &reference {
            Some((_, _, span)) => {
                let newlines = text[span.clone()].matches('\n').count();
                patched = format!(
                    "{}{{}}{}{}",
                    &text[..span.start],
                    "\n".repeat(newlines),
                    &text[span.end..]
                );
                patched.as_str()
            }
            None => text,
        };
        let org: Organisation = toml::from_str(source).map_err(|e| OrgError::Parse {
            line: e.span().map(|s| line_of(source, s.start)).unwrap_or(0),
            message: e.message().to_owned(),
        })?;
        let mut org = Self::new(org).map_err(|e| match e {
            OrgError::Invalid { mut problems } => {
                forbidden_lines(text, &mut problems);
                OrgError::Invalid { problems }
            }
            e => e,
        })?;
        let Some((path, line, _)) = reference else {
            return Ok((org, Vec::new()));
        };
        let Some(read) = read else {
            return Err(OrgError::BoundariesNotRead { line, path });
        };
        let geojson = read(&path).map_err(|reason| OrgError::BoundariesUnreadable {
            path: path.clone(),
            reason,
        })?;
        let known: BTreeSet<&MuhtarlikCode> = org.muhtarliklar.iter().map(|m| &m.code).collect();
        let (boundaries, warnings) =
            crate::map::Boundaries::from_geojson_str(&geojson, |c| known.contains(c)).map_err(
                |error| OrgError::Boundaries {
                    path: path.clone(),
                    error,
                },
            )?;
        org.boundaries = boundaries;
        Ok((org, warnings))
    }

    /// The unit with this code.
    pub fn unit(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.iter().find(|u| &u.code == code)
    }

    /// The registry that numbers a unit's documents: the unit itself if it has a DETSİS
    /// number, else the nearest unit above it that has one.
    pub fn registry_of(&self, unit: &UnitCode) -> Option<&Unit> {
        self.unit_and_above(unit).find(|u| u.detsis.is_some())
    }

    /// A unit, then the units above it up to the top of its tree (bounded by the number
    /// of units, so a parent cycle in an unvalidated organisation ends).
    fn unit_and_above<'o>(&'o self, unit: &UnitCode) -> impl Iterator<Item = &'o Unit> + 'o {
        std::iter::successors(self.unit(unit), |u| {
            u.parent.as_ref().and_then(|p| self.unit(p))
        })
        .take(self.units.len())
    }

    /// The body a unit belongs to: the top of its tree (the unit itself if it has no
    /// parent). A tenant's organisation may hold several bodies (a metropolitan
    /// municipality, district municipalities, utilities): official documents are headed
    /// with the body's name.
    pub fn body_of(&self, unit: &UnitCode) -> Option<&Unit> {
        self.unit_and_above(unit).last()
    }

    /// The responsible official nearest a unit: its own, else the nearest above it.
    pub fn official_of(&self, unit: &UnitCode) -> Option<&Official> {
        self.unit_and_above(unit).find_map(|u| u.official.as_ref())
    }

    /// The muhtarlık with this code.
    pub fn muhtarlik(&self, code: &MuhtarlikCode) -> Option<&Muhtarlik> {
        self.muhtarliklar.iter().find(|m| &m.code == code)
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// `unit` and every unit below it.
    pub fn subtree(&self, unit: &UnitCode) -> Vec<UnitCode> {
        let mut children: HashMap<&UnitCode, Vec<&UnitCode>> = HashMap::new();
        for u in &self.units {
            if let Some(p) = &u.parent {
                children.entry(p).or_default().push(&u.code);
            }
        }
        let mut out = vec![unit.clone()];
        let mut i = 0;
        while i < out.len() {
            if let Some(cs) = children.get(&out[i]) {
                for c in cs {
                    if !out.contains(c) {
                        out.push((*c).clone());
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// Whether `unit` is `ancestor` or below it.
    pub fn is_within(&self, unit: &UnitCode, ancestor: &UnitCode) -> bool {
        let mut cur = Some(unit);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.units.len() {
                return false;
            }
            cur = self.unit(c).and_then(|u| u.parent.as_ref());
        }
        false
    }

    /// The responsible official who signs the tenant's reports.
    pub fn reporting_official(&self) -> Option<&Official> {
        self.unit(&self.tenant.reporting_unit)
            .and_then(|u| u.official.as_ref())
    }

    /// The nearest responsible official at or above `unit`.
    pub fn official_for(&self, unit: &UnitCode) -> Option<&Official> {
        let mut cur = self.unit(unit);
        let mut steps = 0;
        while let Some(u) = cur {
            if let Some(o) = &u.official {
                return Some(o);
            }
            steps += 1;
            if steps > self.units.len() {
                return None;
            }
            cur = u.parent.as_ref().and_then(|p| self.unit(p));
        }
        self.reporting_official()
    }

    /// Checks that `unit` exists and is active, for use as a routing or transfer target.
    pub fn check_target(&self, unit: &UnitCode) -> Result<&Unit, OrgProblem> {
        match self.unit(unit) {
            None => Err(OrgProblem::UnknownUnit {
                role: "target".into(),
                unit: unit.to_string(),
            }),
            Some(u) if !u.active => Err(OrgProblem::InactiveTarget {
                role: "target".into(),
                unit: unit.to_string(),
            }),
            Some(u) => Ok(u),
        }
    }

    fn validate_and_normalize(&mut self) -> Vec<OrgProblem> {
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for u in &self.units {
            if !seen.insert(u.code.clone()) {
                problems.push(OrgProblem::DuplicateCode {
                    what: "unit",
                    code: u.code.to_string(),
                });
            }
        }
        // A DETSİS number names one unit: two registries under one number would share
        // (and collide in) one sequence as printed.
        let mut seen_d = BTreeSet::new();
        for u in &self.units {
            if let Some(d) = &u.detsis {
                if !seen_d.insert(d.clone()) {
                    problems.push(OrgProblem::DuplicateCode {
                        what: "DETSİS",
                        code: d.to_string(),
                    });
                }
            }
        }
        let mut seen_m = BTreeSet::new();
        for m in &self.muhtarliklar {
            if !seen_m.insert(m.code.clone()) {
                problems.push(OrgProblem::DuplicateCode {
                    what: "muhtarlık",
                    code: m.code.to_string(),
                });
            }
        }
        let mut seen_c = BTreeSet::new();
        for c in &self.categories {
            if !seen_c.insert(c.code.clone()) {
                problems.push(OrgProblem::DuplicateCode {
                    what: "category",
                    code: c.code.clone(),
                });
            }
            if c.code.trim().is_empty() {
                problems.push(OrgProblem::Empty {
                    owner: "category".into(),
                    field: "code",
                });
            }
        }
        let mut seen_r = BTreeSet::new();
        for r in &self.reasons {
            if !seen_r.insert(r.code.clone())
                || crate::reason::ReasonCode::builtin(&r.code).is_some()
            {
                problems.push(OrgProblem::DuplicateCode {
                    what: "reason",
                    code: r.code.clone(),
                });
            }
        }
        self.check_texts(&mut problems);
        if self.tenant.name.trim().is_empty() {
            problems.push(OrgProblem::Empty {
                owner: format!("tenant {}", self.tenant.id),
                field: "name",
            });
        }
        // Parents and cycles.
        let parents: BTreeMap<UnitCode, Option<UnitCode>> = self
            .units
            .iter()
            .map(|u| (u.code.clone(), u.parent.clone()))
            .collect();
        for u in &self.units {
            if let Some(p) = &u.parent {
                if !parents.contains_key(p) {
                    problems.push(OrgProblem::UnknownParent {
                        unit: u.code.to_string(),
                        parent: p.to_string(),
                    });
                }
            }
        }
        let mut in_cycle: BTreeSet<UnitCode> = BTreeSet::new();
        for start in parents.keys() {
            if in_cycle.contains(start) {
                continue;
            }
            let mut path: Vec<UnitCode> = vec![start.clone()];
            let mut cur = parents.get(start).cloned().flatten();
            while let Some(c) = cur {
                if let Some(pos) = path.iter().position(|p| p == &c) {
                    let cycle: Vec<UnitCode> = path[pos..].to_vec();
                    if !cycle.iter().any(|c| in_cycle.contains(c)) {
                        let mut names: Vec<String> = cycle.iter().map(|c| c.to_string()).collect();
                        names.push(c.to_string());
                        problems.push(OrgProblem::Cycle { units: names });
                    }
                    in_cycle.extend(cycle);
                    break;
                }
                path.push(c.clone());
                cur = parents.get(&c).cloned().flatten();
            }
        }
        for u in &mut self.units {
            let owner = format!("unit {}", u.code);
            if u.name.trim().is_empty() {
                problems.push(OrgProblem::Empty {
                    owner: owner.clone(),
                    field: "name",
                });
            }
            check_email(&owner, &u.email, &mut problems);
            for p in u
                .liaison
                .iter_mut()
                .chain(u.official.as_mut().map(|o| &mut o.person))
            {
                check_person(&format!("{owner} / {}", p.name), p, &mut problems);
            }
        }
        for m in &mut self.muhtarliklar {
            let owner = format!("muhtarlık {}", m.code);
            if m.name.trim().is_empty() {
                problems.push(OrgProblem::Empty {
                    owner: owner.clone(),
                    field: "name",
                });
            }
            check_person(&owner, &mut m.muhtar, &mut problems);
        }
        for code in self.boundaries.0.keys() {
            if !seen_m.contains(code) {
                problems.push(OrgProblem::BoundaryOfUnknownMuhtarlik {
                    code: code.to_string(),
                });
            }
        }
        for (role, unit) in [
            ("tenant.coordinator_unit", &self.tenant.coordinator_unit),
            ("tenant.reporting_unit", &self.tenant.reporting_unit),
        ] {
            match self.units.iter().find(|u| &u.code == unit) {
                None => problems.push(OrgProblem::UnknownUnit {
                    role: role.into(),
                    unit: unit.to_string(),
                }),
                Some(u) if !u.active => problems.push(OrgProblem::InactiveTarget {
                    role: role.into(),
                    unit: unit.to_string(),
                }),
                Some(_) => {}
            }
        }
        if problems.is_empty() && self.reporting_official().is_none() {
            problems.push(OrgProblem::NoOfficial {
                unit: self.tenant.reporting_unit.to_string(),
            });
        }
        problems
    }
}

impl Organisation {
    /// Every name and text that can reach an e-mail header, a report or a feed, checked
    /// for [`is_forbidden_in_name`] characters.
    fn check_texts(&self, problems: &mut Vec<OrgProblem>) {
        let mut check = |owner: &dyn Fn() -> String, field: &'static str, text: &str| {
            if let Some(character) = text.chars().find(|&c| is_forbidden_in_name(c)) {
                problems.push(OrgProblem::ForbiddenCharacter {
                    owner: owner(),
                    field,
                    character,
                    line: 0,
                });
            }
        };
        check(
            &|| format!("tenant {}", self.tenant.id),
            "name",
            &self.tenant.name,
        );
        for u in &self.units {
            let owner = || format!("unit {}", u.code);
            check(&owner, "name", &u.name);
            check(&owner, "province", u.province.as_deref().unwrap_or(""));
            check(&owner, "district", u.district.as_deref().unwrap_or(""));
            for (i, p) in u.liaison.iter().enumerate() {
                check(
                    &|| format!("unit {} / liaison {}", u.code, i + 1),
                    "name",
                    &p.name,
                );
            }
            if let Some(o) = &u.official {
                check(
                    &|| format!("unit {} / official", u.code),
                    "name",
                    &o.person.name,
                );
            }
        }
        for m in &self.muhtarliklar {
            let owner = || format!("muhtarlık {}", m.code);
            check(&owner, "name", &m.name);
            check(&owner, "district", &m.district);
            check(&owner, "province", &m.province);
            check(
                &|| format!("muhtarlık {} / muhtar", m.code),
                "name",
                &m.muhtar.name,
            );
        }
        for c in &self.categories {
            let owner = || format!("category {}", c.code);
            check(&owner, "code", &c.code);
            check(&owner, "name", &c.name);
            check(&owner, "group", c.group.as_deref().unwrap_or(""));
            for k in &c.keywords {
                check(&owner, "keywords", k);
            }
            for a in &c.attributes {
                let owner = || format!("category {} / attribute {}", c.code, a.code);
                check(&owner, "code", &a.code);
                check(&owner, "description", &a.description);
                for v in &a.values {
                    check(&owner, "key", &v.key);
                    check(&owner, "name", &v.name);
                }
            }
        }
        for r in &self.reasons {
            let owner = || format!("reason {}", r.code);
            check(&owner, "code", &r.code);
            check(&owner, "name", &r.name);
            check(&owner, "name_en", &r.name_en);
        }
    }
}

/// Fills in the line of each [`OrgProblem::ForbiddenCharacter`] from the file: the
/// first line (not yet given to another problem) whose key is the field and whose value
/// holds the character. A value may be a multi-line string or sit in an inline table.
fn forbidden_lines(text: &str, problems: &mut [OrgProblem]) {
    if !problems
        .iter()
        .any(|p| matches!(p, OrgProblem::ForbiddenCharacter { .. }))
    {
        return;
    }
    // (line, key, value) of every string value in the file.
    let mut values: Vec<(usize, String, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        // A value is one line, or runs to the line that closes its multi-line string.
        let mut end = i;
        let mut chunk = lines[i].to_owned();
        while toml::from_str::<toml::Table>(&chunk).is_err()
            && end + 1 < lines.len()
            && end < i + 200
        {
            end += 1;
            chunk.push('\n');
            chunk.push_str(lines[end]);
        }
        match toml::from_str::<toml::Table>(&chunk) {
            Ok(t) => {
                collect_strings(&t, i + 1, &mut values);
                i = end + 1;
            }
            Err(_) => i += 1,
        }
    }
    let mut used = vec![false; values.len()];
    for p in problems {
        if let OrgProblem::ForbiddenCharacter {
            field,
            character,
            line,
            ..
        } = p
        {
            if let Some(n) = values
                .iter()
                .enumerate()
                .position(|(n, (_, k, v))| !used[n] && k == field && v.contains(*character))
            {
                used[n] = true;
                *line = values[n].0;
            }
        }
    }
}

fn collect_strings(t: &toml::Table, line: usize, out: &mut Vec<(usize, String, String)>) {
    for (k, v) in t {
        match v {
            toml::Value::String(s) => out.push((line, k.clone(), s.clone())),
            toml::Value::Table(t) => collect_strings(t, line, out),
            toml::Value::Array(items) => {
                for item in items {
                    match item {
                        toml::Value::String(s) => out.push((line, k.clone(), s.clone())),
                        toml::Value::Table(t) => collect_strings(t, line, out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_email(owner: &str, email: &Option<String>, problems: &mut Vec<OrgProblem>) {
    if let Some(e) = email {
        if !is_valid_email(e) {
            problems.push(OrgProblem::InvalidEmail {
                owner: owner.to_owned(),
                value: e.clone(),
            });
        }
    }
}

fn check_person(owner: &str, p: &mut Person, problems: &mut Vec<OrgProblem>) {
    if p.name.trim().is_empty() {
        problems.push(OrgProblem::Empty {
            owner: owner.to_owned(),
            field: "person name",
        });
    }
    check_email(owner, &p.email, problems);
    if let Some(ph) = &p.phone {
        match normalize_phone(ph) {
            Some(n) => p.phone = Some(n),
            None => problems.push(OrgProblem::InvalidPhone {
                owner: owner.to_owned(),
                value: ph.clone(),
            }),
        }
    }
}
