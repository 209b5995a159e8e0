//! What a request says: channel, kind, category, text, location, attachments.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::input::InputError;
use crate::ids::MuhtarlikCode;
use crate::org::Organisation;

/// How the request reached the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// Muhtar Bilgi Sistemi web portal.
    MbsWeb,
    /// E-mail (e-posta).
    Email,
    /// The muhtars' mobile app (Muhtar Mobil).
    MobileApp,
    /// WhatsApp.
    Whatsapp,
    /// BiP.
    Bip,
    /// Telephone.
    Phone,
    /// Dilekçe: a paper petition.
    Petition,
    /// In person (yüz yüze).
    InPerson,
    /// CİMER (Presidency communication centre).
    Cimer,
    /// Açık Kapı (governorship's open-door office).
    AcikKapi,
    /// İBB Beyaz Masa, the metropolitan municipality's request centre. Stored as
    /// `beyaz-masa`; the older name `metropolitan-system` is still read.
    BeyazMasa,
    /// Social media.
    SocialMedia,
    /// A ministry letter (urgent by default, Genelge 2015/8 item 9).
    MinistryLetter,
    /// Open311 GeoReport v2 client.
    Open311,
    /// The municipality's own web site.
    Web,
    /// Bilgi Edinme: the information-request unit or portal (Law 4982).
    BilgiEdinme,
    /// The call centre (çağrı merkezi).
    CallCentre,
    /// A neighbourhood council's decision sent to a public body
    /// ([`crate::council`]): submitted for the council by its muhtar.
    MahalleMeclisi,
}

crate::names::named_enum! {
    impl Channel: "channel" {
        MbsWeb => ("mbs-web", "MBS web"),
        Email => ("email", "E-posta"),
        MobileApp => ("mobile-app", "Mobil uygulama"),
        Whatsapp => ("whatsapp", "WhatsApp"),
        Bip => ("bip", "BiP"),
        Phone => ("phone", "Telefon"),
        Petition => ("petition", "Dilekçe"),
        InPerson => ("in-person", "Yüz yüze"),
        Cimer => ("cimer", "CİMER"),
        AcikKapi => ("acik-kapi", "Açık Kapı"),
        BeyazMasa => ("beyaz-masa", "İBB Beyaz Masa", also "metropolitan-system"),
        SocialMedia => ("social-media", "Sosyal medya"),
        MinistryLetter => ("ministry-letter", "Bakanlık yazısı"),
        Open311 => ("open311", "Open311"),
        Web => ("web", "Belediye web sitesi"),
        BilgiEdinme => ("bilgi-edinme", "Bilgi Edinme"),
        CallCentre => ("call-centre", "Çağrı merkezi"),
        MahalleMeclisi => ("mahalle-meclisi", "Mahalle meclisi"),
    }
}

/// What sort of request it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RequestKind {
    /// Talep: a request for action.
    Request,
    /// Öneri: a suggestion.
    Suggestion,
    /// Şikâyet: a complaint.
    Complaint,
    /// Bilgi edinme: an information request (Law 4982).
    InformationRequest,
}

crate::names::named_enum! {
    impl RequestKind: "kind" {
        Request => ("request", "Talep"),
        Suggestion => ("suggestion", "Öneri"),
        Complaint => ("complaint", "Şikâyet"),
        InformationRequest => ("information-request", "Bilgi edinme başvurusu"),
    }
}

/// Priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Priority {
    /// Normal.
    #[default]
    Normal,
    /// İvedi: urgent (ministry letters).
    Urgent,
}

impl Priority {
    /// Whether it is urgent (İVEDİ).
    pub fn is_urgent(self) -> bool {
        self == Priority::Urgent
    }
}

crate::names::named_enum! {
    impl Priority: "priority" {
        Normal => ("normal", "Normal"),
        Urgent => ("urgent", "İVEDİ"),
    }
}

/// The date a letter asks to be answered by (günlü yazı): a local date (the end of
/// office hours that day, Europe/Istanbul) or an instant. Written and read as text:
/// `2026-12-15` or an RFC 3339 instant such as `2026-12-15T12:00:00+03:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyBy {
    /// A local date: the answer is due by the end of office hours that day.
    Date(NaiveDate),
    /// An instant.
    Instant(DateTime<Utc>),
}

impl ReplyBy {
    /// The local date it falls on (Europe/Istanbul).
    pub fn local_date(self) -> NaiveDate {
        match self {
            ReplyBy::Date(d) => d,
            ReplyBy::Instant(t) => crate::calendar::local_date(t),
        }
    }
}

