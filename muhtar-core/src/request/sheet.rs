//! The request sheet: what a person reads about one request (`muhtar show`), in Turkish
//! with display names and Europe/Istanbul local times. Pure: the state, its history, its
//! clocks and the organisation in, text out.

use std::fmt::Write;

use crate::org::Organisation;
use crate::regime::{DEFAULT_POLICY_RULE, SET_POLICY_RULE};
use crate::sla::SlaEvaluation;
use crate::store::RequestRecord;

use super::{Event, EventKind, RequestState};

pub use crate::calendar::local_time;

/// Where a value starts on a sheet line: continuation lines are indented to it.
const INDENT: &str = "             ";

/// The sheet of a request: tracking number, priority, subject, muhtarlık, its location
/// (with a warning when it lies outside the muhtarlık's boundary), category,
/// channel and kind, status and unit, receipt, the resolution deadline with its state
/// and its explanation (policy, length, days not counted, pauses, extension, policy
/// changes, reply-by date), the first response, a fee, a forced receipt, the outcome
/// with its reason and the answer text, interim replies, messages, and the history
/// (who acted by name and role). One line per item, ending in a newline.
pub fn sheet(
    s: &RequestState,
    history: &[Event],
    clocks: &SlaEvaluation,
    org: &Organisation,
) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let mut line = |label: &str, text: String| {
        let mut lines = text.lines();
        let _ = writeln!(out, "{label:<13}{}", lines.next().unwrap_or_default());
        for more in lines {
            let _ = writeln!(out, "{INDENT}{more}");
        }
    };
    line("Takip No", s.tracking.to_string());
    if s.content.priority.is_urgent() {
        line("Öncelik", s.content.priority.display_name().to_owned());
    }
    line("Konu", s.content.subject.clone());
    let muhtarlik = org
        .muhtarlik(&s.content.muhtarlik)
        .map(|m| format!("{} ({})", m.name, s.content.muhtarlik))
        .unwrap_or_else(|| s.content.muhtarlik.to_string());
    line(
        "Muhtarlık",
        format!(
            "{muhtarlik}  {} / {}",
            s.content.district, s.content.province
        ),
    );
    if let Some(l) = &s.content.location {
        let mut text = format!("{}, {}", l.lat, l.lon);
        if let Some(w) = crate::map::location_warning(org, &s.content) {
            text.push_str(&format!("\nUyarı: {}", w.describe()));
        }
        line("Konum", text);
    }
    let category = org
        .category(&s.content.category)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| s.content.category.clone());
    let unit = s
        .unit
        .as_ref()
        .map(|u| org.unit(u).map(|x| x.name.clone()).unwrap_or(u.to_string()))
        .unwrap_or_else(|| "-".into());
    line(
        "Kategori",
        format!(
            "{}   Kanal: {}   Tür: {}",
            category,
            s.content.channel.display_name(),
            s.content.kind.display_name()
        ),
    );
    line(
        "Durum",
        format!(
            "{}{}   Birim: {}",
            s.status.display_name(),
            s.pause
                .map(|p| format!(" ({})", p.display_name()))
                .unwrap_or_default(),
            unit
        ),
    );
    line("Alındı", local_time(s.content.received_at));
    let r = &clocks.resolution;
    line(
        "Süre sonu",
        format!(
            "{} ({})",
            local_time(r.due.to_utc()),
            r.state.display_name()
        ),
    );
    line(
        "Politika",
        format!(
            "{}   ({})",
            s.policy,
            match s.policy_rule.as_str() {
                DEFAULT_POLICY_RULE => "kural yok: kurumun varsayılanı".to_owned(),
                SET_POLICY_RULE => format!(
                    "elle belirlendi: {}",
                    s.policy_reason.as_deref().unwrap_or("-")
                ),
                rule => format!("politika kuralı {rule:?}"),
            }
        ),
    );
    line("Süre hesabı", r.explanation.describe().join("\n"));
    let fr = &clocks.first_response;
    line(
        "İlk yanıt",
        format!(
            "süre {}{}",
            local_time(fr.due.to_utc()),
            match s.first_response_at {
                Some(at) => format!(" — yanıt {} ({})", local_time(at), fr.state.display_name()),
                None => format!(" ({})", fr.state.display_name()),
            }
        ),
    );
    if let Some(f) = &s.fee {
        line(
            "Ücret",
            format!(
                "{} bildirildi {} (ödenene kadar süre durur)",
                f.amount.map(|a| a.to_string()).unwrap_or_default(),
                local_time(f.notified_at)
            ),
        );
    }
    if let Some(f) = &s.content.received_at_forced {
        line(
            "Zorlanan",
            format!(
                "alınma: {} raporu imzalıydı — gerekçe: {}",
                f.quarter, f.reason
            ),
        );
    }
    if let Some(o) = s.outcome {
        line(
            "Sonuç",
            format!(
                "{}{}",
                o.display_name(),
                s.reason
                    .as_ref()
                    .map(|r| format!(" — gerekçe: {}", r.display_name(org)))
                    .unwrap_or_default()
            ),
        );
        if let Some(t) = &s.reason_text {
            line("Açıklama", t.clone());
        }
    }
    if let Some(text) = &s.answer {
        let when = s.answered_at.map(local_time).unwrap_or_default();
        line("Cevap", format!("{when}\n{text}"));
    }
    if let Some(n) = &s.content.registration_number {
        line("Dilekçe no", n.clone());
    }
    for d in &s.documents {
        let label = match d.direction {
            crate::document::Direction::Incoming => "Gelen evrak",
            _ => "Cevap yazısı",
        };
        line(
            label,
            format!(
                "{} ({})  doğrulama kodu {}",
                d.number,
                local_time(d.date),
                d.code
            ),
        );
    }
    let mut notes = |title: &str, pick: fn(&EventKind) -> Option<&String>| {
        let listed: Vec<(&Event, &String)> = history
            .iter()
            .filter_map(|e| pick(&e.kind).map(|t| (e, t)))
            .collect();
        if listed.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title}:");
        for (e, text) in listed {
            let _ = writeln!(
                out,
                "  {}  {}:",
                local_time(e.at),
                e.actor.display_name(org)
            );
            for l in text.lines() {
                let _ = writeln!(out, "      {l}");
            }
        }
    };
    notes("Ara cevaplar", |k| match k {
        EventKind::InterimReply { text } => Some(text),
        _ => None,
    });
    notes("Mesajlar", |k| match k {
        EventKind::Message { text, .. } => Some(text),
        _ => None,
    });
    let _ = writeln!(out, "Geçmiş:");
    for e in history {
        let _ = writeln!(
            out,
            "  v{:<3} {}  {:<22} {}",
            e.version,
            local_time(e.at),
            e.kind.display_name(),
            e.actor.display_name(org)
        );
    }
    out
}

