//! What a notice says: every [`NoticeKind`] rendered from an outbox message's payload
//! into a subject, a plain-text body, an HTML body and a short SMS text, in Turkish
//! (default) or English, through the [`crate::templates`] (built in, or a tenant's).
//!
//! The payload is the JSON of `muhtar_core::outbox::request_payload` (fields `tracking`,
//! `subject`, `category`, `muhtarlik_name`, `unit_name`, `status`, `received_at`,
//! `resolution_due`, `outcome`, `reason`, `reason_name`, `reason_text`, `answer`,
//! `tenant_name`, `urgent`, `reply_by`, and per event `note`, `pause_reason`). An urgent
//! request's notices (`urgent: true`) carry **İVEDİ** (`URGENT` in English) at the start
//! of the subject and the SMS text (Genelge 2015/8 item 9). A report-ready notice reads
//! `period` (e.g. `2025-Q1`), `unit_name`, `tenant_name` and an optional `url`. A work's
//! notice (`work-published`, `work-changed`, `work-closed`: `render/works.rs`) is tagged
//! with the work's kind (`[Çalışma: Su kesintisi]`) and lists its title (as `subject`),
//! kind, unit, muhtarlık, start and end, status, contact and what changed.
//! Missing optional fields are left out; every value is HTML-escaped in the HTML body.
//!
//! This module reads the payload into `Data`, the values a template sees (dates
//! formatted, status and outcome by their names), and decides which facts and text
//! blocks a notice lists; the words are the templates'.
//!
//! # Time zone
//!
//! Instants are shown in Europe/Istanbul local time through the core calendar's tz
//! database conversion (`muhtar_core::calendar::to_istanbul`), right for EET/EEST before
//! 2016-09-07 too.

use chrono::{DateTime, Utc};
use muhtar_core::outbox::{
    Locale, NoticeKind, NoticePayload, OutboxMessage, ReportReadyFacts, RequestFacts,
};
use muhtar_core::request::ReplyBy;
use serde::Serialize;

use crate::templates::Templates;

mod works;

/// A notice rendered for e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The subject, starting with the tracking number, e.g.
    /// `[Takip No: 7KM-3QX-9PA] Talebiniz alındı`.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (every payload value escaped).
    pub html: String,
}

/// Why a message cannot be rendered. Retrying does not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The payload is not a JSON object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// A field every notice of this kind needs is missing or not a string.
    #[error("payload field `{0}` is missing or not a string")]
    MissingField(&'static str),
    /// A template failed (a tenant's template that passed the install check but not
    /// this payload).
    #[error("template: {0}")]
    Template(String),
}

/// Formats an instant for people in `locale`: Europe/Istanbul local time from the tz
/// database (EET/EEST before 2016-09-07, +03:00 since).
pub fn format_instant(at: DateTime<Utc>, locale: Locale) -> String {
    // Through the tz database: right for Turkey's pre-2016 daylight-saving rules too.
    let local = muhtar_core::calendar::to_istanbul(at);
    match locale {
        Locale::Tr => format!("{} (TSİ)", local.format("%d.%m.%Y %H:%M")),
        Locale::En => format!("{} (Istanbul time)", local.format("%Y-%m-%d %H:%M")),
    }
}

/// Escapes text for HTML element content and attribute values (the core's escaping, which
/// the report pages use too).
pub use muhtar_core::report::render::html_escape;

struct Payload<'a> {
    payload: &'a NoticePayload,
    locale: Locale,
}

/// A text as shown: trimmed, `None` when empty.
fn shown(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

impl<'a> Payload<'a> {
    fn request(&self) -> Option<&'a RequestFacts> {
        self.payload.request()
    }

    /// A text field of the request's facts, as shown.
    fn text(&self, field: impl FnOnce(&'a RequestFacts) -> Option<&'a str>) -> Option<String> {
        self.request()
            .and_then(field)
            .and_then(shown)
            .map(str::to_owned)
    }

    /// Whether the request is urgent (İVEDİ).
    fn urgent(&self) -> bool {
        self.request()
            .is_some_and(|r| r.urgent || r.priority.is_urgent())
    }

    /// An instant of the request's facts, formatted.
    fn date(
        &self,
        field: impl FnOnce(&'a RequestFacts) -> Option<DateTime<Utc>>,
    ) -> Option<String> {
        self.request()
            .and_then(field)
            .map(|d| format_instant(d, self.locale))
    }

    /// The report's facts (report-ready notices).
    fn report(&self) -> Option<&'a ReportReadyFacts> {
        match self.payload {
            NoticePayload::ReportReady(r) => Some(r),
            _ => None,
        }
    }
}

/// Which party a notice is addressed to (the templates' `audience`, for the greeting).
fn audience(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Reopened | NoticeKind::NewInQueue | NoticeKind::AtRisk => "unit",
        NoticeKind::Breached | NoticeKind::Message => "unit",
        NoticeKind::ReportReady | NoticeKind::UrgentReceived => "official",
        NoticeKind::CitizenReceived | NoticeKind::CitizenAnswered | NoticeKind::CitizenUpdate => {
            "citizen"
        }
        _ => "muhtar",
    }
}

