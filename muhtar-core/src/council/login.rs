//! Residents' logins with one-time codes: a member asks for a code with the e-mail
//! address or phone on the roll, the code goes out through the outbox, and the member logs
//! in with it.
//!
//! A code is 6 random digits from the service's randomness. Only a salted SHA-256 of it is
//! stored ([`LoginCode::code_hash`]); it lives [`CouncilSettings::login_code_minutes`]
//! (default 10) and takes at most [`CouncilSettings::login_code_tries`] wrong tries
//! (default 5). A new code for the same contact replaces the older one. Using a code is
//! one atomic step of the store ([`crate::store::MemberLoginStore::use_login_code`],
//! deciding with [`check_code`]), so a code logs in once even when tried in parallel.
//!
//! [`CouncilSettings::login_code_minutes`]: super::CouncilSettings::login_code_minutes
//! [`CouncilSettings::login_code_tries`]: super::CouncilSettings::login_code_tries

use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The number of digits of a login code.
pub const CODE_DIGITS: usize = 6;

/// The contact a member logs in with: an e-mail address (lowercased) or a phone normalised
/// as [`super::NewMember::validate`] does (`+90XXXXXXXXXX`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contact {
    /// An e-mail address, lowercased.
    Email(String),
    /// A phone, `+90XXXXXXXXXX`.
    Phone(String),
}

impl Contact {
    /// Reads what a person typed: an e-mail address or a Turkish phone number. `None` if it
    /// is neither.
    ///
    /// ```
    /// use muhtar_core::council::Contact;
    /// assert_eq!(Contact::parse(" Ayse@Ornek.org "), Some(Contact::Email("ayse@ornek.org".into())));
    /// assert_eq!(Contact::parse("0532 123 45 67"), Some(Contact::Phone("+905321234567".into())));
    /// assert_eq!(Contact::parse("ayşe"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Contact> {
        let t = text.trim();
        if t.contains('@') {
            let e = t.to_lowercase();
            return crate::org::is_valid_email(&e).then_some(Contact::Email(e));
        }
        crate::org::normalize_phone(t).map(Contact::Phone)
    }

    /// The contact as stored in the login-code table's key (`email:…` or `phone:…`).
    pub fn key(&self) -> String {
        match self {
            Contact::Email(e) => format!("email:{e}"),
            Contact::Phone(p) => format!("phone:{p}"),
        }
    }

    /// Whether `member` has this contact.
    pub fn matches(&self, member: &super::Member) -> bool {
        match self {
            Contact::Email(e) => member
                .email
                .as_deref()
                .is_some_and(|m| m.to_lowercase() == *e),
            Contact::Phone(p) => member.phone.as_deref() == Some(p.as_str()),
        }
    }
}

/// A login code as made, before it is stored: the digits (sent, never stored) and the
/// stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The 6 digits, to send.
    pub code: String,
    /// What the store keeps.
    pub record: LoginCode,
}

/// A login code as stored: never the digits, only a salted SHA-256 of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoginCode {
    /// Tenant.
    pub tenant: TenantId,
    /// The contact it was sent to ([`Contact::key`]); one code per contact.
    pub contact: String,
    /// Random salt, 32 hexadecimal digits.
    pub salt: String,
    /// SHA-256 (hex) of the salt, tenant, contact and code ([`code_hash`]).
    pub code_hash: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// Wrong tries so far.
    pub failures: u32,
}

impl LoginCode {
    /// A new code for `contact`: 6 digits and a salt from `next_u64` (the service's
    /// randomness), valid for `minutes`.
    pub fn issue(
        tenant: TenantId,
        contact: &Contact,
        now: DateTime<Utc>,
        minutes: u32,
        mut next_u64: impl FnMut() -> u64,
    ) -> IssuedCode {
        // Rejection sampling keeps every code equally likely.
        let limit = u64::MAX - u64::MAX % 1_000_000;
        let n = loop {
            let x = next_u64();
            if x < limit {
                break x % 1_000_000;
            }
        };
        let code = format!("{n:06}");
        let salt = format!("{:016x}{:016x}", next_u64(), next_u64());
        let contact = contact.key();
        let code_hash = code_hash(&salt, &tenant, &contact, &code);
        IssuedCode {
            code,
            record: LoginCode {
                tenant,
                contact,
                salt,
                code_hash,
                created_at: now,
                expires_at: now + chrono::Duration::minutes(i64::from(minutes)),
                failures: 0,
            },
        }
    }
}

