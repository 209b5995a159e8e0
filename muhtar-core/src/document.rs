//! Official documents (resmî evrak): a request registered as an incoming document
//! (gelen evrak) and its answer issued as an outgoing letter (giden evrak), each with a
//! registry number, a verification code, the SHA-256 of its content and, where the tenant
//! signs, an Ed25519 signature.
//!
//! - **Numbers** ([`RegistryNumber`], `number.rs`): `E-<DETSİS>-<SDP>-<sequence>` as the
//!   Regulation on Official Correspondence writes them. The registry is a unit with a
//!   DETSİS number: the request's unit or the nearest unit above it that has one
//!   ([`crate::org::Organisation::registry_of`]). Sequences count per registry and
//!   Istanbul year from 1, **gapless and never reused**: the service takes the registry's
//!   last sequence plus one, the store writes the document in the command's transaction
//!   only if that is still the next one (else nothing is written and the service tries
//!   again), documents are never updated or deleted.
//! - **Verification** (`sign.rs`): [`VerificationCode`] (`code.rs`) is random; given it,
//!   anyone sees the [`PublicDocument`] (number, date, issuer, subject, SHA-256, never
//!   personal data) and whether the content and signature still hold ([`verify`]).
//! - **Letters** ([`Letter`], `letter.rs`): the answer in the official layout, A4 HTML.
//! - **Settings** (`[documents]`, [`DocumentSettings`]): channels registered
//!   automatically, SDP codes per category, the public keys.

mod code;
mod letter;
mod number;
mod settings;
mod sign;

pub use code::{CodeError, VerificationCode, CODE_LEN};
pub use letter::render_letter_html;
pub use number::{Detsis, NumberError, RegistryNumber, SdpCode};
pub use settings::{DocumentSettings, DEFAULT_SDP};
pub use sign::{
    matches_copy, sha256_hex, signing_message, verify, DocumentKey, DocumentSignature, KeyError,
    PublicKeyEntry, SignatureCheck, Verification,
};

use crate::ids::{RequestId, TenantId, UnitCode};
use crate::tracking::TrackingNumber;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A document id: a random UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentId(pub Uuid);

impl std::fmt::Display for DocumentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for DocumentId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(DocumentId)
    }
}

/// Incoming (a registered request) or outgoing (a letter answering one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Direction {
    /// Gelen evrak: the request, registered.
    Incoming,
    /// Giden evrak: the answer, issued as a letter.
    Outgoing,
}

crate::names::named_enum! {
    impl Direction: "document direction" {
        Incoming => ("incoming", "gelen evrak"),
        Outgoing => ("outgoing", "giden evrak"),
    }
}

/// What a request's events and state record of one of its documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// The document's id.
    pub id: DocumentId,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// Its number.
    pub number: RegistryNumber,
    /// Its date.
    pub date: DateTime<Utc>,
    /// Its verification code.
    pub code: VerificationCode,
}

/// An official document as stored: never updated or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Document {
    /// Id.
    pub id: DocumentId,
    /// Tenant.
    pub tenant: TenantId,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// The registry (unit) whose sequence numbered it.
    pub registry: UnitCode,
    /// The Istanbul year its sequence belongs to (of [`Self::date`]).
    pub year: i32,
    /// Its number.
    pub number: RegistryNumber,
    /// When it was registered or issued.
    pub date: DateTime<Utc>,
    /// The body and unit, as the verification page names them
    /// (`Üsküdar Belediyesi, Fen İşleri Müdürlüğü`).
    pub issuer: String,
    /// Konu: the category's name, never the request's own words (it is shown to anyone
    /// holding the code).
    pub subject: String,
    /// The request.
    pub request: RequestId,
    /// The request's tracking number.
    pub tracking: TrackingNumber,
    /// A paper petition's own number (its evrak no), kept beside ours; searchable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_number: Option<String>,
    /// İlgi: for a letter, the incoming document it answers, if the request was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<RegistryNumber>,
    /// The verification code.
    pub code: VerificationCode,
    /// The content: [`Content`] as JSON, exactly the bytes hashed.
    pub content: String,
    /// SHA-256 of [`Self::content`], lower-case hex.
    pub sha256: String,
    /// The tenant's signature, if it signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<DocumentSignature>,
}

