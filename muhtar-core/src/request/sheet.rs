//! The request sheet: what a person reads about one request (`muhtar show`), in Turkish
//! with display names and Europe/Istanbul local times. Pure: the state, its history, its
//! clocks and the organisation in, text out.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::org::Organisation;
use crate::regime::{DEFAULT_POLICY_RULE, SET_POLICY_RULE};
use crate::sla::{DayUnit, SlaEvaluation};
use crate::store::RequestRecord;

use super::{Event, RequestState};

/// An instant as people read it: Europe/Istanbul, to the minute.
pub fn local_time(t: DateTime<Utc>) -> String {
    crate::calendar::to_istanbul(t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The sheet of a request: tracking number, priority, subject, muhtarlık, category,
/// channel and kind, status and unit, receipt, deadlines with their state and policy,
/// the first response, an extension, a fee, a reply-by date, a forced receipt, the
/// outcome with its reason, and the history. One line per item, ending in a newline.
pub fn sheet(
    s: &RequestState,
    history: &[Event],
    clocks: &SlaEvaluation,
    org: &Organisation,
) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(format!("Takip No     {}", s.tracking));
    if s.content.priority.is_urgent() {
        line(format!(
            "Öncelik      {}",
            s.content.priority.display_name()
        ));
    }
    line(format!("Konu         {}", s.content.subject));
    line(format!(
        "Muhtarlık    {}  ({} / {})",
        s.content.muhtarlik, s.content.district, s.content.province
    ));
    let category = org
        .category(&s.content.category)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| s.content.category.clone());
    let unit = s
        .unit
        .as_ref()
        .map(|u| org.unit(u).map(|x| x.name.clone()).unwrap_or(u.to_string()))
        .unwrap_or_else(|| "-".into());
    line(format!(
        "Kategori     {}   Kanal: {}   Tür: {}",
        category,
        s.content.channel.display_name(),
        s.content.kind.display_name()
    ));
    line(format!(
        "Durum        {}   Birim: {}",
        s.status.display_name(),
        unit
    ));
    line(format!(
        "Alındı       {}",
        local_time(s.content.received_at)
    ));
    line(format!(
        "Süre sonu    {} ({}, politika {})",
        local_time(clocks.resolution.due.to_utc()),
        clocks.resolution.state.display_name(),
        s.policy
    ));
    line(format!(
        "Politika     {}   ({})",
        s.policy,
        match s.policy_rule.as_str() {
            DEFAULT_POLICY_RULE => "kural yok: kurumun varsayılanı".to_owned(),
            SET_POLICY_RULE => format!(
                "elle belirlendi: {}",
                s.policy_reason.as_deref().unwrap_or("-")
            ),
            rule => format!("politika kuralı {rule:?}"),
        }
    ));
    let fr = &clocks.first_response;
    line(format!(
        "İlk yanıt    süre {}{}",
        local_time(fr.due.to_utc()),
        match s.first_response_at {
            Some(at) => format!(" — yanıt {} ({})", local_time(at), fr.state.display_name()),
            None => format!(" ({})", fr.state.display_name()),
        }
    ));
    if let Some(x) = &clocks.resolution.explanation.extension {
        line(format!(
            "Uzatma       {} → {} {}, {}: {}",
            x.from_length,
            x.to_length,
            match clocks.resolution.explanation.unit {
                DayUnit::Business => "iş günü",
                _ => "gün",
            },
            x.at.format("%Y-%m-%d %H:%M"),
            x.reason
        ));
    }
    if let Some(f) = &s.fee {
        line(format!(
            "Ücret        {} bildirildi {} (ödenene kadar süre durur)",
            f.amount.map(|a| a.to_string()).unwrap_or_default(),
            local_time(f.notified_at)
        ));
    }
    if let Some(r) = &clocks.resolution.explanation.reply_by {
        line(format!("Cevap tarihi {}", r.note));
    }
    if let Some(f) = &s.content.received_at_forced {
        line(format!(
            "Zorlanan alınma: {} raporu imzalıydı — gerekçe: {}",
            f.quarter, f.reason
        ));
    }
    if let Some(o) = s.outcome {
        line(format!(
            "Sonuç        {}{}",
            o.display_name(),
            s.reason
                .as_ref()
                .map(|r| format!(" — gerekçe: {}", r.display_name(org)))
                .unwrap_or_default()
        ));
    }
    line("Geçmiş:".to_owned());
    for e in history {
        line(format!(
            "  v{:<3} {}  {:<22} {}",
            e.version,
            local_time(e.at),
            e.kind.display_name(),
            e.actor
        ));
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
