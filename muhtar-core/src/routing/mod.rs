//! Routing: which unit a request goes to, and why.
//!
//! A [`RuleSet`] is an ordered list of rules a coordinator edits as TOML (see
//! [`RuleSetSpec`] for the format); the first rule whose conditions hold and whose target
//! resolves to an active unit decides, and the tenant's fallback (the coordinator's manual
//! triage queue) catches everything else, so no request is ever left without a unit.
//!
//! A rule set is validated whole before use ([`RuleSet::from_toml_str`]): every problem
//! comes with the rule's name, its line and a [`Severity`]. Rules are compiled into an
//! index by category, so deciding evaluates only the rules whose category condition can
//! hold, in rule order; [`RuleSet::decide_naive`] is the plain first-match reference.
//!
//! ```
//! use muhtar_core::routing::RuleSet;
//! # let org = muhtar_core::testkit::fixtures::organisation("demo");
//! # let unit = org.units.iter().find(|u| u.active && u.code != org.tenant.coordinator_unit).unwrap().code.clone();
//! # let category = org.categories[0].code.clone();
//! let text = format!(r#"
//! version = "2025-03"
//!
//! [[rule]]
//! name = "first"
//! category = "{category}"
//! target = "{unit}"
//! "#);
//! let (rules, warnings) = RuleSet::from_toml_str(&text, &org).unwrap();
//! assert!(warnings.is_empty());
//! assert!(rules.version_label().starts_with("2025-03+"));
//! ```

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{MuhtarlikCode, UnitCode};
use crate::org::{Organisation, UnitKind};
use crate::request::RequestContent;

mod explain;
pub mod geo;
mod problem;
pub(crate) mod spec;
pub mod text;

pub use explain::{Applied, Attempt, AttemptOutcome, Check, Condition, Explanation};
pub use geo::Polygon;
pub use problem::{Problem, ProblemKind, RoutingError, Severity};
pub use spec::{Conditions, Relative, RuleSetSpec, RuleSpec, Target};

use text::{contains_word_prefix, fold};

/// The name recorded when no rule applied.
pub const FALLBACK_RULE: &str = "fallback";

/// The outcome of routing one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The unit.
    pub unit: UnitCode,
    /// The rule that chose it ([`FALLBACK_RULE`] when none applied).
    pub rule: String,
    /// The rule set's version label (`version+hash`), recorded on the routed event.
    pub rule_set_version: String,
    /// Why: the rule applied, the conditions that held and the rules tried before it.
    pub explanation: Explanation,
}

/// One compiled rule.
#[derive(Debug, Clone)]
struct Compiled {
    name: String,
    line: usize,
    matcher: Matcher,
    target: Target,
    target_text: String,
}

/// A rule's conditions, compiled: folded places and keywords, the area's bounding box.
/// Shared by routing rules and policy rules ([`crate::regime`]).
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    when: spec::Conditions,
    districts: Vec<String>,
    provinces: Vec<String>,
    keywords: Vec<String>,
    bbox: Option<(f64, f64, f64, f64)>,
    /// The boundaries of `inside_muhtarlik`, from the organisation compiled against.
    inside: crate::map::Boundaries,
}

/// A validated, compiled rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    spec: RuleSetSpec,
    hash: String,
    label: String,
    fallback: UnitCode,
    rules: Vec<Compiled>,
    /// Rules whose category condition can hold for a category, by category code.
    by_category: HashMap<String, Vec<u32>>,
    /// Rules with no category or group condition.
    any_category: Vec<u32>,
    /// Category code to group, from the organisation the set was compiled against.
    group_of: HashMap<String, String>,
}

/// What one rule means against an organisation, for validation.
pub(crate) struct Meaning {
    /// Categories it can match (`None`: any).
    pub(crate) cats: Option<BTreeSet<String>>,
    /// Indices of the active muhtarlıklar it can match (`None`: any).
    pub(crate) scope: Option<BTreeSet<usize>>,
    /// Whether its target resolves to an active unit for every request it matches.
    pub(crate) always: bool,
    pub(crate) keywords: Vec<String>,
    pub(crate) has_errors: bool,
}

