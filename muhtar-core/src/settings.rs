//! Tenant settings: SLA policies, policy rules, quiet hours, SMS gateway and notice
//! templates, from one TOML document.
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

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::org::Organisation;
use crate::outbox::{Locale, NoticeKind};
use crate::regime::{PolicyRuleSpec, PolicyRules};
use crate::routing::RoutingError;
use crate::sla::{PolicyRegistry, SlaError, SlaPolicy};

/// No notices between `start` and `end`: a daily quiet period in Europe/Istanbul local
/// time through the tz database ([`crate::calendar::to_istanbul`]). When `start > end`
/// it spans midnight (22:00 to 08:00); when `start == end` it is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Start, e.g. `"22:00"`.
    #[serde(deserialize_with = "hhmm")]
    pub start: NaiveTime,
    /// End, e.g. `"08:00"`.
    #[serde(deserialize_with = "hhmm")]
    pub end: NaiveTime,
}

impl QuietHours {
    /// Quiet from `start` to `end`, local time.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Self {
        QuietHours { start, end }
    }

    /// Quiet from `start_h:start_m` to `end_h:end_m`; `None` for an invalid time.
    pub fn from_hm(start_h: u32, start_m: u32, end_h: u32, end_m: u32) -> Option<Self> {
        Some(QuietHours {
            start: NaiveTime::from_hms_opt(start_h, start_m, 0)?,
            end: NaiveTime::from_hms_opt(end_h, end_m, 0)?,
        })
    }

    /// Whether `at` falls in the quiet period (start inclusive, end exclusive).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let t = crate::calendar::to_istanbul(at).time();
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// The end of the quiet period containing `at`; `at` itself if it is not quiet.
    pub fn end_after(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if !self.contains(at) {
            return at;
        }
        let local = crate::calendar::to_istanbul(at);
        let mut date = local.date_naive();
        if self.start > self.end && local.time() >= self.start {
            date = date.succ_opt().unwrap_or(date);
        }
        // An end inside a daylight-saving gap (only before 2016) does not exist: the
        // period then ends an hour later, when local time exists again.
        crate::calendar::from_istanbul_local(date.and_time(self.end))
            .or_else(|_| {
                crate::calendar::from_istanbul_local(
                    date.and_time(self.end) + chrono::Duration::hours(1),
                )
            })
            .unwrap_or(at)
    }
}

impl Default for QuietHours {
    /// 22:00 to 08:00.
    fn default() -> Self {
        QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
        }
    }
}

fn hhmm<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time of day (HH:MM)")))
}

/// What happens to a tenant's SMS notices while it has no SMS gateway (`[sms]`).
/// The law says nothing; a setting (`sms_without_gateway`) with the default
/// [`SmsWithoutGateway::Wait`]: a notice is not lost to a gateway not configured yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SmsWithoutGateway {
    /// They wait (pending, not a failure) and go out once a gateway is configured; the
    /// dispatcher looks again every [`SMS_GATEWAY_RECHECK_MINUTES`] minutes.
    #[default]
    Wait,
    /// They are skipped: recorded as not delivered ("skipped"), never sent.
    Skip,
}

crate::names::named_enum! {
    impl SmsWithoutGateway: "sms_without_gateway" {
        Wait => ("wait", "bekler"),
        Skip => ("skip", "atlanır"),
    }
}

/// How often SMS notices waiting for a gateway ([`SmsWithoutGateway::Wait`]) are
/// looked at again, in minutes.
pub const SMS_GATEWAY_RECHECK_MINUTES: i64 = 60;

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
    /// A PEM file of certificate authorities trusted besides the system's root
    /// certificates, for a gateway with a private CA.
    #[serde(default)]
    pub ca_file: Option<String>,
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
    /// SMS gateway (default: none; SMS notices then wait or are skipped, as
    /// [`Self::sms_without_gateway`] says).
    #[serde(default)]
    pub sms: Option<SmsSettings>,
    /// What happens to SMS notices while no `[sms]` gateway is configured (default
    /// [`SmsWithoutGateway::Wait`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_without_gateway: Option<SmsWithoutGateway>,
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
    /// Notice texts: the language and per notice kind overrides (`[templates]`).
    #[serde(default)]
    pub templates: TemplateSettings,
    /// The map page's background tiles (`[map]`; default OpenStreetMap's standard tiles).
    #[serde(default, skip_serializing_if = "crate::settings::is_default_map")]
    pub map: crate::map::MapSettings,
    /// Official documents: automatic registration, SDP codes, signing keys (`[documents]`).
    #[serde(default, skip_serializing_if = "crate::settings::is_default_documents")]
    pub documents: crate::document::DocumentSettings,
    /// Neighbourhood councils: the support threshold of proposals (`[council]`).
    #[serde(default, skip_serializing_if = "crate::settings::is_default_council")]
    pub council: crate::council::CouncilSettings,
}

fn is_default_council(c: &crate::council::CouncilSettings) -> bool {
    *c == crate::council::CouncilSettings::default()
}

