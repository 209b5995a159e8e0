//! Why notices wait: the pending outbox entries of a tenant after a delivery run,
//! sorted by reason (quiet hours, no SMS gateway, a retry after a failed delivery, a
//! later start), counted, with the instant each reason ends. `muhtar notify --once`
//! prints these so a person knows why a notice has not gone out and until when.
//!
//! [`waiting`] is pure: the entries, the tenant's [`Conditions`] and the time in, the
//! reasons out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{DeliveryChannel, OutboxEntry, OutboxStatus};
use crate::ids::TenantId;
use crate::settings::{QuietHours, SmsWithoutGateway, TenantSettings};

/// Why a pending notice has not gone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaitReason {
    /// An SMS notice of a tenant without an SMS gateway
    /// ([`SmsWithoutGateway::Wait`]).
    NoSmsGateway,
    /// Deferred to the end of the tenant's quiet hours.
    QuietHours,
    /// A delivery failed; it is tried again later.
    Retry,
    /// Not to be sent before a later instant.
    Later,
    /// Claimed by a dispatcher that is delivering it now.
    InDelivery,
    /// Due now: the next delivery pass sends it.
    Due,
}

crate::names::named_enum! {
    impl WaitReason: "wait reason" {
        NoSmsGateway => ("no-sms-gateway", "SMS ağ geçidi ayarlı değil"),
        QuietHours => ("quiet-hours", "sessiz saatler"),
        Retry => ("retry", "tekrar denenecek"),
        Later => ("later", "ileri tarihli"),
        InDelivery => ("in-delivery", "gönderiliyor"),
        Due => ("due", "gönderilecek"),
    }
}

/// What decides whether a tenant's notices wait: its quiet hours, whether it has an SMS
/// gateway and what its SMS notices do without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    /// The quiet hours in force (`None`: none).
    pub quiet_hours: Option<QuietHours>,
    /// Whether the tenant's dispatcher has an SMS gateway.
    pub sms_gateway: bool,
    /// What SMS notices do without one.
    pub sms_without_gateway: SmsWithoutGateway,
}

impl Conditions {
    /// The conditions `settings` set: their quiet hours, else `default_quiet_hours`
    /// (the dispatcher's); an SMS gateway when they have `[sms]`.
    pub fn of(settings: &TenantSettings, default_quiet_hours: Option<QuietHours>) -> Self {
        Conditions {
            quiet_hours: settings.quiet_hours.or(default_quiet_hours),
            sms_gateway: settings.sms.is_some(),
            sms_without_gateway: settings.sms_without_gateway(),
        }
    }
}

/// The notices of one tenant waiting for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The tenant.
    pub tenant: TenantId,
    /// Why they wait.
    pub reason: WaitReason,
    /// How many.
    pub count: usize,
    /// The earliest instant one of them is tried again (`None`: not known, e.g. until a
    /// gateway is configured).
    pub until: Option<DateTime<Utc>>,
    /// The last delivery error of the first to be retried ([`WaitReason::Retry`]).
    pub last_error: Option<String>,
}

/// Why `entry` (pending) waits at `now` under `c`.
pub fn reason(entry: &OutboxEntry, c: &Conditions, now: DateTime<Utc>) -> WaitReason {
    let next = entry.next_attempt_at;
    if entry.message.channel == DeliveryChannel::Sms
        && !c.sms_gateway
        && c.sms_without_gateway == SmsWithoutGateway::Wait
    {
        return WaitReason::NoSmsGateway;
    }
    if next <= now {
        return match entry.claimed_until {
            Some(until) if until > now => WaitReason::InDelivery,
            _ => WaitReason::Due,
        };
    }
    if let Some(q) = c.quiet_hours {
        if entry.message.kind.respects_quiet_hours() && q.contains(now) && next <= q.end_after(now)
        {
            return WaitReason::QuietHours;
        }
    }
    match entry.failures {
        0 => WaitReason::Later,
        _ => WaitReason::Retry,
    }
}

