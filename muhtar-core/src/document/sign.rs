//! Signing documents with the tenant's own Ed25519 key (`ed25519-dalek`) and verifying
//! them. This is an advanced electronic seal of the body, not a qualified e-signature
//! (e-imza on a smart card under Law 5070): that needs the signatory's card and a
//! certificate provider's library, and would plug in here as another [`SignatureCheck`]
//! source over the same [`signing_message`] (see docs/documents.md).
//!
//! The private key lives in a file the server is given (`--signing-key`), never in the
//! settings document; the settings list the public keys by id (`[[documents.keys]]`), so
//! rotation is: add the new key's public half, give the server the new file, mark the old
//! one `retired_at`. Documents signed before keep verifying with the old key.

use super::Document;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why a key (file or settings entry) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key id is empty or has other characters than letters, digits, `-`, `_`, `.`.
    #[error("`{0}` is not a key id: 1 to 40 letters, digits, `-`, `_` or `.`")]
    Id(String),
    /// Not 64 hexadecimal digits (32 bytes).
    #[error("the {what} of key `{id}` is not 64 hexadecimal digits")]
    Hex {
        /// Which key.
        id: String,
        /// `secret` or `public_key`.
        what: &'static str,
    },
    /// The public key is not a point of the curve.
    #[error("the public_key of key `{0}` is not an Ed25519 public key")]
    NotAPoint(String),
    /// The key file is not `id = "…"` and `secret = "…"` in TOML.
    #[error("the signing key file, line {line}: {message}")]
    File {
        /// 1-based line (0 if unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn check_id(id: &str) -> Result<(), KeyError> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(KeyError::Id(id.to_owned()))
    }
}

fn hex32(id: &str, what: &'static str, text: &str) -> Result<[u8; 32], KeyError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut out).map_err(|_| KeyError::Hex {
        id: id.to_owned(),
        what,
    })?;
    Ok(out)
}

/// A tenant's private signing key with its id. `Debug` never shows the secret.
#[derive(Clone)]
pub struct DocumentKey {
    id: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentKey")
            .field("id", &self.id)
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    id: String,
    secret: String,
}

impl DocumentKey {
    /// A new key from 32 random bytes (the caller's OS randomness).
    pub fn from_secret(id: &str, secret: [u8; 32]) -> Result<Self, KeyError> {
        check_id(id)?;
        Ok(Self {
            id: id.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&secret),
        })
    }

    /// Reads a key file: TOML with `id` and `secret` (64 hexadecimal digits).
    pub fn from_file_text(text: &str) -> Result<Self, KeyError> {
        let f: KeyFile = toml::from_str(text).map_err(|e| KeyError::File {
            line: crate::org::toml_error_line(text, &e),
            message: e.message().to_owned(),
        })?;
        check_id(&f.id)?;
        let secret = hex32(&f.id, "secret", &f.secret)?;
        Self::from_secret(&f.id, secret)
    }

    /// The key file's text ([`Self::from_file_text`] reads it back). Keep it secret.
    pub fn to_file_text(&self) -> String {
        format!(
            "# muhtar document signing key: keep this file secret (chmod 600)\nid = \"{}\"\nsecret = \"{}\"\n",
            self.id,
            hex::encode(self.key.to_bytes())
        )
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public half, 64 hexadecimal digits, as `[[documents.keys]] public_key` lists it.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// The settings entry that lists this key for verification.
    pub fn public_entry(&self) -> PublicKeyEntry {
        PublicKeyEntry {
            id: self.id.clone(),
            public_key: self.public_key_hex(),
            retired_at: None,
        }
    }

    /// Signs a document's [`signing_message`].
    pub fn sign(&self, doc: &Document) -> DocumentSignature {
        let sig = self.key.sign(&signing_message(doc));
        DocumentSignature {
            key_id: self.id.clone(),
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

/// A public key listed in the settings (`[[documents.keys]]`): verification checks
/// signatures with it; a key `retired_at` an instant verifies documents dated before it
/// only, and the server signs no more with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyEntry {
    /// The key id, as in the key file.
    pub id: String,
    /// 64 hexadecimal digits.
    pub public_key: String,
    /// From when the key signs no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
}

impl PublicKeyEntry {
    /// Checks the id and that the key is a curve point.
    pub fn check(&self) -> Result<VerifyingKey, KeyError> {
        check_id(&self.id)?;
        let bytes = hex32(&self.id, "public_key", &self.public_key)?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotAPoint(self.id.clone()))
    }

    /// Whether it may sign (or have signed) a document dated `at`.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.retired_at.is_none_or(|r| at < r)
    }
}

