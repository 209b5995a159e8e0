//! `[documents]` in the tenant's settings.
//!
//! ```toml
//! [documents]
//! auto_register = ["petition", "email"]   # channels registered on receipt
//! default_sdp = "010"                     # SDP code of categories not listed below
//! require_signature = false               # refuse to issue unsigned documents
//! verify_url = "https://mbs.example.bel.tr"  # printed on letters before /dogrula/CODE
//!
//! [documents.sdp]                          # category code = SDP code
//! asfalt-onarim = "010.06.01"
//!
//! [[documents.keys]]                       # public keys that verify signatures
//! id = "2026-1"
//! public_key = "…64 hexadecimal digits…"
//! # retired_at = "2027-01-01T00:00:00+03:00"
//! ```

use super::{DocumentKey, KeyError, PublicKeyEntry, SdpCode};
use crate::request::Channel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The SDP code of a category the settings do not list: 010, the general-affairs group of
/// the Standart Dosya Planı. A body sets its own codes per category.
pub const DEFAULT_SDP: &str = "010";

/// A tenant's document settings (`[documents]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettings {
    /// Channels whose requests are registered as incoming documents on receipt, in the
    /// submission's transaction (default: none; registration is then a command).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_register: Vec<Channel>,
    /// The SDP code of categories [`Self::sdp`] does not list (default [`DEFAULT_SDP`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_sdp: Option<SdpCode>,
    /// SDP code per category code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sdp: BTreeMap<String, SdpCode>,
    /// Public keys that verify the tenant's signatures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<PublicKeyEntry>,
    /// Whether a document may only be issued signed (default: no).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_signature: bool,
    /// The address printed on letters before `/dogrula/<code>` (default: none; the
    /// letter then prints the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_url: Option<String>,
}

impl DocumentSettings {
    /// Whether requests of this channel are registered on receipt.
    pub fn registers(&self, channel: Channel) -> bool {
        self.auto_register.contains(&channel)
    }

    /// The SDP code of a category.
    pub fn sdp_of(&self, category: &str) -> SdpCode {
        self.sdp
            .get(category)
            .cloned()
            .or_else(|| self.default_sdp.clone())
            .unwrap_or_else(|| SdpCode::new(DEFAULT_SDP).expect("the default SDP code is valid"))
    }

    /// Checks the keys: ids unique, public keys curve points.
    pub fn check(&self) -> Result<(), KeyError> {
        let mut seen = std::collections::BTreeSet::new();
        for k in &self.keys {
            k.check()?;
            if !seen.insert(k.id.as_str()) {
                return Err(KeyError::Id(format!("{} (listed twice)", k.id)));
            }
        }
        Ok(())
    }

    /// The key among the server's that signs the tenant's documents dated `at`: listed in
    /// [`Self::keys`] with the same public key and in force; the last listed wins.
    pub fn signing_key<'k>(
        &self,
        server: &'k [DocumentKey],
        at: DateTime<Utc>,
    ) -> Option<&'k DocumentKey> {
        self.keys
            .iter()
            .rev()
            .filter(|e| e.in_force_at(at))
            .find_map(|e| {
                server.iter().find(|k| {
                    k.id() == e.id && k.public_key_hex() == e.public_key.trim().to_ascii_lowercase()
                })
            })
    }
}
