//! Access control: who may do what to which request.
//!
//! [`authorize`] is a pure function used by the service façade on every command and query.
//! The rules:
//! - nothing ever crosses tenants;
//! - a muhtar sees and acts only on their own muhtarlık's requests;
//! - unit staff act on requests routed to their unit or to a unit below it;
//! - the coordinator (Muhtarlıklar Müdürlüğü) acts on every request of the tenant, and alone
//!   sets a request's SLA policy;
//! - the responsible official reads everything and alone signs reports;
//! - an auditor only reads; an administrator manages organisation, rules and calendar;
//! - the public (no credentials: Open311 reads, the status page) reads public views only
//!   ([`Action::ReadPublic`], [`crate::public::PublicView`]) and may do nothing else;
//!   every other role may read the public view of what it may read.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{MuhtarlikCode, TenantId, UnitCode};
use crate::org::Organisation;
use crate::request::{Channel, InputError};

/// The role an actor plays.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "of", rename_all = "kebab-case")]
pub enum Role {
    /// The muhtar of one muhtarlık.
    Muhtar(MuhtarlikCode),
    /// Staff of one unit (and, through it, the units below).
    UnitStaff(UnitCode),
    /// The tenant's coordinator (Muhtarlıklar Müdürlüğü): triage, back-office entry, re-routing.
    Coordinator,
    /// The responsible official of Genelge 2015/8 item 5: signs reports.
    ResponsibleOfficial,
    /// Read-only access to everything in the tenant.
    Auditor,
    /// Manages the organisation, the rules and the calendar.
    Administrator,
    /// The system itself (deadline sweeps, automatic closure).
    System,
    /// Anyone, without credentials: reads public views ([`crate::public::PublicView`]:
    /// no personal data) and nothing else.
    Public,
}

crate::names::named_enum! {
    /// The kind of a role: the variant of [`Role`] without its code. Its stable name is
    /// how an actor text starts (`unit:fen`, `coordinator`); its display name is how
    /// people call the role.
    pub enum RoleKind: "role" for Role::kind {
        Muhtar => ("muhtar", "muhtar"),
        UnitStaff => ("unit", "birim"),
        Coordinator => ("coordinator", "koordinatör"),
        ResponsibleOfficial => ("official", "sorumlu yetkili"),
        Auditor => ("auditor", "denetçi"),
        Administrator => ("admin", "yönetici"),
        System => ("system", "sistem"),
        Public => ("public", "kamu"),
    }
}

impl Role {
    /// The role as an actor text names it: `muhtar:kuzguncuk`, `unit:fen`, `coordinator`.
    fn text(&self) -> String {
        let kind = self.kind().as_str();
        match self {
            Role::Muhtar(c) => format!("{kind}:{c}"),
            Role::UnitStaff(c) => format!("{kind}:{c}"),
            _ => kind.to_owned(),
        }
    }
}

/// Who is acting: a person (or the system) in a role, in one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The tenant the actor belongs to.
    pub tenant: TenantId,
    /// A user name or id, for the event history.
    pub user: String,
    /// The role.
    #[serde(flatten)]
    pub role: Role,
}

/// Why an actor text such as `muhtar:kuzguncuk` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActorParseError {
    /// The role is not one of the known roles.
    #[error("unknown role {0:?}: expected muhtar:<code>, unit:<code>, coordinator, official, auditor, admin, system or public")]
    Role(String),
    /// The code after the role is missing or malformed.
    #[error("bad code in actor {0:?}")]
    Code(String),
}

impl Actor {
    /// An actor with a role in a tenant.
    pub fn new(tenant: TenantId, user: impl Into<String>, role: Role) -> Self {
        Self {
            tenant,
            user: user.into(),
            role,
        }
    }

    /// The system actor of a tenant.
    pub fn system(tenant: TenantId) -> Self {
        Self::new(tenant, "system", Role::System)
    }

    /// The public of a tenant: who reads without credentials (Open311 reads, a request's
    /// status by tracking number). May read public views only.
    pub fn public(tenant: TenantId) -> Self {
        Self::new(tenant, "public", Role::Public)
    }