/// A document's signature: the key's id and the 64-byte Ed25519 signature in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSignature {
    /// Which key signed.
    pub key_id: String,
    /// 128 hexadecimal digits.
    pub signature: String,
}

/// The bytes a signature covers: a version line, then the tenant, direction, number,
/// date, verification code, issuer, subject and the SHA-256 of the content, one per line.
/// The content itself is covered through its hash.
pub fn signing_message(doc: &Document) -> Vec<u8> {
    format!(
        "muhtar-belge/1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        doc.tenant,
        doc.direction.as_str(),
        doc.number,
        doc.date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        doc.code.as_str(),
        doc.issuer,
        doc.subject,
        doc.sha256,
    )
    .into_bytes()
}

/// The SHA-256 of a content, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a signature check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SignatureCheck {
    /// The document carries no signature (the tenant does not sign).
    Unsigned,
    /// Signed by this key, and the signature holds.
    Valid {
        /// The key id.
        key_id: String,
    },
    /// The signature does not hold for this document: it was changed after signing, or
    /// signed by another key under this id.
    Invalid {
        /// The key id.
        key_id: String,
    },
    /// The settings list no key with this id.
    UnknownKey {
        /// The key id.
        key_id: String,
    },
    /// The key was retired before the document's date.
    Retired {
        /// The key id.
        key_id: String,
    },
}

impl SignatureCheck {
    /// In Turkish, for the verification page and the CLI.
    pub fn describe(&self) -> String {
        match self {
            SignatureCheck::Unsigned => "İmzasız (kurum belgeleri imzalamıyor)".into(),
            SignatureCheck::Valid { key_id } => format!("Geçerli (anahtar {key_id})"),
            SignatureCheck::Invalid { key_id } => {
                format!("GEÇERSİZ: imza belgeyle uyuşmuyor (anahtar {key_id})")
            }
            SignatureCheck::UnknownKey { key_id } => {
                format!("GEÇERSİZ: {key_id} anahtarı kurumun anahtarları arasında yok")
            }
            SignatureCheck::Retired { key_id } => {
                format!("GEÇERSİZ: {key_id} anahtarı belgenin tarihinden önce kullanımdan kalktı")
            }
        }
    }
}

/// The result of verifying a stored document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Whether the content's SHA-256 is the one recorded.
    pub content_intact: bool,
    /// The signature's check.
    pub signature: SignatureCheck,
}

impl Verification {
    /// Intact, and signed validly or unsigned.
    pub fn is_valid(&self) -> bool {
        self.content_intact
            && matches!(
                self.signature,
                SignatureCheck::Valid { .. } | SignatureCheck::Unsigned
            )
    }
}

/// Verifies a document against the tenant's listed public keys: the content's hash is the
/// recorded one, and the signature (if any) holds with the key of its id, in force at the
/// document's date. Any changed byte of the content or of the signed fields fails it.
pub fn verify(doc: &Document, keys: &[PublicKeyEntry]) -> Verification {
    let content_intact = sha256_hex(doc.content.as_bytes()) == doc.sha256;
    let signature = match &doc.signature {
        None => SignatureCheck::Unsigned,
        Some(s) => check_signature(doc, s, keys),
    };
    Verification {
        content_intact,
        signature,
    }
}

fn check_signature(
    doc: &Document,
    s: &DocumentSignature,
    keys: &[PublicKeyEntry],
) -> SignatureCheck {
    let key_id = s.key_id.clone();
    let Some(entry) = keys.iter().find(|k| k.id == s.key_id) else {
        return SignatureCheck::UnknownKey { key_id };
    };
    if !entry.in_force_at(doc.date) {
        return SignatureCheck::Retired { key_id };
    }
    let Ok(public) = entry.check() else {
        return SignatureCheck::UnknownKey { key_id };
    };
    let mut bytes = [0u8; 64];
    if hex::decode_to_slice(&s.signature, &mut bytes).is_err() {
        return SignatureCheck::Invalid { key_id };
    }
    match public.verify(&signing_message(doc), &Signature::from_bytes(&bytes)) {
        Ok(()) => SignatureCheck::Valid { key_id },
        Err(_) => SignatureCheck::Invalid { key_id },
    }
}

/// Whether a copy someone holds is the document's content byte for byte (its SHA-256).
pub fn matches_copy(doc: &Document, copy: &[u8]) -> bool {
    sha256_hex(copy) == doc.sha256
}
