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
    /// A member of a muhtarlık's neighbourhood council (a resident logged in with a
    /// one-time code): the actor's `user` is the member id ([`Actor::member_id`]). Reads
    /// the council, proposes, supports, comments and casts their own ballot; nothing else.
    Member(MuhtarlikCode),
}

/// The kind of a [`Role`], without its muhtarlık or unit: its stable name is how the role
/// is written after `--as` (and in tokens), its display name what people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RoleKind {
    /// [`Role::Muhtar`].
    Muhtar,
    /// [`Role::UnitStaff`].
    UnitStaff,
    /// [`Role::Coordinator`].
    Coordinator,
    /// [`Role::ResponsibleOfficial`].
    ResponsibleOfficial,
    /// [`Role::Auditor`].
    Auditor,
    /// [`Role::Administrator`].
    Administrator,
    /// [`Role::System`].
    System,
    /// [`Role::Public`].
    Public,
    /// [`Role::Member`].
    Member,
}

crate::names::named_enum! {
    impl RoleKind: "role" {
        Muhtar => ("muhtar", "muhtar"),
        UnitStaff => ("unit", "birim personeli"),
        Coordinator => ("coordinator", "koordinatör"),
        ResponsibleOfficial => ("official", "sorumlu yetkili"),
        Auditor => ("auditor", "denetçi"),
        Administrator => ("admin", "yönetici"),
        System => ("system", "sistem"),
        Public => ("public", "kamu"),
        Member => ("member", "meclis üyesi"),
    }
}

impl RoleKind {
    /// Whether the role names a muhtarlık or a unit (`muhtar:<kod>`, `unit:<kod>`).
    pub fn has_code(self) -> bool {
        matches!(
            self,
            RoleKind::Muhtar | RoleKind::UnitStaff | RoleKind::Member
        )
    }

    /// How the role is written after `--as`: `muhtar:<kod>`, `unit:<kod>`, `coordinator`, …
    pub fn form(self) -> String {
        if self.has_code() {
            format!("{}:<kod>", self.as_str())
        } else {
            self.as_str().to_owned()
        }
    }

    /// Every role's form, comma-separated (for errors and help texts).
    pub fn forms() -> String {
        Self::ALL.map(Self::form).join(", ")
    }
}

impl Role {
    /// The kind of the role.
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Muhtar(_) => RoleKind::Muhtar,
            Role::UnitStaff(_) => RoleKind::UnitStaff,
            Role::Coordinator => RoleKind::Coordinator,
            Role::ResponsibleOfficial => RoleKind::ResponsibleOfficial,
            Role::Auditor => RoleKind::Auditor,
            Role::Administrator => RoleKind::Administrator,
            Role::System => RoleKind::System,
            Role::Public => RoleKind::Public,
            Role::Member(_) => RoleKind::Member,
        }
    }

    /// The muhtarlık or unit code of a muhtar's or unit staff's role.
    pub fn code(&self) -> Option<&str> {
        match self {
            Role::Muhtar(m) | Role::Member(m) => Some(m.as_str()),
            Role::UnitStaff(u) => Some(u.as_str()),
            _ => None,
        }
    }

    /// The name in `org` of a muhtar's muhtarlık or a unit staff's unit (its code when
    /// `org` does not know it); `None` for the other roles.
    pub fn name_in<'a>(&'a self, org: &'a Organisation) -> Option<&'a str> {
        match self {
            Role::Muhtar(m) | Role::Member(m) => {
                Some(org.muhtarlik(m).map_or(m.as_str(), |x| x.name.as_str()))
            }
            Role::UnitStaff(u) => Some(org.unit(u).map_or(u.as_str(), |x| x.name.as_str())),
            _ => None,
        }
    }

    /// The role as people read it: its display name, and for a muhtar or unit staff the
    /// name of the muhtarlık or unit in `org` (its code when `org` does not know it),
    /// e.g. `muhtar Kuzguncuk`.
    pub fn describe(&self, org: &Organisation) -> String {
        match self.name_in(org) {
            Some(n) => format!("{} {n}", self.kind().display_name()),
            None => self.kind().display_name().to_owned(),
        }
    }
}

