//! What `GET /api/v1/organisation` shows. The back office (unit staff, coordinator,
//! official, auditor, administrator) gets the whole organisation document; a muhtar gets
//! [`PublicOrganisation`]: the units with their shared contact points, the muhtarlıklar,
//! categories and reason codes, and no person (no liaison, official or muhtar, so no
//! personal phone or e-mail). The view is its own type, so a person's field added to the
//! organisation later cannot reach a muhtar by accident.

use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::org::{Category, Organisation, SettlementKind, Tenant, UnitKind};
use muhtar_core::reason::ReasonDef;
use serde::Serialize;

/// The organisation as a muhtar sees it. Field names as in the whole document.
#[derive(Debug, Serialize)]
pub struct PublicOrganisation {
    /// The tenant.
    pub tenant: Tenant,
    /// Units (tree by `parent`).
    #[serde(rename = "unit")]
    pub units: Vec<PublicUnit>,
    /// Muhtarlıklar.
    #[serde(rename = "muhtarlik")]
    pub muhtarliklar: Vec<PublicMuhtarlik>,
    /// Request categories with their extra fields.
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
    /// Extra reason codes (gerekçe).
    #[serde(rename = "reason")]
    pub reasons: Vec<ReasonDef>,
}

/// A unit without its people: its shared e-mail address is its public contact point.
#[derive(Debug, Serialize)]
pub struct PublicUnit {
    /// Code.
    pub code: UnitCode,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// The unit above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<UnitCode>,
    /// The unit's shared e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether requests may be routed to it.
    pub active: bool,
    /// Province it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// District it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// A muhtarlık without its muhtar's contact data.
#[derive(Debug, Serialize)]
pub struct PublicMuhtarlik {
    /// Code.
    pub code: MuhtarlikCode,
    /// Name.
    pub name: String,
    /// Mahalle or köy.
    pub kind: SettlementKind,
    /// District (ilçe).
    pub district: String,
    /// Province (il).
    pub province: String,
    /// Whether it can submit requests.
    pub active: bool,
}

impl From<&Organisation> for PublicOrganisation {
    fn from(o: &Organisation) -> Self {
        PublicOrganisation {
            tenant: o.tenant.clone(),
            units: o
                .units
                .iter()
                .map(|u| PublicUnit {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    kind: u.kind,
                    parent: u.parent.clone(),
                    email: u.email.clone(),
                    active: u.active,
                    province: u.province.clone(),
                    district: u.district.clone(),
                })
                .collect(),
            muhtarliklar: o
                .muhtarliklar
                .iter()
                .map(|m| PublicMuhtarlik {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    kind: m.kind,
                    district: m.district.clone(),
                    province: m.province.clone(),
                    active: m.active,
                })
                .collect(),
            categories: o.categories.clone(),
            reasons: o.reasons.clone(),
        }
    }
}
