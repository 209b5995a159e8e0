//! A tenant's council settings (`[council]` in the settings document).

use serde::{Deserialize, Serialize};

/// How many supports put a proposal on the agenda when the settings name none.
pub const DEFAULT_SUPPORT_THRESHOLD: u32 = 10;

/// How long a member's login code is accepted when the settings name no lifetime.
pub const DEFAULT_LOGIN_CODE_MINUTES: u32 = 10;

/// Wrong tries a login code takes when the settings name no number.
pub const DEFAULT_LOGIN_CODE_TRIES: u32 = 5;

/// The councils' settings (`[council]`):
///
/// ```toml
/// [council]
/// support_threshold = 10   # supports that put a proposal on the agenda (default 10)
/// login_code_minutes = 10  # a member's login code is accepted this long (default 10, 1 to 60)
/// login_code_tries = 5     # wrong tries a login code takes (default 5, at least 1)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilSettings {
    /// Supports that put a proposal on the agenda (default
    /// [`DEFAULT_SUPPORT_THRESHOLD`]; 0 counts as 1: a proposal needs one support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_threshold: Option<u32>,
    /// Minutes a login code is accepted (default [`DEFAULT_LOGIN_CODE_MINUTES`]; kept
    /// between 1 and 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_code_minutes: Option<u32>,
    /// Wrong tries a login code takes before it is spent (default
    /// [`DEFAULT_LOGIN_CODE_TRIES`]; 0 counts as 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_code_tries: Option<u32>,
}

impl CouncilSettings {
    /// The threshold in force: the setting, at least 1, else the default.
    pub fn support_threshold(&self) -> u32 {
        self.support_threshold
            .map_or(DEFAULT_SUPPORT_THRESHOLD, |n| n.max(1))
    }

    /// A login code's lifetime in minutes: the setting kept within 1 to 60, else the
    /// default.
    pub fn login_code_minutes(&self) -> u32 {
        self.login_code_minutes
            .map_or(DEFAULT_LOGIN_CODE_MINUTES, |n| n.clamp(1, 60))
    }

    /// Wrong tries a login code takes: the setting, at least 1, else the default.
    pub fn login_code_tries(&self) -> u32 {
        self.login_code_tries
            .map_or(DEFAULT_LOGIN_CODE_TRIES, |n| n.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_defaults_and_is_at_least_one() {
        assert_eq!(CouncilSettings::default().support_threshold(), 10);
        let s = |n| CouncilSettings {
            support_threshold: Some(n),
            ..CouncilSettings::default()
        };
        assert_eq!(s(3).support_threshold(), 3);
        assert_eq!(s(0).support_threshold(), 1);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<CouncilSettings>("threshold = 3").unwrap_err();
        assert!(e.to_string().contains("support_threshold"), "{e}");
        let ok: CouncilSettings = toml::from_str("support_threshold = 4").unwrap();
        assert_eq!(ok.support_threshold(), 4);
    }

    #[test]
    fn login_codes_default_to_ten_minutes_and_five_tries() {
        let d = CouncilSettings::default();
        assert_eq!((d.login_code_minutes(), d.login_code_tries()), (10, 5));
        let s: CouncilSettings =
            toml::from_str("login_code_minutes = 500\nlogin_code_tries = 0").unwrap();
        assert_eq!((s.login_code_minutes(), s.login_code_tries()), (60, 1));
    }
}