/// The stored hash of a code: SHA-256 (hex) of `muhtar-giris/1`, the salt, the tenant,
/// the contact key and the digits, one per line.
pub fn code_hash(salt: &str, tenant: &TenantId, contact: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("muhtar-giris/1\n{salt}\n{tenant}\n{contact}\n{code}\n").as_bytes());
    hex::encode(h.finalize())
}

/// What a try of a code found. Decided by [`check_code`] inside the store's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeCheck {
    /// The code is right: it is used up (removed) in the same transaction.
    Accepted,
    /// The code is wrong: its failures are raised by one; `tries_left` more are allowed.
    Wrong {
        /// Tries left after this one.
        tries_left: u32,
    },
    /// The code is past its lifetime (or has taken all its wrong tries): nothing changes.
    Expired,
    /// No code is stored for the contact (never asked for, or used already).
    NoCode,
}

/// Decides a try of `code` against the stored one (`None`: none stored) at `now`, with
/// `max_tries` wrong tries allowed per code. Pure: the stores call it inside the
/// transaction that then writes its consequence (remove the code, or count the failure).
pub fn check_code(
    stored: Option<&LoginCode>,
    code: &str,
    now: DateTime<Utc>,
    max_tries: u32,
) -> CodeCheck {
    let Some(s) = stored else {
        return CodeCheck::NoCode;
    };
    if now >= s.expires_at || s.failures >= max_tries {
        return CodeCheck::Expired;
    }
    let given = code_hash(&s.salt, &s.tenant, &s.contact, code.trim());
    if constant_time_eq(given.as_bytes(), s.code_hash.as_bytes()) {
        CodeCheck::Accepted
    } else {
        CodeCheck::Wrong {
            tries_left: max_tries.saturating_sub(s.failures + 1),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a login with a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginCodeError {
    /// The contact is not an e-mail address or a Turkish phone number.
    #[error("contact: {given:?} is not an e-mail address or a Turkish phone number")]
    BadContact {
        /// What was given.
        given: String,
    },
    /// The code is wrong, or none is waiting for the contact.
    #[error("code: the login code is wrong")]
    WrongCode,
    /// The code's time is over, or it took all its wrong tries: ask for a new one.
    #[error("code: the login code has expired; ask for a new one")]
    Expired,
    /// Too many codes asked for, or too many wrong codes, for this contact: wait.
    #[error("too many tries for this contact; try again in {minutes} minutes")]
    TooManyTries {
        /// Minutes to wait.
        minutes: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures::{t0, tenant};
    use proptest::prelude::*;

    fn issue(seed: u64) -> IssuedCode {
        let mut r = crate::ids::SeededRandom::new(seed);
        use crate::ids::RandomSource;
        LoginCode::issue(
            tenant("a"),
            &Contact::Phone("+905321234567".into()),
            t0(),
            10,
            || r.next_u64(),
        )
    }

    proptest! {
        #[test]
        fn a_code_is_six_digits_and_only_its_hash_is_kept(seed in any::<u64>()) {
            let c = issue(seed);
            prop_assert_eq!(c.code.len(), CODE_DIGITS);
            prop_assert!(c.code.chars().all(|d| d.is_ascii_digit()));
            let json = serde_json::to_string(&c.record).unwrap();
            let quoted = format!("\"{}\"", c.code);
            prop_assert!(!json.contains(&quoted));
            prop_assert_eq!(check_code(Some(&c.record), &c.code, t0(), 5), CodeCheck::Accepted);
        }
    }

    #[test]
    fn wrong_expired_and_missing_codes() {
        let c = issue(1);
        let wrong = if c.code == "000000" {
            "000001"
        } else {
            "000000"
        };
        assert_eq!(
            check_code(Some(&c.record), wrong, t0(), 5),
            CodeCheck::Wrong { tries_left: 4 }
        );
        let late = c.record.expires_at;
        assert_eq!(
            check_code(Some(&c.record), &c.code, late, 5),
            CodeCheck::Expired
        );
        let mut spent = c.record.clone();
        spent.failures = 5;
        assert_eq!(
            check_code(Some(&spent), &c.code, t0(), 5),
            CodeCheck::Expired
        );
        assert_eq!(check_code(None, &c.code, t0(), 5), CodeCheck::NoCode);
    }

    #[test]
    fn contacts_read_like_the_roll() {
        assert_eq!(
            Contact::parse("+90 (532) 123-45-67"),
            Some(Contact::Phone("+905321234567".into()))
        );
        assert_eq!(Contact::parse("a@b"), None);
        assert_eq!(Contact::parse(""), None);
    }
}
