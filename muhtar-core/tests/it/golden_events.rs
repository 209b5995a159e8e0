//! Golden fixtures: every event kind (and a request state) as stored by each schema
//! version, under `tests/fixtures/events/vN/` and `tests/fixtures/states/vN/`. Each must
//! keep reading, through the stores' entry point [`Stored`], as the same meaning (the Rust
//! values built here) in every later version. `tests/fixtures/*/upcast/` holds old shapes
//! that only an upcasting step reads right.
//!
//! The rule: fixtures are never edited or deleted. When a schema version is added, the
//! fixtures of the new version are written beside the old ones with
//! `cargo test -p muhtar-core --test it -- --ignored golden_events::write_missing_fixtures`
//! (which writes only files that do not exist yet) and committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use muhtar_core::document::{Direction, DocumentId, DocumentRef, RegistryNumber, VerificationCode};
use muhtar_core::ids::{MuhtarlikCode, RequestId, TenantId, UnitCode};
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::schema::{upcast, Versioned};
use muhtar_core::request::{
    Attachment, Channel, CitizenContact, EventKind, FeeAmount, Location, Outcome, Party,
    PauseReason, PendingFee, Priority, ReplyBy, RequestContent, RequestKind, RequestState, Status,
    Stored,
};
use muhtar_core::tracking::TrackingNumber;
use serde::de::value::MapDeserializer;
use serde::Deserialize;

/// The schema version today's code writes (one for events and states while they agree).
const CURRENT: u32 = EventKind::SCHEMA;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, h, m, 0).unwrap()
}

fn unit(code: &str) -> UnitCode {
    UnitCode::new(code).unwrap()
}

fn tracking() -> TrackingNumber {
    TrackingNumber::from_random(0x5eed_0001)
}

fn request_id() -> RequestId {
    "01958001-7a40-7c3e-9b1d-4f2a6c8e0d11".parse().unwrap()
}

fn content() -> RequestContent {
    RequestContent {
        muhtarlik: MuhtarlikCode::new("kuzguncuk").unwrap(),
        district: "Üsküdar".into(),
        province: "İstanbul".into(),
        channel: Channel::MbsWeb,
        kind: RequestKind::Request,
        category: "asfalt-onarim".into(),
        subject: "Okul önündeki çukur".into(),
        description: "Kuzguncuk İlkokulu önündeki yolda derin bir çukur var.".into(),
        priority: Priority::Urgent,
        location: Some(Location {
            lat: 41.0365,
            lon: 29.0312,
        }),
        address: Some("İcadiye Caddesi No: 12".into()),
        attachments: vec![Attachment {
            media_type: "image/jpeg".into(),
            size: 482_113,
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            file_name: Some("cukur.jpg".into()),
        }],
        citizen: Some(CitizenContact {
            name: "Ayşe Yılmaz".into(),
            phone: Some("+905321234567".into()),
            email: Some("ayse.yilmaz@example.org".into()),
        }),
        registration_number: Some("E-12345678-105.04-987".into()),
        received_at: at(7, 30),
        received_at_forced: None,
        attributes: BTreeMap::from([("derinlik-cm".to_owned(), "15".to_owned())]),
        media_url: Some("https://foto.example.org/cukur.jpg".into()),
        reply_by: Some(ReplyBy::Date(NaiveDate::from_ymd_opt(2025, 3, 24).unwrap())),
        municipal_council: false,
    }
}