/// The core's display name with a capital first letter (for labels in a sentence start).
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn outcome_label(raw: &str, locale: Locale) -> String {
    use muhtar_core::request::Outcome;
    let tr = [Outcome::Positive, Outcome::Negative]
        .into_iter()
        .find(|o| o.as_str() == raw)
        .map(|o| capitalised(o.display_name()));
    match (raw, locale) {
        (_, Locale::Tr) if tr.is_some() => tr.unwrap_or_default(),
        ("positive", Locale::En) => "Positive".into(),
        ("negative", Locale::En) => "Negative".into(),
        (other, _) => other.to_owned(),
    }
}

fn status_label(raw: &str, locale: Locale) -> String {
    use muhtar_core::request::Status;
    if locale == Locale::Tr {
        if let Some(s) = Status::ALL.into_iter().find(|s| s.as_str() == raw) {
            return capitalised(s.display_name());
        }
    }
    let (tr, en) = match raw {
        "received" => ("Alındı", "Received"),
        "routed" => ("Birime iletildi", "Routed to a unit"),
        "in-progress" => ("İşlemde", "In progress"),
        "paused" => ("Bilgi bekleniyor", "Waiting for information"),
        "answered" => ("Cevaplandı", "Answered"),
        "closed" => ("Kapatıldı", "Closed"),
        "withdrawn" => ("Geri çekildi", "Withdrawn"),
        "merged" => ("Birleştirildi", "Merged"),
        other => (other, other),
    };
    match locale {
        Locale::Tr => tr.to_owned(),
        Locale::En => en.to_owned(),
    }
}

/// The Law 4982 step a `citizen-update` notice tells (its payload's `update`): its text
/// already speaks to the applicant. An unknown step gets the neutral notice.
fn citizen_step(p: &Payload<'_>) -> NoticeKind {
    [
        NoticeKind::Extended,
        NoticeKind::FeeNotified,
        NoticeKind::FeePaid,
        NoticeKind::DeemedWithdrawn,
    ]
    .into_iter()
    .find(|k| matches!(p.payload, NoticePayload::CitizenUpdate(c) if c.update == *k))
    .unwrap_or(NoticeKind::CitizenUpdate)
}

/// The language code of `locale` (`tr`, `en`): the templates' folder and `lang`.
pub(crate) fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::Tr => "tr",
        Locale::En => "en",
    }
}

/// The recipient as the greeting names them ([`Data::to`]).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct To {
    pub role: &'static str,
    pub name: Option<String>,
    pub of: Option<String>,
    pub title: Option<String>,
}

impl To {
    /// `message`'s addressee; for a message stored without one, the kind's audience with
    /// no name (the generic greeting).
    fn of(message: &OutboxMessage) -> To {
        let shown = |s: &Option<String>| s.as_deref().and_then(shown).map(str::to_owned);
        match &message.addressee {
            Some(a) => To {
                role: a.role.as_str(),
                name: shown(&a.name),
                of: shown(&a.of),
                title: shown(&a.title),
            },
            None => To {
                role: audience(message.kind),
                name: None,
                of: None,
                title: None,
            },
        }
    }
}