fn is_default_documents(d: &crate::document::DocumentSettings) -> bool {
    *d == crate::document::DocumentSettings::default()
}

fn is_default_map(m: &crate::map::MapSettings) -> bool {
    *m == crate::map::MapSettings::default()
}

/// The tenant's notice texts (`[templates]`): the language notices are written in and,
/// per notice kind, templates replacing the built-in ones (`muhtar-notify` renders them
/// with minijinja and checks them when the settings are installed, see
/// [`crate::service::Mbs::check_settings_with`]).
///
/// ```toml
/// [templates]
/// language = "tr"
///
/// [templates.received]
/// subject = "[{{ tag_label }}: {{ tag_value }}] {{ title }} ({{ tenant_name }})"
/// sms = "{{ tag_label }}: {{ tag_value }} talebiniz alindi."
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TemplateSettings {
    /// The language of the tenant's notices (default: each notice's own, Turkish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Locale>,
    /// Overrides per notice kind (`[templates.<notice-kind>]`).
    #[serde(flatten)]
    pub kinds: HashMap<NoticeKind, NoticeTemplates>,
}

/// One part of a notice a template writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplatePart {
    /// The e-mail subject.
    Subject,
    /// The plain-text part of the e-mail.
    Text,
    /// The HTML part of the e-mail (values escaped).
    Html,
    /// The SMS text.
    Sms,
}

impl TemplatePart {
    /// Every part, in the order of [`NoticeTemplates::lines`].
    pub const ALL: [TemplatePart; 4] = [
        TemplatePart::Subject,
        TemplatePart::Text,
        TemplatePart::Html,
        TemplatePart::Sms,
    ];

    /// The key in the settings (`subject`, `text`, `html`, `sms`).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject",
            TemplatePart::Text => "text",
            TemplatePart::Html => "html",
            TemplatePart::Sms => "sms",
        }
    }
}

impl std::fmt::Display for TemplatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notice kind's templates (`[templates.<notice-kind>]`); a part not given keeps the
/// built-in template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeTemplates {
    /// The e-mail subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The plain-text part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The HTML part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The SMS text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    /// The settings line each part's template starts on, in [`TemplatePart::ALL`] order
    /// (0: unknown), found by [`TenantSettings::from_toml_str`].
    #[serde(skip)]
    pub lines: [usize; 4],
}

impl NoticeTemplates {
    /// The template of `part`, if the tenant gave one.
    pub fn part(&self, part: TemplatePart) -> Option<&str> {
        match part {
            TemplatePart::Subject => self.subject.as_deref(),
            TemplatePart::Text => self.text.as_deref(),
            TemplatePart::Html => self.html.as_deref(),
            TemplatePart::Sms => self.sms.as_deref(),
        }
    }

    /// The settings line the template of `part` starts on (0: unknown).
    pub fn line(&self, part: TemplatePart) -> usize {
        self.lines[part as usize]
    }
}

/// The line the value of `key` in the table `[templates.<kind>]` starts on: the key's
/// line, or the next one for a multi-line string opened at the end of it (0: not found).
fn template_line(text: &str, kind: &str, key: &str) -> usize {
    let headers = [
        format!("[templates.{kind}]"),
        format!("[templates.\"{kind}\"]"),
    ];
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            inside = headers.iter().any(|h| compact.starts_with(h.as_str()));
            continue;
        }
        if !inside {
            continue;
        }
        let Some(value) = l
            .strip_prefix(key)
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        else {
            continue;
        };
        let value = value.trim();
        let opens_multiline = value == "\"\"\"" || value == "'''";
        return i + 1 + usize::from(opens_multiline);
    }
    0
}

/// Default of [`TenantSettings::received_at_window_days`]: 30 days, a month of paper
/// letters entered late. The law sets no limit; a tenant may set its own.
pub const DEFAULT_RECEIVED_AT_WINDOW_DAYS: u32 = 30;

impl TenantSettings {
    /// What happens to SMS notices while no gateway is configured.
    pub fn sms_without_gateway(&self) -> SmsWithoutGateway {
        self.sms_without_gateway.unwrap_or_default()
    }

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
    /// `[map] tiles` is not a usable tile URL.
    #[error("settings, line {line}: {source}")]
    Map {
        /// 1-based line of `tiles` (0 if unknown).
        line: usize,
        /// What is wrong.
        source: crate::map::TilesError,
    },
    /// A `[[documents.keys]]` entry is not a usable public key.
    #[error("settings, line {line}: {source}")]
    Documents {
        /// 1-based line of the first `[[documents.keys]]` (0 if unknown).
        line: usize,
        /// What is wrong.
        source: crate::document::KeyError,
    },
    /// A notice template does not render (a syntax error, an unknown variable).
    #[error("settings, line {line}: the {part} template of notice `{}` does not render: {message}", kind.as_str())]
    Template {
        /// The notice kind (`[templates.<kind>]`).
        kind: NoticeKind,
        /// The part.
        part: TemplatePart,
        /// 1-based line in the settings document (0 if unknown).
        line: usize,
        /// What the template engine said.
        message: String,
    },
}