impl RuleSet {
    /// A rule set that sends everything to the tenant's coordinator unit.
    pub fn fallback_only(org: &Organisation) -> Self {
        Self {
            spec: RuleSetSpec {
                version: FALLBACK_RULE.into(),
                fallback: None,
                fallback_line: 0,
                rules: Vec::new(),
            },
            hash: String::new(),
            label: FALLBACK_RULE.into(),
            fallback: org.tenant.coordinator_unit.clone(),
            rules: Vec::new(),
            by_category: HashMap::new(),
            any_category: Vec::new(),
            group_of: HashMap::new(),
        }
    }

    /// Parses, validates and compiles a rule set from TOML against the tenant's
    /// organisation. Returns the rule set and its warnings, or every problem found
    /// (warnings included) when there is at least one error.
    pub fn from_toml_str(
        text: &str,
        org: &Organisation,
    ) -> Result<(Self, Vec<Problem>), RoutingError> {
        let (spec, empties) = RuleSetSpec::parse(text)?;
        Self::build(spec, &empties, org)
    }

    /// Loads a stored rule set for routing. Routing must never stop, so a rule set that no
    /// longer validates (e.g. after a unit was deactivated in the organisation) is replaced
    /// by [`Self::fallback_only`] with the version label `fallback:invalid-rules`, and the
    /// error is returned beside it for the caller to report.
    pub fn from_stored(text: &str, org: &Organisation) -> (Self, Option<RoutingError>) {
        match Self::from_toml_str(text, org) {
            Ok((rules, _)) => (rules, None),
            Err(e) => {
                let mut rules = Self::fallback_only(org);
                rules.label = "fallback:invalid-rules".into();
                (rules, Some(e))
            }
        }
    }

    /// Validates and compiles a rule set built in code.
    pub fn compile(
        spec: RuleSetSpec,
        org: &Organisation,
    ) -> Result<(Self, Vec<Problem>), RoutingError> {
        Self::build(spec, &[], org)
    }

    /// Every problem of a rule set, without compiling it (errors and warnings, by line).
    pub fn check(spec: &RuleSetSpec, org: &Organisation) -> Vec<Problem> {
        validate(spec, &[], org).0
    }

    fn build(
        spec: RuleSetSpec,
        empties: &[spec::EmptyLists],
        org: &Organisation,
    ) -> Result<(Self, Vec<Problem>), RoutingError> {
        let (problems, meanings) = validate(&spec, empties, org);
        if problems.iter().any(Problem::is_error) {
            return Err(RoutingError::Invalid { problems });
        }
        let fallback = spec
            .fallback
            .as_deref()
            .and_then(|f| UnitCode::new(f).ok())
            .unwrap_or_else(|| org.tenant.coordinator_unit.clone());
        let mut by_category: HashMap<String, Vec<u32>> = HashMap::new();
        let mut any_category = Vec::new();
        let mut rules = Vec::with_capacity(spec.rules.len());
        for (i, (r, m)) in spec.rules.iter().zip(meanings).enumerate() {
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            match &m.cats {
                None => any_category.push(idx),
                Some(cats) => {
                    for c in cats {
                        by_category.entry(c.clone()).or_default().push(idx);
                    }
                }
            }
            rules.push(Compiled {
                name: r.name.clone(),
                line: r.line,
                matcher: Matcher::new(&r.when, org),
                target_text: r.target.to_string(),
                target: r.target.clone(),
            });
        }
        let hash = {
            let bytes = serde_json::to_vec(&spec).unwrap_or_default();
            hex::encode(Sha256::digest(&bytes))
        };
        let label = format!("{}+{}", spec.version, &hash[..12]);
        let group_of = org
            .categories
            .iter()
            .filter_map(|c| c.group.clone().map(|g| (c.code.clone(), g)))
            .collect();
        let warnings = problems;
        Ok((
            Self {
                spec,
                hash,
                label,
                fallback,
                rules,
                by_category,
                any_category,
                group_of,
            },
            warnings,
        ))
    }

    /// The coordinator's version label from the file (`fallback` for [`Self::fallback_only`]).
    pub fn version(&self) -> &str {
        &self.spec.version
    }

    /// SHA-256 (hex) of the rule set's content (comments and layout excluded); empty for
    /// [`Self::fallback_only`].
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// `version+first 12 hex digits of the hash`: what routed events record.
    pub fn version_label(&self) -> &str {
        &self.label
    }