impl std::fmt::Display for ReplyBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyBy::Date(d) => write!(f, "{d}"),
            ReplyBy::Instant(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// The form of a reply-by date people type, with examples.
const REPLY_BY_FORM: &str =
    "a date or a date-time; expected 2026-12-15 or RFC 3339, e.g. 2026-12-15T12:00:00+03:00";

impl ReplyBy {
    /// Reads a date (`2026-12-15`) or an RFC 3339 instant for `field`: an error names the
    /// field and the forms expected, or says the date does not exist.
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self, InputError> {
        let s = s.trim();
        if s.len() <= 10 {
            return super::input::parse_date_as(field, s, REPLY_BY_FORM).map(ReplyBy::Date);
        }
        super::input::parse_instant(field, s)
            .map(ReplyBy::Instant)
            .map_err(|e| match e {
                InputError::NotDateTime { field, value, .. } => InputError::NotDateTime {
                    field,
                    value,
                    expected: REPLY_BY_FORM,
                },
                e => e,
            })
    }
}

impl std::str::FromStr for ReplyBy {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        ReplyBy::parse_field("reply_by", s)
    }
}

impl Serialize for ReplyBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReplyBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Latest reply-by date accepted, in days after the receipt.
pub const MAX_REPLY_BY_DAYS: i64 = 366;

/// Where the problem is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, WGS 84.
    pub lat: f64,
    /// Longitude, WGS 84.
    pub lon: f64,
}

/// Turkey's bounding box (with a small margin), used to reject impossible coordinates.
pub const TURKEY_BOUNDS: (f64, f64, f64, f64) = (35.7, 42.2, 25.5, 45.0);

impl Location {
    /// Checks the coordinates lie inside Turkey's bounding box: an error names the
    /// coordinate and the range accepted.
    pub fn check(&self) -> Result<(), InputError> {
        let (lat_min, lat_max, lon_min, lon_max) = TURKEY_BOUNDS;
        let within = |field, value: f64, min: f64, max: f64, axis| {
            if value.is_finite() && (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(InputError::OutsideTurkey {
                    field,
                    value: value.to_string(),
                    min: min.to_string(),
                    max: max.to_string(),
                    axis,
                })
            }
        };
        within("location.lat", self.lat, lat_min, lat_max, 'N')?;
        within("location.lon", self.lon, lon_min, lon_max, 'E')
    }
}

/// Metadata of an attached file (the bytes live elsewhere, addressed by hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Media type, e.g. `image/jpeg`.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, 64 lowercase hex digits.
    pub sha256: String,
    /// The file name as uploaded (for display only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

/// Media types accepted as attachments.
pub const ALLOWED_MEDIA_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
];
/// Largest attachment accepted, in bytes (20 MiB).
pub const MAX_ATTACHMENT_BYTES: u64 = 20 * 1024 * 1024;
/// Most attachments on one request.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest description or answer text, in characters.
pub const MAX_TEXT: usize = 4000;
/// Longest short text (address, registration number, names), in characters.
pub const MAX_SHORT: usize = 500;

/// A citizen's contact details. Personal data (KVKK): never shown publicly, erasable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenContact {
    /// Name.
    pub name: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// How far after the service's clock a given `received_at` may be, in seconds: clocks
/// disagree by a few minutes; anything later is refused as out of bounds.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// A request as submitted, before validation.
///
/// Made with [`NewRequest::builder`] (the required fields as arguments, the others by
/// setters) or read from JSON; checked by [`NewRequest::validate`] (the service does it
/// on submission). Outside this crate it cannot be written as a struct literal, so a new
/// optional field does not break its users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NewRequest {
    /// The muhtarlık it comes from.
    pub muhtarlik: MuhtarlikCode,
    /// How it arrived.
    pub channel: Channel,
    /// What sort of request it is.
    #[serde(default = "default_kind")]
    pub kind: RequestKind,
    /// Category code from the tenant's organisation.
    pub category: String,
    /// Subject line.
    pub subject: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Priority; ministry letters default to urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Address text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The citizen behind the request, if the muhtar passes one on (personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<CitizenContact>,
    /// The official registration (evrak) number when the request arrived on paper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// When it reached the body, for back-office entry of earlier requests; default: now.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::input::deserialize_received_at"
    )]
    pub received_at: Option<DateTime<Utc>>,
    /// Values of the category's extra fields, by attribute code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// A link to a photo held elsewhere (Open311 `media_url`), `http(s)://` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    /// The date the letter asks the answer by (günlü yazı): the resolution deadline
    /// unless the policy's is earlier. Not before the receipt, at most
    /// [`MAX_REPLY_BY_DAYS`] after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<ReplyBy>,
    /// For the municipal council's agenda (belediye meclisi gündemi): flagged in the
    /// unit's queue and counted in the report.
    #[serde(default, skip_serializing_if = "is_false")]
    pub municipal_council: bool,
}

