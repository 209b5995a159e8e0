//! Access control: isolation rules, property-tested.

use muhtar_core::access::{authorize, AccessError, Action, Actor, Role, Target};
use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::request::{Channel, InputError};
use muhtar_core::testkit::fixtures::{organisation, tenant};
use proptest::prelude::*;

const ACTIONS: [Action; 22] = [
    Action::Submit,
    Action::Read,
    Action::Accept,
    Action::InterimReply,
    Action::Pause,
    Action::Resume,
    Action::Answer,
    Action::Close,
    Action::Reopen,
    Action::Transfer,
    Action::Reroute,
    Action::Withdraw,
    Action::Merge,
    Action::Message,
    Action::Extend,
    Action::ReadQueue,
    Action::ReadReport,
    Action::SignReport,
    Action::Manage,
    Action::Export,
    Action::SetPolicy,
    Action::ReadPublic,
];
const UNITS: [&str; 5] = [
    "belediye",
    "muhtarliklar",
    "fen-isleri",
    "asfalt",
    "park-bahce",
];
const MUHTARS: [&str; 3] = ["kuzguncuk", "cengelkoy", "beylerbeyi"];

fn arb_role() -> impl Strategy<Value = Role> {
    prop_oneof![
        prop::sample::select(MUHTARS.to_vec())
            .prop_map(|m| Role::Muhtar(MuhtarlikCode::new(m).unwrap())),
        prop::sample::select(UNITS.to_vec())
            .prop_map(|u| Role::UnitStaff(UnitCode::new(u).unwrap())),
        Just(Role::Coordinator),
        Just(Role::ResponsibleOfficial),
        Just(Role::Auditor),
        Just(Role::Administrator),
        Just(Role::System),
        Just(Role::Public),
    ]
}

/// Every target of tenant `a`, for a muhtarlık and a unit.
fn targets<'a>(
    t: &'a muhtar_core::ids::TenantId,
    m: &'a MuhtarlikCode,
    u: &'a UnitCode,
) -> [Target<'a>; 5] {
    [
        Target::Request {
            tenant: t,
            muhtarlik: m,
            unit: Some(u),
        },
        Target::Request {
            tenant: t,
            muhtarlik: m,
            unit: None,
        },
        Target::NewRequest {
            tenant: t,
            muhtarlik: m,
        },
        Target::Unit { tenant: t, unit: u },
        Target::Tenant(t),
    ]
}