/// The role as written after `--as`: `muhtar:kuzguncuk`, `unit:asfalt`, `coordinator`, …
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code() {
            Some(c) => write!(f, "{}:{c}", self.kind().as_str()),
            None => f.write_str(self.kind().as_str()),
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
    #[error("unknown role {0:?}; valid roles: {forms}", forms = RoleKind::forms())]
    Role(String),
    /// The code after the role is missing or malformed.
    #[error("bad code in actor {0:?}: expected muhtar:<kod>, unit:<kod> or member:<kod> with a lowercase code such as kuzguncuk")]
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

    /// A council member of `muhtarlik` acting for themselves (`member:<kod>@<member id>`).
    pub fn member(
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        id: crate::council::MemberId,
    ) -> Self {
        Self::new(tenant, id.to_string(), Role::Member(muhtarlik))
    }

    /// The member id of a council member's actor ([`Role::Member`]); `None` for every other
    /// role or a user that is not a member id.
    pub fn member_id(&self) -> Option<crate::council::MemberId> {
        match self.role {
            Role::Member(_) => self.user.parse().ok(),
            _ => None,
        }
    }

    /// The public of a tenant: who reads without credentials (Open311 reads, a request's
    /// status by tracking number). May read public views only.
    pub fn public(tenant: TenantId) -> Self {
        Self::new(tenant, "public", Role::Public)
    }

    /// Who acted, as people read it (history lists): the muhtarlık's or the unit's name
    /// with the role (`Kuzguncuk Mahallesi (muhtar)`, `Veteriner Hizmetleri Müdürlüğü
    /// (birim personeli)`), the role's name for the others (`koordinatör`, `sistem`), followed by
    /// the user when one was named (`… — ayse.k`).
    ///
    /// ```
    /// use muhtar_core::access::Actor;
    /// use muhtar_core::ids::TenantId;
    /// use muhtar_core::org::Organisation;
    /// let (org, _) = Organisation::from_toml_str_with(include_str!("../../examples/data/org.toml"), |_| {
    ///     Ok(include_str!("../../examples/data/boundaries.geojson").to_owned())
    /// })
    /// .unwrap();
    /// let t = org.tenant.id.clone();
    /// assert_eq!(Actor::system(t.clone()).display_name(&org), "sistem");
    /// let kuzguncuk = Actor::parse(&t, "muhtar:kuzguncuk@ali").unwrap();
    /// assert_eq!(kuzguncuk.display_name(&org), "Kuzguncuk Mahallesi (muhtar) — ali");
    /// ```
    pub fn display_name(&self, org: &Organisation) -> String {
        let role = self.role.kind().display_name();
        let mut out = match self.role.name_in(org) {
            Some(name) => format!("{name} ({role})"),
            None => role.to_owned(),
        };
        // `Actor::parse` without `@user` takes the role text as the user: not a name.
        if !self.user.is_empty() && self.user != self.role.to_string() {
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
        let kind = RoleKind::from_name(role)
            .filter(|k| k.has_code() || code.is_none())
            .ok_or_else(|| ActorParseError::Role(spec.to_owned()))?;
        let role = match (kind, code) {
            (RoleKind::Muhtar, Some(c)) => {
                Role::Muhtar(MuhtarlikCode::new(c).map_err(|_| code_err())?)
            }
            (RoleKind::UnitStaff, Some(c)) => {
                Role::UnitStaff(UnitCode::new(c).map_err(|_| code_err())?)
            }
            (RoleKind::Member, Some(c)) => {
                Role::Member(MuhtarlikCode::new(c).map_err(|_| code_err())?)
            }
            (RoleKind::Muhtar | RoleKind::UnitStaff | RoleKind::Member, None) => {
                return Err(code_err())
            }
            (RoleKind::Coordinator, _) => Role::Coordinator,
            (RoleKind::ResponsibleOfficial, _) => Role::ResponsibleOfficial,
            (RoleKind::Auditor, _) => Role::Auditor,
            (RoleKind::Administrator, _) => Role::Administrator,
            (RoleKind::System, _) => Role::System,
            (RoleKind::Public, _) => Role::Public,
        };
        let user = user.map(str::to_owned).unwrap_or_else(|| spec.to_owned());
        Ok(Self::new(tenant.clone(), user, role))
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.role, self.user)
    }
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Publish a work or announcement of a unit ([`crate::map::work`]).
    PublishWork,
    /// Change a unit's work (its end, status, area, …).
    ChangeWork,
    /// Close a unit's work (finished or called off).
    CloseWork,
    /// Read works: public announcements, so every role may, the public included.
    ReadWorks,
    /// Read the clashes between works of different units (the coordinator's list).
    ReadClashes,
    /// Register a request as an incoming official document (gelen evrak).
    RegisterDocument,
    /// Issue a request's answer as an official letter (giden evrak).
    IssueLetter,
    /// Run a muhtarlık's neighbourhood council (mahalle meclisi): its member roll and
    /// votes (the muhtar of the muhtarlık).
    ManageCouncil,
    /// Record a member's ballot in a council vote (the muhtar, for a member who votes in
    /// person or on paper).
    CastBallot,
    /// Read a council: its members, votes and results.
    ReadCouncil,
    /// Take part in a council as a member: propose, support a proposal, comment, cast
    /// one's own ballot (a council member, [`Role::Member`]; the muhtar records these for
    /// members with [`Action::ManageCouncil`] and [`Action::CastBallot`]).
    Participate,
}

