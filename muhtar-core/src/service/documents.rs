//! Official documents through the service: registering a request as an incoming
//! document, issuing its answer as a letter, finding and verifying documents.
//!
//! Numbering: the registry's last sequence plus one, written by the store in the
//! command's transaction only if still the next ([`crate::store::DocumentStore`]); when
//! a concurrent writer took it, the store writes nothing and the command is decided again
//! with the next number, up to [`NUMBERING_ATTEMPTS`] times.

use super::{Mbs, ServiceError, TenantContext};
use crate::access::{authorize, Action, Actor};
use crate::clock::Clock;
use crate::document::{
    sha256_hex, Content, Direction, Document, DocumentError, DocumentId, IncomingContent, Letter,
    PublicDocument, RegistryNumber, VerificationCode,
};
use crate::ids::UnitCode;
use crate::request::{EventKind, Outcome, RequestState};
use crate::store::{RequestStore, Store, StoreError, SEQUENCE_TAKEN};
use crate::tracking::TrackingNumber;
use chrono::{DateTime, Datelike, Utc};

/// How many times a command is decided again when concurrent writers took the number.
pub const NUMBERING_ATTEMPTS: usize = 64;

/// What `muhtar document show` and `GET /api/v1/documents?number=` look for: one of our
/// numbers, or a paper petition's own number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentSearch {
    /// `E-<DETSİS>-<SDP>-<sequence>`.
    Number(RegistryNumber),
    /// Anything else: an external (paper) number.
    External(String),
}

impl DocumentSearch {
    /// Our number if the text reads as one, else an external number.
    pub fn parse(text: &str) -> Self {
        match RegistryNumber::parse(text) {
            Ok(n) => DocumentSearch::Number(n),
            Err(_) => DocumentSearch::External(text.trim().to_owned()),
        }
    }
}

/// Whether a store error is a number taken by a concurrent writer, or the request changed
/// meanwhile: the command is decided again.
pub(super) fn taken(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Store(StoreError::Duplicate { what }) if what == SEQUENCE_TAKEN)
        || matches!(e, ServiceError::Conflict { .. })
}

/// Turkish upper case (i → İ, ı → I), for the addressee line.
fn tr_upper(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            'i' => vec!['İ'],
            'ı' => vec!['I'],
            c => c.to_uppercase().collect(),
        })
        .collect()
}

/// The name of the body a unit belongs to (the top of its tree), else the tenant's.
fn body_name<'o>(org: &'o crate::org::Organisation, unit: &UnitCode) -> &'o str {
    org.body_of(unit)
        .map_or(org.tenant.name.as_str(), |b| b.name.as_str())
}

/// The body, and the unit when it is not the body itself.
fn issuer(body: &str, unit: &str) -> String {
    if body == unit {
        body.to_owned()
    } else {
        format!("{body}, {unit}")
    }
}