    /// The fallback unit.
    pub fn fallback(&self) -> &UnitCode {
        &self.fallback
    }

    /// The rule set as written.
    pub fn spec(&self) -> &RuleSetSpec {
        &self.spec
    }

    /// Number of rules (the fallback not counted).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rules (only the fallback).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Routes one request: the first rule, in order, whose conditions hold and whose target
    /// resolves to an active unit; else the fallback. Only the rules the category index
    /// admits are evaluated. `org` must be the organisation the set was compiled against.
    pub fn decide(&self, org: &Organisation, request: &RequestContent) -> Decision {
        let cat: &[u32] = self
            .by_category
            .get(request.category.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        self.run(org, request, Merge::new(cat, &self.any_category))
    }

    /// Routes one request by evaluating every rule in order (the reference the indexed
    /// [`Self::decide`] must agree with; explanations list every rule tried).
    pub fn decide_naive(&self, org: &Organisation, request: &RequestContent) -> Decision {
        let n = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
        self.run(org, request, 0..n)
    }

    fn run(
        &self,
        org: &Organisation,
        req: &RequestContent,
        candidates: impl Iterator<Item = u32>,
    ) -> Decision {
        let facts = Facts::new(req);
        let mut tried = Vec::new();
        for idx in candidates {
            let Some(rule) = self.rules.get(idx as usize) else {
                continue;
            };
            match rule.matcher.check(req, &facts, &self.group_of) {
                Err(failed) => tried.push(Attempt {
                    rule: rule.name.clone(),
                    line: rule.line,
                    outcome: AttemptOutcome::NoMatch { failed },
                }),
                Ok(held) => match resolve(org, &rule.target, &req.province, &req.district) {
                    Ok(unit) => {
                        let skipped = (idx as usize).saturating_sub(tried.len());
                        return Decision {
                            unit,
                            rule: rule.name.clone(),
                            rule_set_version: self.label.clone(),
                            explanation: Explanation {
                                applied: Applied {
                                    rule: rule.name.clone(),
                                    line: rule.line,
                                    fallback: false,
                                    held,
                                    target: rule.target_text.clone(),
                                    note: None,
                                },
                                tried,
                                skipped_by_index: skipped,
                            },
                        };
                    }
                    Err(reason) => tried.push(Attempt {
                        rule: rule.name.clone(),
                        line: rule.line,
                        outcome: AttemptOutcome::TargetUnavailable {
                            held,
                            target: rule.target_text.clone(),
                            reason,
                        },
                    }),
                },
            }
        }
        let skipped = self.rules.len().saturating_sub(tried.len());
        let (unit, note) = match org.check_target(&self.fallback) {
            Ok(_) => (self.fallback.clone(), None),
            Err(e) => (
                org.tenant.coordinator_unit.clone(),
                Some(format!(
                    "the fallback is unavailable ({e}); sent to the coordinator unit {}",
                    org.tenant.coordinator_unit
                )),
            ),
        };
        Decision {
            rule: FALLBACK_RULE.into(),
            rule_set_version: self.label.clone(),
            explanation: Explanation {
                applied: Applied {
                    rule: FALLBACK_RULE.into(),
                    line: self.spec.fallback_line,
                    fallback: true,
                    held: Vec::new(),
                    target: format!("unit {unit}"),
                    note,
                },
                tried,
                skipped_by_index: skipped,
            },
            unit,
        }
    }
}

impl Matcher {
    /// Compiles conditions against the organisation (its boundaries).
    pub(crate) fn new(when: &spec::Conditions, org: &Organisation) -> Self {
        Self {
            districts: when.districts.iter().map(|d| fold(d)).collect(),
            provinces: when.provinces.iter().map(|p| fold(p)).collect(),
            keywords: when.keywords.iter().map(|k| fold(k)).collect(),
            bbox: when.area.as_ref().map(Polygon::bbox),
            inside: crate::map::Boundaries(
                org.boundaries
                    .0
                    .iter()
                    .filter(|(c, _)| when.inside_muhtarliklar.iter().any(|i| i == c.as_str()))
                    .map(|(c, s)| (c.clone(), s.clone()))
                    .collect(),
            ),
            when: when.clone(),
        }
    }