crate::names::named_enum! {
    impl Action: "action" {
        Submit => ("submit", "başvuru girme"),
        Read => ("read", "başvuruyu okuma"),
        Accept => ("accept", "işleme alma"),
        InterimReply => ("interim-reply", "ara cevap verme"),
        Pause => ("pause", "bekletme"),
        Resume => ("resume", "bekletmeyi bitirme"),
        Answer => ("answer", "cevaplama"),
        Close => ("close", "kapatma"),
        Reopen => ("reopen", "yeniden açma"),
        Transfer => ("transfer", "başka birime aktarma"),
        Reroute => ("reroute", "yönlendirmeyi düzeltme"),
        Withdraw => ("withdraw", "geri çekme"),
        Merge => ("merge", "mükerrer başvuruyu birleştirme"),
        Message => ("message", "mesaj gönderme"),
        Extend => ("extend", "süre uzatma ve ücret (4982)"),
        ReadQueue => ("read-queue", "birim kuyruğunu okuma"),
        ReadReport => ("read-report", "raporları okuma"),
        SignReport => ("sign-report", "raporu imzalama"),
        Manage => ("manage", "yönetim (teşkilat, kurallar, takvim, kişisel veri)"),
        Export => ("export", "dışa aktarma"),
        SetPolicy => ("set-policy", "süre rejimini belirleme"),
        ReadPublic => ("read-public", "kamuya açık görünümü okuma"),
        PublishWork => ("publish-work", "çalışma duyurma"),
        ChangeWork => ("change-work", "çalışmayı değiştirme"),
        CloseWork => ("close-work", "çalışmayı kapatma"),
        ReadWorks => ("read-works", "çalışmaları okuma"),
        ReadClashes => ("read-clashes", "çalışma çakışmalarını okuma"),
        RegisterDocument => ("register-document", "gelen evrak kaydı"),
        IssueLetter => ("issue-letter", "cevabı resmî yazı olarak düzenleme"),
        ManageCouncil => ("manage-council", "mahalle meclisini yönetme"),
        CastBallot => ("cast-ballot", "oy pusulası kaydetme"),
        ReadCouncil => ("read-council", "mahalle meclisini görme"),
        Participate => ("participate", "mahalle meclisine katılma"),
    }
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
    /// A unit's work or announcement, published or to be published.
    Work {
        /// Its tenant.
        tenant: &'a TenantId,
        /// The unit doing it.
        unit: &'a UnitCode,
    },
    /// The tenant's works: listings, the map, their clashes.
    Works(&'a TenantId),
    /// A muhtarlık's neighbourhood council (mahalle meclisi).
    Council {
        /// Its tenant.
        tenant: &'a TenantId,
        /// Its muhtarlık.
        muhtarlik: &'a MuhtarlikCode,
    },
}

impl Target<'_> {
    fn tenant(&self) -> &TenantId {
        match self {
            Target::Request { tenant, .. }
            | Target::NewRequest { tenant, .. }
            | Target::Unit { tenant, .. }
            | Target::Tenant(tenant)
            | Target::Work { tenant, .. }
            | Target::Works(tenant)
            | Target::Council { tenant, .. } => tenant,
        }
    }
}

