//! Templates: every [`NoticeKind`] rendered from an outbox message's payload into a
//! subject, a plain-text body, an HTML body and a short SMS text, in Turkish (default)
//! or English.
//!
//! The payload is the typed `muhtar_core::outbox::NoticePayload`: the request's facts
//! (`RequestFacts`: tracking number, subject, category, muhtarlık and unit names, status,
//! received and due instants, outcome, reason, answer, tenant name, urgency, reply-by
//! date) and per kind the note, the fee or the Law 4982 step. An urgent request's notices
//! carry **İVEDİ** (`URGENT` in English) at the start of the subject and the SMS text
//! (Genelge 2015/8 item 9). A report-ready notice reads its period (e.g. `2025-Q1`), unit
//! and tenant names and an optional link. Empty optional fields are left out; every value
//! is HTML-escaped in the HTML body.
//!
//! # Time zone
//!
//! Instants are shown in Europe/Istanbul local time through the core calendar's tz
//! database conversion (`muhtar_core::calendar::to_istanbul`), right for EET/EEST before
//! 2016-09-07 too. Quiet hours are evaluated with the fixed offset UTC+03:00
//! ([`istanbul_offset`]), exact for every instant since 2016-09-07: quiet hours concern
//! the present, never the past.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use muhtar_core::outbox::{
    Locale, NoticeKind, NoticePayload, OutboxMessage, ReportReadyFacts, RequestFacts,
};
use muhtar_core::request::ReplyBy;

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
    /// A field every notice of this kind needs is empty.
    #[error("payload field `{0}` is missing or empty")]
    MissingField(&'static str),
}

/// The fixed İstanbul offset, UTC+03:00 (see the module docs).
pub fn istanbul_offset() -> FixedOffset {
    // 3 * 3600 is within ±24 h, so this is always Some; fall back to UTC defensively.
    FixedOffset::east_opt(3 * 3600).unwrap_or_else(|| Utc.fix())
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

    fn report(&self) -> Option<&'a ReportReadyFacts> {
        match self.payload {
            NoticePayload::ReportReady(r) => Some(r),
            _ => None,
        }
    }

    /// A text field of the request's facts, as shown.
    fn text(&self, field: impl FnOnce(&'a RequestFacts) -> Option<&'a str>) -> Option<&'a str> {
        self.request().and_then(field).and_then(shown)
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

    /// The report's period (report-ready notices).
    fn period(&self) -> Option<&'a str> {
        self.report().and_then(|r| shown(&r.period))
    }
}

/// Which party a notice is addressed to (for the greeting).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Muhtar,
    Unit,
    Official,
    Citizen,
}

fn audience(kind: NoticeKind) -> Audience {
    match kind {
        NoticeKind::Reopened | NoticeKind::NewInQueue | NoticeKind::AtRisk => Audience::Unit,
        NoticeKind::Breached | NoticeKind::Message => Audience::Unit,
        NoticeKind::ReportReady | NoticeKind::UrgentReceived => Audience::Official,
        NoticeKind::CitizenReceived | NoticeKind::CitizenAnswered | NoticeKind::CitizenUpdate => {
            Audience::Citizen
        }
        _ => Audience::Muhtar,
    }
}

/// The rendering-neutral content of a notice.
struct Doc {
    /// `İVEDİ` (or `URGENT`) for an urgent request: leads the subject and the SMS.
    urgent: Option<String>,
    /// The subject after the tracking prefix.
    title: String,
    /// The prefix label and value, e.g. ("Takip No", "7KM-3QX-9PA").
    tag: (String, String),
    greeting: String,
    lead: String,
    facts: Vec<(String, String)>,
    /// A longer text block: (label, text).
    blocks: Vec<(String, String)>,
    sms: String,
    footer: String,
}

