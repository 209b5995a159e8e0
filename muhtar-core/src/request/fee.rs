//! Law 4982 fees (bilgi edinme ücreti): the amount notified to the applicant and the
//! pending fee of a request.
//!
//! Art. 12 of the by-law: notifying a fee stops the deadline clock; payment resumes it;
//! a fee unpaid for 15 business days after its notice makes the application deemed
//! withdrawn (the sweep records it, [`crate::service::Mbs::sweep`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::input::InputError;

/// A fee in Turkish lira, held in kuruş (1 TL = 100 kuruş). Written as `12`, `12.5`,
/// `12.50` or `12,50`; shown as `12,50 TL`; serialised as the string `"12.50"`.
///
/// ```
/// use muhtar_core::request::FeeAmount;
/// let a: FeeAmount = "12,5".parse().unwrap();
/// assert_eq!(a.kurus(), 1250);
/// assert_eq!(a.to_string(), "12,50 TL");
/// assert!("-1".parse::<FeeAmount>().is_err());
/// assert!("1.234".parse::<FeeAmount>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeeAmount(u64);

/// The largest fee accepted: 1,000,000 TL.
const MAX_KURUS: u64 = 100_000_000;

impl FeeAmount {
    /// An amount in kuruş.
    pub fn from_kurus(kurus: u64) -> Result<Self, InputError> {
        if kurus == 0 || kurus > MAX_KURUS {
            return Err(InputError::Invalid {
                field: "amount",
                message: format!(
                    "{} TL: a fee must be more than 0 and at most 1000000 TL",
                    Self(kurus).plain()
                ),
            });
        }
        Ok(Self(kurus))
    }

    /// The amount in kuruş.
    pub fn kurus(self) -> u64 {
        self.0
    }

    /// `12.50`: the machine form.
    pub fn plain(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for FeeAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{:02} TL", self.0 / 100, self.0 % 100)
    }
}

impl FromStr for FeeAmount {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, InputError> {
        let bad = || InputError::Invalid {
            field: "amount",
            message: format!(
                "{s:?} is not an amount in TL: write e.g. 12, 12.50 or 12,50 (at most two decimals)"
            ),
        };
        let t = s.trim();
        let t = t
            .strip_suffix("TL")
            .or_else(|| t.strip_suffix("tl"))
            .unwrap_or(t)
            .trim();
        let (lira, kurus) = match t.split_once(['.', ',']) {
            Some((_, "")) => return Err(bad()),
            Some((l, k)) => (l, k),
            None => (t, ""),
        };
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if lira.is_empty() || lira.len() > 9 || !digits(lira) || kurus.len() > 2 || !digits(kurus) {
            return Err(bad());
        }
        let lira: u64 = lira.parse().map_err(|_| bad())?;
        let kurus: u64 = match kurus.len() {
            0 => 0,
            1 => kurus.parse::<u64>().map_err(|_| bad())? * 10,
            _ => kurus.parse().map_err(|_| bad())?,
        };
        FeeAmount::from_kurus(lira * 100 + kurus)
    }
}

impl Serialize for FeeAmount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.plain())
    }
}

impl<'de> Deserialize<'de> for FeeAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Number(n) => format!("{n}"),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A fee notified and not yet paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFee {
    /// The amount (absent for a fee recorded as a plain `pause` with reason `fee`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<FeeAmount>,
    /// When the fee was notified: the clocks stop here, and the 15 business days of
    /// art. 12 count from here.
    pub notified_at: DateTime<Utc>,
}
