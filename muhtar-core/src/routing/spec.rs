//! The rule-set document a coordinator edits, and how it is read from TOML.
//!
//! ```toml
//! version = "2025-03"            # any text; a content hash is added to it
//! fallback = "muhtarliklar-db"   # optional: default is the tenant's coordinator unit
//!
//! [[rule]]
//! name = "yarali-hayvan"
//! category = "yarali-hayvan"     # a value or a list; all listed conditions must hold
//! target = "veteriner-mud"       # a unit code...
//!
//! [[rule]]
//! name = "guvenlik"
//! category = "guvenlik-asayis"
//! target = { relative = "governorship" }   # ...or a target resolved per request
//!
//! [[rule]]
//! name = "sahil"
//! inside_muhtarlik = ["kuzguncuk", "beylerbeyi"]   # located inside one of these boundaries
//! target = "sahil-mud"
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::org::line_of;
use crate::request::{Channel, Priority, RequestKind};

use super::geo::Polygon;
use super::problem::RoutingError;

/// A whole rule set as written, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSetSpec {
    /// The coordinator's version label, e.g. `2025-03`.
    pub version: String,
    /// The fallback unit (the manual triage queue); `None`: the tenant's coordinator unit.
    pub fallback: Option<String>,
    /// Line of `fallback` in the file (0 if absent or not from a file).
    #[serde(skip)]
    pub fallback_line: usize,
    /// The rules, in order: the first that matches (and whose target resolves) decides.
    pub rules: Vec<RuleSpec>,
}

/// One rule: a name, conditions and a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Unique name, shown in explanations and recorded on the routed event.
    pub name: String,
    /// 1-based line of the rule in its file (0 if not from a file).
    #[serde(skip)]
    pub line: usize,
    /// When it applies.
    pub when: Conditions,
    /// Where it sends the request.
    pub target: Target,
}

/// Conditions of a rule. Every non-empty condition must hold (AND); within one condition
/// any listed value may match (OR). An empty list means "any".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Conditions {
    /// Category codes.
    pub categories: Vec<String>,
    /// Category groups (the `group` of the organisation's categories).
    pub groups: Vec<String>,
    /// Request kinds (talep, öneri, şikâyet, bilgi edinme).
    pub kinds: Vec<RequestKind>,
    /// Channels.
    pub channels: Vec<Channel>,
    /// Priorities.
    pub priorities: Vec<Priority>,
    /// Muhtarlık codes.
    pub muhtarliklar: Vec<String>,
    /// Districts (ilçe), compared with Turkish case folding.
    pub districts: Vec<String>,
    /// Provinces (il), compared with Turkish case folding.
    pub provinces: Vec<String>,
    /// Keywords: any of them at the start of a word in the subject or the description,
    /// compared with Turkish case folding (see [`super::text`]).
    pub keywords: Vec<String>,
    /// The request's location lies inside this polygon; a request without a location
    /// does not match.
    pub area: Option<Polygon>,
    /// Muhtarlık codes (`inside_muhtarlik`): the request's location lies inside the
    /// boundary of one of them (the organisation's boundaries; the line counts as
    /// inside), whatever the request's own muhtarlık; a request without a location does
    /// not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inside_muhtarliklar: Vec<String>,
}

impl Conditions {
    /// Whether no condition is set.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.groups.is_empty()
            && self.kinds.is_empty()
            && self.channels.is_empty()
            && self.priorities.is_empty()
            && self.muhtarliklar.is_empty()
            && self.districts.is_empty()
            && self.provinces.is_empty()
            && self.keywords.is_empty()
            && self.area.is_none()
            && self.inside_muhtarliklar.is_empty()
    }
}

/// A unit relative to the request, found through the organisation tree by the request's
/// province and district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relative {
    /// Valilik: the governorship of the request's province.
    Governorship,
    /// Kaymakamlık: the district governorship of the request's district.
    DistrictGovernorship,
    /// İlçe belediyesi: the district municipality of the request's district.
    DistrictMunicipality,
    /// Büyükşehir belediyesi: the metropolitan municipality of the request's province.
    MetropolitanMunicipality,
    /// İl belediyesi: the provincial municipality of the request's province.
    ProvincialMunicipality,
    /// The metropolitan municipality of the province, or its provincial municipality where
    /// there is no metropolitan one.
    ProvinceMunicipality,
}

crate::names::named_enum! {
    impl Relative: "relative unit" {
        Governorship => ("governorship", "valilik"),
        DistrictGovernorship => ("district-governorship", "kaymakamlık"),
        DistrictMunicipality => ("district-municipality", "ilçe belediyesi"),
        MetropolitanMunicipality => ("metropolitan-municipality", "büyükşehir belediyesi"),
        ProvincialMunicipality => ("provincial-municipality", "il belediyesi"),
        ProvinceMunicipality => ("province-municipality", "ilin büyükşehir ya da il belediyesi"),
    }
}