/// The pending entries among `entries`, counted by tenant and [`WaitReason`] (in that
/// order), each with its earliest next attempt. `conditions` gives each tenant's; a
/// tenant it has none for is taken to have no quiet hours and no SMS gateway.
pub fn waiting(
    entries: &[OutboxEntry],
    conditions: impl Fn(&TenantId) -> Conditions,
    now: DateTime<Utc>,
) -> Vec<Waiting> {
    let mut groups: BTreeMap<(String, WaitReason), Waiting> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.status == OutboxStatus::Pending) {
        let tenant = &e.message.tenant;
        let r = reason(e, &conditions(tenant), now);
        let until = match r {
            WaitReason::NoSmsGateway | WaitReason::Due => None,
            WaitReason::InDelivery => e.claimed_until,
            _ => Some(e.next_attempt_at),
        };
        let g = groups
            .entry((tenant.as_str().to_owned(), r))
            .or_insert_with(|| Waiting {
                tenant: tenant.clone(),
                reason: r,
                count: 0,
                until,
                last_error: None,
            });
        g.count += 1;
        if until.is_some() && (g.until.is_none() || until < g.until) || g.count == 1 {
            g.until = until;
            if r == WaitReason::Retry {
                g.last_error = e.last_error.clone();
            }
        }
    }
    groups.into_values().collect()
}

/// The dative ending of a time of day as Turkish reads it (`08:00'e`, `09:30'a`,
/// `07:00'ye`): by the last number word spoken, the minutes, or the hour on the hour.
fn dative(hour: u32, minute: u32) -> &'static str {
    let n = if minute == 0 { hour } else { minute };
    match (n % 10, n / 10 % 10) {
        (0, 0) => "a",                 // sıfır
        (0, 1 | 3 | 4) => "a",         // on, otuz, kırk
        (0, _) => "ye",                // yirmi, elli
        (1 | 3 | 4 | 5 | 8, _) => "e", // bir, üç, dört, beş, sekiz
        (2 | 7, _) => "ye",            // iki, yedi
        (6, _) => "ya",                // altı
        _ => "a",                      // dokuz
    }
}

/// `at` in Istanbul local time: the time of day when it is less than a day after
/// `now`, else date and time (`2026-12-16 17:30`).
fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match at >= now && at - now < chrono::Duration::days(1) {
        true => crate::calendar::to_istanbul(at).format("%H:%M").to_string(),
        false => crate::request::sheet::local_time(at),
    }
}