fn date_tr(at: DateTime<Utc>) -> String {
    crate::calendar::local_date(at)
        .format("%d.%m.%Y")
        .to_string()
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The registry that numbers a request's documents (its unit's, or the nearest above).
    fn registry(ctx: &TenantContext, state: &RequestState) -> Result<UnitCode, DocumentError> {
        let unit = state.unit.as_ref().ok_or(DocumentError::NotRouted)?;
        ctx.org
            .registry_of(unit)
            .map(|u| u.code.clone())
            .ok_or_else(|| DocumentError::NoRegistry {
                unit: unit.to_string(),
            })
    }

    /// A document of `state` numbered next in its registry: its content made by `content`
    /// (given the number and the code), hashed, and signed if the tenant signs.
    async fn next_document(
        &self,
        ctx: &TenantContext,
        state: &RequestState,
        direction: Direction,
        related: Option<RegistryNumber>,
        now: DateTime<Utc>,
        content: impl FnOnce(&RegistryNumber, &VerificationCode) -> Content,
    ) -> Result<Document, ServiceError> {
        let registry = Self::registry(ctx, state)?;
        let unit = ctx
            .org
            .unit(&registry)
            .ok_or_else(|| DocumentError::NoRegistry {
                unit: registry.to_string(),
            })?;
        let detsis = unit
            .detsis
            .clone()
            .ok_or_else(|| DocumentError::NoRegistry {
                unit: registry.to_string(),
            })?;
        let year = crate::calendar::local_date(now).year();
        let last = self
            .store
            .last_sequence(&state.tenant, &registry, year)
            .await?;
        let settings = &ctx.settings.documents;
        let number = RegistryNumber {
            detsis,
            sdp: settings.sdp_of(&state.content.category),
            sequence: last + 1,
        };
        let (id, code) = {
            let mut g = self.ids();
            let id = DocumentId(g.uuid_v7(now));
            let code = VerificationCode::from_random(|| g.next_u64());
            (id, code)
        };
        let content = content(&number, &code).to_json();
        let category = ctx
            .org
            .category(&state.content.category)
            .map_or(state.content.category.as_str(), |c| c.name.as_str());
        let mut doc = Document {
            id,
            tenant: state.tenant.clone(),
            direction,
            registry: registry.clone(),
            year,
            number,
            date: now,
            issuer: issuer(body_name(&ctx.org, &registry), &unit.name),
            subject: format!("{category} talebi"),
            request: state.id,
            tracking: state.tracking,
            external_number: state.content.registration_number.clone(),
            related,
            code,
            sha256: sha256_hex(content.as_bytes()),
            content,
            signature: None,
        };
        match settings.signing_key(&self.document_keys, now) {
            Some(key) => doc.signature = Some(key.sign(&doc)),
            None if settings.require_signature => return Err(DocumentError::NoSigningKey.into()),
            None => {}
        }
        Ok(doc)
    }

    /// The incoming document of a request (received and routed, not yet committed or
    /// committed): what registration writes.
    pub(super) async fn incoming_document(
        &self,
        ctx: &TenantContext,
        state: &RequestState,
        now: DateTime<Utc>,
    ) -> Result<Document, ServiceError> {
        let c = &state.content;
        let org = &ctx.org;
        let content = IncomingContent {
            tracking: state.tracking,
            muhtarlik: org
                .muhtarlik(&c.muhtarlik)
                .map_or_else(|| c.muhtarlik.to_string(), |m| m.name.clone()),
            channel: c.channel.display_name().to_owned(),
            category: org
                .category(&c.category)
                .map_or_else(|| c.category.clone(), |k| k.name.clone()),
            received_at: c.received_at,
            subject: c.subject.clone(),
            description: c.description.clone(),
            external_number: c.registration_number.clone(),
            attachments: c.attachments.iter().map(|a| a.sha256.clone()).collect(),
        };
        self.next_document(ctx, state, Direction::Incoming, None, now, |_, _| {
            Content::Incoming(content)
        })
        .await
    }

    /// Registers a request as an incoming official document (gelen evrak): its number
    /// from its registry, in the command's transaction. Unit staff of its unit and the
    /// coordinator may; a request registered already is [`DocumentError::AlreadyRegistered`].
    pub async fn register_document(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<Document, ServiceError> {
        self.document_command(actor, tracking, Action::RegisterDocument)
            .await
    }

    /// Issues a request's answer as an official letter to its muhtarlık (giden evrak),
    /// numbered in the registry of the unit that answered; İlgi is the incoming document
    /// when the request was registered. Needs an answer; once per answer.
    pub async fn issue_letter(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<Document, ServiceError> {
        self.document_command(actor, tracking, Action::IssueLetter)
            .await
    }

    async fn document_command(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
        action: Action,
    ) -> Result<Document, ServiceError> {
        let mut last = None;
        for _ in 0..NUMBERING_ATTEMPTS {
            let (ctx, rec) = self
                .load_visible(actor, super::RequestKey::Tracking(tracking))
                .await?;
            let state = rec.state;
            authorize(actor, action, &Self::request_target(&state), &ctx.org)?;
            let now = self.clock.now();
            let doc = if action == Action::RegisterDocument {
                if let Some(d) = state.registration() {
                    return Err(DocumentError::AlreadyRegistered {
                        number: d.number.clone(),
                    }
                    .into());
                }
                self.incoming_document(&ctx, &state, now).await?
            } else {
                self.letter_document(&ctx, &state, actor, now).await?
            };
            let kind = match action {
                Action::RegisterDocument => EventKind::DocumentRegistered {
                    document: doc.reference(),
                },
                _ => EventKind::LetterIssued {
                    document: doc.reference(),
                },
            };
            let event = self.event(state.version + 1, now, actor, kind);
            let mut next = state.clone();
            next.apply(&event)?;
            match self
                .write_with(
                    &ctx,
                    state.version,
                    vec![event],
                    next,
                    now,
                    vec![doc.clone()],
                )
                .await
            {
                Ok(_) => return Ok(doc),
                Err(e) if taken(&e) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            ServiceError::Store(StoreError::Duplicate {
                what: SEQUENCE_TAKEN.into(),
            })
        }))
    }

    async fn letter_document(
        &self,
        ctx: &TenantContext,
        state: &RequestState,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Document, ServiceError> {
        let Some(answer) = state.answer.as_ref() else {
            return Err(DocumentError::NotAnswered.into());
        };
        if let Some(d) = state.letter() {
            return Err(DocumentError::LetterIssued {
                number: d.number.clone(),
            }
            .into());
        }
        let org = &ctx.org;
        let unit = state.unit.as_ref().ok_or(DocumentError::NotRouted)?;
        let unit_name = org
            .unit(unit)
            .map_or_else(|| unit.to_string(), |u| u.name.clone());
        let muhtarlik = org
            .muhtarlik(&state.content.muhtarlik)
            .map_or_else(|| state.content.muhtarlik.to_string(), |m| m.name.clone());
        let registration = state.registration().cloned();
        let received = date_tr(state.content.received_at);
        let mut related = vec![match &registration {
            Some(r) => format!(
                "{} tarihli ve {} sayılı başvurunuz (takip numarası {}).",
                date_tr(r.date),
                r.number,
                state.tracking
            ),
            None => format!(
                "{received} tarihli ve {} takip numaralı başvurunuz.",
                state.tracking
            ),
        }];
        if let Some(ext) = &state.content.registration_number {
            related.push(format!("{received} tarihli ve {ext} sayılı dilekçe."));
        }
        let mut body = match state.outcome {
            Some(Outcome::Negative) => {
                let reason = state
                    .reason
                    .as_ref()
                    .map(|r| r.display_name(org))
                    .unwrap_or_default();
                format!("İlgi'de kayıtlı başvurunuz incelenmiş olup talebiniz karşılanamamıştır. Gerekçe: {reason}.")
            }
            _ => "İlgi'de kayıtlı başvurunuz incelenmiş olup sonucu aşağıda bilgilerinize sunulmuştur.".to_owned(),
        };
        body.push_str("\n\n");
        body.push_str(answer.trim());
        body.push_str("\n\nBilgilerinize rica ederim.");
        let (signatory_name, signatory_title) = match org.official_of(unit) {
            Some(o) => (o.person.name.clone(), o.title.display_name().to_owned()),
            None => (actor.display_name(org), unit_name.clone()),
        };
        let mut information = Vec::new();
        let coordinator = &org.tenant.coordinator_unit;
        if coordinator != unit {
            if let Some(c) = org.unit(coordinator) {
                information.push(c.name.clone());
            }
        }
        let category = org
            .category(&state.content.category)
            .map_or(state.content.category.as_str(), |c| c.name.as_str());
        let body_of_unit = body_name(org, unit);
        let mut heading = vec!["T.C.".to_owned(), tr_upper(body_of_unit)];
        if unit_name != body_of_unit {
            heading.push(unit_name);
        }
        let subject = format!("{category} talebi");
        let addressee = tr_upper(&format!("{muhtarlik} Muhtarlığına"));
        let action = vec![format!("{muhtarlik} Muhtarlığı")];
        let related_number = registration.map(|r| r.number);
        self.next_document(
            ctx,
            state,
            Direction::Outgoing,
            related_number,
            now,
            |number, code| {
                Content::Letter(Letter {
                    heading,
                    number: number.clone(),
                    date: crate::calendar::local_date(now),
                    subject,
                    addressee,
                    related,
                    body,
                    signatory_name,
                    signatory_title,
                    distribution_action: action,
                    distribution_information: information,
                    code: code.clone(),
                })
            },
        )
        .await
    }

    /// A request's documents, if the actor may read the request; oldest first.
    pub async fn documents_of(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<Vec<Document>, ServiceError> {
        let (_, rec) = self
            .load_visible(actor, super::RequestKey::Tracking(tracking))
            .await?;
        Ok(self
            .store
            .documents_of_request(&actor.tenant, rec.state.id)
            .await?)
    }

    /// Documents by our number or a paper petition's own number, among the requests the
    /// actor may read; newest first.
    pub async fn find_documents(
        &self,
        actor: &Actor,
        search: &DocumentSearch,
    ) -> Result<Vec<Document>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let found = match search {
            DocumentSearch::Number(n) => self.store.documents_by_number(&actor.tenant, n).await?,
            DocumentSearch::External(e) => {
                self.store
                    .documents_by_external_number(&actor.tenant, e)
                    .await?
            }
        };
        let mut out = Vec::with_capacity(found.len());
        for d in found {
            let rec = RequestStore::load(&self.store, &actor.tenant, d.request).await?;
            if authorize(
                actor,
                Action::Read,
                &Self::request_target(&rec.state),
                &ctx.org,
            )
            .is_ok()
            {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// A document by id, if the actor may read its request.
    pub async fn document_by_id(
        &self,
        actor: &Actor,
        id: DocumentId,
    ) -> Result<Document, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let d = self.store.official_document(&actor.tenant, id).await?;
        let rec = RequestStore::load(&self.store, &actor.tenant, d.request).await?;
        authorize(
            actor,
            Action::Read,
            &Self::request_target(&rec.state),
            &ctx.org,
        )
        .map_err(|_| ServiceError::NotFound("document".into()))?;
        Ok(d)
    }

    /// Belge doğrulama: anyone with the code sees the document's public projection and
    /// whether its content and signature hold (checked with its tenant's listed keys).
    pub async fn verify_document(
        &self,
        code: &VerificationCode,
    ) -> Result<PublicDocument, ServiceError> {
        let d = self
            .store
            .document_by_code(code)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => ServiceError::NotFound("document".into()),
                e => e.into(),
            })?;
        let ctx = self.context(&d.tenant).await?;
        Ok(d.public(&ctx.settings.documents.keys))
    }

    /// Whether a copy someone holds is the content of the document with this code, byte
    /// for byte.
    pub async fn verify_copy(
        &self,
        code: &VerificationCode,
        copy: &[u8],
    ) -> Result<bool, ServiceError> {
        let d = self
            .store
            .document_by_code(code)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => ServiceError::NotFound("document".into()),
                e => e.into(),
            })?;
        Ok(crate::document::matches_copy(&d, copy))
    }
}
