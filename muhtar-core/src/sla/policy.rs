//! SLA policies and the policy registry.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SlaError;
use crate::calendar::{CalendarView, CountMode};

/// The unit of a deadline length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// Takvim günü ("gün"): every day counts; the last day rolls forward.
    #[default]
    #[serde(alias = "calendar_days")]
    Calendar,
    /// İş günü: only working days count.
    #[serde(alias = "business_days")]
    Business,
}

/// What a transfer to another body does to the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reassignment {
    /// The clock keeps running from the original receipt.
    #[default]
    Keep,
    /// The clock restarts at the transfer instant (pauses and extension reset).
    Restart,
}

fn yes() -> bool {
    true
}
fn default_office_end() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 30, 0).expect("valid")
}
fn default_at_risk() -> u32 {
    3
}
fn default_fee_payment_days() -> u32 {
    15
}

fn ser_hhmm<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%H:%M").to_string())
}
fn de_hhmm<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .map_err(|_| serde::de::Error::custom(format!("invalid time {s:?}, expected HH:MM")))
}

/// A deadline policy. Deserialisable from TOML / JSON; omitted settings take the
/// defaults of docs/domain.md §3.
///
/// ```toml
/// name = "imar-10-is-gunu"
/// length = 10
/// unit = "business"          # or "calendar" (default)
/// view = "legal"             # or "operational"
/// office_end = "17:00"       # default 17:30
/// reassignment = "restart"   # or "keep" (default)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// Stable name, e.g. `genelge-2015-8`.
    pub name: String,
    /// Length of the resolution clock.
    pub length: u32,
    /// Unit of `length` (default calendar days).
    #[serde(default)]
    pub unit: DayUnit,
    /// Calendar view deadlines are computed on (default legal).
    #[serde(default)]
    pub view: CalendarView,
    /// End of office hours, Europe/Istanbul (default 17:30).
    #[serde(
        default = "default_office_end",
        serialize_with = "ser_hhmm",
        deserialize_with = "de_hhmm"
    )]
    pub office_end: NaiveTime,
    /// An arife (or 28 October) counts as a business day (default yes).
    #[serde(default = "yes")]
    pub arife_counts_as_business_day: bool,
    /// A calendar-day deadline whose last day is a half day rolls forward to the
    /// next full working day (default yes).
    #[serde(default = "yes")]
    pub roll_forward_half_day: bool,
    /// Calendar-day policies: a receipt on a non-working day starts counting at
    /// the next working day (default **no**).
    ///
    /// By default a calendar-day period starts the day after receipt, always: holidays
    /// inside a period count (HMK 92/93, docs/domain.md §3), and only a last day that is not
    /// a full working day moves. Law 3071, received Saturday 2024-04-20: day 1 is
    /// Sunday 21 April and the 30 days end Monday 2024-05-20 17:30. Kept as a setting
    /// for a tenant whose own practice defers the start to the first working day
    /// (with it, the same receipt gives Tuesday 2024-05-21 17:30).
    #[serde(default)]
    pub defer_start_after_non_working_receipt: bool,
    /// Transfer keeps or restarts the clock (default keep).
    #[serde(default)]
    pub reassignment: Reassignment,
    /// At-risk warning window in working days before the deadline (default 3; 0 = none).
    #[serde(default = "default_at_risk")]
    pub at_risk_working_days: u32,
    /// Length of the first-response clock (default: `length`). An interim reply
    /// or the answer stops it.
    #[serde(default)]
    pub first_response_length: Option<u32>,
    /// Total length after the one allowed extension (Law 4982: 30), which must be
    /// notified before the deadline passes. `None`: no extension.
    #[serde(default)]
    pub extension_length: Option<u32>,
    /// A fee notice stops the clock until paid (Law 4982). Without it a fee pause is an error.
    #[serde(default)]
    pub fee_stops_clock: bool,
    /// Law 4982 art. 12: a fee unpaid for this many business days after its notice makes
    /// the application deemed withdrawn (the sweep records it). Default 15; 0 = never.
    /// Only for policies with `fee_stops_clock`.
    #[serde(default = "default_fee_payment_days")]
    pub fee_payment_days: u32,
    /// A pause while waiting on the muhtar stops the clock (default yes).
    #[serde(default = "yes")]
    pub muhtar_pause_stops_clock: bool,
}

impl SlaPolicy {
    /// A policy with the defaults of docs/domain.md §3.
    pub fn new(name: impl Into<String>, length: u32, unit: DayUnit) -> Self {
        SlaPolicy {
            name: name.into(),
            length,
            unit,
            view: CalendarView::Legal,
            office_end: default_office_end(),
            arife_counts_as_business_day: true,
            roll_forward_half_day: true,
            defer_start_after_non_working_receipt: false,
            reassignment: Reassignment::Keep,
            at_risk_working_days: 3,
            first_response_length: None,
            extension_length: None,
            fee_stops_clock: false,
            fee_payment_days: default_fee_payment_days(),
            muhtar_pause_stops_clock: true,
        }
    }

