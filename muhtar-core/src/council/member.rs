//! The council's member roll.

use crate::ids::{MuhtarlikCode, TenantId};
use crate::request::InputError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member id: a random UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(pub Uuid);

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for MemberId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(MemberId)
    }
}

/// A member's place in the council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MemberRole {
    /// A resident (mahalle sakini): every resident is a natural member.
    Resident,
    /// The muhtar, who leads the council.
    Muhtar,
    /// An official the muhtar invited.
    Official,
}

crate::names::named_enum! {
    impl MemberRole: "member role" {
        Resident => ("resident", "mahalle sakini"),
        Muhtar => ("muhtar", "muhtar"),
        Official => ("official", "davetli yetkili"),
    }
}

/// A member as stored. The contact is personal data: it is shown to the muhtar and used
/// for login codes, never on public pages or in results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// Id.
    pub id: MemberId,
    /// Tenant.
    pub tenant: TenantId,
    /// The council's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: MemberRole,
    /// E-mail address, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, normalised to `+90XXXXXXXXXX`, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// When the muhtar registered them.
    pub added_at: DateTime<Utc>,
    /// When they left the roll (kept on record: past votes name them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    /// HMAC-SHA256 (hex) of the identity number under the tenant's identity key
    /// ([`super::IdentityKey::hash`]), if one was given; never the number. Two members on
    /// the roll of a tenant never share one (the store's unique key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_hash: Option<String>,
}

impl Member {
    /// On the roll at `at`.
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.added_at <= at && self.removed_at.is_none_or(|r| at < r)
    }
}

/// A member as other members see them: the name and role, never the contact (personal
/// data for the muhtar and the back office only: [`crate::service::Mbs::members`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicMember {
    /// Id.
    pub id: MemberId,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: MemberRole,
    /// When the muhtar registered them.
    pub added_at: DateTime<Utc>,
    /// When they left the roll, if they did.
    pub removed_at: Option<DateTime<Utc>>,
}

impl PublicMember {
    /// On the roll at `at`.
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.added_at <= at && self.removed_at.is_none_or(|r| at < r)
    }
}

impl From<&Member> for PublicMember {
    fn from(m: &Member) -> Self {
        PublicMember {
            id: m.id,
            name: m.name.clone(),
            role: m.role,
            added_at: m.added_at,
            removed_at: m.removed_at,
        }
    }
}

/// What the muhtar gives to register a member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Full name (1 to 200 characters, one line).
    pub name: String,
    /// Role (default resident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number (Turkish: `05xx …`, `+90 …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Identity number (T.C. kimlik no), optional: checked, then kept only as a keyed hash
    /// ([`Self::validate_with`]), so the roll refuses the same person twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_number: Option<String>,
}

/// The message of an identity number given where no identity key is configured.
pub const NO_IDENTITY_KEY: &str = "no identity key is configured for this tenant, so identity \
     numbers cannot be kept: make one with `muhtar council identity-key new --for-tenant T --out FILE` \
     and give it with --identity-key FILE (or MUHTAR_IDENTITY_KEY=FILE)";

impl NewMember {
    /// Checks the fields and makes the member: a name, and an e-mail address or a phone
    /// for login codes. Errors name the field. An identity number is refused here (no
    /// key): see [`Self::validate_with`].
    pub fn validate(
        self,
        id: MemberId,
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        now: DateTime<Utc>,
    ) -> Result<Member, InputError> {
        self.validate_with(id, tenant, muhtarlik, now, None)
    }

    /// [`Self::validate`] with the tenant's identity key: an identity number given is
    /// checked ([`super::IdentityNumber::parse`]) and kept only as its HMAC under `key`;
    /// without a key it is refused (field `identity_number`, saying how to configure one).
    pub fn validate_with(
        self,
        id: MemberId,
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        now: DateTime<Utc>,
        key: Option<&super::IdentityKey>,
    ) -> Result<Member, InputError> {
        let identity_hash = match self
            .identity_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            None => None,
            Some(n) => {
                let number =
                    super::IdentityNumber::parse(n).map_err(|problem| InputError::Invalid {
                        field: "identity_number",
                        message: format!("not a valid T.C. identity number: {problem}"),
                    })?;
                let key =
                    key.filter(|k| *k.tenant() == tenant)
                        .ok_or_else(|| InputError::Invalid {
                            field: "identity_number",
                            message: NO_IDENTITY_KEY.into(),
                        })?;
                Some(key.hash(&number))
            }
        };
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(InputError::Empty { field: "name" });
        }
        let len = name.chars().count();
        if len > 200 {
            return Err(InputError::TooLong {
                field: "name",
                len,
                max: 200,
            });
        }
        if name.contains(['\n', '\r']) {
            return Err(InputError::Invalid {
                field: "name",
                message: "one line".into(),
            });
        }
        let email = self
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        if let Some(e) = &email {
            if !crate::org::is_valid_email(e) {
                return Err(InputError::Invalid {
                    field: "email",
                    message: format!("{e:?} is not an e-mail address"),
                });
            }
        }
        let phone = match self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => Some(
                crate::org::normalize_phone(p).ok_or_else(|| InputError::Invalid {
                    field: "phone",
                    message: format!("{p:?} is not a Turkish phone number (05xx xxx xx xx)"),
                })?,
            ),
        };
        if email.is_none() && phone.is_none() {
            return Err(InputError::Invalid {
                field: "email",
                message: "an e-mail address or a phone is needed for login codes".into(),
            });
        }
        Ok(Member {
            id,
            tenant,
            muhtarlik,
            name,
            role: self.role.unwrap_or(MemberRole::Resident),
            email,
            phone,
            added_at: now,
            removed_at: None,
            identity_hash,
        })
    }
}
