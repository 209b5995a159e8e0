//! Public reads: requests as [`PublicView`]s, for [`Role::Public`] (no credentials) and
//! for anyone else within what they may read. A public read never returns a
//! [`RequestRecord`], so it cannot hand out personal data.

use super::*;
use crate::public::{PublicStatus, PublicView};

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The public view of a request by tracking number ([`Action::ReadPublic`]): anyone
    /// for [`Role::Public`] ([`Actor::public`]); for another role, a request it may
    /// read. Not visible and unknown alike give [`ServiceError::NotFound`].
    pub async fn public_view(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<PublicView, ServiceError> {
        let (ctx, rec) = self
            .load_for(actor, RequestKey::Tracking(tracking), Action::ReadPublic)
            .await?;
        Ok(PublicView::of(&rec, &ctx.org))
    }

    /// [`Self::public_view`] by the request's id (Open311's `token`).
    pub async fn public_view_by_id(
        &self,
        actor: &Actor,
        id: RequestId,
    ) -> Result<PublicView, ServiceError> {
        let (ctx, rec) = self
            .load_for(actor, RequestKey::Id(id), Action::ReadPublic)
            .await?;
        Ok(PublicView::of(&rec, &ctx.org))
    }

    /// A listing as public views ([`Action::ReadPublic`]), with [`Self::list`]'s filters,
    /// order and paging: every request of the tenant for [`Role::Public`]; for a muhtar
    /// or unit staff, narrowed like their [`Self::list`].
    pub async fn public_list(
        &self,
        actor: &Actor,
        query: RequestQuery,
    ) -> Result<Page<PublicView>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let page = self.query_for(actor, query, Action::ReadPublic).await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .map(|r| PublicView::of(r, &ctx.org))
                .collect(),
            next: page.next,
        })
    }

    /// The public view of a request by tracking number text (no token needed): status,
    /// unit, deadline, outcome and reason names, and nothing personal; read as
    /// [`Actor::public`]. A malformed and an unknown number, and a tenant that is not set
    /// up, give the same [`ServiceError::NotFound`].
    pub async fn public_status(
        &self,
        tenant: &TenantId,
        tracking: &str,
    ) -> Result<PublicStatus, ServiceError> {
        let not_found = || ServiceError::NotFound("request".into());
        let t: TrackingNumber = tracking.trim().parse().map_err(|_| not_found())?;
        match self.public_view(&Actor::public(tenant.clone()), &t).await {
            Ok(v) => Ok(v.into()),
            Err(ServiceError::NotConfigured(_)) => Err(not_found()),
            Err(e) => Err(e),
        }
    }
}