    /// Who acted, as people read it (history lists): the muhtarlık's or the unit's name
    /// with the role (`Kuzguncuk Mahallesi (muhtar)`, `Veteriner Hizmetleri Müdürlüğü
    /// (birim)`), the role's name for the others (`koordinatör`, `sistem`), followed by
    /// the user when one was named (`… — ayse.k`).
    ///
    /// ```
    /// use muhtar_core::access::Actor;
    /// use muhtar_core::ids::TenantId;
    /// use muhtar_core::org::Organisation;
    /// let org = Organisation::from_toml_str(include_str!("../../examples/data/org.toml")).unwrap();
    /// let t = org.tenant.id.clone();
    /// assert_eq!(Actor::system(t.clone()).display_name(&org), "sistem");
    /// let kuzguncuk = Actor::parse(&t, "muhtar:kuzguncuk@ali").unwrap();
    /// assert_eq!(kuzguncuk.display_name(&org), "Kuzguncuk Mahallesi (muhtar) — ali");
    /// ```
    pub fn display_name(&self, org: &Organisation) -> String {
        let role = self.role.kind().display_name();
        let who = match &self.role {
            Role::Muhtar(m) => org.muhtarlik(m).map(|x| x.name.as_str()),
            Role::UnitStaff(u) => org.unit(u).map(|x| x.name.as_str()),
            _ => None,
        };
        let code = match &self.role {
            Role::Muhtar(m) => Some(m.as_str()),
            Role::UnitStaff(u) => Some(u.as_str()),
            _ => None,
        };
        let mut out = match who.or(code) {
            Some(name) => format!("{name} ({role})"),
            None => role.to_owned(),
        };
        // `Actor::parse` without `@user` takes the role text as the user: not a name.
        if !self.user.is_empty() && self.user != self.role.text() {
            out.push_str(" — ");
            out.push_str(&self.user);
        }
        out
    }

    /// The defaults a submission by this actor takes for the fields it leaves out
    /// ([`SubmissionDefaults`]).
    pub fn submission_defaults(&self) -> SubmissionDefaults {
        match &self.role {
            Role::Muhtar(m) => SubmissionDefaults {
                muhtarlik: Some(m.clone()),
                channel: Channel::MbsWeb,
            },
            _ => SubmissionDefaults {
                muhtarlik: None,
                channel: Channel::Phone,
            },
        }
    }