impl TenantSettings {
    /// Parses and checks settings.
    pub fn from_toml_str(text: &str) -> Result<Self, SettingsError> {
        let s: TenantSettings = toml::from_str(text).map_err(|e| SettingsError::Parse {
            line: crate::org::toml_error_line(text, &e),
            message: e.message().to_owned(),
        })?;
        for p in &s.policy {
            p.validate()?;
        }
        if let Err(source) = s.map.check() {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("tiles"))
                .map_or(0, |i| i + 1);
            return Err(SettingsError::Map { line, source });
        }
        if let Err(source) = s.documents.check() {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("[[documents.keys]]"))
                .map_or(0, |i| i + 1);
            return Err(SettingsError::Documents { line, source });
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
        for (kind, t) in s.templates.kinds.iter_mut() {
            for part in TemplatePart::ALL {
                t.lines[part as usize] = template_line(text, kind.as_str(), part.as_str());
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn map_tiles_are_checked_with_their_line() {
        let s = TenantSettings::from_toml_str(
            "[map]\ntiles = \"https://t.example.org/{z}/{x}/{y}.png\"\n",
        )
        .unwrap();
        assert_eq!(s.map.csp_source().as_deref(), Some("https://t.example.org"));
        assert_eq!(
            TenantSettings::default().map.tile_url(),
            Some(crate::map::OSM_TILES)
        );
        let err =
            TenantSettings::from_toml_str("# x\n[map]\ntiles = \"https://a.org; script-src *\"\n")
                .unwrap_err();
        assert!(matches!(err, SettingsError::Map { line: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("map.tiles"), "{err}");
    }

    #[test]
    fn quiet_hours_over_midnight() {
        let q = QuietHours::default(); // 22:00-08:00 local = 19:00-05:00 UTC
        let at = |h, m| Utc.with_ymd_and_hms(2025, 3, 14, h, m, 0).unwrap();
        assert!(!q.contains(at(9, 0)));
        assert!(!q.contains(at(18, 59)));
        assert!(q.contains(at(19, 0)));
        assert!(q.contains(at(23, 30)));
        assert!(q.contains(at(4, 59)));
        assert!(!q.contains(at(5, 0)));
        // 23:30 local on the 14th ends at 08:00 local on the 15th.
        assert_eq!(
            q.end_after(at(20, 30)),
            Utc.with_ymd_and_hms(2025, 3, 15, 5, 0, 0).unwrap()
        );
        // 03:00 local on the 14th ends at 08:00 local the same day.
        assert_eq!(q.end_after(at(0, 0)), at(5, 0));
        assert_eq!(q.end_after(at(12, 0)), at(12, 0));
        let day = QuietHours::from_hm(12, 0, 13, 30).unwrap();
        assert!(day.contains(at(9, 0)) && !day.contains(at(10, 30)));
        assert_eq!(day.end_after(at(9, 15)), at(10, 30));
        assert!(!QuietHours::from_hm(8, 0, 8, 0).unwrap().contains(at(5, 0)));
        assert!(QuietHours::from_hm(25, 0, 8, 0).is_none());
    }

    #[test]
    fn quiet_hours_follow_the_tz_database_before_2016() {
        // Winter 2015: İstanbul was UTC+2, so 22:00 local is 20:00 UTC, not 19:00.
        let q = QuietHours::default();
        let at = |h, m| Utc.with_ymd_and_hms(2015, 1, 10, h, m, 0).unwrap();
        assert!(!q.contains(at(19, 30)));
        assert!(q.contains(at(20, 0)));
        assert_eq!(
            q.end_after(at(21, 0)),
            Utc.with_ymd_and_hms(2015, 1, 11, 6, 0, 0).unwrap()
        );
    }

    #[test]
    fn templates_are_read_with_the_line_each_starts_on() {
        let s = TenantSettings::from_toml_str(
            "[templates]\nlanguage = \"en\"\n\n[templates.received]\nsubject = \"{{ title }}\"\ntext = \"\"\"\n{{ lead }}\n\"\"\"\n\n[templates.\"at-risk\"]\nsms = '{{ sms_line }}'\n",
        )
        .unwrap();
        assert_eq!(s.templates.language, Some(Locale::En));
        let r = &s.templates.kinds[&NoticeKind::Received];
        assert_eq!(r.part(TemplatePart::Subject), Some("{{ title }}"));
        assert_eq!(r.line(TemplatePart::Subject), 5);
        assert_eq!(
            r.line(TemplatePart::Text),
            7,
            "the line after the opening quotes"
        );
        assert_eq!(r.part(TemplatePart::Html), None);
        assert_eq!(
            s.templates.kinds[&NoticeKind::AtRisk].line(TemplatePart::Sms),
            11
        );
        // An unknown notice kind or part is refused with its line.
        let e =
            TenantSettings::from_toml_str("[templates.recieved]\nsubject = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("recieved"), "{e}");
        let e =
            TenantSettings::from_toml_str("[templates.received]\nsubjet = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("subjet"), "{e}");
    }
}