proptest! {
    /// Nothing crosses tenants: every action of every role on another tenant's request is
    /// refused as "not found".
    #[test]
    fn nothing_crosses_tenants(role in arb_role(), action in prop::sample::select(ACTIONS.to_vec()),
                               m in prop::sample::select(MUHTARS.to_vec()), u in prop::sample::select(UNITS.to_vec())) {
        let org = organisation("a");
        let other = tenant("b");
        let actor = Actor::new(tenant("a"), "x", role);
        let (m, u) = (MuhtarlikCode::new(m).unwrap(), UnitCode::new(u).unwrap());
        for target in [
            Target::Request { tenant: &other, muhtarlik: &m, unit: Some(&u) },
            Target::NewRequest { tenant: &other, muhtarlik: &m },
            Target::Unit { tenant: &other, unit: &u },
            Target::Tenant(&other),
        ] {
            prop_assert_eq!(authorize(&actor, action, &target, &org), Err(AccessError::OtherTenant));
        }
    }

    /// A muhtar acts only on their own muhtarlık's requests.
    #[test]
    fn muhtars_see_only_their_own(own in prop::sample::select(MUHTARS.to_vec()), req in prop::sample::select(MUHTARS.to_vec()),
                                  action in prop::sample::select(ACTIONS.to_vec()), u in prop::sample::select(UNITS.to_vec())) {
        let org = organisation("a");
        let t = tenant("a");
        let actor = Actor::new(t.clone(), "x", Role::Muhtar(MuhtarlikCode::new(own).unwrap()));
        let m = MuhtarlikCode::new(req).unwrap();
        let u = UnitCode::new(u).unwrap();
        let r = authorize(&actor, action, &Target::Request { tenant: &t, muhtarlik: &m, unit: Some(&u) }, &org);
        if own != req {
            prop_assert!(r.is_err());
        }
        if r.is_ok() {
            prop_assert!(matches!(action, Action::Read | Action::ReadPublic | Action::Resume | Action::Reopen | Action::Withdraw | Action::Message | Action::Close));
        }
        let nr = authorize(&actor, Action::Submit, &Target::NewRequest { tenant: &t, muhtarlik: &m }, &org);
        prop_assert_eq!(nr.is_ok(), own == req);
        // No muhtar reads a unit queue, a report, or manages anything.
        for a in [Action::ReadQueue, Action::ReadReport, Action::SignReport, Action::Manage, Action::Export, Action::Reroute] {
            prop_assert!(authorize(&actor, a, &Target::Tenant(&t), &org).is_err());
        }
    }

    /// Unit staff act only on requests with their unit or a unit below it.
    #[test]
    fn staff_act_only_within_their_subtree(own in prop::sample::select(UNITS.to_vec()), at in prop::sample::select(UNITS.to_vec()),
                                           action in prop::sample::select(ACTIONS.to_vec())) {
        let org = organisation("a");
        let t = tenant("a");
        let own_c = UnitCode::new(own).unwrap();
        let at_c = UnitCode::new(at).unwrap();
        let actor = Actor::new(t.clone(), "x", Role::UnitStaff(own_c.clone()));
        let m = MuhtarlikCode::new("kuzguncuk").unwrap();
        let r = authorize(&actor, action, &Target::Request { tenant: &t, muhtarlik: &m, unit: Some(&at_c) }, &org);
        if r.is_ok() {
            prop_assert!(org.is_within(&at_c, &own_c));
        }
        if !org.is_within(&at_c, &own_c) {
            prop_assert!(r.is_err());
        }
        let unrouted = authorize(&actor, action, &Target::Request { tenant: &t, muhtarlik: &m, unit: None }, &org);
        prop_assert!(unrouted.is_err());
    }

    /// Only the responsible official signs reports; auditors never change anything.
    #[test]
    fn only_the_official_signs_and_auditors_only_read(role in arb_role(), action in prop::sample::select(ACTIONS.to_vec())) {
        let org = organisation("a");
        let t = tenant("a");
        let actor = Actor::new(t.clone(), "x", role.clone());
        let r = authorize(&actor, Action::SignReport, &Target::Tenant(&t), &org);
        prop_assert_eq!(r.is_ok(), role == Role::ResponsibleOfficial);
        if role == Role::Auditor {
            let r = authorize(&actor, action, &Target::Tenant(&t), &org);
            prop_assert_eq!(r.is_ok(), matches!(action, Action::Read | Action::ReadPublic | Action::ReadQueue | Action::ReadReport | Action::Export));
        }
    }
}

proptest! {
    /// The public reads public views, of every request of its tenant, and may do nothing
    /// else: no full read, no command, no submission, no report, no export.
    #[test]
    fn the_public_only_reads_public_views(action in prop::sample::select(ACTIONS.to_vec()),
                                          m in prop::sample::select(MUHTARS.to_vec()),
                                          u in prop::sample::select(UNITS.to_vec())) {
        let org = organisation("a");
        let t = tenant("a");
        let public = Actor::public(t.clone());
        let (m, u) = (MuhtarlikCode::new(m).unwrap(), UnitCode::new(u).unwrap());
        for target in targets(&t, &m, &u) {
            let r = authorize(&public, action, &target, &org);
            if action == Action::ReadPublic {
                prop_assert_eq!(r, Ok(()));
            } else {
                prop_assert!(matches!(r, Err(AccessError::Forbidden { action: a, .. }) if a == action), "{:?} {:?}", action, r);
            }
        }
    }

    /// Any other role reads the public view exactly where it may read in full.
    #[test]
    fn other_roles_read_public_views_where_they_read(role in arb_role(),
                                                     m in prop::sample::select(MUHTARS.to_vec()),
                                                     u in prop::sample::select(UNITS.to_vec())) {
        prop_assume!(role != Role::Public);
        let org = organisation("a");
        let t = tenant("a");
        let actor = Actor::new(t.clone(), "x", role);
        let (m, u) = (MuhtarlikCode::new(m).unwrap(), UnitCode::new(u).unwrap());
        for target in targets(&t, &m, &u) {
            prop_assert_eq!(
                authorize(&actor, Action::ReadPublic, &target, &org).is_ok(),
                authorize(&actor, Action::Read, &target, &org).is_ok()
            );
        }
    }

    /// A submission's defaults come from the role: a muhtar's own muhtarlık and the
    /// MBS channel; anyone else names the muhtarlık and enters by phone. What is given
    /// always wins.
    #[test]
    fn submission_defaults_follow_the_role(role in arb_role(),
                                           given_m in proptest::option::of(prop::sample::select(MUHTARS.to_vec())),
                                           given_c in proptest::option::of(prop::sample::select(Channel::ALL.to_vec()))) {
        let actor = Actor::new(tenant("a"), "x", role.clone());
        let d = actor.submission_defaults();
        let given_m = given_m.map(|m| MuhtarlikCode::new(m).unwrap());
        let m = d.muhtarlik(given_m.clone());
        let c = d.channel(given_c);
        match (&role, &given_m) {
            (_, Some(g)) => prop_assert_eq!(m, Ok(g.clone())),
            (Role::Muhtar(own), None) => prop_assert_eq!(m, Ok(own.clone())),
            (_, None) => prop_assert_eq!(m, Err(InputError::Empty { field: "muhtarlik" })),
        }
        match (&role, given_c) {
            (_, Some(g)) => prop_assert_eq!(c, g),
            (Role::Muhtar(_), None) => prop_assert_eq!(c, Channel::MbsWeb),
            (_, None) => prop_assert_eq!(c, Channel::Phone),
        }
    }
}