/// One event of every kind, with realistic values: what each fixture file means.
fn expected_events() -> Vec<EventKind> {
    vec![
        EventKind::Received {
            id: request_id(),
            tenant: TenantId::new("uskudar").unwrap(),
            tracking: tracking(),
            content: content(),
            policy: "genelge-2015-8".into(),
            policy_rule: "ivedi-yazilar".into(),
        },
        EventKind::Routed {
            unit: unit("fen-isleri"),
            rule: "asfalt-fen".into(),
            rule_set_version: "2025-02-01.3".into(),
        },
        EventKind::Accepted,
        EventKind::InterimReply {
            text: "Ekip yönlendirildi, bu hafta içinde onarılacak.".into(),
        },
        EventKind::Paused {
            reason: PauseReason::Muhtar,
            note: "Çukurun tam yerini fotoğrafla bildiriniz.".into(),
        },
        EventKind::Resumed {
            note: "Fotoğraf alındı.".into(),
        },
        EventKind::Message {
            from: Party::Muhtar,
            text: "Çukur okul girişinin tam karşısında.".into(),
        },
        EventKind::Answered {
            outcome: Outcome::Negative,
            reason: Some(ReasonCode::new("other")),
            reason_text: Some("Yol Karayolları Genel Müdürlüğünün sorumluluğunda.".into()),
            text: "Talebiniz ilgili kuruma iletilmiştir.".into(),
        },
        EventKind::Closed,
        EventKind::Transferred {
            from: unit("fen-isleri"),
            to: unit("park-bahce"),
            reason: "Kaldırım park alanının içinde.".into(),
            restart_clock: true,
        },
        EventKind::Rerouted {
            from: Some(unit("park-bahce")),
            to: unit("fen-isleri"),
            reason: "Yanlış birime yönlendirilmiş.".into(),
            restart_clock: false,
        },
        EventKind::Reopened {
            reason: "Çukur yeniden açıldı.".into(),
        },
        EventKind::Withdrawn {
            reason: "Sorun kendiliğinden çözüldü.".into(),
        },
        EventKind::Merged { into: tracking() },
        EventKind::Extended {
            reason: "İstenen bilgi başka bir birimden alınacak.".into(),
        },
        EventKind::ContactErased,
        EventKind::FeeNotified {
            amount: FeeAmount::from_kurus(12_550).unwrap(),
            note: "Ziraat Bankası Üsküdar şubesi, IBAN TR00 0001 0000 0000 0000 0000 00.".into(),
        },
        EventKind::FeePaid {
            note: "Makbuz 2025/1187".into(),
        },
        EventKind::DeemedWithdrawn {
            reason: ReasonCode::new(muhtar_core::reason::FEE_UNPAID),
            fee_notified_at: at(8, 0),
            period_ended: Utc.with_ymd_and_hms(2025, 3, 31, 14, 30, 0).unwrap(),
        },
        EventKind::PolicyChanged {
            from: "genelge-2015-8".into(),
            to: "bilgi-edinme-4982".into(),
            reason: "Başvuru bilgi edinme başvurusudur.".into(),
        },
        EventKind::DocumentRegistered {
            document: document_ref(Direction::Incoming, 4467, at(9, 20), "7KQ2M9XA4T0B"),
        },
        EventKind::LetterIssued {
            document: document_ref(Direction::Outgoing, 4521, at(15, 5), "R2J8E8GJ38MV"),
        },
    ]
}

fn document_ref(
    direction: Direction,
    sequence: u32,
    date: DateTime<Utc>,
    code: &str,
) -> DocumentRef {
    DocumentRef {
        id: DocumentId(
            format!("01958001-9c00-7000-8000-00000000{sequence:04}")
                .parse()
                .unwrap(),
        ),
        direction,
        number: RegistryNumber::parse(&format!("E-13316537-349-{sequence}")).unwrap(),
        date,
        code: VerificationCode::parse(code).unwrap(),
    }
}

/// A request state of every field set: what each state fixture file means.
fn expected_state() -> RequestState {
    RequestState {
        id: request_id(),
        tenant: TenantId::new("uskudar").unwrap(),
        tracking: tracking(),
        version: 9,
        content: content(),
        policy: "bilgi-edinme-4982".into(),
        policy_rule: "set-policy".into(),
        policy_reason: Some("Başvuru bilgi edinme başvurusudur.".into()),
        status: Status::Paused,
        pause: Some(PauseReason::Fee),
        unit: Some(unit("fen-isleri")),
        rule: Some("asfalt-fen".into()),
        rule_set_version: Some("2025-02-01.3".into()),
        outcome: None,
        reason: None,
        reason_text: None,
        answer: None,
        first_response_at: Some(at(9, 15)),
        answered_at: None,
        closed_at: None,
        extended: true,
        fee: Some(PendingFee {
            amount: Some(FeeAmount::from_kurus(12_550).unwrap()),
            notified_at: at(11, 0),
        }),
        transfers: 1,
        reopened: 0,
        merged_into: None,
        documents: Vec::new(),
        updated_at: at(11, 0),
    }
}

fn fixtures(what: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(what)
}

/// The schema version directories (`v1`, `v2`, …) under `what`, oldest first.
fn versions(what: &str) -> Vec<(u32, PathBuf)> {
    let mut out: Vec<(u32, PathBuf)> = std::fs::read_dir(fixtures(what))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let n = p.file_name()?.to_str()?.strip_prefix('v')?.parse().ok()?;
            Some((n, p))
        })
        .collect();
    out.sort();
    out
}