    /// Checks a rule's conditions in a fixed order: the ones that held, or the first that
    /// failed.
    pub(crate) fn check(
        &self,
        req: &RequestContent,
        facts: &Facts,
        group_of: &HashMap<String, String>,
    ) -> Result<Vec<Check>, Check> {
        let r = self;
        let w = &r.when;
        let mut held = Vec::new();
        let mut test = |ok: bool, condition: Condition, detail: &dyn Fn(bool) -> String| {
            if ok {
                held.push(Check {
                    condition,
                    detail: detail(true),
                });
                Ok(())
            } else {
                Err(Check {
                    condition,
                    detail: detail(false),
                })
            }
        };
        fn is(ok: bool) -> &'static str {
            if ok {
                "is"
            } else {
                "is not"
            }
        }
        if !w.categories.is_empty() {
            let ok = w.categories.iter().any(|c| c == &req.category);
            test(ok, Condition::Category, &|ok| {
                format!("category {:?} {} listed", req.category, is(ok))
            })?;
        }
        if !w.groups.is_empty() {
            let g = group_of.get(&req.category);
            let ok = g.is_some_and(|g| w.groups.contains(g));
            test(ok, Condition::Group, &|ok| match g {
                Some(g) => format!("group {g:?} {} listed", is(ok)),
                None => format!("category {:?} has no group", req.category),
            })?;
        }
        if !w.kinds.is_empty() {
            let ok = w.kinds.contains(&req.kind);
            test(ok, Condition::Kind, &|ok| {
                format!("kind {:?} {} listed", req.kind, is(ok))
            })?;
        }
        if !w.channels.is_empty() {
            let ok = w.channels.contains(&req.channel);
            test(ok, Condition::Channel, &|ok| {
                format!("channel {:?} {} listed", req.channel, is(ok))
            })?;
        }
        if !w.priorities.is_empty() {
            let ok = w.priorities.contains(&req.priority);
            test(ok, Condition::Priority, &|ok| {
                format!("priority {:?} {} listed", req.priority, is(ok))
            })?;
        }
        if !w.muhtarliklar.is_empty() {
            let ok = w.muhtarliklar.iter().any(|m| m == req.muhtarlik.as_str());
            test(ok, Condition::Muhtarlik, &|ok| {
                format!("muhtarlık {:?} {} listed", req.muhtarlik.as_str(), is(ok))
            })?;
        }
        if !r.districts.is_empty() {
            let ok = r.districts.contains(facts.district());
            test(ok, Condition::District, &|ok| {
                format!("district {:?} {} listed", req.district, is(ok))
            })?;
        }
        if !r.provinces.is_empty() {
            let ok = r.provinces.contains(facts.province());
            test(ok, Condition::Province, &|ok| {
                format!("province {:?} {} listed", req.province, is(ok))
            })?;
        }
        if !r.keywords.is_empty() {
            let text = facts.text();
            let found = r.keywords.iter().find(|k| contains_word_prefix(text, k));
            test(found.is_some(), Condition::Keywords, &|_| match found {
                Some(k) => format!("keyword {k:?} found in the subject or description"),
                None => "no keyword found in the subject or description".into(),
            })?;
        }
        if let Some(area) = &w.area {
            let ok = req.location.as_ref().is_some_and(|l| {
                r.bbox.is_some_and(|(a, b, c, d)| {
                    (a..=b).contains(&l.lat) && (c..=d).contains(&l.lon)
                }) && area.contains(l.lat, l.lon)
            });
            test(ok, Condition::Area, &|ok| match &req.location {
                Some(l) => format!("location ({}, {}) {} inside the area", l.lat, l.lon, is(ok)),
                None => "the request has no location".into(),
            })?;
        }
        if !w.inside_muhtarliklar.is_empty() {
            let found = req
                .location
                .as_ref()
                .and_then(|l| r.inside.muhtarlik_at(l.lon, l.lat));
            test(
                found.is_some(),
                Condition::InsideMuhtarlik,
                &|_| match (&req.location, found) {
                    (Some(l), Some(m)) => {
                        format!("location ({}, {}) is inside muhtarlık {m}", l.lat, l.lon)
                    }
                    (Some(l), None) => format!(
                        "location ({}, {}) is inside none of the muhtarlıklar {}",
                        l.lat,
                        l.lon,
                        w.inside_muhtarliklar.join(", ")
                    ),
                    (None, _) => "the request has no location".into(),
                },
            )?;
        }
        Ok(held)
    }
}

