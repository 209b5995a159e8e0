//! Identity numbers (T.C. kimlik no) of members, kept only as a keyed hash (KVKK).
//!
//! A muhtar may give a member's identity number so the roll refuses the same person twice.
//! The number is checked ([`IdentityNumber::parse`]: 11 digits, not starting with 0, the
//! two official check digits) and never stored: the member keeps the HMAC-SHA256 of it
//! under the tenant's identity key ([`IdentityKey`], a secret file given to the server or
//! the command line from outside core, like the document signing keys). Without the key
//! the hash cannot be recomputed from a guessed number, and two tenants' hashes of one
//! number differ.

use crate::ids::TenantId;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// A checked identity number (T.C. kimlik no). `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityNumber(String);

impl std::fmt::Debug for IdentityNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityNumber(…)")
    }
}

impl IdentityNumber {
    /// Checks `text` (spaces around it ignored): 11 digits, the first not 0, the 10th
    /// digit `((d1+d3+d5+d7+d9)×7 − (d2+d4+d6+d8)) mod 10` and the 11th the sum of the
    /// first ten mod 10. The error says which rule failed, never the digits.
    ///
    /// ```
    /// use muhtar_core::council::IdentityNumber;
    /// assert!(IdentityNumber::parse("10000000146").is_ok());
    /// assert!(IdentityNumber::parse("10000000147").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<IdentityNumber, &'static str> {
        let t = text.trim();
        if t.len() != 11 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err("11 rakam olmalı / must be 11 digits");
        }
        let d: Vec<u32> = t.bytes().map(|b| u32::from(b - b'0')).collect();
        if d[0] == 0 {
            return Err("0 ile başlayamaz / cannot start with 0");
        }
        let odd = d[0] + d[2] + d[4] + d[6] + d[8];
        let even = d[1] + d[3] + d[5] + d[7];
        let tenth = (odd * 7 + 10 * 10 - even) % 10;
        let eleventh = d[..10].iter().sum::<u32>() % 10;
        if d[9] != tenth || d[10] != eleventh {
            return Err("kontrol rakamları tutmuyor / the check digits do not match");
        }
        Ok(IdentityNumber(t.to_owned()))
    }

    /// Makes a valid number from 9 leading digits (the first not 0) by adding the check
    /// digits: for tests and examples.
    pub fn with_check_digits(first_nine: [u8; 9]) -> Option<IdentityNumber> {
        let d: Vec<u32> = first_nine.iter().map(|&x| u32::from(x)).collect();
        if d.iter().any(|&x| x > 9) || d[0] == 0 {
            return None;
        }
        let odd = d[0] + d[2] + d[4] + d[6] + d[8];
        let even = d[1] + d[3] + d[5] + d[7];
        let tenth = (odd * 7 + 100 - even) % 10;
        let eleventh = (d.iter().sum::<u32>() + tenth) % 10;
        let mut s: String = d
            .iter()
            .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
            .collect();
        s.push(char::from_digit(tenth, 10).unwrap_or('0'));
        s.push(char::from_digit(eleventh, 10).unwrap_or('0'));
        IdentityNumber::parse(&s).ok()
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's identity key: the secret identity numbers are hashed under. Read from a key
/// file outside core (`--identity-key FILE`, `MUHTAR_IDENTITY_KEY`); `Debug` shows only
/// the tenant.
#[derive(Clone)]
pub struct IdentityKey {
    tenant: TenantId,
    secret: [u8; 32],
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityKey")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// Why an identity key file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityKeyError {
    /// Not the TOML expected (`tenant = "…"`, `secret = "<64 hexadecimal digits>"`).
    #[error("identity key file, line {line}: {message}")]
    File {
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The tenant is not a valid tenant id.
    #[error("identity key file: tenant {0:?} is not a valid tenant id")]
    Tenant(String),
    /// The secret is not 64 hexadecimal digits.
    #[error("identity key file: secret must be 64 hexadecimal digits (32 bytes)")]
    Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    tenant: String,
    secret: String,
}

impl IdentityKey {
    /// A key of `tenant` from 32 secret bytes (the caller's OS randomness).
    pub fn from_secret(tenant: TenantId, secret: [u8; 32]) -> Self {
        Self { tenant, secret }
    }

    /// Reads a key file: TOML with `tenant` and `secret` (64 hexadecimal digits).
    pub fn from_file_text(text: &str) -> Result<Self, IdentityKeyError> {
        let f: KeyFile = toml::from_str(text).map_err(|e| IdentityKeyError::File {
            line: crate::org::toml_error_line(text, &e),
            message: e.message().to_owned(),
        })?;
        let tenant =
            TenantId::new(f.tenant.clone()).map_err(|_| IdentityKeyError::Tenant(f.tenant))?;
        let bytes = hex::decode(f.secret.trim()).map_err(|_| IdentityKeyError::Secret)?;
        let secret: [u8; 32] = bytes.try_into().map_err(|_| IdentityKeyError::Secret)?;
        Ok(Self::from_secret(tenant, secret))
    }

    /// The key file's text ([`Self::from_file_text`] reads it back). Keep it secret.
    pub fn to_file_text(&self) -> String {
        format!(
            "# muhtar identity-number key: keep this file secret (chmod 600)\ntenant = \"{}\"\nsecret = \"{}\"\n",
            self.tenant,
            hex::encode(self.secret)
        )
    }

    /// The tenant whose members' numbers it hashes.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// HMAC-SHA256 (hex) of the number under this key: what a member keeps.
    pub fn hash(&self, number: &IdentityNumber) -> String {
        // HMAC takes a key of any length: new_from_slice cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(b"muhtar-kimlik/1\n");
        mac.update(self.tenant.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(number.0.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures::tenant;
    use proptest::prelude::*;

    fn number() -> impl Strategy<Value = IdentityNumber> {
        (1u8..=9, proptest::array::uniform8(0u8..=9)).prop_map(|(a, rest)| {
            let mut nine = [0u8; 9];
            nine[0] = a;
            nine[1..].copy_from_slice(&rest);
            IdentityNumber::with_check_digits(nine).expect("valid by construction")
        })
    }

    proptest! {
        #[test]
        fn the_hash_is_keyed(n in number(), m in number(), k1 in any::<[u8; 32]>(), k2 in any::<[u8; 32]>()) {
            let a = IdentityKey::from_secret(tenant("a"), k1);
            let b = IdentityKey::from_secret(tenant("a"), k2);
            prop_assert_eq!(a.hash(&n), a.hash(&n.clone()));
            if k1 != k2 {
                prop_assert_ne!(a.hash(&n), b.hash(&n));
            }
            if n != m {
                prop_assert_ne!(a.hash(&n), a.hash(&m));
            }
            prop_assert!(!a.hash(&n).contains(n.as_str()));
            let other = IdentityKey::from_secret(tenant("b"), k1);
            prop_assert_ne!(a.hash(&n), other.hash(&n));
        }

        #[test]
        fn one_changed_digit_is_caught(n in number(), pos in 0usize..11, delta in 1u8..10) {
            let mut b = n.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdentityNumber::parse(&s).is_err());
        }
    }

    #[test]
    fn numbers_are_checked() {
        assert!(IdentityNumber::parse("10000000146").is_ok());
        assert!(IdentityNumber::parse(" 10000000146 ").is_ok());
        assert!(IdentityNumber::parse("1000000014").is_err());
        assert!(IdentityNumber::parse("00000000000").is_err());
        assert!(IdentityNumber::parse("1000000014a").is_err());
        assert_eq!(
            format!("{:?}", IdentityNumber::parse("10000000146").unwrap()),
            "IdentityNumber(…)"
        );
    }

    #[test]
    fn key_files_round_trip_and_hide_the_secret() {
        let k = IdentityKey::from_secret(tenant("a"), [7; 32]);
        let back = IdentityKey::from_file_text(&k.to_file_text()).unwrap();
        let n = IdentityNumber::parse("10000000146").unwrap();
        assert_eq!(k.hash(&n), back.hash(&n));
        assert!(!format!("{k:?}").contains("0707"));
        assert!(matches!(
            IdentityKey::from_file_text("tenant = \"a\"\nsecret = \"00\""),
            Err(IdentityKeyError::Secret)
        ));
    }
}