fn read(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn decode<T: Versioned>(path: &Path) -> T {
    serde_json::from_value::<Stored<T>>(read(path))
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .0
}

fn encode<T: Versioned>(v: &T) -> serde_json::Value {
    serde_json::to_value(Stored(v)).unwrap()
}

/// The event type names serde knows (the `type` of each variant), taken from the error a
/// deserializer of our own gets for an unknown one: every kind, without a list to keep.
fn event_type_names() -> Vec<&'static str> {
    #[derive(Debug)]
    struct Expected(&'static [&'static str]);
    impl std::fmt::Display for Expected {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for Expected {}
    impl serde::de::Error for Expected {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Expected(&[])
        }
        fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
            Expected(expected)
        }
    }
    let de = MapDeserializer::<_, Expected>::new(std::iter::once(("type", "no-such-event")));
    let names = EventKind::deserialize(de).unwrap_err().0.to_vec();
    assert!(names.len() > 1, "{names:?}");
    names
}

#[test]
fn every_event_fixture_of_every_version_reads_as_its_meaning() {
    let expected = expected_events();
    let mut names: Vec<&str> = expected.iter().map(EventKind::name).collect();
    names.sort_unstable();
    let mut all = event_type_names();
    all.sort_unstable();
    assert_eq!(
        names, all,
        "every event kind needs an expected value and fixtures"
    );
    let vs = versions("events");
    assert!(
        vs.iter().any(|(n, _)| *n == CURRENT),
        "no fixtures of v{CURRENT}"
    );
    for (n, dir) in vs {
        for want in &expected {
            let path = dir.join(format!("{}.json", want.name()));
            // A kind newer than an old schema version has no fixture of it.
            if n != CURRENT && !path.exists() {
                continue;
            }
            let got: EventKind = decode(&path);
            assert_eq!(&got, want, "{path:?} (schema v{n}) reads differently");
        }
    }
}

#[test]
fn every_state_fixture_of_every_version_reads_as_its_meaning() {
    let want = expected_state();
    let vs = versions("states");
    assert!(
        vs.iter().any(|(n, _)| *n == CURRENT),
        "no fixtures of v{CURRENT}"
    );
    for (n, dir) in vs {
        let path = dir.join("paused-for-fee.json");
        assert_eq!(
            decode::<RequestState>(&path),
            want,
            "{path:?} (schema v{n}) reads differently"
        );
    }
}

#[test]
fn the_current_code_writes_what_the_current_fixtures_hold() {
    let dir = fixtures("events").join(format!("v{CURRENT}"));
    for k in expected_events() {
        let path = dir.join(format!("{}.json", k.name()));
        assert_eq!(encode(&k), read(&path), "{path:?}");
    }
    let path = fixtures("states").join(format!("v{CURRENT}/paused-for-fee.json"));
    assert_eq!(encode(&expected_state()), read(&path), "{path:?}");
}

#[test]
fn a_received_event_from_before_policy_rules_is_upcast_to_the_default_rule() {
    let path = fixtures("events").join("upcast/v1-received-without-policy-rule.json");
    let old = read(&path);
    assert!(old.get("schema").is_none() && old.get("policy_rule").is_none());
    let Some(EventKind::Received {
        id,
        tenant,
        tracking,
        content,
        policy,
        ..
    }) = expected_events().into_iter().next()
    else {
        unreachable!("the first expected event is `received`")
    };
    let want = EventKind::Received {
        id,
        tenant,
        tracking,
        content,
        policy,
        policy_rule: "default".into(),
    };
    // Upcasting gives today's shape: what today's code writes, the schema field apart.
    let mut today = serde_json::to_value(&want).unwrap();
    assert_eq!(upcast::<EventKind>(old).unwrap(), today);
    assert_eq!(decode::<EventKind>(&path), want);
    // Without upcasting, today's types refuse it.
    today.as_object_mut().unwrap().remove("policy_rule");
    assert!(serde_json::from_value::<EventKind>(today).is_err());
}

#[test]
fn a_state_from_before_policy_rules_is_upcast_to_the_default_rule() {
    let path = fixtures("states").join("upcast/v1-without-policy-rule.json");
    let old = read(&path);
    assert!(old.get("schema").is_none() && old.get("policy_rule").is_none());
    let want = RequestState {
        policy_rule: "default".into(),
        ..expected_state()
    };
    assert_eq!(
        upcast::<RequestState>(old).unwrap(),
        serde_json::to_value(&want).unwrap()
    );
    assert_eq!(decode::<RequestState>(&path), want);
}

/// Writes the fixtures of the current schema version that do not exist yet. Never
/// overwrites: a fixture, once committed, is a promise.
#[test]
#[ignore = "writes fixture files; run when a schema version is added"]
fn write_missing_fixtures() {
    fn write(path: PathBuf, v: serde_json::Value) {
        if path.exists() {
            return;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
    let dir = fixtures("events").join(format!("v{CURRENT}"));
    for k in expected_events() {
        write(dir.join(format!("{}.json", k.name())), encode(&k));
    }
    let dir = fixtures("states").join(format!("v{CURRENT}"));
    write(dir.join("paused-for-fee.json"), encode(&expected_state()));
}
