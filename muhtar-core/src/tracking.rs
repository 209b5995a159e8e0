//! Tracking numbers (takip numarası): short, readable over the phone, with a check character.
//!
//! A tracking number is eight data characters and one check character from a 31-letter
//! alphabet (Crockford's base 32 without `Z`: no `I`, `L`, `O`, `U`, `Z`), shown in groups
//! of three: `7KM-3QX-9PA`. Parsing ignores case, spaces and hyphens and reads `O` as `0`
//! and `I`/`L` as `1`.
//!
//! The check character makes the weighted sum `Σ i·vᵢ` (positions 1 to 9) divisible by 31.
//! Because 31 is prime and every weight is below 31, changing any one character changes the
//! sum by `i·δ ≢ 0`, and swapping two different adjacent characters changes it by
//! `a − b ≢ 0`: every single mistyped character and every adjacent swap is caught.
//!
//! ```
//! use muhtar_core::tracking::TrackingNumber;
//! let t = TrackingNumber::from_value(123_456_789).unwrap();
//! let typed = t.to_string().to_lowercase().replace('-', " ");
//! assert_eq!(typed.parse::<TrackingNumber>().unwrap(), t);
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// The 31 symbols, in value order.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKMNPQRSTVWXY";
/// Data characters in a tracking number.
pub const DATA_LEN: usize = 8;
/// Number of distinct tracking numbers: 31⁸.
pub const SPACE: u64 = 31u64.pow(DATA_LEN as u32);

/// Why a text is not a tracking number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrackingError {
    /// Nothing but spaces and hyphens.
    #[error("the tracking number is empty")]
    Empty,
    /// Wrong number of characters (spaces and hyphens not counted).
    #[error("a tracking number has 9 characters, {got:?} has {len}")]
    Length {
        /// The text as given.
        got: String,
        /// Its number of significant characters.
        len: usize,
    },
    /// A character outside the alphabet.
    #[error("{ch:?} at position {position} cannot be part of a tracking number")]
    Character {
        /// The offending character.
        ch: char,
        /// Its 1-based position among significant characters.
        position: usize,
    },
    /// The check character does not match: a character was mistyped or two were swapped.
    #[error("tracking number {got:?} has a wrong check character: a character was mistyped or two were swapped")]
    CheckCharacter {
        /// The text as given.
        got: String,
    },
    /// A value outside `0..31⁸`.
    #[error("tracking value {0} is out of range")]
    Value(u64),
}

/// A takip numarası. Unique per tenant (the store enforces it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingNumber {
    /// The nine symbol values, data first, check last.
    digits: [u8; DATA_LEN + 1],
}

fn check_value(data: &[u8]) -> u8 {
    let s: u32 = data
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as u32 + 1) * u32::from(v))
        .sum();
    // v9 * 9 ≡ -s (mod 31); 9⁻¹ ≡ 7 (mod 31).
    let neg = (31 - (s % 31)) % 31;
    ((neg * 7) % 31) as u8
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}

impl TrackingNumber {
    /// The tracking number for a value in `0..31⁸`.
    pub fn from_value(value: u64) -> Result<Self, TrackingError> {
        if value >= SPACE {
            return Err(TrackingError::Value(value));
        }
        let mut digits = [0u8; DATA_LEN + 1];
        let mut v = value;
        for d in digits[..DATA_LEN].iter_mut().rev() {
            *d = (v % 31) as u8;
            v /= 31;
        }
        digits[DATA_LEN] = check_value(&digits[..DATA_LEN]);
        Ok(Self { digits })
    }

    /// A tracking number from 64 random bits.
    pub fn from_random(bits: u64) -> Self {
        Self::from_value(bits % SPACE).unwrap_or_else(|_| unreachable!("reduced modulo SPACE"))
    }

    /// The value of the data characters.
    pub fn value(&self) -> u64 {
        self.digits[..DATA_LEN]
            .iter()
            .fold(0u64, |acc, &d| acc * 31 + u64::from(d))
    }

    /// The nine characters without separators, e.g. `7KM3QX9PA`.
    pub fn compact(&self) -> String {
        self.digits
            .iter()
            .map(|&d| ALPHABET[d as usize] as char)
            .collect()
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.compact();
        write!(f, "{}-{}-{}", &c[0..3], &c[3..6], &c[6..9])
    }
}