    /// Parses `muhtar:<code>`, `unit:<code>`, `coordinator`, `official`, `auditor`, `admin`,
    /// `system` or `public`, optionally followed by `@user`.
    ///
    /// ```
    /// use muhtar_core::access::{Actor, Role};
    /// use muhtar_core::ids::TenantId;
    /// let t = TenantId::new("ibb").unwrap();
    /// let a = Actor::parse(&t, "muhtar:kuzguncuk@ali").unwrap();
    /// assert_eq!(a.user, "ali");
    /// assert!(matches!(a.role, Role::Muhtar(_)));
    /// ```
    pub fn parse(tenant: &TenantId, text: &str) -> Result<Self, ActorParseError> {
        let (spec, user) = match text.split_once('@') {
            Some((s, u)) => (s, Some(u)),
            None => (text, None),
        };
        let (role, code) = match spec.split_once(':') {
            Some((r, c)) => (r, Some(c)),
            None => (spec, None),
        };
        let code_err = || ActorParseError::Code(text.to_owned());
        let role = match (role, code) {
            ("muhtar", Some(c)) => Role::Muhtar(MuhtarlikCode::new(c).map_err(|_| code_err())?),
            ("unit", Some(c)) => Role::UnitStaff(UnitCode::new(c).map_err(|_| code_err())?),
            ("muhtar" | "unit", None) => return Err(code_err()),
            ("coordinator", None) => Role::Coordinator,
            ("official", None) => Role::ResponsibleOfficial,
            ("auditor", None) => Role::Auditor,
            ("admin", None) => Role::Administrator,
            ("system", None) => Role::System,
            ("public", None) => Role::Public,
            _ => return Err(ActorParseError::Role(spec.to_owned())),
        };
        let user = user.map(str::to_owned).unwrap_or_else(|| spec.to_owned());
        Ok(Self::new(tenant.clone(), user, role))
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.role.text(), self.user)
    }
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// Submit a new request (a muhtar for their muhtarlık; staff as back-office entry).
    Submit,
    /// Read a request and its history.
    Read,
    /// Accept a request into the unit's work.
    Accept,
    /// Send a progress note.
    InterimReply,
    /// Wait on the muhtar (pauses the clocks).
    Pause,
    /// End the wait.
    Resume,
    /// Answer with an outcome.
    Answer,
    /// Close an answered request.
    Close,
    /// Reopen an answered or closed request.
    Reopen,
    /// Transfer to another unit.
    Transfer,
    /// Correct the routing of a misrouted request.
    Reroute,
    /// Withdraw a request.
    Withdraw,
    /// Merge a request into a duplicate.
    Merge,
    /// Send a message on a request.
    Message,
    /// Extend a Law 4982 deadline or record a fee.
    Extend,
    /// Read a unit's queue.
    ReadQueue,
    /// Read reports.
    ReadReport,
    /// Sign a quarterly report.
    SignReport,
    /// Change the organisation, the rules or the calendar.
    Manage,
    /// Export requests (audits, backups, data-subject requests).
    Export,
    /// Set or change a request's SLA policy (the coordinator).
    SetPolicy,
    /// Read the public view of a request or a listing of them
    /// ([`crate::public::PublicView`]: no personal data). The only action of
    /// [`Role::Public`]; any other role may take it where it may [`Action::Read`].
    ReadPublic,
}

/// What the action is aimed at.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A request, by the facts access depends on.
    Request {
        /// Its tenant.
        tenant: &'a TenantId,
        /// Its muhtarlık.
        muhtarlik: &'a MuhtarlikCode,
        /// The unit it is routed to now, if any.
        unit: Option<&'a UnitCode>,
    },
    /// A new request for a muhtarlık.
    NewRequest {
        /// Its tenant.
        tenant: &'a TenantId,
        /// Its muhtarlık.
        muhtarlik: &'a MuhtarlikCode,
    },
    /// A unit (its queue, its report).
    Unit {
        /// Its tenant.
        tenant: &'a TenantId,
        /// The unit.
        unit: &'a UnitCode,
    },
    /// The tenant as a whole.
    Tenant(&'a TenantId),
}

impl Target<'_> {
    fn tenant(&self) -> &TenantId {
        match self {
            Target::Request { tenant, .. }
            | Target::NewRequest { tenant, .. }
            | Target::Unit { tenant, .. }
            | Target::Tenant(tenant) => tenant,
        }
    }
}

/// Why access was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The target belongs to another tenant. Callers should present this as "not found".
    #[error("not found")]
    OtherTenant,
    /// The actor may not take this action on this target.
    #[error("{actor} may not {action:?} here")]
    Forbidden {
        /// Who tried.
        actor: String,
        /// What they tried.
        action: Action,
    },
}

impl AccessError {
    /// Whether the target should be hidden from the actor (reported as "not found").
    pub fn hides_target(&self) -> bool {
        matches!(self, AccessError::OtherTenant)
    }
}

