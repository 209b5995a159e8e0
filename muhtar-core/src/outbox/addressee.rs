//! Who a notice is addressed to: the role its recipient has for the request and how
//! they are named, so that a notice greets a muhtar as the muhtar of their
//! neighbourhood, a unit by its name, an official by title and a citizen by name.
//!
//! Written by [`super::plan`] beside the recipient's address; messages stored before
//! there was an addressee read as `None` and are greeted by their kind's audience.

use serde::{Deserialize, Serialize};

/// The role a notice's recipient has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddresseeRole {
    /// The muhtar of the request's muhtarlık.
    Muhtar,
    /// A unit, at its shared address.
    Unit,
    /// A unit's liaison staff member (irtibat personeli).
    Liaison,
    /// A responsible official.
    Official,
    /// The citizen behind the request (applicant).
    Citizen,
    /// A member of a neighbourhood council (their login code).
    Member,
}

crate::names::named_enum! {
    impl AddresseeRole: "addressee role" {
        Muhtar => ("muhtar", "muhtar"),
        Unit => ("unit", "birim"),
        Liaison => ("liaison", "irtibat personeli"),
        Official => ("official", "sorumlu yetkili"),
        Citizen => ("citizen", "başvuru sahibi"),
        Member => ("member", "meclis üyesi"),
    }
}

/// The recipient of one notice as a person or body: the role they have for the request
/// and how they are named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressee {
    /// Their role.
    pub role: AddresseeRole,
    /// A person's name (the muhtar, the liaison, the official, the citizen), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What they act for: the muhtarlık's name (`Kuzguncuk Mahallesi`) for a muhtar, the
    /// unit's name for a unit, its liaison staff or its official.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// An official's title as people read it (`Genel Sekreter Yardımcısı`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A name as given: trimmed, `None` when empty.
fn given(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Addressee {
    /// An addressee in `role` with no name.
    pub fn new(role: AddresseeRole) -> Self {
        Addressee {
            role,
            name: None,
            of: None,
            title: None,
        }
    }

    /// With the person's `name` (an empty one is left out).
    pub fn named(mut self, name: &str) -> Self {
        self.name = given(name);
        self
    }

    /// Acting for `of` (a muhtarlık's or a unit's name; an empty one is left out).
    pub fn of(mut self, of: &str) -> Self {
        self.of = given(of);
        self
    }

    /// With an official's `title`.
    pub fn titled(mut self, title: &str) -> Self {
        self.title = given(title);
        self
    }

    /// The official `o`, acting for `unit_name` if known.
    pub fn official(o: &crate::org::Official, unit_name: Option<&str>) -> Self {
        let a = Addressee::new(AddresseeRole::Official)
            .named(&o.person.name)
            .titled(o.title.display_name());
        match unit_name {
            Some(u) => a.of(u),
            None => a,
        }
    }
}