/// The values a notice's templates see (every field is there; a missing one is none and
/// prints as nothing). Dates are formatted in the notice's language, status and outcome
/// are their names.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Data {
    /// `tr` or `en`.
    pub lang: &'static str,
    /// The message's notice kind.
    pub kind: &'static str,
    /// The kind whose texts it carries: a `citizen-update`'s Law 4982 step, else `kind`.
    pub step: &'static str,
    /// `muhtar`, `unit`, `official` or `citizen`: the party the kind is addressed to.
    pub audience: &'static str,
    /// Who this message's recipient is, for the greeting: `role` (`muhtar`, `unit`,
    /// `liaison`, `official`, `citizen`; the audience when the message has no
    /// addressee), `name` (a person's), `of` (the muhtarlık or unit) and `title` (an
    /// official's).
    pub to: To,
    pub tracking: Option<String>,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub muhtarlik_name: Option<String>,
    pub unit_name: Option<String>,
    pub status: Option<String>,
    pub received_at: Option<String>,
    pub resolution_due: Option<String>,
    pub outcome: Option<String>,
    /// The reason's name, else its code.
    pub reason: Option<String>,
    pub reason_text: Option<String>,
    pub answer: Option<String>,
    pub note: Option<String>,
    pub period: Option<String>,
    pub url: Option<String>,
    pub fee_amount: Option<String>,
    pub reply_by: Option<String>,
    pub tenant_name: Option<String>,
    /// A work's kind, its start and end, whom to ask and what changed (the notices of
    /// `muhtar_core::outbox::NoticeKind::WORK`; their title is `subject`).
    pub work_kind: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub contact: Option<String>,
    pub changed: Option<String>,
    pub urgent: bool,
    /// A council member's login code and the minutes it is valid (`council-login-code`).
    pub login_code: Option<String>,
    pub minutes: Option<u32>,
    /// The subject's tag: the label's key (`tracking`, `report`) and the value.
    #[serde(skip)]
    pub tag: (&'static str, String),
    #[serde(skip)]
    pub step_kind: NoticeKind,
}

impl Data {
    /// Reads `message`'s payload for a notice in `locale`.
    pub fn of(message: &OutboxMessage, locale: Locale) -> Result<Data, RenderError> {
        let p = Payload {
            payload: &message.payload,
            locale,
        };
        let kind = message.kind;
        let step = match kind {
            NoticeKind::CitizenUpdate => citizen_step(&p),
            k => k,
        };
        let tracking = p.text(|r| Some(&r.tracking));
        let period = p.report().and_then(|r| shown(&r.period)).map(str::to_owned);
        let work = message.payload.work();
        let login = message.payload.login_code();
        let tag = match (step, &tracking, work) {
            (_, Some(tn), _) => ("tracking", tn.clone()),
            (NoticeKind::CouncilLoginCode, None, _) => (
                "login_code",
                login.map_or_else(|| "-".into(), |c| c.code.clone()),
            ),
            (NoticeKind::ReportReady, None, _) => ("report", period.clone().unwrap_or("-".into())),
            (_, None, Some(w)) => ("work", works::kind_name(w.work_kind, locale)),
            (_, None, None) => return Err(RenderError::MissingField("tracking")),
        };
        let data = Data {
            lang: lang(locale),
            kind: kind.as_str(),
            step: step.as_str(),
            audience: audience(kind),
            to: To::of(message),
            tracking,
            subject: p.text(|r| Some(&r.subject)),
            category: p
                .text(|r| r.category_name.as_deref())
                .or(p.text(|r| Some(&r.category))),
            muhtarlik_name: p.text(|r| r.muhtarlik_name.as_deref()),
            unit_name: message
                .payload
                .unit_name()
                .and_then(shown)
                .map(str::to_owned),
            status: p.request().map(|r| status_label(r.status.as_str(), locale)),
            received_at: p.date(|r| Some(r.received_at)),
            resolution_due: p.date(|r| r.resolution_due),
            outcome: p
                .request()
                .and_then(|r| r.outcome)
                .map(|o| outcome_label(o.as_str(), locale)),
            reason: p
                .text(|r| r.reason_name.as_deref())
                .or(p.text(|r| r.reason.as_ref().map(|c| c.0.as_str()))),
            reason_text: p.text(|r| r.reason_text.as_deref()),
            answer: p.text(|r| r.answer.as_deref()),
            note: message.payload.note().and_then(shown).map(str::to_owned),
            period,
            url: p
                .report()
                .and_then(|r| r.url.as_deref())
                .and_then(shown)
                .map(str::to_owned),
            fee_amount: message
                .payload
                .fee_amount()
                .and_then(shown)
                .map(str::to_owned),
            reply_by: p.request().and_then(|r| r.reply_by).map(|r| match r {
                ReplyBy::Instant(d) => format_instant(d, locale),
                date => date.to_string(),
            }),
            tenant_name: shown(message.payload.tenant_name()).map(str::to_owned),
            work_kind: None,
            starts_at: None,
            ends_at: None,
            contact: None,
            changed: None,
            urgent: p.urgent(),
            login_code: login.map(|c| c.code.clone()),
            minutes: login.map(|c| c.minutes),
            tag,
            step_kind: step,
        };
        Ok(match work {
            Some(w) => data.with_work(w, locale),
            None => data,
        })
    }