fn t(locale: Locale, tr: &str, en: &str) -> String {
    match locale {
        Locale::Tr => tr.to_owned(),
        Locale::En => en.to_owned(),
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
    t(locale, tr, en)
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

fn build(kind: NoticeKind, p: &Payload<'_>) -> Result<Doc, RenderError> {
    let who = audience(kind);
    let kind = match kind {
        NoticeKind::CitizenUpdate => citizen_step(p),
        k => k,
    };
    let l = p.locale;
    let tracking = p.text(|r| Some(&r.tracking));
    let tag = match (kind, tracking) {
        (_, Some(tn)) => (t(l, "Takip No", "Tracking No"), tn.to_owned()),
        (NoticeKind::ReportReady, None) => (
            t(l, "Rapor", "Report"),
            p.period().unwrap_or("-").to_owned(),
        ),
        (_, None) => return Err(RenderError::MissingField("tracking")),
    };
    let unit = p.payload.unit_name().and_then(shown);
    let due = p.date(|r| r.resolution_due);
    let subject = p.text(|r| Some(&r.subject));
    let outcome = p
        .request()
        .and_then(|r| r.outcome)
        .map(|o| outcome_label(o.as_str(), l));

    let (title, lead, sms_line) = match kind {
        NoticeKind::Received => (
            t(l, "Talebiniz alındı", "Your request has been received"),
            match (unit, &due) {
                (Some(u), Some(d)) => match l {
                    Locale::Tr => format!(
                        "Talebiniz kaydedildi ve {u} birimine iletildi. Cevap için son tarih: {d}."
                    ),
                    Locale::En => format!(
                        "Your request has been registered and passed to {u}. An answer is due by {d}."
                    ),
                },
                _ => t(
                    l,
                    "Talebiniz kaydedildi. Takip numarasıyla durumunu izleyebilirsiniz.",
                    "Your request has been registered. You can follow it with the tracking number.",
                ),
            },
            match (unit, &due) {
                (Some(u), Some(d)) => match l {
                    Locale::Tr => format!("Talebiniz alındı, {u} birimine iletildi. Son tarih: {d}"),
                    Locale::En => format!("Request received, passed to {u}. Due: {d}"),
                },
                _ => t(l, "Talebiniz alındı.", "Your request has been received."),
            },
        ),
        NoticeKind::Transferred => (
            t(l, "Talebiniz başka birime aktarıldı", "Your request has been transferred"),
            match unit {
                Some(u) => match l {
                    Locale::Tr => format!("Talebiniz {u} birimine aktarıldı."),
                    Locale::En => format!("Your request has been transferred to {u}."),
                },
                None => t(l, "Talebiniz başka bir birime aktarıldı.", "Your request has been transferred to another unit."),
            },
            match unit {
                Some(u) => match l {
                    Locale::Tr => format!("Talebiniz {u} birimine aktarıldı."),
                    Locale::En => format!("Request transferred to {u}."),
                },
                None => t(l, "Talebiniz başka birime aktarıldı.", "Request transferred."),
            },
        ),
        NoticeKind::InterimReply => (
            t(l, "Talebiniz hakkında ara bilgi", "Progress update on your request"),
            t(l, "Talebinizle ilgili çalışmalar sürüyor. Birimin ara bilgisi aşağıdadır.", "Work on your request is in progress. The unit's update is below."),
            t(l, "Talebiniz hakkında ara bilgi var.", "Progress update on your request."),
        ),
        NoticeKind::Paused => (
            t(l, "Talebiniz için bilgi gerekiyor", "Information needed for your request"),
            t(l, "Talebinizi sonuçlandırabilmek için aşağıdaki bilgiye ihtiyaç var. Bilgi gelene kadar süre durdurulmuştur.", "To complete your request the information below is needed. The deadline clock is paused until it arrives."),
            t(l, "Talebiniz için bilgi gerekiyor.", "Information needed for your request."),
        ),
        NoticeKind::Message => (
            t(l, "Taleple ilgili yeni mesaj", "New message about a request"),
            t(l, "Taleple ilgili yeni bir mesaj var.", "There is a new message about a request."),
            t(l, "Talebinizle ilgili yeni mesaj var.", "New message about your request."),
        ),
        NoticeKind::Answered => (
            match &outcome {
                Some(o) => match l {
                    Locale::Tr => format!("Talebiniz cevaplandı: {o}"),
                    Locale::En => format!("Your request has been answered: {o}"),
                },
                None => t(l, "Talebiniz cevaplandı", "Your request has been answered"),
            },
            t(l, "Talebiniz cevaplandı. Sonuç ve cevap aşağıdadır.", "Your request has been answered. The outcome and the answer are below."),
            match &outcome {
                Some(o) => match l {
                    Locale::Tr => format!("Talebiniz cevaplandı. Sonuç: {o}"),
                    Locale::En => format!("Request answered. Outcome: {o}"),
                },
                None => t(l, "Talebiniz cevaplandı.", "Your request has been answered."),
            },
        ),
        NoticeKind::Closed => (
            t(l, "Talep kapatıldı", "Request closed"),
            t(l, "Talep kapatılmıştır.", "The request has been closed."),
            t(l, "Talep kapatıldı.", "Request closed."),
        ),
        NoticeKind::Reopened => (
            t(l, "Talep yeniden açıldı", "Request reopened"),
            t(l, "Muhtar talebi yeniden açtı. Gerekçesi aşağıdadır.", "The muhtar has reopened the request. The reason is below."),
            t(l, "Talep yeniden açıldı.", "Request reopened."),
        ),
        NoticeKind::NewInQueue => (
            t(l, "Biriminize yeni talep", "New request for your unit"),
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Biriminize yeni bir muhtar talebi iletildi. Cevap için son tarih: {d}."),
                    Locale::En => format!("A new muhtar request has been passed to your unit. An answer is due by {d}."),
                },
                None => t(l, "Biriminize yeni bir muhtar talebi iletildi.", "A new muhtar request has been passed to your unit."),
            },
            t(l, "Biriminize yeni talep.", "New request for your unit."),
        ),
        NoticeKind::AtRisk => (
            t(l, "Süre dolmak üzere", "Deadline approaching"),
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Bu talebin cevap süresi dolmak üzere. Son tarih: {d}."),
                    Locale::En => format!("The answer to this request is due soon: {d}."),
                },
                None => t(l, "Bu talebin cevap süresi dolmak üzere.", "The answer to this request is due soon."),
            },
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Süre dolmak üzere. Son tarih: {d}"),
                    Locale::En => format!("Deadline approaching: {d}"),
                },
                None => t(l, "Süre dolmak üzere.", "Deadline approaching."),
            },
        ),
        NoticeKind::Breached => (
            t(l, "Cevap süresi aşıldı", "Deadline passed"),
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Bu talebin cevap süresi {d} itibarıyla dolmuştur ve talep hâlâ cevaplanmamıştır."),
                    Locale::En => format!("The answer to this request was due by {d} and it is still unanswered."),
                },
                None => t(l, "Bu talebin cevap süresi dolmuştur.", "The answer to this request is overdue."),
            },
            t(l, "Cevap süresi aşıldı.", "Deadline passed."),
        ),
        NoticeKind::ReportReady => {
            let period = p.period().unwrap_or("-");
            (
                match l {
                    Locale::Tr => format!("{period} dönem raporu onayınızı bekliyor"),
                    Locale::En => format!("Quarterly report {period} awaits your sign-off"),
                },
                t(l, "Genelge 2015/8 gereği hazırlanan üç aylık muhtar talepleri raporu onayınızı bekliyor.", "The quarterly report on muhtar requests (Circular 2015/8) awaits your sign-off."),
                match l {
                    Locale::Tr => format!("{period} raporu onayınızı bekliyor."),
                    Locale::En => format!("Report {period} awaits your sign-off."),
                },
            )
        }
        NoticeKind::Extended => (
            t(l, "Cevap süresi uzatıldı (4982 sayılı Kanun md. 11)", "Deadline extended (Law 4982 art. 11)"),
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Bilgi edinme başvurunuzun cevap süresi, gerekçesi aşağıda belirtilerek 30 iş gününe uzatılmıştır. Yeni son tarih: {d}."),
                    Locale::En => format!("The period to answer your information request has been extended to 30 business days for the reason below. New deadline: {d}."),
                },
                None => t(l, "Bilgi edinme başvurunuzun cevap süresi, gerekçesi aşağıda belirtilerek 30 iş gününe uzatılmıştır.", "The period to answer your information request has been extended to 30 business days for the reason below."),
            },
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Cevap süresi uzatıldı. Yeni son tarih: {d}"),
                    Locale::En => format!("Deadline extended. New deadline: {d}"),
                },
                None => t(l, "Cevap süresi uzatıldı.", "Deadline extended."),
            },
        ),
        NoticeKind::FeeNotified => {
            let amount = p.payload.fee_amount().and_then(shown).unwrap_or("-");
            (
                t(l, "Bilgi edinme ücreti bildirimi", "Information request fee"),
                match l {
                    Locale::Tr => format!("Başvurunuz için {amount} tutarında ücret ödenmesi gerekmektedir. Ücret ödenene kadar cevap süresi durur; ücret 15 iş günü içinde ödenmezse başvurunuzdan vazgeçmiş sayılırsınız (4982 sayılı Kanun md. 12)."),
                    Locale::En => format!("A fee of {amount} is due for your request. The answer period stops until it is paid; if it is not paid within 15 business days, the application is deemed withdrawn (Law 4982 art. 12)."),
                },
                match l {
                    Locale::Tr => format!("Başvurunuz için {amount} ücret ödenmesi gerekiyor; 15 iş günü içinde ödenmezse başvuru geri çekilmiş sayılır."),
                    Locale::En => format!("Fee of {amount} due within 15 business days, or the request is deemed withdrawn."),
                },
            )
        }
        NoticeKind::FeePaid => (
            t(l, "Ücret ödemeniz alındı", "Your fee payment has been received"),
            t(l, "Ücret ödemeniz alındı; başvurunuzun cevap süresi yeniden işlemeye başladı.", "Your fee payment has been received; the answer period runs again."),
            t(l, "Ücret ödemeniz alındı, süre yeniden işliyor.", "Fee received, the deadline runs again."),
        ),
        NoticeKind::DeemedWithdrawn => (
            t(l, "Başvurunuzdan vazgeçilmiş sayıldı", "Your application is deemed withdrawn"),
            t(l, "Bildirilen ücret süresi içinde ödenmediğinden başvurunuzdan vazgeçmiş sayıldınız (4982 sayılı Kanun md. 12). Başvuru kapatılmıştır.", "The notified fee was not paid in time, so the application is deemed withdrawn (Law 4982 art. 12) and has been closed."),
            t(l, "Ücret süresinde ödenmediğinden başvurunuz geri çekilmiş sayıldı.", "Fee unpaid in time: the request is deemed withdrawn."),
        ),
        NoticeKind::UrgentReceived => (
            t(l, "İvedi talep alındı", "Urgent request received"),
            match (unit, &due) {
                (Some(u), Some(d)) => match l {
                    Locale::Tr => format!("Genelge 2015/8 (madde 9) gereği ivedilikle ele alınacak bir talep alındı ve {u} birimine iletildi. Cevap için son tarih: {d}."),
                    Locale::En => format!("A request to be handled with urgency (Circular 2015/8, item 9) has been received and passed to {u}. An answer is due by {d}."),
                },
                _ => t(l, "Genelge 2015/8 (madde 9) gereği ivedilikle ele alınacak bir talep alındı.", "A request to be handled with urgency (Circular 2015/8, item 9) has been received."),
            },
            match unit {
                Some(u) => match l {
                    Locale::Tr => format!("İvedi talep alındı, {u} birimine iletildi."),
                    Locale::En => format!("Urgent request received, passed to {u}."),
                },
                None => t(l, "İvedi talep alındı.", "Urgent request received."),
            },
        ),
        NoticeKind::CitizenReceived => (
            t(l, "Başvurunuz alındı", "Your application has been received"),
            match (tracking, &due) {
                (Some(tn), Some(d)) => match l {
                    Locale::Tr => format!("Başvurunuz kaydedildi. Takip numaranız {tn}; bu numarayla başvurunuzun durumunu sorgulayabilirsiniz. Cevap için son tarih: {d}."),
                    Locale::En => format!("Your application has been registered. Your tracking number is {tn}; use it to look up its status. An answer is due by {d}."),
                },
                _ => t(l, "Başvurunuz kaydedildi. Takip numaranızla durumunu sorgulayabilirsiniz.", "Your application has been registered. Use the tracking number to look up its status."),
            },
            match &due {
                Some(d) => match l {
                    Locale::Tr => format!("Başvurunuz alındı. Son tarih: {d}"),
                    Locale::En => format!("Application received. Due: {d}"),
                },
                None => t(l, "Başvurunuz alındı.", "Application received."),
            },
        ),
        NoticeKind::CitizenAnswered => (
            match &outcome {
                Some(o) => match l {
                    Locale::Tr => format!("Başvurunuz sonuçlandı: {o}"),
                    Locale::En => format!("Your application has been answered: {o}"),
                },
                None => t(l, "Başvurunuz sonuçlandı", "Your application has been answered"),
            },
            t(l, "Başvurunuz sonuçlandı. Sonuç ve cevap aşağıdadır.", "Your application has been answered. The outcome and the answer are below."),
            match &outcome {
                Some(o) => match l {
                    Locale::Tr => format!("Başvurunuz sonuçlandı. Sonuç: {o}"),
                    Locale::En => format!("Application answered. Outcome: {o}"),
                },
                None => t(l, "Başvurunuz sonuçlandı.", "Your application has been answered."),
            },
        ),
        // `NoticeKind` is non-exhaustive: a kind added later gets a neutral notice.
        _ => (
            t(l, "Talebinizle ilgili bildirim", "Notice about your request"),
            t(l, "Talebinizle ilgili bir gelişme var.", "There is news about your request."),
            t(l, "Talebinizle ilgili bildirim.", "Notice about your request."),
        ),
    };

    let greeting = match (who, l) {
        (Audience::Muhtar, Locale::Tr) => "Sayın Muhtar,",
        (Audience::Muhtar, Locale::En) => "Dear Muhtar,",
        (Audience::Unit, Locale::Tr) => "Sayın Yetkili,",
        (Audience::Unit, Locale::En) => "Dear colleague,",
        (Audience::Official, Locale::Tr) => "Sayın Yetkili,",
        (Audience::Official, Locale::En) => "Dear Sir or Madam,",
        (Audience::Citizen, Locale::Tr) => "Sayın Başvuru Sahibi,",
        (Audience::Citizen, Locale::En) => "Dear applicant,",
    }
    .to_owned();

    let mut facts: Vec<(String, String)> = Vec::new();
    let mut fact = |tr: &str, en: &str, v: Option<String>| {
        if let Some(v) = v {
            facts.push((t(l, tr, en), v));
        }
    };
    fact("Takip No", "Tracking No", tracking.map(str::to_owned));
    if kind == NoticeKind::ReportReady {
        fact("Dönem", "Period", p.period().map(str::to_owned));
    }
    fact("Konu", "Subject", subject.map(str::to_owned));
    if p.urgent() {
        fact("Öncelik", "Priority", Some(t(l, "İVEDİ", "URGENT")));
    }
    fact(
        "Kategori",
        "Category",
        p.text(|r| Some(&r.category)).map(str::to_owned),
    );
    fact(
        "Muhtarlık",
        "Muhtarlık",
        p.text(|r| r.muhtarlik_name.as_deref()).map(str::to_owned),
    );
    fact("Birim", "Unit", unit.map(str::to_owned));
    if kind != NoticeKind::ReportReady {
        fact(
            "Durum",
            "Status",
            p.request().map(|r| status_label(r.status.as_str(), l)),
        );
    }
    fact("Alınma zamanı", "Received", p.date(|r| Some(r.received_at)));
    fact("Cevap için son tarih", "Answer due", due.clone());
    if kind == NoticeKind::FeeNotified {
        fact(
            "Ücret",
            "Fee",
            p.payload.fee_amount().and_then(shown).map(str::to_owned),
        );
    }
    fact(
        "Yazıda istenen cevap tarihi",
        "Reply requested by",
        p.request().and_then(|r| r.reply_by).map(|r| match r {
            ReplyBy::Instant(d) => format_instant(d, l),
            date => date.to_string(),
        }),
    );
    if matches!(kind, NoticeKind::Answered | NoticeKind::CitizenAnswered) {
        fact("Sonuç", "Outcome", outcome.clone());
        fact(
            "Gerekçe",
            "Reason",
            p.text(|r| r.reason_name.as_deref())
                .or(p.text(|r| r.reason.as_ref().map(|c| c.0.as_str())))
                .map(str::to_owned),
        );
    }
    if kind == NoticeKind::ReportReady {
        fact(
            "Rapor bağlantısı",
            "Report link",
            p.report()
                .and_then(|r| r.url.as_deref())
                .and_then(shown)
                .map(str::to_owned),
        );
    }

    let mut blocks = Vec::new();
    let note_label = match kind {
        NoticeKind::InterimReply => Some(("Ara bilgi", "Progress note")),
        NoticeKind::Paused => Some(("İstenen bilgi", "Information needed")),
        NoticeKind::Message => Some(("Mesaj", "Message")),
        NoticeKind::Reopened => Some(("Yeniden açma gerekçesi", "Reason for reopening")),
        NoticeKind::Extended => Some(("Uzatma gerekçesi", "Reason for the extension")),
        NoticeKind::FeeNotified => Some(("Ücret açıklaması", "About the fee")),
        _ => None,
    };
    if let (Some((tr, en)), Some(note)) = (note_label, p.payload.note().and_then(shown)) {
        blocks.push((t(l, tr, en), note.to_owned()));
    }
    if matches!(kind, NoticeKind::Answered | NoticeKind::CitizenAnswered) {
        if let Some(rt) = p.text(|r| r.reason_text.as_deref()) {
            blocks.push((t(l, "Gerekçe açıklaması", "Reason details"), rt.to_owned()));
        }
        if let Some(a) = p.text(|r| r.answer.as_deref()) {
            blocks.push((t(l, "Cevap", "Answer"), a.to_owned()));
        }
    }

    let sender = shown(p.payload.tenant_name());
    let footer = match (l, sender) {
        (Locale::Tr, Some(s)) => format!("{s} · Muhtar Bilgi Sistemi\nBu ileti otomatik olarak gönderilmiştir; lütfen yanıtlamayınız."),
        (Locale::Tr, None) => "Muhtar Bilgi Sistemi\nBu ileti otomatik olarak gönderilmiştir; lütfen yanıtlamayınız.".to_owned(),
        (Locale::En, Some(s)) => format!("{s} · Muhtar Information System\nThis message was sent automatically; please do not reply."),
        (Locale::En, None) => "Muhtar Information System\nThis message was sent automatically; please do not reply.".to_owned(),
    };

    // İVEDİ leads the subject and the SMS of every notice about an urgent request.
    let urgent = p.urgent().then(|| t(l, "İVEDİ", "URGENT"));
    Ok(Doc {
        urgent: urgent.clone(),
        title,
        tag: tag.clone(),
        greeting,
        lead,
        facts,
        blocks,
        sms: match &urgent {
            Some(u) => format!("{u} {}: {} {}", tag.0, tag.1, sms_line),
            None => format!("{}: {} {}", tag.0, tag.1, sms_line),
        },
        footer,
    })
}