/// Where a rule sends a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Target {
    /// A unit, by code: `target = "asfalt-mud"`.
    Unit(String),
    /// A unit found per request: `target = { relative = "district-municipality", child = "temizlik" }`.
    Relative {
        /// The anchor unit, relative to the request.
        relative: Relative,
        /// A unit below the anchor whose code is `child` or ends with `-child` (the nearest
        /// one); `None`: the anchor itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        child: Option<String>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unit(u) => write!(f, "unit {u}"),
            Target::Relative {
                relative,
                child: None,
            } => write!(f, "the {} of the request", relative.as_str()),
            Target::Relative {
                relative,
                child: Some(c),
            } => write!(
                f,
                "unit \"{c}\" of the {} of the request",
                relative.as_str()
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> From<Option<OneOrMany<T>>> for Maybe<T> {
    fn from(v: Option<OneOrMany<T>>) -> Self {
        Maybe(match v {
            None => None,
            Some(OneOrMany::One(t)) => Some(vec![t]),
            Some(OneOrMany::Many(v)) => Some(v),
        })
    }
}

/// `None`: the condition is absent; `Some(empty)`: written as `[]`.
pub(crate) struct Maybe<T>(pub(crate) Option<Vec<T>>);

impl<T> Maybe<T> {
    /// The values (empty: absent or `[]`), noting `name` in `empty` when written as `[]`.
    pub(crate) fn take(self, name: &'static str, empty: &mut EmptyLists) -> Vec<T> {
        match self.0 {
            Some(v) if v.is_empty() => {
                empty.push(name);
                v
            }
            Some(v) => v,
            None => Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    fallback: Option<toml::Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Spanned<RawRule>>,
}

/// Declares the TOML table of a rule: `name`, the condition keys every rule shares
/// (category, group, kind, channel, priority, muhtarlik, district, province, keywords,
/// area, inside_muhtarlik) and the rule's own fields, with `conditions()` to read the shared ones. Routing
/// rules and policy rules ([`crate::regime`]) are declared with it.
macro_rules! raw_rule {
    ($(#[$m:meta])* struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            pub(crate) name: String,
            #[serde(default)]
            category: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            group: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            kind: Option<$crate::routing::spec::OneOrMany<$crate::request::RequestKind>>,
            #[serde(default)]
            channel: Option<$crate::routing::spec::OneOrMany<$crate::request::Channel>>,
            #[serde(default)]
            priority: Option<$crate::routing::spec::OneOrMany<$crate::request::Priority>>,
            #[serde(default)]
            muhtarlik: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            district: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            province: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            keywords: Option<$crate::routing::spec::OneOrMany<String>>,
            #[serde(default)]
            area: Option<Vec<[f64; 2]>>,
            #[serde(default)]
            inside_muhtarlik: Option<$crate::routing::spec::OneOrMany<String>>,
            $($(#[$fm])* pub(crate) $field: $ty,)*
        }

        impl $name {
            /// The shared conditions, and those written as an empty list (taken out).
            pub(crate) fn conditions(
                &mut self,
            ) -> ($crate::routing::Conditions, $crate::routing::spec::EmptyLists) {
                use $crate::routing::spec::Maybe;
                let mut empty = Vec::new();
                let categories = Maybe::from(self.category.take()).take("category", &mut empty);
                let groups = Maybe::from(self.group.take()).take("group", &mut empty);
                let muhtarliklar = Maybe::from(self.muhtarlik.take()).take("muhtarlik", &mut empty);
                let districts = Maybe::from(self.district.take()).take("district", &mut empty);
                let provinces = Maybe::from(self.province.take()).take("province", &mut empty);
                let keywords = Maybe::from(self.keywords.take()).take("keywords", &mut empty);
                let kinds = Maybe::from(self.kind.take()).take("kind", &mut empty);
                let channels = Maybe::from(self.channel.take()).take("channel", &mut empty);
                let priorities = Maybe::from(self.priority.take()).take("priority", &mut empty);
                let inside_muhtarliklar = Maybe::from(self.inside_muhtarlik.take())
                    .take("inside_muhtarlik", &mut empty);
                (
                    $crate::routing::Conditions {
                        categories,
                        groups,
                        kinds,
                        channels,
                        priorities,
                        muhtarliklar,
                        districts,
                        provinces,
                        keywords,
                        area: self.area.take().map($crate::routing::Polygon),
                        inside_muhtarliklar,
                    },
                    empty,
                )
            }
        }
    };
}
pub(crate) use raw_rule;

raw_rule! {
    /// A routing rule as written.
    struct RawRule {
        target: Target,
    }
}

/// Conditions written as an empty list (`category = []`), reported by validation.
pub(crate) type EmptyLists = Vec<&'static str>;

impl RuleSetSpec {
    /// Reads a rule set from TOML (without validating it against an organisation).
    ///
    /// Unknown keys, unknown enum values (kind, channel, priority, relative) and malformed
    /// values are parse errors with their line.
    pub fn from_toml_str(text: &str) -> Result<Self, RoutingError> {
        Self::parse(text).map(|(s, _)| s)
    }

    pub(crate) fn parse(text: &str) -> Result<(Self, Vec<EmptyLists>), RoutingError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RoutingError::Parse {
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
            message: e.message().trim().to_owned(),
        })?;
        let headers = table_header_lines(text, "rule");
        let count = raw.rules.len();
        let mut empties = Vec::with_capacity(count);
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, spanned) in raw.rules.into_iter().enumerate() {
            let line = if headers.len() == count {
                headers[i]
            } else {
                line_of(text, spanned.span().start)
            };
            let mut r = spanned.into_inner();
            let (when, empty) = r.conditions();
            empties.push(empty);
            rules.push(RuleSpec {
                name: r.name,
                line,
                when,
                target: r.target,
            });
        }
        let (fallback, fallback_line) = match raw.fallback {
            Some(f) => {
                let line = line_of(text, f.span().start);
                (Some(f.into_inner()), line)
            }
            None => (None, 0),
        };
        Ok((
            RuleSetSpec {
                version: raw.version.unwrap_or_else(|| "unversioned".into()),
                fallback,
                fallback_line,
                rules,
            },
            empties,
        ))
    }
}

/// Lines of `[[table]]` headers (e.g. `[[rule]]`), in order.
pub(crate) fn table_header_lines(text: &str, table: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix("[[")
                .map(|r| r.trim_start())
                .and_then(|r| r.strip_prefix(table))
                .map(|r| r.trim_start())
                .is_some_and(|r| r.starts_with("]]"))
        })
        .map(|(i, _)| i + 1)
        .collect()
}