/// A listing of requests as a table (`muhtar list`, `muhtar start`): tracking number,
/// status, unit, muhtarlık, category, deadline (Istanbul time) and subject (İVEDİ first
/// for an urgent request); `(none)` when empty. One line per row, ending in a newline.
pub fn table(items: &[RequestRecord]) -> String {
    let mut out = format!(
        "{:<12} {:<16} {:<18} {:<16} {:<18} {:<17} KONU\n",
        "TAKİP NO", "DURUM", "BİRİM", "MUHTARLIK", "KATEGORİ", "SÜRE SONU"
    );
    for r in items {
        let s = &r.state;
        let _ = writeln!(
            out,
            "{:<12} {:<16} {:<18} {:<16} {:<18} {:<17} {}",
            s.tracking.to_string(),
            s.status.display_name(),
            s.unit.as_ref().map(|u| u.as_str()).unwrap_or("-"),
            s.content.muhtarlik.as_str(),
            s.content.category,
            due(r),
            listed_subject(r)
        );
    }
    if items.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// One line saying where a request stands after a command (`what`: the command's
/// past tense, e.g. `submitted`): tracking number, İVEDİ, status, unit, deadline.
pub fn summary_line(what: &str, r: &RequestRecord) -> String {
    format!(
        "{what}: {}{}  durum {}  birim {}  süre sonu {}",
        r.state.tracking,
        if r.state.content.priority.is_urgent() {
            "  İVEDİ"
        } else {
            ""
        },
        r.state.status.display_name(),
        r.state.unit.as_ref().map(|u| u.as_str()).unwrap_or("-"),
        due(r)
    )
}

/// The resolution deadline in Istanbul time, `-` without one.
fn due(r: &RequestRecord) -> String {
    r.deadlines
        .resolution_due
        .map(local_time)
        .unwrap_or_else(|| "-".into())
}

/// The subject as listed: an urgent request's starts with İVEDİ.
fn listed_subject(r: &RequestRecord) -> String {
    let c = &r.state.content;
    if c.priority.is_urgent() {
        format!("{} · {}", c.priority.display_name(), c.subject)
    } else {
        c.subject.clone()
    }
}
