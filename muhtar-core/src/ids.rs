//! Identifiers: tenants, units, muhtarlıklar and requests; the source of their random bits
//! ([`RandomSource`], supplied by the application) and the generator that makes ids from it.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a code could not be accepted as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The code is empty or longer than 64 characters.
    #[error("code {0:?} must be 1 to 64 characters long")]
    Length(String),
    /// The code contains a character other than ASCII letters, digits, `-`, `_` or `.`.
    #[error("code {0:?} may only contain ASCII letters, digits, '-', '_' and '.'")]
    Character(String),
    /// The text is not a request id (a UUID).
    #[error("{0:?} is not a request id")]
    RequestId(String),
}

fn check_code(s: &str) -> Result<(), IdError> {
    if s.is_empty() || s.len() > 64 {
        return Err(IdError::Length(s.to_owned()));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(IdError::Character(s.to_owned()));
    }
    Ok(())
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps a code: 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
            pub fn new(code: impl Into<String>) -> Result<Self, IdError> {
                let code = code.into();
                check_code(&code)?;
                Ok(Self(code))
            }
            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
    };
}

code_type!(
    /// A tenant: the body that runs the system for itself (a governorship, a metropolitan or
    /// district municipality). One database may hold many tenants.
    TenantId
);
code_type!(
    /// The stable code of a unit (birim) in the organisation tree.
    UnitCode
);
code_type!(
    /// The stable code of a muhtarlık (the office of a mahalle or köy headman).
    MuhtarlikCode
);

/// A request's id: a UUID version 7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Uuid);

impl RequestId {
    /// The UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for RequestId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Uuid::parse_str(s.trim())
            .map(RequestId)
            .map_err(|_| IdError::RequestId(s.to_owned()))
    }
}

/// Where the random bits of identifiers come from: request ids, tracking numbers, outbox
/// message ids and signed report ids are all drawn from the source a service is given
/// ([`crate::service::Mbs::new`]).
///
/// Core never reads the operating system's randomness (it does no I/O): the application
/// supplies the source. A deployment must supply an unpredictable one, a cryptographic
/// generator seeded by the operating system (the `muhtar` binary's `OsRandom`): whoever
/// sees one request id must not be able to tell the next tracking numbers, and a
/// restarted process must not draw the same ones again. [`SeededRandom`] is for tests,
/// benchmarks and the demo only.
pub trait RandomSource: Send {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;

    /// Fills `dest` with random bytes: by default the little-endian bytes of successive
    /// [`Self::next_u64`] values, the last one cut to fit.
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bits = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bits[..chunk.len()]);
        }
    }
}

impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest)
    }
}

/// A deterministic [`RandomSource`]: SplitMix64 from a seed.
///
/// **Predictable: for tests, benchmarks and the demo only, never in a deployment.** Every
/// output follows from the seed, and the seed follows from any one output, so whoever
/// sees one request id of a service seeded this way can compute every later request id
/// and tracking number; two services with the same seed draw the same ids. It is fast,
/// passes BigCrush and is fully reproducible, which is what tests and benchmarks need.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// The generator with the given seed. Two generators with the same seed give the same
    /// sequence.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl RandomSource for SeededRandom {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Makes identifiers from a [`RandomSource`]: request ids and other UUIDs (version 7,
/// time-ordered) and tracking numbers. The one place core turns random bits into ids.
pub struct IdGenerator {
    source: Box<dyn RandomSource>,
}

impl fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The source's state is not shown: it would tell the next ids.
        f.debug_struct("IdGenerator").finish_non_exhaustive()
    }
}

impl IdGenerator {
    /// A generator drawing from `source`.
    pub fn new(source: impl RandomSource + 'static) -> Self {
        Self {
            source: Box::new(source),
        }
    }

    /// The next 64 random bits of the source.
    pub fn next_u64(&mut self) -> u64 {
        self.source.next_u64()
    }

    /// A time-ordered request id (UUID v7) for the given instant.
    pub fn request_id(&mut self, at: chrono::DateTime<chrono::Utc>) -> RequestId {
        RequestId(self.uuid_v7(at))
    }

    /// A UUID v7 for the given instant: its 48-bit millisecond timestamp, then 74 bits
    /// from the first ten bytes the source fills.
    pub fn uuid_v7(&mut self, at: chrono::DateTime<chrono::Utc>) -> Uuid {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let mut bytes = [0u8; 10];
        self.source.fill_bytes(&mut bytes);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }

    /// A tracking number from the next 64 bits of the source.
    pub fn tracking_number(&mut self) -> crate::tracking::TrackingNumber {
        crate::tracking::TrackingNumber::from_random(self.source.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn codes_are_checked() {
        assert!(UnitCode::new("fen-isleri").is_ok());
        assert!(matches!(UnitCode::new(""), Err(IdError::Length(_))));
        assert!(matches!(UnitCode::new("a b"), Err(IdError::Character(_))));
        assert!(serde_json::from_str::<UnitCode>("\"ç\"").is_err());
    }

    #[test]
    fn seeded_random_is_splitmix64() {
        // The published first outputs of SplitMix64 from seed 0.
        let mut r = SeededRandom::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn fill_bytes_takes_successive_draws_little_endian() {
        let (mut a, mut b) = (SeededRandom::new(5), SeededRandom::new(5));
        let mut bytes = [0u8; 11];
        a.fill_bytes(&mut bytes);
        let (x, y) = (b.next_u64().to_le_bytes(), b.next_u64().to_le_bytes());
        assert_eq!(bytes[..8], x);
        assert_eq!(bytes[8..], y[..3]);
        // The cut draw is used up.
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn request_ids_sort_by_time() {
        let mut g = IdGenerator::new(SeededRandom::new(7));
        let t1 = chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let t2 = chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 1).unwrap();
        let a = g.request_id(t1);
        let b = g.request_id(t2);
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(a.to_string().parse::<RequestId>().unwrap(), a);
    }
}