impl Waiting {
    /// One line in Turkish for people, e.g. `3 bildirim sessiz saatler nedeniyle
    /// 08:00'e kadar bekliyor (kurum ibb)`; times in Istanbul local time, the date only
    /// when a day or more away from `now`.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        use chrono::Timelike;
        let (n, t) = (self.count, &self.tenant);
        let at = self.until.map(|u| when(u, now)).unwrap_or_default();
        let first = if n > 1 { "ilki " } else { "" };
        match self.reason {
            WaitReason::NoSmsGateway => format!(
                "{n} SMS bildirimi bekliyor: SMS ağ geçidi ayarlı değil (kurum {t}; ayarlara \
                 [sms] ekleyin ya da sms_without_gateway = \"skip\" ile atlayın)"
            ),
            WaitReason::QuietHours => {
                let local = self.until.map(crate::calendar::to_istanbul);
                let ending = local.map_or("", |l| dative(l.hour(), l.minute()));
                format!("{n} bildirim sessiz saatler nedeniyle {at}'{ending} kadar bekliyor (kurum {t})")
            }
            WaitReason::Retry => {
                let error = self
                    .last_error
                    .as_deref()
                    .map(|e| format!("; son hata: {e}"))
                    .unwrap_or_default();
                format!(
                    "{n} bildirim gönderilemedi, tekrar denenecek: {first}{at} (kurum {t}{error})"
                )
            }
            WaitReason::Later => {
                format!("{n} bildirim ileri tarihli, gönderilecek: {first}{at} (kurum {t})")
            }
            WaitReason::InDelivery => {
                format!("{n} bildirim başka bir dağıtıcıda gönderiliyor (kurum {t})")
            }
            WaitReason::Due => format!("{n} bildirim gönderilmeyi bekliyor (kurum {t})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{Locale, NoticeKind, NoticePayload, OutboxMessage};
    use chrono::TimeZone;

    fn entry(n: u128, channel: DeliveryChannel, next: DateTime<Utc>, failures: u32) -> OutboxEntry {
        let payload = serde_json::json!({"period": "2026-Q1"});
        OutboxEntry {
            message: OutboxMessage {
                id: uuid::Uuid::from_u128(n),
                tenant: TenantId::new("ibb").unwrap(),
                request: None,
                idempotency_key: n.to_string(),
                kind: NoticeKind::ReportReady,
                channel,
                recipient: "x".into(),
                addressee: None,
                locale: Locale::Tr,
                payload: NoticePayload::from_json(NoticeKind::ReportReady, payload).unwrap(),
                created_at: next,
                not_before: next,
            },
            status: OutboxStatus::Pending,
            attempts: 1,
            failures,
            last_error: (failures > 0).then(|| "relay down".to_owned()),
            next_attempt_at: next,
            claimed_until: None,
            sent_at: None,
        }
    }

    /// 23:30 in İstanbul (20:30 UTC), quiet hours 22:00–08:00: what was deferred waits for
    /// 08:00, an SMS without a gateway waits for one, a failed e-mail for its retry, and
    /// what is sent or skipped is not waiting.
    #[test]
    fn pending_notices_are_counted_by_why_they_wait_and_until_when() {
        let now = Utc.with_ymd_and_hms(2026, 12, 16, 20, 30, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2026, 12, 17, 5, 0, 0).unwrap();
        let c = Conditions {
            quiet_hours: Some(QuietHours::default()),
            sms_gateway: false,
            sms_without_gateway: SmsWithoutGateway::Wait,
        };
        let mut sent = entry(9, DeliveryChannel::Email, now, 0);
        sent.status = OutboxStatus::Sent;
        let entries = vec![
            entry(1, DeliveryChannel::Email, morning, 0),
            entry(2, DeliveryChannel::Email, morning, 0),
            entry(3, DeliveryChannel::Sms, morning, 0),
            entry(
                4,
                DeliveryChannel::Email,
                now + chrono::Duration::days(2),
                1,
            ),
            sent,
        ];
        let w = waiting(&entries, |_| c, now);
        let lines: Vec<String> = w.iter().map(|w| w.describe(now)).collect();
        assert_eq!(
            lines,
            [
                "1 SMS bildirimi bekliyor: SMS ağ geçidi ayarlı değil (kurum ibb; ayarlara [sms] \
                 ekleyin ya da sms_without_gateway = \"skip\" ile atlayın)",
                "2 bildirim sessiz saatler nedeniyle 08:00'e kadar bekliyor (kurum ibb)",
                "1 bildirim gönderilemedi, tekrar denenecek: 2026-12-18 23:30 (kurum ibb; son \
                 hata: relay down)",
            ]
        );
        assert_eq!(w[1].until, Some(morning));
        // With a gateway, or with `skip`, an SMS does not wait for one.
        let skip = Conditions {
            sms_without_gateway: SmsWithoutGateway::Skip,
            ..c
        };
        assert_eq!(reason(&entries[2], &skip, now), WaitReason::QuietHours);
        // Outside quiet hours, a later start is just later.
        let noon = Utc.with_ymd_and_hms(2026, 12, 16, 9, 0, 0).unwrap();
        let later = entry(
            5,
            DeliveryChannel::Email,
            noon + chrono::Duration::hours(1),
            0,
        );
        let w = waiting(&[later], |_| c, noon);
        assert_eq!(
            w[0].describe(noon),
            "1 bildirim ileri tarihli, gönderilecek: 13:00 (kurum ibb)"
        );
    }

    #[test]
    fn times_of_day_take_the_dative_ending_turkish_speaks() {
        let cases = [
            ((8, 0), "e"),
            ((7, 0), "ye"),
            ((6, 0), "ya"),
            ((9, 0), "a"),
            ((10, 0), "a"),
            ((0, 0), "a"),
            ((20, 0), "ye"),
            ((9, 30), "a"),
            ((9, 15), "e"),
            ((9, 12), "ye"),
            ((17, 45), "e"),
            ((17, 50), "ye"),
            ((17, 40), "a"),
        ];
        for ((h, m), e) in cases {
            assert_eq!(dative(h, m), e, "{h:02}:{m:02}");
        }
    }
}
