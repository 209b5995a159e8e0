//! The registry number of an official document (Resmî Yazışmalarda Uygulanacak Usul ve
//! Esaslar Hakkında Yönetmelik, "Sayı"): `E-<DETSİS>-<SDP>-<sequence>`, e.g.
//! `E-13316537-349-4467`. The sequence counts per registry (unit) and year; the year is
//! not part of the number (the document's date carries it).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a DETSİS number, an SDP code or a registry number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// A DETSİS number is 8 digits.
    #[error("`{0}` is not a DETSİS number: 8 digits, e.g. 13316537")]
    Detsis(String),
    /// An SDP code is 3 digits, then groups of 2 or 3 digits after dots.
    #[error("`{0}` is not a Standart Dosya Planı code: 3 digits, then groups of 2 or 3 digits after dots, e.g. 349 or 010.06.01")]
    Sdp(String),
    /// Not `E-<DETSİS>-<SDP>-<sequence>`.
    #[error(
        "`{0}` is not a document number: E-<DETSİS>-<SDP>-<sequence>, e.g. E-13316537-349-4467"
    )]
    Number(String),
}

/// A unit's DETSİS number (Devlet Teşkilatı Merkezi Kayıt Sistemi): 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Detsis(String);

impl Detsis {
    /// Checks and wraps a DETSİS number.
    pub fn new(text: &str) -> Result<Self, NumberError> {
        let t = text.trim();
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(NumberError::Detsis(text.to_owned()))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Detsis {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Detsis> for String {
    fn from(d: Detsis) -> Self {
        d.0
    }
}

impl fmt::Display for Detsis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Standart Dosya Planı code: 3 digits, then groups of 2 or 3 digits after dots
/// (`349`, `010.06.01`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SdpCode(String);

impl SdpCode {
    /// Checks and wraps a code.
    pub fn new(text: &str) -> Result<Self, NumberError> {
        let t = text.trim();
        let mut groups = t.split('.');
        let first_ok = groups
            .next()
            .is_some_and(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        let rest_ok =
            groups.all(|g| (2..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
        if first_ok && rest_ok && t.len() <= 20 {
            Ok(Self(t.to_owned()))
        } else {
            Err(NumberError::Sdp(text.to_owned()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SdpCode {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<SdpCode> for String {
    fn from(d: SdpCode) -> Self {
        d.0
    }
}

impl fmt::Display for SdpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document's registry number: `E-<DETSİS>-<SDP>-<sequence>` (E for a document made
/// electronically). Written and read as that text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistryNumber {
    /// The registry's (unit's) DETSİS number.
    pub detsis: Detsis,
    /// The subject's file code.
    pub sdp: SdpCode,
    /// The sequence in the registry's year, from 1, gapless.
    pub sequence: u32,
}

impl RegistryNumber {
    /// Reads `E-<DETSİS>-<SDP>-<sequence>` (surrounding spaces and a lower-case `e` allowed).
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        let bad = || NumberError::Number(text.to_owned());
        let t = text.trim();
        let rest = t
            .strip_prefix("E-")
            .or_else(|| t.strip_prefix("e-"))
            .ok_or_else(bad)?;
        let mut parts = rest.split('-');
        let (Some(d), Some(s), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.starts_with('0') {
            return Err(bad());
        }
        let sequence: u32 = n.parse().map_err(|_| bad())?;
        Ok(Self {
            detsis: Detsis::new(d).map_err(|_| bad())?,
            sdp: SdpCode::new(s).map_err(|_| bad())?,
            sequence,
        })
    }
}

impl fmt::Display for RegistryNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E-{}-{}-{}", self.detsis, self.sdp, self.sequence)
    }
}

impl std::str::FromStr for RegistryNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RegistryNumber {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegistryNumber> for String {
    fn from(n: RegistryNumber) -> Self {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_genelge_number_reads_and_writes_back() {
        let n = RegistryNumber::parse("E-13316537-349-4467").unwrap();
        assert_eq!(n.detsis.as_str(), "13316537");
        assert_eq!(n.sdp.as_str(), "349");
        assert_eq!(n.sequence, 4467);
        assert_eq!(n.to_string(), "E-13316537-349-4467");
        assert_eq!(
            RegistryNumber::parse(" e-13316537-010.06.01-1 ")
                .unwrap()
                .to_string(),
            "E-13316537-010.06.01-1"
        );
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for bad in [
            "",
            "E-1331653-349-1",
            "E-13316537-34-1",
            "E-13316537-349-0",
            "E-13316537-349-01",
            "E-13316537-349-+1",
            "E-13316537-349-1-2",
            "13316537-349-1",
            "E-13316537-349.1-1",
            "E-13316537-349-99999999999",
        ] {
            assert!(RegistryNumber::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_number_reads_back_as_itself(
            d in 0u32..100_000_000,
            groups in proptest::collection::vec(0u32..1000, 0..3),
            seq in 1u32..,
        ) {
            let mut sdp = format!("{:03}", d % 1000);
            for g in groups {
                sdp.push_str(&format!(".{:02}", g % 100));
            }
            let n = RegistryNumber {
                detsis: Detsis::new(&format!("{d:08}")).unwrap(),
                sdp: SdpCode::new(&sdp).unwrap(),
                sequence: seq,
            };
            prop_assert_eq!(RegistryNumber::parse(&n.to_string()).unwrap(), n);
        }
    }
}