/// Facts of a request computed once per decision, on first use.
pub(crate) struct Facts<'a> {
    req: &'a RequestContent,
    district: OnceCell<String>,
    province: OnceCell<String>,
    text: OnceCell<String>,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(req: &'a RequestContent) -> Self {
        Self {
            req,
            district: OnceCell::new(),
            province: OnceCell::new(),
            text: OnceCell::new(),
        }
    }
    fn district(&self) -> &String {
        self.district.get_or_init(|| fold(&self.req.district))
    }
    fn province(&self) -> &String {
        self.province.get_or_init(|| fold(&self.req.province))
    }
    fn text(&self) -> &str {
        self.text
            .get_or_init(|| fold(&format!("{}\n{}", self.req.subject, self.req.description)))
    }
}

/// Merges two ascending lists of rule indices into one ascending sequence, without
/// duplicates.
struct Merge<'a> {
    a: &'a [u32],
    b: &'a [u32],
}

impl<'a> Merge<'a> {
    fn new(a: &'a [u32], b: &'a [u32]) -> Self {
        Self { a, b }
    }
}

impl Iterator for Merge<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match (self.a.first(), self.b.first()) {
            (None, None) => None,
            (Some(&x), None) => {
                self.a = &self.a[1..];
                Some(x)
            }
            (None, Some(&y)) => {
                self.b = &self.b[1..];
                Some(y)
            }
            (Some(&x), Some(&y)) => {
                if x <= y {
                    self.a = &self.a[1..];
                    if x == y {
                        self.b = &self.b[1..];
                    }
                    Some(x)
                } else {
                    self.b = &self.b[1..];
                    Some(y)
                }
            }
        }
    }
}

fn same_place(unit_value: &Option<String>, request_value: &str) -> bool {
    unit_value
        .as_deref()
        .is_some_and(|v| text::eq_folded(v, request_value))
}

/// Resolves a target for a request in `province` / `district` to an active unit, or says
/// why it cannot.
pub fn resolve(
    org: &Organisation,
    target: &Target,
    province: &str,
    district: &str,
) -> Result<UnitCode, String> {
    match target {
        Target::Unit(code) => {
            let code = UnitCode::new(code.as_str()).map_err(|e| e.to_string())?;
            org.check_target(&code)
                .map(|u| u.code.clone())
                .map_err(|e| e.to_string())
        }
        Target::Relative { relative, child } => {
            let province_ok =
                |u: &crate::org::Unit| u.province.is_none() || same_place(&u.province, province);
            let anchors: Vec<&crate::org::Unit> = {
                let by_kind = |kind: UnitKind, with_district: bool| -> Vec<&crate::org::Unit> {
                    org.units
                        .iter()
                        .filter(|u| u.kind == kind)
                        .filter(|u| {
                            if with_district {
                                same_place(&u.district, district) && province_ok(u)
                            } else {
                                same_place(&u.province, province)
                            }
                        })
                        .collect()
                };
                match relative {
                    Relative::Governorship => by_kind(UnitKind::Governorship, false),
                    Relative::DistrictGovernorship => by_kind(UnitKind::DistrictGovernorship, true),
                    Relative::DistrictMunicipality => by_kind(UnitKind::DistrictMunicipality, true),
                    Relative::MetropolitanMunicipality => {
                        by_kind(UnitKind::MetropolitanMunicipality, false)
                    }
                    Relative::ProvincialMunicipality => {
                        by_kind(UnitKind::ProvincialMunicipality, false)
                    }
                    Relative::ProvinceMunicipality => {
                        let m = by_kind(UnitKind::MetropolitanMunicipality, false);
                        if m.is_empty() {
                            by_kind(UnitKind::ProvincialMunicipality, false)
                        } else {
                            m
                        }
                    }
                }
            };
            let place = match relative {
                Relative::DistrictGovernorship | Relative::DistrictMunicipality => {
                    format!("district {district}, province {province}")
                }
                _ => format!("province {province}"),
            };
            if anchors.is_empty() {
                return Err(format!(
                    "the organisation has no {} for {place}",
                    relative.as_str()
                ));
            }
            let mut first_err = None;
            for anchor in anchors {
                let found = match child {
                    None => Some(anchor),
                    Some(child) => {
                        let suffix = format!("-{child}");
                        org.subtree(&anchor.code)
                            .into_iter()
                            .skip(1)
                            .filter_map(|c| org.unit(&c))
                            .find(|u| {
                                u.code.as_str() == child || u.code.as_str().ends_with(&suffix)
                            })
                    }
                };
                let err = match found {
                    Some(u) if u.active => return Ok(u.code.clone()),
                    Some(u) => {
                        format!("{} ({} for {place}) is inactive", u.code, relative.as_str())
                    }
                    None => format!(
                        "{} ({} for {place}) has no unit {:?} below it",
                        anchor.code,
                        relative.as_str(),
                        child.as_deref().unwrap_or_default()
                    ),
                };
                first_err.get_or_insert(err);
            }
            Err(first_err.unwrap_or_default())
        }
    }
}