/// Whether a flag is unset (serde skips writing it: old JSON reads unchanged).
fn is_false(b: &bool) -> bool {
    !*b
}

fn default_kind() -> RequestKind {
    RequestKind::Request
}

/// A validated request's content, as recorded in its `received` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestContent {
    /// The muhtarlık it comes from.
    pub muhtarlik: MuhtarlikCode,
    /// District of the muhtarlık (copied for routing and reports).
    pub district: String,
    /// Province of the muhtarlık.
    pub province: String,
    /// How it arrived.
    pub channel: Channel,
    /// What sort of request it is.
    pub kind: RequestKind,
    /// Category code.
    pub category: String,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Address text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The citizen (personal data; erasable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<CitizenContact>,
    /// Official registration number for paper documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// The instant the request reached the body (the deadline counts from here).
    pub received_at: DateTime<Utc>,
    /// Set when the coordinator forced `received_at` into a quarter whose report is
    /// signed: that report then needs a correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at_forced: Option<ForcedReceipt>,
    /// Values of the category's extra fields, by attribute code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// A link to a photo held elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    /// The date the letter asks the answer by (günlü yazı), if it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<ReplyBy>,
    /// For the municipal council's agenda (belediye meclisi gündemi). Absent in JSON
    /// written before the flag: `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub municipal_council: bool,
}

/// A receipt instant the coordinator forced into a quarter whose report is signed, with
/// the reason: recorded on the `received` event; the quarter's signed reports then need a
/// correction ([`crate::store::ReportCorrection`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedReceipt {
    /// The signed quarter the request now falls in.
    pub quarter: crate::report::Quarter,
    /// Why (required).
    pub reason: String,
}

/// Checks a text: its length, `required` rejects empty (after trimming), and no
/// character [`is_forbidden_in_text`] (the error names `field` and the character).
pub fn check_text(
    field: &'static str,
    s: &str,
    max: usize,
    required: bool,
) -> Result<String, InputError> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(InputError::Empty { field });
    }
    let len = t.chars().count();
    if len > max {
        return Err(InputError::TooLong { field, len, max });
    }
    if let Some(c) = t.chars().find(|&c| is_forbidden_in_text(c)) {
        return Err(InputError::Invalid {
            field,
            message: format!(
                "contains the character U+{:04X} (control characters other than tab and line \
                 breaks, U+FFFE and U+FFFF are not allowed)",
                u32::from(c)
            ),
        });
    }
    Ok(t.to_owned())
}

