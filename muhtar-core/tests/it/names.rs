//! Every enum name table, pinned: the stable names are stored in databases and events and
//! read by clients, the display names printed to people. A change to either shows here as
//! a difference to `tests/fixtures/names.txt` (rewrite it with `UPDATE_NAMES=1` when the
//! change is meant, and say so in the changelog).

use std::fmt::Write;

use muhtar_core::access::{Action, RoleKind};
use muhtar_core::calendar::CalendarView;
use muhtar_core::council::{Majority, MemberRole, VoteStatus};
use muhtar_core::document::Direction;
use muhtar_core::map::work::{WorkField, WorkKind, WorkStatus};
use muhtar_core::org::OfficialTitle;
use muhtar_core::outbox::waiting::WaitReason;
use muhtar_core::outbox::{AddresseeRole, DeliveryChannel, Locale, NoticeKind, OutboxStatus};
use muhtar_core::request::{
    Channel, CommandName, EventType, Outcome, Party, PauseReason, Priority, RequestKind, Status,
};
use muhtar_core::routing::Relative;
use muhtar_core::settings::SmsWithoutGateway;
use muhtar_core::sla::ClockState;
use muhtar_core::store::DocumentKind;

/// One table as text, after checking that each of its names reads back as its value
/// (through `FromStr` and serde) and that an unknown name is refused with the valid ones.
macro_rules! table {
    ($out:ident, $ty:ty) => {{
        writeln!($out, "[{}]", stringify!($ty)).unwrap();
        for v in <$ty>::ALL {
            let name = v.as_str();
            assert_eq!(name.parse::<$ty>().unwrap(), v, "{name}");
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<$ty>(&json).unwrap(), v);
            assert_eq!(<$ty>::from_display_name(v.display_name()), Some(v));
            writeln!($out, "{name}\t{}", v.display_name()).unwrap();
        }
        assert_eq!(<$ty>::NAMES.len(), <$ty>::ALL.len());
        let e = "no-such-name".parse::<$ty>().unwrap_err();
        assert!(e.to_string().contains(<$ty>::ALL[0].as_str()), "{e}");
        assert!(serde_json::from_str::<$ty>("\"no-such-name\"").is_err());
        writeln!($out).unwrap();
    }};
}

fn tables() -> String {
    let mut out = String::new();
    table!(out, Channel);
    table!(out, RequestKind);
    table!(out, Priority);
    table!(out, Status);
    table!(out, Outcome);
    table!(out, PauseReason);
    table!(out, Party);
    table!(out, CommandName);
    table!(out, EventType);
    table!(out, NoticeKind);
    table!(out, OutboxStatus);
    table!(out, DeliveryChannel);
    table!(out, Locale);
    table!(out, DocumentKind);
    table!(out, Relative);
    table!(out, CalendarView);
    table!(out, ClockState);
    table!(out, RoleKind);
    table!(out, OfficialTitle);
    table!(out, AddresseeRole);
    table!(out, SmsWithoutGateway);
    table!(out, WaitReason);
    table!(out, Action);
    table!(out, WorkKind);
    table!(out, WorkStatus);
    table!(out, WorkField);
    table!(out, Direction);
    table!(out, MemberRole);
    table!(out, Majority);
    table!(out, VoteStatus);
    out
}

#[test]
fn every_name_table_matches_the_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/names.txt");
    let now = tables();
    if std::env::var_os("UPDATE_NAMES").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let pinned = std::fs::read_to_string(path).unwrap();
    assert!(
        now == pinned,
        "the name tables differ from {path} (UPDATE_NAMES=1 rewrites it):\n{now}"
    );
}

#[test]
fn older_names_are_still_read() {
    assert_eq!(
        "metropolitan-system".parse::<Channel>().unwrap(),
        Channel::BeyazMasa
    );
    let old: Channel = serde_json::from_str("\"metropolitan-system\"").unwrap();
    assert_eq!(serde_json::to_string(&old).unwrap(), "\"beyaz-masa\"");
}

#[test]
fn command_and_event_names_are_their_tags() {
    use muhtar_core::request::{Command, EventKind};
    let c = Command::Reopen { reason: "x".into() };
    assert_eq!(c.command_name(), CommandName::Reopen);
    assert_eq!(serde_json::to_value(&c).unwrap()["command"], c.name());
    assert_eq!(
        CommandName::from_verb("reply"),
        Some(CommandName::InterimReply)
    );
    assert_eq!(CommandName::from_verb("fee"), Some(CommandName::NotifyFee));
    assert_eq!(CommandName::from_verb("notify-fee"), None);
    let e = EventKind::Closed;
    assert_eq!(e.event_type(), EventType::Closed);
    assert_eq!(serde_json::to_value(&e).unwrap()["type"], e.name());
    assert_eq!(e.display_name(), "kapatıldı");
}

#[test]
fn a_status_filter_reads_names_and_open_and_lists_the_valid_names_when_wrong() {
    use muhtar_core::request::Status;
    assert_eq!(Status::parse_filter("open").unwrap(), Status::open());
    assert!(Status::open().iter().all(|s| s.is_open()));
    assert_eq!(
        Status::parse_filter(" answered , open,answered").unwrap(),
        Status::ALL
            .into_iter()
            .filter(|s| s.is_open() || *s == Status::Answered)
            .collect::<Vec<_>>()
    );
    let e = Status::parse_filter("open,kapali").unwrap_err();
    assert_eq!(e.value, "kapali");
    assert!(e.to_string().contains("answered"), "{e}");
}