/// A role that may take an action, as a refusal names it ([`AccessError::Forbidden`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedRole {
    /// The kind of role.
    pub kind: RoleKind,
    /// The muhtarlık or unit, where the target decides it (the request's muhtarlık, the
    /// unit it is routed to); `None` where any would do or for roles without one.
    pub code: Option<String>,
}

/// `yönetici (--as admin)`, `muhtar (--as muhtar:kuzguncuk)`, `birim personeli (--as unit:<kod>)`.
impl fmt::Display for AllowedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.kind.display_name();
        match &self.code {
            Some(c) => write!(f, "{name} (--as {}:{c})", self.kind.as_str()),
            None => write!(f, "{name} (--as {})", self.kind.form()),
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
    #[error(
        "{actor} bu işlemi yapamaz ({action}); {}",
        allowed_text(allowed),
        action = action.display_name()
    )]
    Forbidden {
        /// Who tried, as people read it ([`Role::describe`]: `muhtar Kuzguncuk`).
        actor: String,
        /// What they tried.
        action: Action,
        /// The roles that may take the action on this target ([`allowed_roles`], from the
        /// one permission table), people's roles only (not the system's, not the public's).
        allowed: Vec<AllowedRole>,
    },
}

fn allowed_text(allowed: &[AllowedRole]) -> String {
    if allowed.is_empty() {
        "hiçbir kullanıcı rolü yapamaz".to_owned()
    } else {
        let roles: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        format!("gerekli rol: {}", roles.join(" veya "))
    }
}

impl AccessError {
    /// Whether the target should be hidden from the actor (reported as "not found").
    pub fn hides_target(&self) -> bool {
        matches!(self, AccessError::OtherTenant)
    }

    /// The refusal of `action` on `target` to `actor`, naming the roles that may take it.
    pub fn forbidden(
        actor: &Actor,
        action: Action,
        target: &Target<'_>,
        org: &Organisation,
    ) -> Self {
        AccessError::Forbidden {
            actor: actor.role.describe(org),
            action,
            allowed: allowed_roles(action, target),
        }
    }
}

/// The kind of a [`Target`], which the permission table looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    Request,
    NewRequest,
    Unit,
    Tenant,
    Work,
    Works,
    Council,
}

impl Target<'_> {
    fn kind(&self) -> TargetKind {
        match self {
            Target::Request { .. } => TargetKind::Request,
            Target::NewRequest { .. } => TargetKind::NewRequest,
            Target::Unit { .. } => TargetKind::Unit,
            Target::Tenant(_) => TargetKind::Tenant,
            Target::Work { .. } => TargetKind::Work,
            Target::Works(_) => TargetKind::Works,
            Target::Council { .. } => TargetKind::Council,
        }
    }
}