    /// A notice of `kind` with every field set: what a tenant's templates are checked
    /// against when its settings are installed.
    pub fn sample(kind: NoticeKind, locale: Locale) -> Data {
        let mut payload = serde_json::json!({
            "tracking": "7KM-3QX-9PA",
            "muhtarlik": "kuzguncuk",
            "pause_reason": "muhtar",
            "due": "2025-04-02T14:30:00Z",
            "subject": "Okul önündeki çukur",
            "category": "asfalt-onarim",
            "category_name": "Asfalt onarımı",
            "muhtarlik_name": "Kuzguncuk Mahallesi",
            "unit_name": "Fen İşleri Müdürlüğü",
            "status": "answered",
            "received_at": "2025-03-14T09:00:00Z",
            "resolution_due": "2025-04-02T14:30:00Z",
            "outcome": "negative",
            "reason": "no-budget",
            "reason_name": "Bütçe yok",
            "reason_text": "Ödenek kalmadı.",
            "answer": "Talebiniz 2026 programına alınmıştır.",
            "tenant_name": "Örnek İlçe Belediyesi",
            "note": "Kapı numarasını bildiriniz.",
            "period": "2025-Q1",
            "url": "https://ornek.bel.tr/rapor",
            "fee_amount": "12,50 TL",
            "reply_by": "2025-03-20",
            "urgent": true,
            "work": "019593e1-be80-770d-b259-e4e1cb631c66",
            "version": 2,
            "title": "Şebeke bakımı nedeniyle su kesintisi",
            "work_kind": "water-cut",
            "work_kind_name": "Su kesintisi",
            "work_status": "ongoing",
            "work_status_name": "Devam ediyor",
            "unit": "fen-isleri",
            "starts_at": "2025-03-15T09:00:00Z",
            "ends_at": "2025-03-15T15:00:00Z",
            "contact": "Alo 185",
            "changed": ["ends-at"],
            "code": "123456",
            "minutes": 10,
        });
        if kind == NoticeKind::CitizenUpdate {
            payload["update"] = NoticeKind::Extended.as_str().into();
        }
        let message = OutboxMessage {
            id: uuid::Uuid::nil(),
            tenant: muhtar_core::ids::TenantId::new("t").expect("a valid tenant id"),
            request: None,
            idempotency_key: String::new(),
            kind,
            channel: muhtar_core::outbox::DeliveryChannel::Email,
            recipient: String::new(),
            addressee: Some(
                muhtar_core::outbox::Addressee::new(muhtar_core::outbox::AddresseeRole::Muhtar)
                    .named("Ali Demir")
                    .of("Kuzguncuk Mahallesi")
                    .titled("Genel Sekreter Yardımcısı"),
            ),
            locale,
            payload: NoticePayload::from_json(kind, payload)
                .expect("the sample payload fits every kind"),
            created_at: DateTime::<Utc>::default(),
            not_before: DateTime::<Utc>::default(),
        };
        Data::of(&message, locale).expect("the sample payload has every field")
    }

    /// The facts a notice lists (label key, value), in order; `urgent_word` is the
    /// priority's value for an urgent request (İVEDİ).
    pub fn facts(&self, urgent_word: &str) -> Vec<(&'static str, String)> {
        let kind = self.step_kind;
        if kind.is_about_work() {
            return self.work_facts();
        }
        let mut facts = Vec::new();
        let mut fact = |key: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                facts.push((key, v.clone()));
            }
        };
        fact("tracking", &self.tracking);
        if kind == NoticeKind::ReportReady {
            fact("period", &self.period);
        }
        fact("subject", &self.subject);
        if self.urgent {
            fact("priority", &Some(urgent_word.to_owned()));
        }
        fact("category", &self.category);
        fact("muhtarlik", &self.muhtarlik_name);
        fact("unit", &self.unit_name);
        if kind != NoticeKind::ReportReady {
            fact("status", &self.status);
        }
        fact("received_at", &self.received_at);
        fact("resolution_due", &self.resolution_due);
        if kind == NoticeKind::FeeNotified {
            fact("fee", &self.fee_amount);
        }
        fact("reply_by", &self.reply_by);
        if matches!(kind, NoticeKind::Answered | NoticeKind::CitizenAnswered) {
            fact("outcome", &self.outcome);
            fact("reason", &self.reason);
        }
        if kind == NoticeKind::ReportReady {
            fact("url", &self.url);
        }
        facts
    }

    /// The longer text blocks a notice carries (label key, text), in order.
    pub fn blocks(&self) -> Vec<(&'static str, String)> {
        let kind = self.step_kind;
        let mut blocks = Vec::new();
        let note_label = match kind {
            NoticeKind::InterimReply => Some("note:interim-reply"),
            NoticeKind::Paused => Some("note:paused"),
            NoticeKind::Message => Some("note:message"),
            NoticeKind::Reopened => Some("note:reopened"),
            NoticeKind::Extended => Some("note:extended"),
            NoticeKind::FeeNotified => Some("note:fee-notified"),
            _ => None,
        };
        if let (Some(label), Some(note)) = (note_label, &self.note) {
            blocks.push((label, note.clone()));
        }
        if matches!(kind, NoticeKind::Answered | NoticeKind::CitizenAnswered) {
            if let Some(rt) = &self.reason_text {
                blocks.push(("reason_text", rt.clone()));
            }
            if let Some(a) = &self.answer {
                blocks.push(("answer", a.clone()));
            }
        }
        blocks
    }
}

