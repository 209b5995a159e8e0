//! The request lifecycle: given/when/then scenarios and property tests over random
//! command sequences.

use chrono::Duration;
use muhtar_core::ids::UnitCode;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{Command, LifecycleError, Outcome, PauseReason, RequestState, Status};
use muhtar_core::testkit::lifecycle::given_routed;
use muhtar_core::tracking::TrackingNumber;
use proptest::prelude::*;

fn answer_pos() -> Command {
    Command::Answer {
        outcome: Outcome::Positive,
        reason: None,
        reason_text: None,
        text: "Çukur kapatıldı.".into(),
    }
}

#[test]
fn happy_path_to_closed() {
    let s = given_routed()
        .by("unit:fen-isleri")
        .when(Command::Accept)
        .then_status(Status::InProgress)
        .when(Command::InterimReply {
            text: "Ekip yönlendirildi".into(),
        })
        .then_status(Status::InProgress)
        .after(Duration::days(2))
        .when(answer_pos())
        .then_status(Status::Answered)
        .when(Command::Close)
        .then_status(Status::Closed);
    let st = s.state();
    assert_eq!(st.outcome, Some(Outcome::Positive));
    assert!(st.first_response_at.unwrap() < st.answered_at.unwrap());
    assert_eq!(st.version, 6);
}

#[test]
fn illegal_transitions_name_state_and_command() {
    given_routed()
        .when(Command::Close)
        .then_error(|e| {
            matches!(
                e,
                LifecycleError::IllegalTransition {
                    state: Status::Routed,
                    command: "close"
                }
            ) && e.to_string() == "cannot close a request that is routed"
        })
        .when(Command::Resume {
            note: String::new(),
        })
        .then_error(|e| {
            matches!(
                e,
                LifecycleError::IllegalTransition {
                    command: "resume",
                    ..
                }
            )
        });
}

#[test]
fn negative_answers_need_a_known_reason_and_other_needs_text() {
    let neg = |reason: Option<&str>, text: Option<&str>| Command::Answer {
        outcome: Outcome::Negative,
        reason: reason.map(ReasonCode::new),
        reason_text: text.map(String::from),
        text: "Yapılamıyor".into(),
    };
    given_routed()
        .by("unit:fen-isleri")
        .when(neg(None, None))
        .then_error(|e| *e == LifecycleError::ReasonRequired)
        .when(neg(Some("uydurma"), None))
        .then_error(|e| matches!(e, LifecycleError::Reason(_)))
        .when(neg(Some("other"), Some("  ")))
        .then_error(|e| matches!(e, LifecycleError::Reason(_)))
        .when(Command::Answer {
            outcome: Outcome::Positive,
            reason: Some(ReasonCode::new("no-budget")),
            reason_text: None,
            text: "x".into(),
        })
        .then_error(|e| *e == LifecycleError::ReasonNotAllowed)
        .when(neg(Some("other"), Some("Kurum dışı")))
        .then_status(Status::Answered);
    given_routed()
        .when(neg(Some("no-budget"), None))
        .then_status(Status::Answered);
}

#[test]
fn pause_and_resume() {
    let s = given_routed()
        .when(Command::Pause {
            reason: PauseReason::Muhtar,
            note: "Adres eksik".into(),
        })
        .then_status(Status::Paused)
        .when(Command::Accept)
        .then_rejected()
        .when(Command::Resume {
            note: "Adres geldi".into(),
        })
        .then_status(Status::InProgress);
    assert_eq!(s.state().pause, None);
}

#[test]
fn reopen_only_within_the_window() {
    given_routed()
        .when(answer_pos())
        .when(Command::Close)
        .after(Duration::days(29))
        .by("muhtar:kuzguncuk")
        .when(Command::Reopen {
            reason: "Çukur yine açıldı".into(),
        })
        .then_status(Status::InProgress);
    given_routed()
        .when(answer_pos())
        .after(Duration::days(31))
        .when(Command::Reopen {
            reason: "Geç kaldım".into(),
        })
        .then_error(|e| matches!(e, LifecycleError::ReopenWindowClosed { days: 30, .. }));
}

#[test]
fn transfer_checks_target() {
    let to = |u: &str| Command::Transfer {
        to: UnitCode::new(u).unwrap(),
        reason: "Yetki alanımız dışında".into(),
    };
    given_routed()
        .when(to("fen-isleri"))
        .then_error(|e| matches!(e, LifecycleError::SameUnit(_)))
        .when(to("yok-boyle-birim"))
        .then_error(|e| {
            // An unknown unit is named with the units there are.
            matches!(e, LifecycleError::Input(i) if i.field() == "to")
                && e.to_string()
                    .contains("unknown \"yok-boyle-birim\"; valid: belediye, ")
        })
        .when(to("park-bahce"))
        .then_status(Status::Routed);
}