/// The one permission table: whether a role of this kind may take `action` on a target
/// of this kind, before its scope (own muhtarlık, own unit or one below, [`in_scope`]).
fn may(role: RoleKind, target: TargetKind, action: Action) -> bool {
    use Action as A;
    use RoleKind as R;
    use TargetKind as T;
    if action == A::ReadPublic && role != R::Public {
        // The public view of what the role may read in full.
        return may(role, target, A::Read);
    }
    match (role, target) {
        // Works are public announcements: anyone reads them.
        (_, T::Work | T::Works) if action == A::ReadWorks => true,
        (R::Public, _) => action == A::ReadPublic,
        (R::System, _) => matches!(
            action,
            A::Read
                | A::ReadQueue
                | A::ReadReport
                | A::Close
                | A::Message
                | A::RegisterDocument
                | A::ReadCouncil
                | A::ManageCouncil
        ),
        (R::Administrator, _) => matches!(
            action,
            A::Manage | A::Read | A::ReadQueue | A::ReadReport | A::Export
        ),
        (R::Auditor, _) => matches!(
            action,
            A::Read | A::ReadQueue | A::ReadReport | A::Export | A::ReadClashes | A::ReadCouncil
        ),
        (R::ResponsibleOfficial, _) => matches!(
            action,
            A::Read
                | A::ReadQueue
                | A::ReadReport
                | A::SignReport
                | A::Export
                | A::ReadClashes
                | A::ReadCouncil
        ),
        // The council is the muhtar's: the coordinator sees it, and runs nothing of it.
        (R::Coordinator, T::Council) => action == A::ReadCouncil,
        (R::Coordinator, _) => !matches!(
            action,
            A::SignReport | A::Manage | A::ManageCouncil | A::CastBallot
        ),
        (R::Muhtar, T::Council) => {
            matches!(action, A::ManageCouncil | A::CastBallot | A::ReadCouncil)
        }
        // A member takes part in their own council, as themselves (the service checks the
        // ballot, proposal or comment is the member's own), and does nothing else.
        (R::Member, T::Council) => matches!(action, A::ReadCouncil | A::Participate),
        (R::Member, _) => false,
        (R::Muhtar, T::Request) => matches!(
            action,
            A::Read | A::Resume | A::Reopen | A::Withdraw | A::Message | A::Close
        ),
        (R::Muhtar | R::UnitStaff, T::NewRequest) => action == A::Submit,
        (R::Muhtar, _) => false,
        (R::UnitStaff, T::Request) => matches!(
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
                | A::RegisterDocument
                | A::IssueLetter
        ),
        (R::UnitStaff, T::Unit) => matches!(action, A::ReadQueue | A::ReadReport),
        (R::UnitStaff, T::Work) => {
            matches!(action, A::PublishWork | A::ChangeWork | A::CloseWork)
        }
        (R::UnitStaff, T::Tenant | T::Works | T::Council) => false,
    }
}

/// Whether the target lies within the role's scope: a muhtar's own muhtarlık, a unit's
/// own unit or one below it (its works too); every other role's scope is the whole
/// tenant. Works are public announcements: reading them is in everyone's scope.
fn in_scope(role: &Role, action: Action, target: &Target<'_>, org: &Organisation) -> bool {
    match (role, target) {
        _ if action == Action::ReadWorks => true,
        (Role::UnitStaff(own), Target::Work { unit, .. }) => org.is_within(unit, own),
        (Role::Muhtar(own), Target::Request { muhtarlik, .. })
        | (Role::Muhtar(own), Target::NewRequest { muhtarlik, .. })
        | (Role::Muhtar(own), Target::Council { muhtarlik, .. })
        | (Role::Member(own), Target::Council { muhtarlik, .. }) => own == *muhtarlik,
        (Role::Muhtar(_) | Role::Member(_), _) => false,
        (Role::UnitStaff(own), Target::Request { unit, .. }) => {
            unit.is_some_and(|u| org.is_within(u, own))
        }
        (Role::UnitStaff(own), Target::Unit { unit, .. }) => org.is_within(unit, own),
        (Role::UnitStaff(_), Target::NewRequest { .. }) => true,
        (Role::UnitStaff(_), Target::Tenant(_)) => false,
        _ => true,
    }
}

/// The people's roles that may take `action` on `target` by the permission table
/// [`authorize`] decides by, with the muhtarlık
/// or unit the target decides: the request's muhtarlık for a muhtar, the unit a request
/// is routed to (or the unit asked about) for unit staff.
pub fn allowed_roles(action: Action, target: &Target<'_>) -> Vec<AllowedRole> {
    RoleKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, RoleKind::System | RoleKind::Public))
        .filter(|k| may(*k, target.kind(), action))
        .map(|kind| {
            let code = match (kind, target) {
                (RoleKind::Muhtar, Target::Request { muhtarlik, .. })
                | (RoleKind::Muhtar, Target::NewRequest { muhtarlik, .. })
                | (RoleKind::Muhtar, Target::Council { muhtarlik, .. })
                | (RoleKind::Member, Target::Council { muhtarlik, .. }) => {
                    Some(muhtarlik.to_string())
                }
                (RoleKind::UnitStaff, Target::Request { unit, .. }) => {
                    unit.map(ToString::to_string)
                }
                (RoleKind::UnitStaff, Target::Unit { unit, .. })
                | (RoleKind::UnitStaff, Target::Work { unit, .. }) => Some(unit.to_string()),
                _ => None,
            };
            AllowedRole { kind, code }
        })
        .collect()
}