/// Validates a whole rule set against an organisation.
fn validate(
    spec: &RuleSetSpec,
    empties: &[spec::EmptyLists],
    org: &Organisation,
) -> (Vec<Problem>, Vec<Meaning>) {
    let mut problems = Vec::new();
    // The fallback.
    let fallback = spec
        .fallback
        .clone()
        .unwrap_or_else(|| org.tenant.coordinator_unit.to_string());
    let fb = |kind| Problem::new(None, spec.fallback_line, kind);
    match UnitCode::new(fallback.as_str())
        .ok()
        .and_then(|c| org.unit(&c))
    {
        None => problems.push(fb(ProblemKind::UnknownFallback {
            unit: fallback.clone(),
        })),
        Some(u) if !u.active => problems.push(fb(ProblemKind::UnreachableFallback {
            unit: fallback.clone(),
            reason: "the unit is inactive".into(),
        })),
        Some(u) => {
            let mut cur = u.parent.as_ref().and_then(|p| org.unit(p));
            let mut steps = 0;
            while let Some(p) = cur {
                if !p.active {
                    problems.push(fb(ProblemKind::UnreachableFallback {
                        unit: fallback.clone(),
                        reason: format!("it sits below the inactive unit {}", p.code),
                    }));
                    break;
                }
                steps += 1;
                if steps > org.units.len() {
                    break;
                }
                cur = p.parent.as_ref().and_then(|q| org.unit(q));
            }
        }
    }

    let active_m = active_muhtarliklar(org);
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut meanings: Vec<Meaning> = Vec::with_capacity(spec.rules.len());

    for (i, r) in spec.rules.iter().enumerate() {
        let name = r.name.trim().to_owned();
        let mut errs = Vec::new();
        let mut push = |kind: ProblemKind| errs.push(kind);
        let w = &r.when;
        check_name(
            &name,
            r.line,
            (FALLBACK_RULE, ProblemKind::ReservedName),
            &mut names,
            &mut push,
        );
        let empty_lists = empties.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let CondMeaning {
            cats,
            scope,
            keywords,
        } = check_conditions(w, empty_lists, org, &mut push);
        if w.is_empty() && empty_lists.is_empty() {
            push(ProblemKind::EmptyConditions);
        }
        // Target.
        let mut always = false;
        match &r.target {
            Target::Unit(code) => {
                match UnitCode::new(code.as_str()).ok().and_then(|c| org.unit(&c)) {
                    None => push(ProblemKind::UnknownUnit { unit: code.clone() }),
                    Some(u) if !u.active => push(ProblemKind::InactiveUnit { unit: code.clone() }),
                    Some(_) => always = true,
                }
            }
            t @ Target::Relative { .. } => {
                let mut places: Vec<(&str, &str)> = active_m
                    .iter()
                    .filter(|(i, _)| scope.as_ref().is_none_or(|s| s.contains(i)))
                    .map(|(_, m)| (m.province.as_str(), m.district.as_str()))
                    .collect();
                places.sort_unstable();
                places.dedup();
                let ok = places
                    .iter()
                    .filter(|(p, d)| resolve(org, t, p, d).is_ok())
                    .count();
                if ok == places.len() && ok > 0 {
                    always = true;
                } else if ok == 0 {
                    push(ProblemKind::UnresolvableTarget {
                        target: t.to_string(),
                    });
                }
            }
        }
        let has_errors = errs.iter().any(|k| k.severity() == Severity::Error);
        // Shadowing by an earlier, broader rule.
        if !has_errors {
            let me = Meaning {
                cats: cats.clone(),
                scope: scope.clone(),
                always,
                keywords: keywords.clone(),
                has_errors,
            };
            if let Some(j) = (0..i).find(|&j| {
                !meanings[j].has_errors && covers(&spec.rules[j].when, &meanings[j], &r.when, &me)
            }) {
                errs.push(ProblemKind::Shadowed {
                    by: spec.rules[j].name.clone(),
                    by_line: spec.rules[j].line,
                });
            }
        }
        for kind in errs {
            problems.push(Problem::new(Some(name.clone()), r.line, kind));
        }
        meanings.push(Meaning {
            cats,
            scope,
            always,
            keywords,
            has_errors,
        });
    }
    problems.sort_by_key(|p| p.line);
    (problems, meanings)
}

