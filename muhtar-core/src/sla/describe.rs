//! An [`Explanation`] as people read it: Turkish lines, Europe/Istanbul local times
//! (`muhtar show`). The JSON form of the explanation stays the machine form.

use chrono::{DateTime, FixedOffset};

use super::clock::{Explanation, PauseKind, SkippedDay};
use super::policy::DayUnit;
use crate::calendar::{local_time, DayOverride, DayReason};

impl Explanation {
    /// Why the deadline is what it is, one Turkish line per fact: the policy with its
    /// length and day unit, the calendar, the start and the first counted day, the days
    /// that did not count (weekends counted, holidays and closures named with their dates),
    /// half days that counted, pauses and the days they added, the extension, policy
    /// changes, the roll-forward of the last day, a letter's reply-by date and the due
    /// instant. Times are Europe/Istanbul local times.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use muhtar_core::calendar::Calendar;
    /// use muhtar_core::sla::{ClockEvent, PolicyRegistry, SlaClock};
    /// let registry = PolicyRegistry::builtin();
    /// let policy = registry.get("belediye-15-is-gunu").unwrap();
    /// let calendar = Calendar::new();
    /// let received = Utc.with_ymd_and_hms(2026, 12, 28, 7, 0, 0).unwrap();
    /// let eval = SlaClock::new(policy, &calendar)
    ///     .evaluate(&[ClockEvent::Received { at: received }], received)
    ///     .unwrap();
    /// let text = eval.resolution.explanation.describe().join("\n");
    /// assert!(text.contains("15 iş günü"), "{text}");
    /// assert!(text.contains("başlangıç 2026-12-28 10:00"), "{text}");
    /// assert!(text.contains("2027-01-01 Yılbaşı"), "{text}");
    /// ```
    pub fn describe(&self) -> Vec<String> {
        let unit = unit_name(self.unit);
        let mut out = vec![format!(
            "politika {}: {} {unit}, {} (sürüm {})",
            self.policy,
            self.length,
            self.view.display_name(),
            self.calendar_version
        )];
        out.push(format!(
            "başlangıç {}{}; o gün sayılmaz, sayım {} günü başlar",
            at(self.start),
            if self.restarted_on_transfer {
                " (aktarmada süre yeniden başladı)"
            } else {
                ""
            },
            self.counting_starts
        ));
        if let Some(line) = skipped_line(&self.skipped) {
            out.push(line);
        }
        if !self.half_days_counted.is_empty() {
            out.push(format!(
                "iş günü sayılan yarım günler: {}",
                days(&self.half_days_counted)
            ));
        }
        for p in &self.pauses {
            out.push(format!(
                "bekleme {} – {} ({}): +{} {unit}",
                at(p.from),
                p.to.map(at).unwrap_or_else(|| "sürüyor".into()),
                pause_name(p.reason),
                p.days_added
            ));
        }
        if let Some(x) = &self.extension {
            out.push(format!(
                "uzatma {}: {} → {} {unit} — {}",
                at(x.at),
                x.from_length,
                x.to_length,
                x.reason
            ));
        }
        for c in &self.policy_changes {
            out.push(format!(
                "politika değişti {}: {} → {} — {}",
                at(c.at),
                c.from,
                c.to,
                c.reason
            ));
        }
        out.push(format!("son sayılan gün {}", self.last_counted_day));
        if !self.rolled_forward.is_empty() {
            out.push(format!(
                "son gün çalışma günü değil, ileri alındı: {}",
                days(&self.rolled_forward)
            ));
        }
        if let Some(r) = &self.reply_by {
            out.push(format!("cevap tarihi: {}", r.note));
        }
        out.push(format!("süre sonu {} (mesai bitimi)", at(self.due)));
        out
    }
}

/// The day unit as people say it.
fn unit_name(unit: DayUnit) -> &'static str {
    match unit {
        DayUnit::Business => "iş günü",
        DayUnit::Calendar => "takvim günü",
    }
}

fn at(t: DateTime<FixedOffset>) -> String {
    local_time(t.to_utc())
}

fn pause_name(kind: PauseKind) -> &'static str {
    match kind {
        PauseKind::Muhtar => "muhtar bekleniyor",
        PauseKind::Fee => "ücret bekleniyor",
        PauseKind::ClosedUntilReopened => "cevaplanmıştı, yeniden açılana kadar",
    }
}

/// The days that did not count: weekend days counted, every other day named.
fn skipped_line(skipped: &[SkippedDay]) -> Option<String> {
    let weekend_only = |d: &&SkippedDay| d.reasons.iter().all(|r| *r == DayReason::Weekend);
    let weekends = skipped.iter().filter(weekend_only).count();
    let named: Vec<SkippedDay> = skipped
        .iter()
        .filter(|d| !weekend_only(d))
        .cloned()
        .collect();
    let mut parts = Vec::new();
    if weekends > 0 {
        parts.push(format!("{weekends} hafta sonu günü"));
    }
    if !named.is_empty() {
        parts.push(days(&named));
    }
    (!parts.is_empty()).then(|| format!("sayılmayan günler: {}", parts.join("; ")))
}

/// Days with their reasons: `2027-01-01 Yılbaşı, 2027-01-02 hafta sonu`.
fn days(list: &[SkippedDay]) -> String {
    list.iter()
        .map(|d| {
            let reasons: Vec<String> = d
                .reasons
                .iter()
                .filter(|r| d.reasons.len() == 1 || **r != DayReason::Weekend)
                .map(reason_name)
                .collect();
            format!("{} {}", d.date, reasons.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason_name(r: &DayReason) -> String {
    let estimated = |e: bool| if e { " (tahmini)" } else { "" };
    let note = |n: &str| {
        if n.is_empty() {
            String::new()
        } else {
            format!(": {n}")
        }
    };
    match r {
        DayReason::Weekend => "hafta sonu".into(),
        DayReason::Holiday { name, estimated: e } => format!("{name}{}", estimated(*e)),
        DayReason::HalfDay { name, estimated: e } => {
            format!("{name} (yarım gün){}", estimated(*e))
        }
        DayReason::IdariIzin {
            morning_only,
            note: n,
        } => format!(
            "idari izin{}{}",
            if *morning_only { " (sabah)" } else { "" },
            note(n)
        ),
        DayReason::LocalClosure { note: n } => format!("yerel kapanış{}", note(n)),
        DayReason::Correction { set, note: n } => format!(
            "düzeltme, {}{}",
            match set {
                DayOverride::Working => "çalışma günü",
                DayOverride::FullHoliday => "tatil",
                DayOverride::HalfHoliday => "yarım gün tatil",
                DayOverride::Reset => "yerleşik takvime dönüldü",
            },
            note(n)
        ),
    }
}