#[test]
fn withdraw_and_merge_are_negative_with_reasons() {
    let s = given_routed()
        .when(Command::Withdraw {
            reason: "Çözüldü".into(),
        })
        .then_status(Status::Withdrawn);
    assert_eq!(s.state().outcome, Some(Outcome::Negative));
    assert_eq!(s.state().reason, Some(ReasonCode::new("withdrawn")));
    let other = TrackingNumber::from_value(5).unwrap();
    let s = given_routed()
        .when(Command::Merge { into: other })
        .then_status(Status::Merged);
    assert_eq!(s.state().merged_into, Some(other));
    let own = s.state().tracking;
    given_routed()
        .when(Command::Merge { into: own })
        .then_error(|e| *e == LifecycleError::SelfMerge)
        .when(Command::Extend {
            reason: "Kapsamlı".into(),
        })
        .then_status(Status::Routed)
        .when(Command::Extend {
            reason: "Tekrar".into(),
        })
        .then_error(|e| *e == LifecycleError::AlreadyExtended);
}

#[test]
fn erasure_keeps_the_event_but_drops_the_contact() {
    let s = given_routed()
        .when(Command::EraseContact)
        .then_status(Status::Routed);
    assert!(s.state().content.citizen.is_none());
    assert_eq!(s.events().last().unwrap().kind.name(), "contact-erased");
}

fn arb_command() -> impl Strategy<Value = Command> {
    let text = prop_oneof![
        Just(String::new()),
        Just("Bilgi".to_string()),
        "[a-zçğışöü ]{0,20}"
    ];
    prop_oneof![
        Just(Command::Accept),
        text.clone().prop_map(|text| Command::InterimReply { text }),
        (any::<bool>(), text.clone()).prop_map(|(fee, note)| Command::Pause {
            reason: if fee {
                PauseReason::Fee
            } else {
                PauseReason::Muhtar
            },
            note
        }),
        text.clone().prop_map(|note| Command::Resume { note }),
        text.clone().prop_map(|text| Command::Message { text }),
        (
            any::<bool>(),
            prop::option::of(prop::sample::select(vec!["no-budget", "other", "nope"])),
            prop::option::of(text.clone()),
            text.clone()
        )
            .prop_map(|(pos, reason, reason_text, text)| Command::Answer {
                outcome: if pos {
                    Outcome::Positive
                } else {
                    Outcome::Negative
                },
                reason: reason.map(ReasonCode::new),
                reason_text,
                text,
            }),
        Just(Command::Close),
        text.clone().prop_map(|reason| Command::Reopen { reason }),
        (
            prop::sample::select(vec!["fen-isleri", "asfalt", "park-bahce", "nope"]),
            text.clone()
        )
            .prop_map(|(u, reason)| Command::Transfer {
                to: UnitCode::new(u).unwrap(),
                reason
            }),
        (
            prop::sample::select(vec!["fen-isleri", "muhtarliklar"]),
            text.clone()
        )
            .prop_map(|(u, reason)| Command::Reroute {
                to: UnitCode::new(u).unwrap(),
                reason
            }),
        text.clone().prop_map(|reason| Command::Withdraw { reason }),
        (0u64..3).prop_map(|v| Command::Merge {
            into: TrackingNumber::from_value(v).unwrap()
        }),
        text.clone().prop_map(|reason| Command::Extend { reason }),
        Just(Command::EraseContact),
        (1u64..100_000, text.clone()).prop_map(|(k, note)| Command::NotifyFee {
            amount: muhtar_core::request::FeeAmount::from_kurus(k).unwrap(),
            note
        }),
        text.prop_map(|note| Command::FeePaid { note }),
    ]
}

proptest! {
    /// Every sequence of commands yields a valid state or a typed error, never a panic;
    /// re-folding the events reproduces the state; versions count the events; an answered
    /// negative request always has a reason.
    #[test]
    fn random_command_sequences(cmds in prop::collection::vec((arb_command(), 0i64..20), 0..25)) {
        let mut s = given_routed();
        for (cmd, days) in cmds {
            s = s.after(Duration::days(days)).when(cmd);
            let st = s.state();
            let folded = RequestState::fold(s.events());
            prop_assert_eq!(folded.as_ref(), Ok(st));
            prop_assert_eq!(st.version as usize, s.events().len());
            if st.outcome == Some(Outcome::Negative) {
                prop_assert!(st.reason.is_some());
            }
            if st.status.is_open() {
                prop_assert!(st.outcome.is_none());
            } else {
                prop_assert!(st.outcome.is_some());
            }
            prop_assert_eq!(st.pause.is_some(), st.status == Status::Paused);
            // A fee is pending exactly while the request waits on one.
            prop_assert_eq!(st.fee.is_some(), st.pause == Some(PauseReason::Fee));
        }
    }
}