/// Decides whether `actor` may take `action` on `target`: the permission table for the
/// actor's kind of role and the target's kind, and the target within the role's scope.
/// A refusal names the roles that may ([`AccessError::Forbidden`]).
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
    if may(actor.role.kind(), target.kind(), action) && in_scope(&actor.role, action, target, org) {
        Ok(())
    } else {
        Err(AccessError::forbidden(actor, action, target, org))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures::{organisation, tenant};

    #[test]
    fn a_refusal_names_the_action_and_the_roles_that_may_take_it() {
        let org = organisation("a");
        let t = tenant("a");
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let e = authorize(&muhtar, Action::Manage, &Target::Tenant(&t), &org).unwrap_err();
        let text = e.to_string();
        assert_eq!(
            text,
            "muhtar Kuzguncuk Mahallesi bu işlemi yapamaz (yönetim (teşkilat, kurallar, takvim, kişisel \
             veri)); gerekli rol: yönetici (--as admin)"
        );
        assert!(!text.contains("Manage"), "{text}");
    }

    #[test]
    fn a_refused_request_command_names_the_unit_and_the_coordinator() {
        let org = organisation("a");
        let t = tenant("a");
        let (m, u) = (
            MuhtarlikCode::new("kuzguncuk").unwrap(),
            UnitCode::new("asfalt").unwrap(),
        );
        let target = Target::Request {
            tenant: &t,
            muhtarlik: &m,
            unit: Some(&u),
        };
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let e = authorize(&muhtar, Action::Answer, &target, &org).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "gerekli rol: birim personeli (--as unit:asfalt) veya koordinatör (--as coordinator)"
            ),
            "{e}"
        );
        // Every role named may indeed take the action.
        let AccessError::Forbidden { allowed, .. } = e else {
            panic!("{e:?}")
        };
        for a in allowed {
            let spec = a.code.map_or(a.kind.as_str().to_owned(), |c| {
                format!("{}:{c}", a.kind.as_str())
            });
            let actor = Actor::parse(&t, &spec).unwrap();
            assert_eq!(
                authorize(&actor, Action::Answer, &target, &org),
                Ok(()),
                "{spec}"
            );
        }
    }

    #[test]
    fn a_refused_submission_names_the_muhtar_of_the_muhtarlik_and_any_unit() {
        let org = organisation("a");
        let t = tenant("a");
        let m = MuhtarlikCode::new("cengelkoy").unwrap();
        let target = Target::NewRequest {
            tenant: &t,
            muhtarlik: &m,
        };
        let e = authorize(
            &Actor::parse(&t, "auditor").unwrap(),
            Action::Submit,
            &target,
            &org,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "denetçi bu işlemi yapamaz (başvuru girme); gerekli rol: muhtar (--as \
             muhtar:cengelkoy) veya birim personeli (--as unit:<kod>) veya koordinatör (--as \
             coordinator)"
        );
    }

    #[test]
    fn an_unknown_role_lists_every_form() {
        let t = tenant("a");
        let e = Actor::parse(&t, "boss").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown role \"boss\"; valid roles: muhtar:<kod>, unit:<kod>, coordinator, \
             official, auditor, admin, system, public, member:<kod>"
        );
        assert!(matches!(
            Actor::parse(&t, "coordinator:x"),
            Err(ActorParseError::Role(_))
        ));
        assert!(matches!(
            Actor::parse(&t, "muhtar"),
            Err(ActorParseError::Code(_))
        ));
    }
}