/// Decides whether `actor` may take `action` on `target`.
///
/// `org` is the tenant's organisation, used to decide whether a unit lies below another.
pub fn authorize(
    actor: &Actor,
    action: Action,
    target: &Target<'_>,
    org: &Organisation,
) -> Result<(), AccessError> {
    if &actor.tenant != target.tenant() || org.tenant.id != actor.tenant {
        return Err(AccessError::OtherTenant);
    }
    let forbidden = || AccessError::Forbidden {
        actor: actor.to_string(),
        action,
    };
    use Action as A;
    if action == A::ReadPublic && actor.role != Role::Public {
        // The public view of what the actor may read in full.
        return authorize(actor, A::Read, target, org).map_err(|_| forbidden());
    }
    let allowed = match (&actor.role, target) {
        (Role::Public, _) => action == A::ReadPublic,
        (Role::System, _) => matches!(
            action,
            A::Read | A::ReadQueue | A::ReadReport | A::Close | A::Message
        ),
        (Role::Administrator, _) => matches!(
            action,
            A::Manage | A::Read | A::ReadQueue | A::ReadReport | A::Export
        ),
        (Role::Auditor, _) => matches!(action, A::Read | A::ReadQueue | A::ReadReport | A::Export),
        (Role::ResponsibleOfficial, _) => {
            matches!(
                action,
                A::Read | A::ReadQueue | A::ReadReport | A::SignReport | A::Export
            )
        }
        (Role::Coordinator, _) => !matches!(action, A::SignReport | A::Manage),
        (Role::Muhtar(own), Target::Request { muhtarlik, .. }) => {
            own == *muhtarlik
                && matches!(
                    action,
                    A::Read | A::Resume | A::Reopen | A::Withdraw | A::Message | A::Close
                )
        }
        (Role::Muhtar(own), Target::NewRequest { muhtarlik, .. }) => {
            own == *muhtarlik && action == A::Submit
        }
        (Role::Muhtar(_), _) => false,
        (Role::UnitStaff(own), Target::Request { unit, .. }) => {
            unit.is_some_and(|u| org.is_within(u, own))
                && matches!(
                    action,
                    A::Read
                        | A::Accept
                        | A::InterimReply
                        | A::Pause
                        | A::Resume
                        | A::Answer
                        | A::Close
                        | A::Transfer
                        | A::Message
                        | A::Extend
                )
        }
        (Role::UnitStaff(_), Target::NewRequest { .. }) => action == A::Submit,
        (Role::UnitStaff(own), Target::Unit { unit, .. }) => {
            org.is_within(unit, own) && matches!(action, A::ReadQueue | A::ReadReport)
        }
        (Role::UnitStaff(_), Target::Tenant(_)) => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// What a submission takes from its submitter's role for the fields it leaves out: the
/// one rule every entry point (CLI, REST, Open311, a portal) applies, through
/// [`Actor::submission_defaults`].
///
/// - A muhtar submits for their own muhtarlık, through the MBS (`mbs-web`).
/// - Anyone else (back-office staff entering what reached them) names the muhtarlık;
///   the channel defaults to `phone`.
///
/// An entry point with its own channel (Open311 is always `open311`) sets it itself.
///
/// ```
/// use muhtar_core::access::Actor;
/// use muhtar_core::ids::TenantId;
/// use muhtar_core::request::Channel;
/// let t = TenantId::new("ibb").unwrap();
/// let d = Actor::parse(&t, "muhtar:kuzguncuk").unwrap().submission_defaults();
/// assert_eq!(d.muhtarlik(None).unwrap().as_str(), "kuzguncuk");
/// assert_eq!(d.channel(None), Channel::MbsWeb);
/// let d = Actor::parse(&t, "coordinator").unwrap().submission_defaults();
/// assert!(d.muhtarlik(None).is_err());
/// assert_eq!(d.channel(None), Channel::Phone);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionDefaults {
    /// The muhtarlık when none is given: a muhtar's own; `None` for anyone else.
    pub muhtarlik: Option<MuhtarlikCode>,
    /// The channel when none is given.
    pub channel: Channel,
}

impl SubmissionDefaults {
    /// The muhtarlık of a submission: the one given, else the default; an input error
    /// naming `muhtarlik` when there is neither. (A muhtar who names another
    /// muhtarlık is refused later, by [`authorize`].)
    pub fn muhtarlik(&self, given: Option<MuhtarlikCode>) -> Result<MuhtarlikCode, InputError> {
        given
            .or_else(|| self.muhtarlik.clone())
            .ok_or(InputError::Empty { field: "muhtarlik" })
    }

    /// The channel of a submission: the one given, else the default.
    pub fn channel(&self, given: Option<Channel>) -> Channel {
        given.unwrap_or(self.channel)
    }
}