impl std::str::FromStr for TrackingNumber {
    type Err = TrackingError;

    fn from_str(s: &str) -> Result<Self, TrackingError> {
        let sig: Vec<char> = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if sig.is_empty() {
            return Err(TrackingError::Empty);
        }
        if sig.len() != DATA_LEN + 1 {
            return Err(TrackingError::Length {
                got: s.to_owned(),
                len: sig.len(),
            });
        }
        let mut digits = [0u8; DATA_LEN + 1];
        for (i, (&c, d)) in sig.iter().zip(digits.iter_mut()).enumerate() {
            *d = symbol_value(c).ok_or(TrackingError::Character {
                ch: c,
                position: i + 1,
            })?;
        }
        if check_value(&digits[..DATA_LEN]) != digits[DATA_LEN] {
            return Err(TrackingError::CheckCharacter { got: s.to_owned() });
        }
        Ok(Self { digits })
    }
}

impl TryFrom<String> for TrackingNumber {
    type Error = TrackingError;
    fn try_from(s: String) -> Result<Self, TrackingError> {
        s.parse()
    }
}

impl From<TrackingNumber> for String {
    fn from(t: TrackingNumber) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_and_parse() {
        let t = TrackingNumber::from_value(0).unwrap();
        assert_eq!(t.to_string(), "000-000-000");
        let t = TrackingNumber::from_value(SPACE - 1).unwrap();
        assert_eq!(t.to_string().parse::<TrackingNumber>().unwrap(), t);
        assert!(matches!(
            TrackingNumber::from_value(SPACE),
            Err(TrackingError::Value(_))
        ));
        assert_eq!("".parse::<TrackingNumber>(), Err(TrackingError::Empty));
        assert!(matches!(
            "12345".parse::<TrackingNumber>(),
            Err(TrackingError::Length { len: 5, .. })
        ));
        assert!(matches!(
            "00000000Z".parse::<TrackingNumber>(),
            Err(TrackingError::Character {
                ch: 'Z',
                position: 9
            })
        ));
    }

    #[test]
    fn lookalikes_are_tolerated() {
        let t = TrackingNumber::from_value(31 + 1).unwrap(); // contains '1' and '0'
        let typed = t.compact().replace('0', "o").replace('1', "l");
        assert_eq!(typed.parse::<TrackingNumber>().unwrap(), t);
    }

    proptest! {
        #[test]
        fn round_trip_with_case_and_spaces(v in 0..SPACE, lower in any::<bool>(), spaced in any::<bool>()) {
            let t = TrackingNumber::from_value(v).unwrap();
            prop_assert_eq!(t.value(), v);
            let mut s = t.to_string();
            if lower { s = s.to_lowercase(); }
            if spaced { s = format!("  {}  ", s.replace('-', " ")); }
            prop_assert_eq!(s.parse::<TrackingNumber>().unwrap(), t);
        }

        #[test]
        fn every_single_substitution_is_caught(v in 0..SPACE, pos in 0usize..9, sym in 0u8..31) {
            let t = TrackingNumber::from_value(v).unwrap();
            let mut chars: Vec<u8> = t.compact().into_bytes();
            prop_assume!(chars[pos] != ALPHABET[sym as usize]);
            chars[pos] = ALPHABET[sym as usize];
            let typed = String::from_utf8(chars).unwrap();
            let is_check_error = matches!(typed.parse::<TrackingNumber>(), Err(TrackingError::CheckCharacter { .. }));
            prop_assert!(is_check_error);
        }

        #[test]
        fn every_adjacent_swap_is_caught(v in 0..SPACE, pos in 0usize..8) {
            let t = TrackingNumber::from_value(v).unwrap();
            let mut chars: Vec<u8> = t.compact().into_bytes();
            prop_assume!(chars[pos] != chars[pos + 1]);
            chars.swap(pos, pos + 1);
            let typed = String::from_utf8(chars).unwrap();
            let is_check_error = matches!(typed.parse::<TrackingNumber>(), Err(TrackingError::CheckCharacter { .. }));
            prop_assert!(is_check_error);
        }
    }
}
