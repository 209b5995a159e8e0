//! A tenant's council settings (`[council]` in the settings document).

use serde::{Deserialize, Serialize};

/// How many supports put a proposal on the agenda when the settings name none.
pub const DEFAULT_SUPPORT_THRESHOLD: u32 = 10;

/// The councils' settings (`[council]`):
///
/// ```toml
/// [council]
/// support_threshold = 10   # supports that put a proposal on the agenda (default 10)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilSettings {
    /// Supports that put a proposal on the agenda (default
    /// [`DEFAULT_SUPPORT_THRESHOLD`]; 0 counts as 1: a proposal needs one support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_threshold: Option<u32>,
}

impl CouncilSettings {
    /// The threshold in force: the setting, at least 1, else the default.
    pub fn support_threshold(&self) -> u32 {
        self.support_threshold
            .map_or(DEFAULT_SUPPORT_THRESHOLD, |n| n.max(1))
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
}
