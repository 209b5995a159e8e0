//! Issue 20: every time a person reads is Europe/Istanbul local time, error messages
//! included. The fixtures' receipt is 2025-03-14 09:00 UTC, 12:00 in Istanbul; a message
//! showing 09:00 or "UTC" would be a UTC time.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use muhtar_core::calendar::Calendar;
use muhtar_core::reason::ReasonCode;
use muhtar_core::report::{Quarter, ReportError};
use muhtar_core::request::{Command, Outcome, ReplyBy};
use muhtar_core::sla::{ClockEvent, PolicyRegistry, SlaClock};
use muhtar_core::testkit::fixtures::{organisation, request_builder, t0};
use muhtar_core::testkit::lifecycle::given_routed;

/// No UTC form of an instant in a message.
fn no_utc(message: &str) {
    for utc in ["UTC", "+00:00", "09:00"] {
        assert!(!message.contains(utc), "{utc} in {message:?}");
    }
}

#[test]
fn given_a_quarter_not_over_the_refusal_says_when_it_ends_in_istanbul() {
    // Given the last quarter of 2026, which ends at 2026-12-31 21:00 UTC.
    let quarter = Quarter::new(2026, 4).unwrap();
    // When a sign-off is refused because it has not ended.
    let e = ReportError::QuarterNotOver {
        quarter,
        end: quarter.end(),
    }
    .to_string();
    // Then it ends at midnight, Istanbul time.
    assert!(e.contains("it ends 2027-01-01 00:00, Istanbul time"), "{e}");
    assert!(!e.contains("UTC") && !e.contains("21:00"), "{e}");
}

#[test]
fn given_an_answer_long_ago_the_reopen_refusal_names_its_istanbul_time() {
    // Given a request answered at 12:00 Istanbul time.
    given_routed()
        .by("coordinator")
        .when(Command::Answer {
            outcome: Outcome::Negative,
            reason: Some(ReasonCode::new("no-budget")),
            reason_text: None,
            text: "Bütçe yok".into(),
        })
        // When the muhtar reopens it after the window.
        .after(Duration::days(400))
        .by("muhtar:kuzguncuk")
        .when(Command::Reopen {
            reason: "Hâlâ çukur".into(),
        })
        // Then the refusal counts from the answer in Istanbul time.
        .then_error(|e| {
            let m = e.to_string();
            no_utc(&m);
            m.contains("after 2025-03-14 12:00 has passed")
        });
}

#[test]
fn given_an_event_before_the_receipt_the_clock_error_names_istanbul_times() {
    // Given a receipt at 12:00 and an interim reply an hour earlier.
    let registry = PolicyRegistry::builtin();
    let policy = registry.get("genelge-2015-8").unwrap();
    let calendar = Calendar::new();
    let events = [
        ClockEvent::Received { at: t0() },
        ClockEvent::InterimReply {
            at: t0() - Duration::hours(1),
        },
    ];
    // When the clocks are evaluated.
    let e = SlaClock::new(policy, &calendar)
        .evaluate(&events, t0())
        .unwrap_err()
        .to_string();
    // Then both instants are Istanbul's.
    assert_eq!(
        e,
        "event at 2025-03-14 11:00 precedes the receipt at 2025-03-14 12:00"
    );
}

#[test]
fn given_bad_receipt_and_reply_by_dates_the_errors_name_istanbul_times() {
    let org = organisation("times");
    // Given a receipt a day in the future: the value is echoed with Istanbul's offset.
    let e = request_builder("kuzguncuk")
        .received_at(t0() + Duration::days(1))
        .build()
        .validate(&org, t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("2025-03-15T12:00:00+03:00"), "{e}");
    no_utc(&e);
    // Given a reply-by date before the receipt: the receipt in Istanbul time.
    let e = request_builder("kuzguncuk")
        .received_at(t0())
        .reply_by(ReplyBy::Date(NaiveDate::from_ymd_opt(2025, 3, 13).unwrap()))
        .build()
        .validate(&org, t0())
        .unwrap_err()
        .to_string();
    assert!(e.contains("before the receipt (2025-03-14 12:00)"), "{e}");
    no_utc(&e);
    // The one function behind them.
    let end_of_2026 = Utc.with_ymd_and_hms(2026, 12, 31, 21, 0, 0).unwrap();
    assert_eq!(
        muhtar_core::calendar::local_time(end_of_2026),
        "2027-01-01 00:00"
    );
}
