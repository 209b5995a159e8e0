//! The verification code (doğrulama kodu) printed on a document: 12 symbols of the
//! tracking numbers' alphabet (no I, L, O, U, Z: nothing to misread), about 59 random
//! bits, written in three groups of four (`7KQ2-M9XA-4T0B`).

use crate::tracking::ALPHABET;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many symbols a code has.
pub const CODE_LEN: usize = 12;

/// A document's verification code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VerificationCode(String);

/// Why a text is not a verification code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a verification code: 12 letters and digits, e.g. 7KQ2-M9XA-4T0B")]
pub struct CodeError(pub String);

impl VerificationCode {
    /// A code from random bits (the service's `RandomSource`): 12 draws of 31 symbols.
    pub fn from_random(mut next_u64: impl FnMut() -> u64) -> Self {
        let mut s = String::with_capacity(CODE_LEN);
        while s.len() < CODE_LEN {
            // Rejection sampling keeps every symbol equally likely.
            let x = next_u64();
            let limit = u64::MAX - u64::MAX % 31;
            if x < limit {
                s.push(ALPHABET[(x % 31) as usize] as char);
            }
        }
        Self(s)
    }

    /// Reads a code as people type it: case, dashes and spaces do not matter.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let s: String = text
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(Self(s))
        } else {
            Err(CodeError(text.to_owned()))
        }
    }

    /// The 12 symbols without dashes (URLs, storage).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VerificationCode {
    /// In groups of four: `7KQ2-M9XA-4T0B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{}-{}-{}", &s[..4], &s[4..8], &s[8..])
    }
}

impl std::str::FromStr for VerificationCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for VerificationCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<VerificationCode> for String {
    fn from(c: VerificationCode) -> Self {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RandomSource, SeededRandom};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_code_reads_back_written_or_bare_in_any_case(seed: u64) {
            let mut r = SeededRandom::new(seed);
            let c = VerificationCode::from_random(|| r.next_u64());
            prop_assert_eq!(VerificationCode::parse(&c.to_string()).unwrap(), c.clone());
            prop_assert_eq!(VerificationCode::parse(&c.as_str().to_lowercase()).unwrap(), c);
        }
    }

    #[test]
    fn other_texts_are_refused() {
        for bad in [
            "",
            "7KQ2-M9XA-4T0",
            "7KQ2-M9XA-4T0BB",
            "7KQ2-M9XA-4TOB",
            "ÇKQ2-M9XA-4T0B",
        ] {
            assert!(VerificationCode::parse(bad).is_err(), "{bad}");
        }
    }
}