/// Renders `message` for e-mail with the built-in templates: subject, plain text and
/// HTML ([`Templates::render_email`] for a tenant's).
pub fn render_email(message: &OutboxMessage) -> Result<RenderedEmail, RenderError> {
    Templates::builtin().render_email(message)
}

/// Renders `message` as one SMS line with the built-in templates: the tracking number
/// and what happened, before the SMS policy (transliteration, truncation) is applied.
pub fn render_sms_text(message: &OutboxMessage) -> Result<String, RenderError> {
    Templates::builtin().render_sms_text(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use muhtar_core::outbox::DeliveryChannel;
    use serde_json::{json, Value};

    const ALL: [NoticeKind; 20] = [
        NoticeKind::Received,
        NoticeKind::Transferred,
        NoticeKind::InterimReply,
        NoticeKind::Paused,
        NoticeKind::Message,
        NoticeKind::Answered,
        NoticeKind::Closed,
        NoticeKind::Reopened,
        NoticeKind::NewInQueue,
        NoticeKind::AtRisk,
        NoticeKind::Breached,
        NoticeKind::ReportReady,
        NoticeKind::Extended,
        NoticeKind::FeeNotified,
        NoticeKind::FeePaid,
        NoticeKind::DeemedWithdrawn,
        NoticeKind::UrgentReceived,
        NoticeKind::CitizenReceived,
        NoticeKind::CitizenAnswered,
        NoticeKind::CitizenUpdate,
    ];

    #[test]
    fn the_citizen_gets_the_tracking_number_then_the_outcome_in_turkish() {
        let r = render_email(&msg(NoticeKind::CitizenReceived, Locale::Tr, payload())).unwrap();
        assert_eq!(r.subject, "[Takip No: 7KM-3QX-9PA] Başvurunuz alındı");
        assert!(r.text.starts_with("Sayın Başvuru Sahibi,"), "{}", r.text);
        assert!(r.text.contains("Takip numaranız 7KM-3QX-9PA"), "{}", r.text);
        let r = render_email(&msg(NoticeKind::CitizenAnswered, Locale::Tr, payload())).unwrap();
        assert_eq!(
            r.subject,
            "[Takip No: 7KM-3QX-9PA] Başvurunuz sonuçlandı: Olumsuz"
        );
        assert!(r.text.contains("Gerekçe: Bütçe yok"), "{}", r.text);
        assert!(r.text.contains("Durum: Cevaplandı"), "{}", r.text);
        let sms =
            render_sms_text(&msg(NoticeKind::CitizenReceived, Locale::Tr, payload())).unwrap();
        assert!(
            sms.starts_with("Takip No: 7KM-3QX-9PA Başvurunuz alındı."),
            "{sms}"
        );
    }

    fn payload() -> Value {
        json!({
            "tracking": "7KM-3QX-9PA",
            "subject": "Okul önündeki çukur",
            "muhtarlik": "kuzguncuk",
            "category": "asfalt-onarim",
            "muhtarlik_name": "Kuzguncuk Mahallesi",
            "unit_name": "Fen İşleri Müdürlüğü",
            "status": "answered",
            "received_at": "2025-03-14T09:00:00Z",
            "resolution_due": "2025-04-02T14:30:00Z",
            "outcome": "negative",
            "reason": "no-budget",
            "reason_name": "Bütçe yok",
            "reason_text": "2025 yatırım programında ödenek kalmadı.",
            "answer": "Talebiniz 2026 programına alınmıştır.\nİlginize teşekkür ederiz.",
            "tenant_name": "Örnek İlçe Belediyesi",
            "note": "Çukurun tam yerini (kapı no) bildiriniz.",
            "pause_reason": "muhtar",
            "due": "2025-04-02T14:30:00Z",
            "fee_amount": "12,50 TL",
            "update": "citizen-update",
            "period": "2025-Q1",
        })
    }

    /// A `kind` message over the payload's JSON (the fields its kind reads).
    fn msg(kind: NoticeKind, locale: Locale, payload: Value) -> OutboxMessage {
        OutboxMessage {
            id: uuid::Uuid::nil(),
            tenant: muhtar_core::ids::TenantId::new("t1").unwrap(),
            request: None,
            idempotency_key: "k".into(),
            kind,
            channel: DeliveryChannel::Email,
            recipient: "ali.demir@muhtar.example".into(),
            addressee: None,
            locale,
            payload: NoticePayload::from_json(kind, payload).unwrap(),
            created_at: DateTime::<Utc>::default(),
            not_before: DateTime::<Utc>::default(),
        }
    }

    /// Every kind renders in both languages, tagged with the tracking number (a report,
    /// about no one request, with its period).
    #[test]
    fn every_kind_renders_in_both_languages_with_the_tracking_number() {
        for kind in ALL {
            let report = kind == NoticeKind::ReportReady;
            let tag = if report { "2025-Q1" } else { "7KM-3QX-9PA" };
            for (locale, prefix) in [
                (Locale::Tr, format!("[Takip No: {tag}] ")),
                (Locale::En, format!("[Tracking No: {tag}] ")),
            ] {
                let prefix = match report {
                    true => prefix
                        .replace("Takip No", "Rapor")
                        .replace("Tracking No", "Report"),
                    false => prefix,
                };
                let m = msg(kind, locale, payload());
                let r = render_email(&m).unwrap();
                assert!(r.subject.starts_with(&prefix), "{kind:?}: {}", r.subject);
                assert!(r.subject.len() > prefix.len() + 5, "{kind:?}");
                assert!(r.text.contains(tag), "{kind:?}");
                assert!(r.html.contains(tag), "{kind:?}");
                assert!(r.html.starts_with("<!DOCTYPE html>"));
                let sms = render_sms_text(&m).unwrap();
                assert!(sms.contains(tag), "{kind:?}");
                assert!(sms.chars().count() < 160, "{kind:?}: {sms}");
                assert!(!sms.contains('\n'));
            }
        }
    }

    #[test]
    fn subjects_differ_between_kinds() {
        let mut seen = std::collections::HashSet::new();
        for kind in ALL {
            let r = render_email(&msg(kind, Locale::Tr, payload())).unwrap();
            assert!(
                seen.insert(r.subject.clone()),
                "duplicate subject {}",
                r.subject
            );
        }
    }

    #[test]
    fn received_shows_unit_and_due_date_in_istanbul_time() {
        let r = render_email(&msg(NoticeKind::Received, Locale::Tr, payload())).unwrap();
        assert_eq!(r.subject, "[Takip No: 7KM-3QX-9PA] Talebiniz alındı");
        assert!(r.text.starts_with("Sayın Muhtar,"));
        assert!(r.text.contains("Fen İşleri Müdürlüğü"));
        // 14:30 UTC is 17:30 in İstanbul.
        assert!(
            r.text
                .contains("Cevap için son tarih: 02.04.2025 17:30 (TSİ)"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Alınma zamanı: 14.03.2025 12:00 (TSİ)"));
        let r = render_email(&msg(NoticeKind::Received, Locale::En, payload())).unwrap();
        assert_eq!(
            r.subject,
            "[Tracking No: 7KM-3QX-9PA] Your request has been received"
        );
        assert!(r
            .text
            .contains("Answer due: 2025-04-02 17:30 (Istanbul time)"));
    }

    #[test]
    fn a_law_4982_step_told_to_the_citizen_addresses_the_applicant() {
        let mut p = payload();
        p["update"] = json!("extended");
        p["note"] = json!("Belgeler arşivden derlenecek");
        let r = render_email(&msg(NoticeKind::CitizenUpdate, Locale::Tr, p.clone())).unwrap();
        assert!(r.text.starts_with("Sayın Başvuru Sahibi,"), "{}", r.text);
        assert!(r
            .subject
            .ends_with("Cevap süresi uzatıldı (4982 sayılı Kanun md. 11)"));
        assert!(
            r.text.contains("Belgeler arşivden derlenecek"),
            "{}",
            r.text
        );
        p["update"] = json!("fee-notified");
        p["fee_amount"] = json!("12,50 TL");
        let sms = render_sms_text(&msg(NoticeKind::CitizenUpdate, Locale::Tr, p)).unwrap();
        assert!(sms.contains("12,50 TL"), "{sms}");
        // Without a known step: a neutral notice, still to the applicant.
        let r = render_email(&msg(NoticeKind::CitizenUpdate, Locale::Tr, payload())).unwrap();
        assert!(r.text.starts_with("Sayın Başvuru Sahibi,"));
    }

    #[test]
    fn law_4982_notices_carry_the_reason_the_amount_and_the_new_deadline() {
        let mut p = payload();
        p["note"] = json!("Belgeler arşivden derlenecek");
        let r = render_email(&msg(NoticeKind::Extended, Locale::Tr, p.clone())).unwrap();
        assert!(r
            .subject
            .ends_with("Cevap süresi uzatıldı (4982 sayılı Kanun md. 11)"));
        assert!(r
            .text
            .contains("Uzatma gerekçesi:\nBelgeler arşivden derlenecek"));
        assert!(
            r.text.contains("Yeni son tarih: 02.04.2025 17:30 (TSİ)"),
            "{}",
            r.text
        );
        p["fee_amount"] = json!("12,50 TL");
        let r = render_email(&msg(NoticeKind::FeeNotified, Locale::Tr, p.clone())).unwrap();
        assert!(r.text.contains("Ücret: 12,50 TL"), "{}", r.text);
        assert!(r.text.contains("15 iş günü içinde ödenmezse"));
        let sms = render_sms_text(&msg(NoticeKind::FeeNotified, Locale::Tr, p)).unwrap();
        assert!(sms.contains("12,50 TL"), "{sms}");
        let r = render_email(&msg(NoticeKind::DeemedWithdrawn, Locale::Tr, payload())).unwrap();
        assert!(r
            .text
            .contains("vazgeçmiş sayıldınız (4982 sayılı Kanun md. 12)"));
    }

    #[test]
    fn urgent_requests_carry_ivedi_in_every_subject_and_sms() {
        let mut p = payload();
        p["urgent"] = json!(true);
        p["priority"] = json!("urgent");
        p["reply_by"] = json!("2025-03-20");
        // Every kind about a request (a report is about none).
        for kind in ALL.into_iter().filter(|k| *k != NoticeKind::ReportReady) {
            let m = msg(kind, Locale::Tr, p.clone());
            let r = render_email(&m).unwrap();
            assert!(
                r.subject.starts_with("[İVEDİ] [Takip No: 7KM-3QX-9PA] "),
                "{kind:?}: {}",
                r.subject
            );
            assert!(r.text.contains("Öncelik: İVEDİ"), "{kind:?}");
            let sms = render_sms_text(&m).unwrap();
            assert!(
                sms.starts_with("İVEDİ Takip No: 7KM-3QX-9PA"),
                "{kind:?}: {sms}"
            );
            assert!(sms.chars().count() < 160, "{kind:?}: {sms}");
            let r = render_email(&msg(kind, Locale::En, p.clone())).unwrap();
            assert!(r.subject.starts_with("[URGENT] [Tracking No: "), "{kind:?}");
        }
        let r = render_email(&msg(NoticeKind::Received, Locale::Tr, p)).unwrap();
        assert!(
            r.text.contains("Yazıda istenen cevap tarihi: 2025-03-20"),
            "{}",
            r.text
        );
        // A normal request's subject has no İVEDİ.
        let r = render_email(&msg(NoticeKind::Received, Locale::Tr, payload())).unwrap();
        assert!(!r.subject.contains("İVEDİ") && !r.text.contains("Öncelik"));
    }

    #[test]
    fn the_official_hears_of_an_urgent_request_in_turkish() {
        let mut p = payload();
        p["urgent"] = json!(true);
        let r = render_email(&msg(NoticeKind::UrgentReceived, Locale::Tr, p)).unwrap();
        assert_eq!(
            r.subject,
            "[İVEDİ] [Takip No: 7KM-3QX-9PA] İvedi talep alındı"
        );
        assert!(r.text.starts_with("Sayın Yetkili,"));
        assert!(r.text.contains("Genelge 2015/8 (madde 9)"));
        assert!(r.text.contains("Fen İşleri Müdürlüğü birimine iletildi"));
        assert!(r.text.contains("02.04.2025 17:30"));
    }

    #[test]
    fn answered_carries_outcome_reason_and_answer() {
        let r = render_email(&msg(NoticeKind::Answered, Locale::Tr, payload())).unwrap();
        assert_eq!(
            r.subject,
            "[Takip No: 7KM-3QX-9PA] Talebiniz cevaplandı: Olumsuz"
        );
        assert!(r.text.contains("Sonuç: Olumsuz"));
        assert!(r.text.contains("Gerekçe: Bütçe yok"));
        assert!(r.text.contains("2025 yatırım programında ödenek kalmadı."));
        assert!(r
            .text
            .contains("Talebiniz 2026 programına alınmıştır.\nİlginize"));
        assert!(r.html.contains("Talebiniz 2026 programına alınmıştır.<br>"));
        let mut p = payload();
        p["reason_name"] = Value::Null;
        let r = render_email(&msg(NoticeKind::Answered, Locale::En, p)).unwrap();
        assert!(r.subject.ends_with("answered: Negative"));
        assert!(r.text.contains("Reason: no-budget"));
    }

    #[test]
    fn notes_appear_where_they_belong() {
        for kind in [
            NoticeKind::InterimReply,
            NoticeKind::Paused,
            NoticeKind::Message,
            NoticeKind::Reopened,
        ] {
            let r = render_email(&msg(kind, Locale::Tr, payload())).unwrap();
            assert!(r.text.contains("kapı no"), "{kind:?}");
        }
        let r = render_email(&msg(NoticeKind::Closed, Locale::Tr, payload())).unwrap();
        assert!(!r.text.contains("kapı no"));
    }

    #[test]
    fn escalations_address_the_unit() {
        for kind in [
            NoticeKind::AtRisk,
            NoticeKind::Breached,
            NoticeKind::NewInQueue,
        ] {
            let r = render_email(&msg(kind, Locale::Tr, payload())).unwrap();
            assert!(r.text.starts_with("Sayın Yetkili,"), "{kind:?}");
            assert!(r.text.contains("02.04.2025 17:30"), "{kind:?}");
        }
    }

    #[test]
    fn html_escapes_every_value() {
        let mut p = payload();
        p["subject"] = json!("<script>alert('x')</script> & \"co\"");
        p["unit_name"] = json!("<b>Fen</b>");
        p["note"] = json!("<img src=x onerror=alert(1)>");
        p["tenant_name"] = json!("A&B <Belediye>");
        for kind in ALL {
            let r = render_email(&msg(kind, Locale::Tr, p.clone())).unwrap();
            assert!(!r.html.contains("<script>"), "{kind:?}");
            assert!(!r.html.contains("<b>Fen"), "{kind:?}");
            assert!(!r.html.contains("<img"), "{kind:?}");
            assert!(!r.html.contains("A&B"), "{kind:?}");
        }
        let r = render_email(&msg(NoticeKind::Message, Locale::Tr, p)).unwrap();
        assert!(r
            .html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
        assert!(r.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // The plain text is not escaped.
        assert!(r.text.contains("<script>alert('x')</script> & \"co\""));
    }

    #[test]
    fn instants_before_permanent_utc3_are_shown_in_utc() {
        let old = Utc.with_ymd_and_hms(2015, 1, 10, 8, 0, 0).unwrap();
        assert_eq!(
            format_instant(old, Locale::Tr),
            "10.01.2015 10:00 (TSİ)",
            "winter 2015: +02:00"
        );
        let summer = Utc.with_ymd_and_hms(2015, 7, 10, 8, 0, 0).unwrap();
        assert_eq!(
            format_instant(summer, Locale::Tr),
            "10.07.2015 11:00 (TSİ)",
            "summer 2015: +03:00"
        );
        let new = Utc.with_ymd_and_hms(2016, 9, 7, 0, 0, 0).unwrap();
        assert_eq!(format_instant(new, Locale::Tr), "07.09.2016 03:00 (TSİ)");
    }

    #[test]
    fn payloads_that_cannot_be_rendered_are_errors_not_panics() {
        // A notice about a request needs its tracking number.
        let mut p = payload();
        p["tracking"] = json!("  ");
        let m = msg(NoticeKind::Closed, Locale::Tr, p);
        assert_eq!(render_email(&m), Err(RenderError::MissingField("tracking")));
        assert_eq!(
            render_sms_text(&m),
            Err(RenderError::MissingField("tracking"))
        );
        // Empty optional fields are left out.
        let mut p = payload();
        p["unit_name"] = json!("");
        p["resolution_due"] = Value::Null;
        let r = render_email(&msg(NoticeKind::Received, Locale::Tr, p)).unwrap();
        assert!(!r.text.contains("Birim:") && !r.text.contains("son tarih"));
        // A report-ready notice needs no tracking number.
        let m = msg(
            NoticeKind::ReportReady,
            Locale::Tr,
            json!({"period": "2025-Q1", "unit_name": "Örnek İlçe Belediyesi"}),
        );
        let r = render_email(&m).unwrap();
        assert_eq!(
            r.subject,
            "[Rapor: 2025-Q1] 2025-Q1 dönem raporu onayınızı bekliyor"
        );
    }
}