fn payload(message: &OutboxMessage) -> Payload<'_> {
    Payload {
        payload: &message.payload,
        locale: message.locale,
    }
}

/// Renders `message` for e-mail: subject, plain text and HTML.
pub fn render_email(message: &OutboxMessage) -> Result<RenderedEmail, RenderError> {
    let p = payload(message);
    let d = build(message.kind, &p)?;
    let subject = match &d.urgent {
        Some(u) => format!("[{u}] [{}: {}] {}", d.tag.0, d.tag.1, d.title),
        None => format!("[{}: {}] {}", d.tag.0, d.tag.1, d.title),
    };

    let mut text = String::new();
    text.push_str(&d.greeting);
    text.push_str("\n\n");
    text.push_str(&d.lead);
    text.push_str("\n\n");
    for (k, v) in &d.facts {
        text.push_str(&format!("{k}: {v}\n"));
    }
    for (k, v) in &d.blocks {
        text.push_str(&format!("\n{k}:\n{v}\n"));
    }
    text.push_str("\n-- \n");
    text.push_str(&d.footer);
    text.push('\n');

    let lang = match message.locale {
        Locale::Tr => "tr",
        Locale::En => "en",
    };
    let e = |s: &str| html_escape(s).replace('\n', "<br>\n");
    let mut html = String::new();
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; line-height: 1.4\">\n",
        e(&subject)
    ));
    html.push_str(&format!(
        "<p>{}</p>\n<p>{}</p>\n",
        e(&d.greeting),
        e(&d.lead)
    ));
    if !d.facts.is_empty() {
        html.push_str("<table style=\"border-collapse: collapse\">\n");
        for (k, v) in &d.facts {
            html.push_str(&format!(
                "<tr><th style=\"text-align: left; padding-right: 1em\">{}</th><td>{}</td></tr>\n",
                e(k),
                e(v)
            ));
        }
        html.push_str("</table>\n");
    }
    for (k, v) in &d.blocks {
        html.push_str(&format!("<h3>{}</h3>\n<p>{}</p>\n", e(k), e(v)));
    }
    html.push_str(&format!(
        "<hr>\n<p style=\"color: #666; font-size: smaller\">{}</p>\n</body>\n</html>\n",
        e(&d.footer)
    ));
    Ok(RenderedEmail {
        subject,
        text,
        html,
    })
}

/// Renders `message` as one SMS line: the tracking number and what happened, before
/// the SMS policy (transliteration, truncation) is applied.
pub fn render_sms_text(message: &OutboxMessage) -> Result<String, RenderError> {
    let p = payload(message);
    Ok(build(message.kind, &p)?.sms)
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
