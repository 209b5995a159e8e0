//! Tenant settings: SLA policies, policy rules, quiet hours and SMS gateway, from one TOML
//! document.
//!
//! ```
//! use muhtar_core::settings::TenantSettings;
//! let s = TenantSettings::from_toml_str(r#"
//! quiet_hours = { start = "22:00", end = "08:00" }
//!
//! [sms]
//! url = "https://sms.example.com/send"
//! sender = "BELEDIYE"
//!
//! [[policy]]
//! name = "ilce-10-is-gunu"
//! length = 10
//! unit = "business"
//!
//! [[policy_rule]]
//! name = "ivedi"
//! priority = "urgent"
//! policy = "ilce-10-is-gunu"
//! "#).unwrap();
//! assert_eq!(s.policy.len(), 1);
//! assert_eq!((s.policy_rules[0].name.as_str(), s.policy_rules[0].line), ("ivedi", 13));
//! assert_eq!(s.quiet_hours.unwrap().start.to_string(), "22:00:00");
//! ```

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize};

use crate::org::Organisation;
use crate::regime::{PolicyRuleSpec, PolicyRules};
use crate::routing::RoutingError;
use crate::sla::{PolicyRegistry, SlaError, SlaPolicy};

/// No notices between `start` and `end` (local Europe/Istanbul time; may span midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Start, e.g. `"22:00"`.
    #[serde(deserialize_with = "hhmm")]
    pub start: NaiveTime,
    /// End, e.g. `"08:00"`.
    #[serde(deserialize_with = "hhmm")]
    pub end: NaiveTime,
}

fn hhmm<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time of day (HH:MM)")))
}

/// A generic HTTP SMS gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// The gateway's URL.
    pub url: String,
    /// Sender name (originator).
    #[serde(default)]
    pub sender: Option<String>,
    /// User for HTTP Basic authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for HTTP Basic authentication.
    #[serde(default)]
    pub password: Option<String>,
    /// `form` (default) or `json`.
    #[serde(default)]
    pub format: Option<String>,
    /// Name of the recipient parameter (default `to`).
    #[serde(default)]
    pub to_param: Option<String>,
    /// Name of the text parameter (default `text`).
    #[serde(default)]
    pub text_param: Option<String>,
}

/// A tenant's settings document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// The tenant's own SLA policies (added to the built-in ones).
    #[serde(default)]
    pub policy: Vec<SlaPolicy>,
    /// Quiet hours for notices (default: the dispatcher's, 22:00 to 08:00).
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// SMS gateway (default: none; SMS notices then fail permanently with that reason).
    #[serde(default)]
    pub sms: Option<SmsSettings>,
    /// Open311 GeoReport v2 interface settings.
    #[serde(default)]
    pub open311: Open311Settings,
    /// Policy rules: which SLA policy a request gets (`[[policy_rule]]` tables, first
    /// match wins; see [`crate::regime`]). Checked against the organisation and the
    /// policies by [`Self::policy_rules`].
    #[serde(
        default,
        rename = "policy_rule",
        deserialize_with = "crate::regime::deserialize_rules"
    )]
    pub policy_rules: Vec<PolicyRuleSpec>,
    /// How many days back back-office staff may date a request's receipt
    /// (`received_at`); default [`DEFAULT_RECEIVED_AT_WINDOW_DAYS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at_window_days: Option<u32>,
}

/// Default of [`TenantSettings::received_at_window_days`]: 30 days, a month of paper
/// letters entered late. The law sets no limit; a tenant may set its own.
pub const DEFAULT_RECEIVED_AT_WINDOW_DAYS: u32 = 30;

impl TenantSettings {
    /// How many days back `received_at` may lie.
    pub fn received_at_window_days(&self) -> u32 {
        self.received_at_window_days
            .unwrap_or(DEFAULT_RECEIVED_AT_WINDOW_DAYS)
    }
}

/// How the tenant's Open311 GeoReport v2 interface behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open311Settings {
    /// Reads (service requests) need an `api_key` too, instead of being public.
    #[serde(default)]
    pub private_reads: bool,
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// Not valid TOML or unknown fields.
    #[error("settings, line {line}: {message}")]
    Parse {
        /// 1-based line (0 if unknown).
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A policy is invalid.
    #[error(transparent)]
    Policy(#[from] SlaError),
}

impl TenantSettings {
    /// Parses and checks settings.
    pub fn from_toml_str(text: &str) -> Result<Self, SettingsError> {
        let s: TenantSettings = toml::from_str(text).map_err(|e| SettingsError::Parse {
            line: e
                .span()
                .map(|sp| crate::org::line_of(text, sp.start))
                .unwrap_or(0),
            message: e.message().to_owned(),
        })?;
        for p in &s.policy {
            p.validate()?;
        }
        let mut s = s;
        let headers = crate::routing::spec::table_header_lines(text, "policy_rule");
        let by_header = headers.len() == s.policy_rules.len();
        for (i, r) in s.policy_rules.iter_mut().enumerate() {
            r.line = if by_header {
                headers[i]
            } else {
                crate::org::line_of(text, r.offset)
            };
        }
        Ok(s)
    }

    /// The policy rules, checked against the organisation and the policies (built-in
    /// and the tenant's): the compiled rules and their warnings, or every problem by line.
    pub fn policy_rules(
        &self,
        org: &Organisation,
    ) -> Result<(PolicyRules, Vec<crate::routing::Problem>), RoutingError> {
        let policies = self.policies().map_err(|e| RoutingError::Parse {
            line: 0,
            message: e.to_string(),
        })?;
        PolicyRules::compile(&self.policy_rules, org, &policies)
    }

    /// The built-in policies plus the tenant's.
    pub fn policies(&self) -> Result<PolicyRegistry, SlaError> {
        let mut r = PolicyRegistry::builtin();
        for p in &self.policy {
            r.insert(p.clone())?;
        }
        Ok(r)
    }
}