/// `b ⊆ a`, where an empty list means "any".
fn subset<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.is_empty() || (!b.is_empty() && b.iter().all(|x| a.contains(x)))
}

fn opt_subset<T: Ord>(a: &Option<BTreeSet<T>>, b: &Option<BTreeSet<T>>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => b.is_subset(a),
    }
}

/// Whether the earlier rule `a` takes every request the later rule `b` matches.
/// Conservative: `false` whenever in doubt.
pub(crate) fn covers(a: &Conditions, am: &Meaning, b: &Conditions, bm: &Meaning) -> bool {
    am.always
        && opt_subset(&am.cats, &bm.cats)
        && opt_subset(&am.scope, &bm.scope)
        && subset(&a.kinds, &b.kinds)
        && subset(&a.channels, &b.channels)
        && subset(&a.priorities, &b.priorities)
        && (am.keywords.is_empty()
            || (!bm.keywords.is_empty()
                && bm
                    .keywords
                    .iter()
                    .all(|kb| am.keywords.iter().any(|ka| kb.starts_with(ka.as_str())))))
        && match (&a.area, &b.area) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(x), Some(y)) => x == y,
        }
        && subset(&a.inside_muhtarliklar, &b.inside_muhtarliklar)
}

/// A rule's name: not empty, not `reserved`, not taken by an earlier rule (`names`: name
/// to line, filled as rules are checked). Shared by routing and policy rules.
pub(crate) fn check_name(
    name: &str,
    line: usize,
    reserved: (&str, ProblemKind),
    names: &mut HashMap<String, usize>,
    push: &mut dyn FnMut(ProblemKind),
) {
    if name.is_empty() {
        push(ProblemKind::EmptyName);
    } else if name.eq_ignore_ascii_case(reserved.0) {
        push(reserved.1);
    } else if let Some(first_line) = names.get(name) {
        push(ProblemKind::DuplicateName {
            first_line: *first_line,
        });
    } else {
        names.insert(name.to_owned(), line);
    }
}

/// What a rule's conditions can match, found while checking them.
pub(crate) struct CondMeaning {
    /// Categories it can match (`None`: any).
    pub(crate) cats: Option<BTreeSet<String>>,
    /// Indices of the active muhtarlıklar it can match (`None`: any).
    pub(crate) scope: Option<BTreeSet<usize>>,
    /// Folded keywords.
    pub(crate) keywords: Vec<String>,
}