/// Whether a text field may not hold `c`: a control character other than tab, line
/// feed and carriage return, or U+FFFE / U+FFFF. None of these can be written in an XML
/// 1.0 document (the Open311 feed) or an e-mail header.
pub fn is_forbidden_in_text(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

fn opt_text(
    field: &'static str,
    s: &Option<String>,
    max: usize,
) -> Result<Option<String>, InputError> {
    match s {
        None => Ok(None),
        Some(s) => {
            let t = check_text(field, s, max, false)?;
            Ok(if t.is_empty() { None } else { Some(t) })
        }
    }
}

impl NewRequest {
    /// Validates the request against the tenant's organisation; `now` bounds `received_at`.
    pub fn validate(
        &self,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<RequestContent, InputError> {
        let m = org.known_muhtarlik("muhtarlik", self.muhtarlik.as_str())?;
        if !m.active {
            return Err(InputError::Invalid {
                field: "muhtarlik",
                message: format!("{} is inactive", m.code),
            });
        }
        let category = org.category(&self.category).ok_or_else(|| {
            InputError::unknown(
                "category",
                self.category.as_str(),
                org.categories.iter().map(|c| &c.code),
            )
        })?;
        let mut attributes = BTreeMap::new();
        for (k, v) in &self.attributes {
            let def = category
                .attributes
                .iter()
                .find(|a| &a.code == k)
                .ok_or_else(|| {
                    InputError::unknown(
                        "attributes",
                        k.as_str(),
                        category.attributes.iter().map(|a| &a.code),
                    )
                })?;
            let v = check_text("attributes", v, MAX_SHORT, false)?;
            if v.is_empty() {
                continue;
            }
            if !def.values.is_empty() && !def.values.iter().any(|x| x.key == v) {
                return Err(InputError::Invalid {
                    field: "attributes",
                    message: format!("{k}: {v:?} is not one of the allowed values"),
                });
            }
            attributes.insert(k.clone(), v);
        }
        if let Some(missing) = category
            .attributes
            .iter()
            .find(|a| a.required && !attributes.contains_key(&a.code))
        {
            return Err(InputError::Invalid {
                field: "attributes",
                message: format!("{} is required for {}", missing.code, category.code),
            });
        }
        let media_url = opt_text("media_url", &self.media_url, MAX_SHORT)?;
        if let Some(u) = &media_url {
            if !(u.starts_with("https://") || u.starts_with("http://"))
                || u.contains(char::is_whitespace)
            {
                return Err(InputError::Invalid {
                    field: "media_url",
                    message: "must be an http(s) URL".into(),
                });
            }
        }
        let subject = check_text("subject", &self.subject, MAX_SUBJECT, true)?;
        let description = check_text("description", &self.description, MAX_TEXT, false)?;
        if let Some(l) = &self.location {
            l.check()?;
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(InputError::TooLong {
                field: "attachments",
                len: self.attachments.len(),
                max: MAX_ATTACHMENTS,
            });
        }
        for a in &self.attachments {
            if !ALLOWED_MEDIA_TYPES.contains(&a.media_type.as_str()) {
                return Err(InputError::Invalid {
                    field: "attachments.media_type",
                    message: format!("{:?} is not accepted", a.media_type),
                });
            }
            if a.size == 0 || a.size > MAX_ATTACHMENT_BYTES {
                return Err(InputError::OutOfBounds {
                    field: "attachments.size",
                    value: a.size.to_string(),
                });
            }
            if a.sha256.len() != 64
                || !a
                    .sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(InputError::Invalid {
                    field: "attachments.sha256",
                    message: "must be 64 lowercase hex digits".into(),
                });
            }
            opt_text("attachments.file_name", &a.file_name, 255)?;
        }
        let citizen = match &self.citizen {
            None => None,
            Some(c) => {
                let name = check_text("citizen.name", &c.name, MAX_SHORT, true)?;
                let phone =
                    match &c.phone {
                        None => None,
                        Some(p) => Some(crate::org::normalize_phone(p).ok_or_else(|| {
                            InputError::Invalid {
                                field: "citizen.phone",
                                message: format!("{p:?} is not a Turkish phone number"),
                            }
                        })?),
                    };
                if let Some(e) = &c.email {
                    if !crate::org::is_valid_email(e) {
                        return Err(InputError::Invalid {
                            field: "citizen.email",
                            message: format!("{e:?} is not an e-mail address"),
                        });
                    }
                }
                Some(CitizenContact {
                    name,
                    phone,
                    email: c.email.clone(),
                })
            }
        };
        let received_at = self.received_at.unwrap_or(now);
        if received_at > now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
            return Err(InputError::OutOfBounds {
                field: "received_at",
                value: crate::calendar::to_istanbul(received_at).to_rfc3339(),
            });
        }
        if received_at < now - chrono::Duration::days(3 * 366) {
            return Err(InputError::OutOfBounds {
                field: "received_at",
                value: crate::calendar::to_istanbul(received_at).to_rfc3339(),
            });
        }
        let received_at = received_at.min(now);
        if let Some(r) = self.reply_by {
            check_reply_by(r, received_at)?;
        }
        let priority = self
            .priority
            .unwrap_or(if self.channel == Channel::MinistryLetter {
                Priority::Urgent
            } else {
                Priority::Normal
            });
        Ok(RequestContent {
            muhtarlik: m.code.clone(),
            district: m.district.clone(),
            province: m.province.clone(),
            channel: self.channel,
            kind: self.kind,
            category: self.category.clone(),
            subject,
            description,
            priority,
            location: self.location.clone(),
            address: opt_text("address", &self.address, MAX_SHORT)?,
            attachments: self.attachments.clone(),
            citizen,
            registration_number: opt_text("registration_number", &self.registration_number, 64)?,
            received_at,
            received_at_forced: None,
            attributes,
            media_url,
            reply_by: self.reply_by,
            municipal_council: self.municipal_council,
        })
    }
}

/// Checks a reply-by date against the receipt: not before it (a date: not before its
/// local day), at most [`MAX_REPLY_BY_DAYS`] after it.
pub fn check_reply_by(r: ReplyBy, received_at: DateTime<Utc>) -> Result<(), InputError> {
    let received_day = crate::calendar::local_date(received_at);
    let before = match r {
        ReplyBy::Date(d) => d < received_day,
        ReplyBy::Instant(t) => t < received_at,
    };
    if before {
        return Err(InputError::Invalid {
            field: "reply_by",
            message: format!(
                "{r} is before the receipt ({})",
                crate::calendar::local_time(received_at)
            ),
        });
    }
    if r.local_date() > received_day + chrono::Duration::days(MAX_REPLY_BY_DAYS) {
        return Err(InputError::Invalid {
            field: "reply_by",
            message: format!(
                "{r} is more than {MAX_REPLY_BY_DAYS} days after the receipt ({received_day})"
            ),
        });
    }
    Ok(())
}