#[test]
fn actor_text_round_trips() {
    let t = tenant("a");
    for s in [
        "muhtar:kuzguncuk@ali",
        "unit:fen-isleri@veli",
        "coordinator@c",
        "official@o",
        "auditor@a",
        "admin@x",
        "system@system",
        "public@p",
    ] {
        assert_eq!(Actor::parse(&t, s).unwrap().to_string(), s);
    }
    assert!(Actor::parse(&t, "mayor").is_err());
    assert!(Actor::parse(&t, "muhtar").is_err());
    assert!(Actor::parse(&t, "unit:bad code").is_err());
    assert_eq!(Actor::public(t.clone()).role, Role::Public);
    assert_eq!(Actor::parse(&t, "public").unwrap(), Actor::public(t));
}

/// The actions on works ([`muhtar_core::map::work`]).
const WORK_ACTIONS: [Action; 5] = [
    Action::PublishWork,
    Action::ChangeWork,
    Action::CloseWork,
    Action::ReadWorks,
    Action::ReadClashes,
];

proptest! {
    /// Works are public announcements: every role reads them, the public included. A
    /// unit's works are published, changed and closed by its staff (or staff of a unit
    /// above it) and the coordinator, nobody else; the clashes are read by the
    /// coordinator, the responsible official and the auditor. Nothing crosses tenants.
    #[test]
    fn works_are_read_by_all_and_written_by_their_unit_and_the_coordinator(
        role in arb_role(),
        action in prop::sample::select(WORK_ACTIONS.to_vec()),
        u in prop::sample::select(UNITS.to_vec()),
    ) {
        let org = organisation("a");
        let t = tenant("a");
        let u = UnitCode::new(u).unwrap();
        let actor = Actor::new(t.clone(), "x", role.clone());
        let one = Target::Work { tenant: &t, unit: &u };
        let all = Target::Works(&t);
        let write = matches!(action, Action::PublishWork | Action::ChangeWork | Action::CloseWork);
        let on_one = authorize(&actor, action, &one, &org).is_ok();
        let on_all = authorize(&actor, action, &all, &org).is_ok();
        match action {
            Action::ReadWorks => prop_assert!(on_one && on_all),
            Action::ReadClashes => prop_assert_eq!(
                on_all,
                matches!(role, Role::Coordinator | Role::ResponsibleOfficial | Role::Auditor)
            ),
            _ => {
                let may = match &role {
                    Role::Coordinator => true,
                    Role::UnitStaff(own) => org.is_within(&u, own),
                    _ => false,
                };
                prop_assert_eq!(on_one, may, "{:?} {:?}", role, action);
                prop_assert!(!on_all || role == Role::Coordinator);
            }
        }
        // A refusal names roles that may indeed take the action.
        if let Err(AccessError::Forbidden { allowed, .. }) = authorize(&actor, action, &one, &org) {
            for a in allowed {
                let spec = a.code.map_or(a.kind.as_str().to_owned(), |c| format!("{}:{c}", a.kind.as_str()));
                let other = Actor::parse(&t, &spec).unwrap();
                prop_assert!(authorize(&other, action, &one, &org).is_ok(), "{}", spec);
            }
        }
        let other = tenant("b");
        prop_assert_eq!(
            authorize(&actor, action, &Target::Work { tenant: &other, unit: &u }, &org),
            Err(AccessError::OtherTenant)
        );
        prop_assert!(write || action == Action::ReadWorks || action == Action::ReadClashes);
    }
}
