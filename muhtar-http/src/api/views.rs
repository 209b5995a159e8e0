//! The API's views of requests, and the parts of a submission's body.

use super::*;
use muhtar_core::org::Organisation;

/// A request as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// Takip numarası (tracking number), e.g. `7KM-3QX-9PA`.
    pub tracking: String,
    /// Internal id (UUID).
    pub id: String,
    /// Version: the number of events so far (for `expected_version`).
    pub version: u32,
    /// Status: received, routed, in-progress, paused, answered, closed, withdrawn, merged.
    pub status: String,
    /// The unit it is with.
    pub unit: Option<String>,
    /// The muhtarlık it comes from.
    pub muhtarlik: String,
    /// District (ilçe).
    pub district: String,
    /// Province (il).
    pub province: String,
    /// Category code.
    pub category: String,
    /// Channel (stable name): mbs-web, email, mobile-app, whatsapp, bip, phone, petition,
    /// in-person, cimer, acik-kapi, beyaz-masa, social-media, ministry-letter, open311, web,
    /// bilgi-edinme, call-centre.
    pub channel: String,
    /// Kind (request, suggestion, complaint, information-request).
    pub kind: String,
    /// Priority (normal, urgent).
    pub priority: String,
    /// Whether it is urgent (İVEDİ, Genelge 2015/8 item 9): listed first everywhere.
    pub urgent: bool,
    /// The date the letter asks the answer by (günlü yazı): `2026-12-15` or an instant.
    pub reply_by: Option<String>,
    /// For the municipal council's agenda (belediye meclisi gündemi): the unit's queue
    /// flags it.
    pub municipal_council: bool,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Location.
    pub location: Option<LocationBody>,
    /// Address text.
    pub address: Option<String>,
    /// The official registration (evrak) number of a request that arrived on paper
    /// (**Evrak no** of the back-office entry).
    pub registration_number: Option<String>,
    /// Attachments (download: `attachments/{sha256}`).
    pub attachments: Vec<AttachmentBody>,
    /// The category's extra fields.
    pub attributes: BTreeMap<String, String>,
    /// Link to a photo held elsewhere.
    pub media_url: Option<String>,
    /// The citizen behind the request (personal data).
    pub citizen: Option<CitizenBody>,
    /// The SLA policy (deadline regime).
    pub policy: String,
    /// Why that policy: the policy rule that chose it, `default` (no rule matched: the
    /// organisation's default) or `set-policy` (set by staff, see `policy_reason`).
    pub policy_rule: String,
    /// The reason staff gave when they set the policy.
    pub policy_reason: Option<String>,
    /// When it reached the body.
    pub received_at: DateTime<Utc>,
    /// When the first response is due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the answer is due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Olumlu / olumsuz (positive / negative), once answered.
    pub outcome: Option<String>,
    /// Gerekçe (reason code) of a request not fulfilled.
    pub reason: Option<String>,
    /// Explanation of the reason.
    pub reason_text: Option<String>,
    /// The answer text.
    pub answer: Option<String>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The first response: an interim reply (ara cevap, Law 3071) or the answer.
    pub first_response_at: Option<DateTime<Utc>>,
    /// Whether the first response came by its deadline (absent until it came).
    pub first_response_on_time: Option<bool>,
    /// Whether the Law 4982 deadline was extended (to 30 business days).
    pub extended: bool,
    /// The Law 4982 fee notified and not yet paid (the clocks stop meanwhile).
    pub fee: Option<FeeView>,
    /// The status, in Turkish.
    pub status_name: String,
    /// The channel, in Turkish (e.g. `İBB Beyaz Masa`).
    pub channel_name: String,
    /// The kind, in Turkish.
    pub kind_name: String,
    /// The outcome, in Turkish (olumlu / olumsuz), once answered.
    pub outcome_name: Option<String>,
    /// A warning when the location lies outside the muhtarlık's boundary (never a
    /// refusal); absent when it lies inside, or there is no location or no boundary.
    pub location_warning: Option<LocationWarningView>,
}

/// A request located outside its muhtarlık's boundary
/// ([`muhtar_core::map::location_warning`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationWarningView {
    /// The request's muhtarlık.
    pub muhtarlik: String,
    /// The muhtarlık whose boundary holds the point, if any.
    pub inside: Option<String>,
    /// The warning in Turkish, e.g. "Konum, Kuzguncuk Mahallesi sınırlarının dışında;
    /// nokta Beylerbeyi Mahallesi içinde."
    pub message: String,
}