impl Document {
    /// What the request's events record of it.
    pub fn reference(&self) -> DocumentRef {
        DocumentRef {
            id: self.id,
            direction: self.direction,
            number: self.number.clone(),
            date: self.date,
            code: self.code.clone(),
        }
    }

    /// The content, read back ([`Content`]).
    pub fn parsed_content(&self) -> Result<Content, serde_json::Error> {
        serde_json::from_str(&self.content)
    }

    /// What anyone holding the code may see.
    pub fn public(&self, keys: &[PublicKeyEntry]) -> PublicDocument {
        PublicDocument {
            number: self.number.clone(),
            direction: self.direction,
            date: self.date,
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            sha256: self.sha256.clone(),
            verification: verify(self, keys),
        }
    }
}

/// The public projection of a document (belge doğrulama): no field that can hold personal
/// data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDocument {
    /// Its number.
    pub number: RegistryNumber,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// Its date.
    pub date: DateTime<Utc>,
    /// Who issued or registered it.
    pub issuer: String,
    /// Konu.
    pub subject: String,
    /// SHA-256 of its content.
    pub sha256: String,
    /// Whether it still holds.
    pub verification: Verification,
}

/// A document's content: what was hashed (and through the hash, signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Content {
    /// A registered request.
    Incoming(IncomingContent),
    /// A letter.
    Letter(Letter),
}

impl Content {
    /// The JSON written as [`Document::content`].
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A registered request's content: what it asked, as received. The citizen's contact is
/// left out (it may be erased under KVKK; the document may not change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingContent {
    /// Tracking number.
    pub tracking: TrackingNumber,
    /// The muhtarlık's name.
    pub muhtarlik: String,
    /// The channel's name.
    pub channel: String,
    /// The category's name.
    pub category: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The request's subject.
    pub subject: String,
    /// Its description.
    pub description: String,
    /// A paper petition's own number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_number: Option<String>,
    /// The SHA-256 of each attachment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// An answer as an official letter, in the layout of the Regulation on Official
/// Correspondence: heading (T.C., the body, the unit), Sayı, date, Konu, the addressee,
/// İlgi, the text, the signatory, Dağıtım.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// The heading lines: `T.C.`, the body's name, the unit's name.
    pub heading: Vec<String>,
    /// Sayı.
    pub number: RegistryNumber,
    /// The date (Istanbul).
    pub date: NaiveDate,
    /// Konu.
    pub subject: String,
    /// The addressee: `KUZGUNCUK MAHALLESİ MUHTARLIĞINA`.
    pub addressee: String,
    /// İlgi lines (`a) …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// The text, paragraphs separated by blank lines.
    pub body: String,
    /// Who signs: name.
    pub signatory_name: String,
    /// Who signs: title.
    pub signatory_title: String,
    /// Dağıtım, Gereği: who acts on it.
    pub distribution_action: Vec<String>,
    /// Dağıtım, Bilgi: who is informed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribution_information: Vec<String>,
    /// The verification code printed at its foot.
    pub code: VerificationCode,
}

/// Documents counted over a period, for the quarterly report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentCounts {
    /// Requests registered as incoming documents.
    pub incoming: u64,
    /// Answers issued as letters.
    pub letters: u64,
}

/// Why a document command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Neither the unit nor any unit above it has a DETSİS number.
    #[error("no registry: unit `{unit}` and the units above it have no DETSİS number (`detsis` in the organisation file)")]
    NoRegistry {
        /// The unit.
        unit: String,
    },
    /// The request is not routed to a unit yet.
    #[error("the request is not routed to a unit, so no registry can number it")]
    NotRouted,
    /// The request is registered already.
    #[error("the request is registered already as {number}")]
    AlreadyRegistered {
        /// Its number.
        number: RegistryNumber,
    },
    /// A letter needs an answer.
    #[error("the request has no answer to issue as a letter")]
    NotAnswered,
    /// The answer was issued as a letter already.
    #[error("the answer was issued as a letter already: {number}")]
    LetterIssued {
        /// Its number.
        number: RegistryNumber,
    },
    /// The settings require a signature and the server has no key in force for the tenant.
    #[error("documents must be signed (`[documents] require_signature`) but the server has no signing key listed in force in `[[documents.keys]]`")]
    NoSigningKey,
}