/// Checks a rule's conditions against the organisation (empty lists, unknown
/// categories, groups, muhtarlıklar and places, contradictions, keywords, the area).
/// Shared by routing and policy rules.
pub(crate) fn check_conditions(
    w: &Conditions,
    empty_lists: &[&'static str],
    org: &Organisation,
    push: &mut dyn FnMut(ProblemKind),
) -> CondMeaning {
    let active_m = active_muhtarliklar(org);
    let groups: HashSet<&str> = org
        .categories
        .iter()
        .filter_map(|c| c.group.as_deref())
        .collect();
    for c in empty_lists {
        push(ProblemKind::EmptyList {
            condition: (*c).to_owned(),
        });
    }
    // Categories and groups.
    let mut cats_known = true;
    for c in &w.categories {
        if org.category(c).is_none() {
            cats_known = false;
            push(ProblemKind::UnknownCategory { code: c.clone() });
        }
    }
    for g in &w.groups {
        if !groups.contains(g.as_str()) {
            cats_known = false;
            push(ProblemKind::UnknownGroup { group: g.clone() });
        }
    }
    let cats: Option<BTreeSet<String>> = if w.categories.is_empty() && w.groups.is_empty() {
        None
    } else {
        Some(
            org.categories
                .iter()
                .filter(|c| w.categories.is_empty() || w.categories.contains(&c.code))
                .filter(|c| {
                    w.groups.is_empty() || c.group.as_ref().is_some_and(|g| w.groups.contains(g))
                })
                .map(|c| c.code.clone())
                .collect(),
        )
    };
    if cats_known
        && cats.as_ref().is_some_and(BTreeSet::is_empty)
        && !w.categories.is_empty()
        && !w.groups.is_empty()
    {
        push(ProblemKind::NeverMatches {
            reason: "none of the listed categories belongs to the listed groups".into(),
        });
    }
    // Where.
    let mut where_known = true;
    for m in &w.muhtarliklar {
        match org.muhtarliklar.iter().find(|x| x.code.as_str() == m) {
            None => {
                where_known = false;
                push(ProblemKind::UnknownMuhtarlik { code: m.clone() });
            }
            Some(x) if !x.active => push(ProblemKind::InactiveMuhtarlik { code: m.clone() }),
            Some(_) => {}
        }
    }
    for d in &w.districts {
        if !org
            .muhtarliklar
            .iter()
            .any(|m| text::eq_folded(&m.district, d))
        {
            where_known = false;
            push(ProblemKind::UnknownDistrict {
                district: d.clone(),
            });
        }
    }
    for p in &w.provinces {
        if !org
            .muhtarliklar
            .iter()
            .any(|m| text::eq_folded(&m.province, p))
        {
            where_known = false;
            push(ProblemKind::UnknownProvince {
                province: p.clone(),
            });
        }
    }
    let scope: Option<BTreeSet<usize>> =
        if w.muhtarliklar.is_empty() && w.districts.is_empty() && w.provinces.is_empty() {
            None
        } else {
            Some(
                active_m
                    .iter()
                    .filter(|(_, m)| {
                        (w.muhtarliklar.is_empty()
                            || w.muhtarliklar.iter().any(|c| c == m.code.as_str()))
                            && (w.districts.is_empty()
                                || w.districts.iter().any(|d| text::eq_folded(d, &m.district)))
                            && (w.provinces.is_empty()
                                || w.provinces.iter().any(|p| text::eq_folded(p, &m.province)))
                    })
                    .map(|(i, _)| *i)
                    .collect(),
            )
        };
    if where_known && scope.as_ref().is_some_and(BTreeSet::is_empty) {
        push(ProblemKind::NeverMatches {
            reason: "no active muhtarlık satisfies the muhtarlık, district and province conditions together".into(),
        });
    }
    // Keywords.
    let keywords: Vec<String> = w.keywords.iter().map(|k| fold(k)).collect();
    if keywords.iter().any(String::is_empty) {
        push(ProblemKind::EmptyKeyword);
    }
    // Inside a muhtarlık's boundary.
    for m in &w.inside_muhtarliklar {
        match MuhtarlikCode::new(m.as_str())
            .ok()
            .filter(|c| org.muhtarlik(c).is_some())
        {
            None => push(ProblemKind::UnknownMuhtarlik { code: m.clone() }),
            Some(c) if org.boundaries.of(&c).is_none() => {
                push(ProblemKind::NoBoundary { code: m.clone() })
            }
            Some(_) => {}
        }
    }
    // Area.
    if let Some(p) = &w.area {
        if let Some(reason) = p.problem() {
            push(ProblemKind::InvalidPolygon { reason });
        }
    }
    CondMeaning {
        cats,
        scope,
        keywords,
    }
}

fn active_muhtarliklar(org: &Organisation) -> Vec<(usize, &crate::org::Muhtarlik)> {
    org.muhtarliklar
        .iter()
        .enumerate()
        .filter(|(_, m)| m.active)
        .collect()
}