impl RequestView {
    /// The view of a request, its location checked against the organisation's
    /// boundaries.
    pub fn of(r: &RequestRecord, org: &Organisation) -> Self {
        let mut v = RequestView::from(r);
        v.location_warning = muhtar_core::map::location_warning(org, &r.state.content).map(|w| {
            LocationWarningView {
                message: w.describe(),
                muhtarlik: w.muhtarlik.to_string(),
                inside: w.inside.map(|c| c.to_string()),
            }
        });
        v
    }
}

impl RequestPage {
    /// A page of views ([`RequestView::of`]).
    pub fn of(p: Page<RequestRecord>, org: &Organisation) -> Self {
        RequestPage {
            items: p.items.iter().map(|r| RequestView::of(r, org)).collect(),
            next: p.next.map(|c| c.0),
        }
    }
}

/// A pending Law 4982 fee.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeView {
    /// The amount in TL, e.g. `12.50`.
    pub amount: Option<String>,
    /// When it was notified; unpaid for 15 business days, the request is deemed withdrawn.
    pub notified_at: DateTime<Utc>,
}

pub(crate) fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl From<&RequestRecord> for RequestView {
    fn from(r: &RequestRecord) -> Self {
        let s = &r.state;
        let c = &s.content;
        RequestView {
            tracking: s.tracking.to_string(),
            id: s.id.to_string(),
            version: s.version,
            status: s.status.as_str().to_owned(),
            unit: s.unit.as_ref().map(|u| u.to_string()),
            muhtarlik: c.muhtarlik.to_string(),
            district: c.district.clone(),
            province: c.province.clone(),
            category: c.category.clone(),
            channel: name_of(&c.channel),
            kind: name_of(&c.kind),
            priority: name_of(&c.priority),
            urgent: c.priority.is_urgent(),
            reply_by: c.reply_by.map(|r| r.to_string()),
            municipal_council: c.municipal_council,
            subject: c.subject.clone(),
            description: c.description.clone(),
            location: c.location.as_ref().map(|l| LocationBody {
                lat: l.lat,
                lon: l.lon,
            }),
            address: c.address.clone(),
            registration_number: c.registration_number.clone(),
            attachments: c
                .attachments
                .iter()
                .map(|a| AttachmentBody {
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                    file_name: a.file_name.clone(),
                })
                .collect(),
            attributes: c.attributes.clone(),
            media_url: c.media_url.clone(),
            citizen: c.citizen.as_ref().map(|p| CitizenBody {
                name: p.name.clone(),
                phone: p.phone.clone(),
                email: p.email.clone(),
            }),
            policy: s.policy.clone(),
            policy_rule: s.policy_rule.clone(),
            policy_reason: s.policy_reason.clone(),
            received_at: c.received_at,
            first_response_due: r.deadlines.first_response_due,
            resolution_due: r.deadlines.resolution_due,
            outcome: s.outcome.as_ref().map(name_of),
            reason: s.reason.as_ref().map(|r| r.0.clone()),
            reason_text: s.reason_text.clone(),
            answer: s.answer.clone(),
            answered_at: s.answered_at,
            closed_at: s.closed_at,
            updated_at: s.updated_at,
            first_response_at: s.first_response_at,
            first_response_on_time: s
                .first_response_at
                .map(|at| r.deadlines.first_response_due.is_none_or(|due| at <= due)),
            extended: s.extended,
            fee: s.fee.as_ref().map(|f| FeeView {
                amount: f.amount.map(|a| a.plain()),
                notified_at: f.notified_at,
            }),
            status_name: s.status.display_name().to_owned(),
            channel_name: c.channel.display_name().to_owned(),
            kind_name: c.kind.display_name().to_owned(),
            outcome_name: s.outcome.map(|o| o.display_name().to_owned()),
            location_warning: None,
        }
    }
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    /// The requests.
    pub items: Vec<RequestView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

impl From<Page<RequestRecord>> for RequestPage {
    fn from(p: Page<RequestRecord>) -> Self {
        RequestPage {
            items: p.items.iter().map(RequestView::from).collect(),
            next: p.next.map(|c| c.0),
        }
    }
}

/// WGS 84 coordinates (inside Turkey).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// An attached file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    /// Media type found by the server from the content (image/jpeg, image/png,
    /// image/webp, application/pdf).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The client's file name (display only; never used for storage).
    #[serde(default)]
    pub file_name: Option<String>,
}

/// A citizen's contact details (personal data).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenBody {
    /// Name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
}