    /// The same policy on another calendar view.
    pub fn with_view(mut self, view: CalendarView) -> Self {
        self.view = view;
        self
    }

    /// The business-day counting mode of this policy.
    pub fn count_mode(&self) -> CountMode {
        CountMode::new(self.view, self.arife_counts_as_business_day)
    }

    /// Checks the settings make sense.
    pub fn validate(&self) -> Result<(), SlaError> {
        let bad = |reason: &str| {
            Err(SlaError::InvalidPolicy {
                name: self.name.clone(),
                reason: reason.to_owned(),
            })
        };
        if self.name.trim().is_empty() {
            return bad("empty name");
        }
        if self.length == 0 || self.length > 3650 {
            return bad("length must be between 1 and 3650 days");
        }
        if self
            .first_response_length
            .is_some_and(|l| l == 0 || l > self.length)
        {
            return bad("first_response_length must be between 1 and length");
        }
        if self
            .extension_length
            .is_some_and(|l| l <= self.length || l > 3650)
        {
            return bad("extension_length must be longer than length");
        }
        Ok(())
    }

    /// Genelge 2015/8 (MBS): 15 calendar days.
    pub fn genelge_2015_8() -> Self {
        SlaPolicy::new("genelge-2015-8", 15, DayUnit::Calendar)
    }

    /// Municipal internal target: 15 business days.
    pub fn belediye_15_is_gunu() -> Self {
        SlaPolicy::new("belediye-15-is-gunu", 15, DayUnit::Business)
    }

    /// Law 3071 art. 7 (right of petition): 30 calendar days; an interim reply
    /// meets the first-response clock, the final answer the resolution clock.
    pub fn dilekce_3071() -> Self {
        SlaPolicy::new("dilekce-3071", 30, DayUnit::Calendar)
    }

    /// Law 4982 art. 11 (right to information): 15 business days, extendable
    /// once to 30 before the 15 run out; a fee notice stops the clock.
    pub fn bilgi_edinme_4982() -> Self {
        SlaPolicy {
            extension_length: Some(30),
            fee_stops_clock: true,
            ..SlaPolicy::new("bilgi-edinme-4982", 15, DayUnit::Business)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    policy: Vec<SlaPolicy>,
}

/// Policies by name: the built-in ones plus tenant policies (which may replace a
/// built-in one, e.g. to make Genelge 2015/8 count business days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRegistry {
    policies: BTreeMap<String, SlaPolicy>,
}

impl Default for PolicyRegistry {
    fn default() -> Self {
        PolicyRegistry::builtin()
    }
}

impl PolicyRegistry {
    /// The built-in policies: `genelge-2015-8`, `belediye-15-is-gunu`,
    /// `dilekce-3071`, `bilgi-edinme-4982`.
    pub fn builtin() -> Self {
        let mut policies = BTreeMap::new();
        for p in [
            SlaPolicy::genelge_2015_8(),
            SlaPolicy::belediye_15_is_gunu(),
            SlaPolicy::dilekce_3071(),
            SlaPolicy::bilgi_edinme_4982(),
        ] {
            policies.insert(p.name.clone(), p);
        }
        PolicyRegistry { policies }
    }

    /// An empty registry.
    pub fn empty() -> Self {
        PolicyRegistry {
            policies: BTreeMap::new(),
        }
    }

    /// The policy called `name`.
    pub fn get(&self, name: &str) -> Result<&SlaPolicy, SlaError> {
        self.policies
            .get(name)
            .ok_or_else(|| SlaError::UnknownPolicy {
                name: name.to_owned(),
                known: self.names().map(str::to_owned).collect(),
            })
    }

    /// Adds (or replaces) a policy after validating it; returns the replaced one.
    pub fn insert(&mut self, policy: SlaPolicy) -> Result<Option<SlaPolicy>, SlaError> {
        policy.validate()?;
        Ok(self.policies.insert(policy.name.clone(), policy))
    }

    /// Loads tenant policies from TOML text (`[[policy]]` tables, see
    /// [`SlaPolicy`]); returns how many were loaded. Nothing is added on error.
    pub fn load_toml(&mut self, text: &str) -> Result<usize, SlaError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| SlaError::Config(e.to_string()))?;
        for p in &file.policy {
            p.validate()?;
        }
        let n = file.policy.len();
        for p in file.policy {
            self.policies.insert(p.name.clone(), p);
        }
        Ok(n)
    }

    /// The policy names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }

    /// The policies, by name.
    pub fn iter(&self) -> impl Iterator<Item = &SlaPolicy> {
        self.policies.values()
    }
}
