//! Personal data (KVKK): finding a citizen's contact data for an access request. Erasure
//! is the `EraseContact` command ([`crate::request::Command::EraseContact`]): it removes the
//! contact from the state and the stored `received` event, and deletes the outbox rows
//! addressed to the citizen (their notices carry the contact; see
//! [`crate::store::RequestStore::commit`]).

use serde::Serialize;

use super::*;
use crate::request::CitizenContact;

/// Whose data is asked for: any of the given fields matches (e-mail case-insensitively,
/// phone after normalisation to `+90…`, name exactly after trimming).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Full name.
    pub name: Option<String>,
}

/// One request holding a citizen's contact data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonalData {
    /// Tracking number.
    pub tracking: TrackingNumber,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// The muhtarlık it came through.
    pub muhtarlik: crate::ids::MuhtarlikCode,
    /// Subject.
    pub subject: String,
    /// The contact data held.
    pub citizen: CitizenContact,
}

impl ContactQuery {
    fn matches(&self, c: &CitizenContact) -> bool {
        let email = self.email.as_deref().map(|e| e.trim().to_lowercase());
        let phone = self
            .phone
            .as_deref()
            .map(|p| crate::org::normalize_phone(p).unwrap_or_else(|| p.trim().to_owned()));
        email.is_some_and(|e| c.email.as_deref().is_some_and(|x| x.to_lowercase() == e))
            || phone.is_some_and(|p| c.phone.as_deref() == Some(p.as_str()))
            || self
                .name
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty() && c.name.trim() == n.trim())
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// KVKK access request: every request of the tenant holding contact data that
    /// matches `who`, with that data. Administrators only; an empty query is an input
    /// error.
    pub async fn personal_data(
        &self,
        actor: &Actor,
        who: &ContactQuery,
    ) -> Result<Vec<PersonalData>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::Manage,
            &Target::Tenant(&actor.tenant),
            &ctx.org,
        )?;
        if who.email.is_none() && who.phone.is_none() && who.name.is_none() {
            return Err(ServiceError::Input(InputError::Empty {
                field: "email, phone or name",
            }));
        }
        let mut query = RequestQuery {
            limit: crate::store::MAX_PAGE,
            ..RequestQuery::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.query(&actor.tenant, &query).await?;
            for rec in page.items {
                let s = rec.state;
                if let Some(c) = s.content.citizen.filter(|c| who.matches(c)) {
                    out.push(PersonalData {
                        tracking: s.tracking,
                        received_at: s.content.received_at,
                        muhtarlik: s.content.muhtarlik,
                        subject: s.content.subject,
                        citizen: c,
                    });
                }
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => return Ok(out),
            }
        }
    }
}
