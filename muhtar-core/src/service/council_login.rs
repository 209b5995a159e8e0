//! Council members' logins with one-time codes ([`crate::council::LoginCode`]).
//!
//! [`Mbs::request_member_code`] answers the same whether or not a member on the roll has
//! the contact (nobody learns who is a member), and is throttled per contact with the
//! failed-login limits of the accounts ([`crate::account::AccountSettings`]: at most
//! `max_failed_logins` requests in `failed_login_window`). [`Mbs::member_login`] uses the
//! code up in one store transaction; a wrong code counts against the code (its
//! `[council] login_code_tries`) and against the contact (the accounts' limits). On
//! success the member has a [`User`] (`uye.<member id>`, acting as
//! `member:<muhtarlik>@<member id>`, with no usable password) and a session like any user.
//! [`Mbs::remove_member`] disables that user, which ends its sessions.

use super::accounts::NewSession;
use super::*;
use crate::account::{User, UserName};
use crate::council::{CodeCheck, Contact, LoginCode, LoginCodeError, Member};
use crate::outbox::{
    Addressee, AddresseeRole, DeliveryChannel, Locale, LoginCodeFacts, NoticeKind, NoticePayload,
    OutboxMessage,
};

/// The password hash of a member's account: not a PHC string, so no password verifies
/// against it ([`crate::account::verify_password`] refuses it).
pub const NO_PASSWORD: &str = "!meclis-kodla-giris";

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Sends a one-time login code to the member(s) on the tenant's roll with `contact`
    /// (an e-mail address or a phone, as typed): the code goes through the outbox, by
    /// e-mail when the member has an e-mail address, else by SMS, and replaces any older
    /// code of the contact. Answers `Ok(())` whether or not the contact is known.
    /// Refused: a contact that is neither ([`LoginCodeError::BadContact`]), too many
    /// requests for it lately ([`LoginCodeError::TooManyTries`]).
    pub async fn request_member_code(
        &self,
        tenant: &TenantId,
        contact: &str,
    ) -> Result<(), ServiceError> {
        let contact = Contact::parse(contact).ok_or_else(|| LoginCodeError::BadContact {
            given: contact.to_owned(),
        })?;
        let now = self.now_micros();
        let limits = &self.accounts;
        let requests = UserName::contact_counter("kod", &contact.key());
        let count = self
            .store
            .record_login_failure(tenant, &requests, now, now - limits.failed_login_window)
            .await?;
        if count > limits.max_failed_logins {
            return Err(too_many(limits.failed_login_window).into());
        }
        let ctx = self.context(tenant).await?;
        let members = self.store.members_by_contact(tenant, &contact).await?;
        let Some(member) = members.first() else {
            return Ok(());
        };
        let minutes = ctx.settings.council.login_code_minutes();
        let issued = {
            let mut ids = self.ids();
            LoginCode::issue(tenant.clone(), &contact, now, minutes, || ids.next_u64())
        };
        let (channel, recipient) = match (&member.email, &member.phone) {
            (Some(e), _) => (DeliveryChannel::Email, e.clone()),
            (None, Some(p)) => (DeliveryChannel::Sms, p.clone()),
            (None, None) => return Ok(()),
        };
        let muhtarlik_name = ctx.org.muhtarlik(&member.muhtarlik).map(|m| m.name.clone());
        let mut to = Addressee::new(AddresseeRole::Member).named(&member.name);
        if let Some(n) = &muhtarlik_name {
            to = to.of(n);
        }
        let message = OutboxMessage {
            id: self.ids().uuid_v7(now),
            tenant: tenant.clone(),
            request: None,
            idempotency_key: format!(
                "council-login:{}:{}",
                issued.record.contact, issued.record.salt
            ),
            kind: NoticeKind::CouncilLoginCode,
            channel,
            recipient,
            addressee: Some(to),
            locale: Locale::Tr,
            payload: NoticePayload::CouncilLoginCode(LoginCodeFacts {
                code: issued.code,
                minutes,
                muhtarlik_name,
                tenant_name: ctx.org.tenant.name.clone(),
            }),
            created_at: now,
            not_before: now,
        };
        self.store
            .put_login_code(&issued.record, &[message])
            .await?;
        Ok(())
    }

    /// Logs a council member in with the code sent to `contact`: the code is used up
    /// (once, also under parallel tries), the member's account made at the first login,
    /// and a session started. Refused: a wrong code ([`LoginCodeError::WrongCode`],
    /// counted), an expired or spent one ([`LoginCodeError::Expired`]), too many wrong
    /// codes for the contact lately ([`LoginCodeError::TooManyTries`]), a member no longer
    /// on the roll (wrong code).
    pub async fn member_login(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
    ) -> Result<NewSession, ServiceError> {
        let contact = Contact::parse(contact).ok_or_else(|| LoginCodeError::BadContact {
            given: contact.to_owned(),
        })?;
        let now = self.now_micros();
        let limits = self.accounts;
        let failures = UserName::contact_counter("giris", &contact.key());
        let since = now - limits.failed_login_window;
        if self.store.login_failures(tenant, &failures, since).await? >= limits.max_failed_logins {
            return Err(too_many(limits.failed_login_window).into());
        }
        let ctx = self.context(tenant).await?;
        let tries = ctx.settings.council.login_code_tries();
        let check = self
            .store
            .use_login_code(tenant, &contact.key(), code, now, tries)
            .await?;
        match check {
            CodeCheck::Accepted => {}
            CodeCheck::Expired => return Err(LoginCodeError::Expired.into()),
            _ => {
                self.store
                    .record_login_failure(tenant, &failures, now, since)
                    .await?;
                return Err(LoginCodeError::WrongCode.into());
            }
        }
        let members = self.store.members_by_contact(tenant, &contact).await?;
        let Some(member) = members.into_iter().next() else {
            return Err(LoginCodeError::WrongCode.into());
        };
        self.store.clear_login_failures(tenant, &failures).await?;
        let (user, actor) = self.member_user(&member).await?;
        Ok(self.start_session(user, actor).await?)
    }

    /// The member's account, made the first time: user name `uye.<member id>`, the
    /// member's actor, their name shown, no usable password. A disabled one (the member
    /// was removed) refuses the login.
    async fn member_user(&self, member: &Member) -> Result<(User, Actor), ServiceError> {
        let actor = Actor::member(member.tenant.clone(), member.muhtarlik.clone(), member.id);
        let name = UserName::of_member(member.id);
        let user = match self.store.user_by_name(&member.tenant, &name).await? {
            Some(u) => u,
            None => {
                let now = self.now_micros();
                let user = User {
                    id: self.random_uuid(),
                    tenant: member.tenant.clone(),
                    name: name.clone(),
                    actor: actor.to_string(),
                    display_name: member.name.clone(),
                    password_hash: NO_PASSWORD.into(),
                    created_at: now,
                    password_changed_at: now,
                    disabled_at: None,
                };
                match self.store.create_user(&user).await {
                    Ok(()) => user,
                    // Two first logins at once: the other made it.
                    Err(StoreError::Duplicate { .. }) => self
                        .store
                        .user_by_name(&member.tenant, &name)
                        .await?
                        .ok_or_else(|| ServiceError::NotFound("user".into()))?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if !user.is_active() || user.actor != actor.to_string() {
            return Err(LoginCodeError::WrongCode.into());
        }
        Ok((user, actor))
    }

    /// Disables the account of a member taken off the roll (if they ever logged in),
    /// which ends its sessions in the same store transaction.
    pub(super) async fn end_member_logins(&self, member: &Member) -> Result<(), ServiceError> {
        let name = UserName::of_member(member.id);
        if let Some(u) = self.store.user_by_name(&member.tenant, &name).await? {
            self.store
                .disable_user(&member.tenant, u.id, self.now_micros())
                .await?;
        }
        Ok(())
    }
}

fn too_many(window: chrono::Duration) -> LoginCodeError {
    LoginCodeError::TooManyTries {
        minutes: window.num_minutes().max(1),
    }
}
