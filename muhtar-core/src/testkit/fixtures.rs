//! Small, valid data for tests: an organisation, requests and commits.

use chrono::{DateTime, TimeZone, Utc};

use crate::access::Actor;
use crate::clock::ManualClock;
use crate::ids::{IdGenerator, MuhtarlikCode, SeededRandom, TenantId, UnitCode};
use crate::org::Organisation;
use crate::outbox::{
    request_facts, DeliveryChannel, Locale, NoticeKind, NoticePayload, OutboxMessage,
};
use crate::request::{
    Channel, Event, EventKind, NewRequest, NewRequestBuilder, Priority, RequestKind, RequestState,
};
use crate::service::Mbs;
use crate::store::{Commit, Deadlines, RequestRecord};
use crate::testkit::MemoryStore;

/// A fixed instant: 2025-03-14 09:00 UTC (12:00 in İstanbul), a Friday.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A service over a fresh [`MemoryStore`] whose clock stands at `now`, with the
/// [`organisation`] of `tenant` installed and ids from `SeededRandom::new(seed)`: the
/// "given" of most service tests.
pub async fn service_at(
    tenant: &str,
    now: DateTime<Utc>,
    seed: u64,
) -> (Mbs<MemoryStore, ManualClock>, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(now),
        SeededRandom::new(seed),
    );
    let org = organisation(tenant);
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (mbs, t)
}

/// [`service_at`] at [`t0`].
pub async fn service(tenant: &str, seed: u64) -> (Mbs<MemoryStore, ManualClock>, TenantId) {
    service_at(tenant, t0(), seed).await
}

/// A small organisation for `tenant`: a district municipality with a Muhtarlık İşleri
/// Müdürlüğü (coordinator), Fen İşleri (with a sub-unit) and Park Bahçeler; three mahalle.
pub fn organisation(tenant: &str) -> Organisation {
    let toml = format!(
        r#"
[tenant]
id = "{tenant}"
name = "Örnek İlçe Belediyesi"
coordinator_unit = "muhtarliklar"
reporting_unit = "belediye"

[[unit]]
code = "belediye"
name = "Örnek İlçe Belediyesi"
kind = "district-municipality"
detsis = "13316537"
province = "İstanbul"
district = "Üsküdar"
email = "bilgi@ornek.bel.tr"
official = {{ title = "belediye-baskan-yardimcisi", name = "Ayşe Yılmaz", email = "ayse.yilmaz@ornek.bel.tr" }}

[[unit]]
code = "muhtarliklar"
name = "Muhtarlık İşleri Müdürlüğü"
kind = "directorate"
parent = "belediye"
email = "muhtarliklar@ornek.bel.tr"

[[unit]]
code = "fen-isleri"
name = "Fen İşleri Müdürlüğü"
kind = "directorate"
detsis = "44556677"
parent = "belediye"
email = "fen@ornek.bel.tr"
liaison = [{{ name = "Mehmet Kaya", email = "mehmet.kaya@ornek.bel.tr", phone = "0216 555 00 11" }}]

[[unit]]
code = "asfalt"
name = "Asfalt Şefliği"
kind = "directorate"
parent = "fen-isleri"

[[unit]]
code = "park-bahce"
name = "Park ve Bahçeler Müdürlüğü"
kind = "directorate"
parent = "belediye"
email = "park@ornek.bel.tr"

[[muhtarlik]]
code = "kuzguncuk"
name = "Kuzguncuk Mahallesi"
kind = "mahalle"
district = "Üsküdar"
province = "İstanbul"
muhtar = {{ name = "Ali Demir", email = "ali.demir@muhtar.example", phone = "0532 111 22 33" }}

[[muhtarlik]]
code = "cengelkoy"
name = "Çengelköy Mahallesi"
kind = "mahalle"
district = "Üsküdar"
province = "İstanbul"
muhtar = {{ name = "Şule Öztürk", email = "sule.ozturk@muhtar.example" }}

[[muhtarlik]]
code = "beylerbeyi"
name = "Beylerbeyi Mahallesi"
kind = "mahalle"
district = "Üsküdar"
province = "İstanbul"
muhtar = {{ name = "Güler İnce" }}

[[category]]
code = "asfalt-onarim"
name = "Asfalt onarımı"
group = "altyapi"
keywords = ["asfalt", "çukur", "yol"]

[[category]]
code = "budama"
name = "Budama ve ağaç kesimi"
group = "cevre"

[[category]]
code = "cop"
name = "Çöp ve görüntü kirliliği"
group = "temizlik"
"#
    );
    match Organisation::from_toml_str(&toml) {
        Ok(o) => o,
        Err(e) => panic!("fixture organisation is invalid: {e}"),
    }
}

/// The tenant id of a fixture organisation.
pub fn tenant(t: &str) -> TenantId {
    TenantId::new(t).unwrap_or_else(|e| panic!("{e}"))
}

/// A simple valid request from `muhtarlik`.
pub fn new_request(muhtarlik: &str) -> NewRequest {
    request_builder(muhtarlik).build()
}

/// The builder of [`new_request`], for tests that change a field or two.
pub fn request_builder(muhtarlik: &str) -> NewRequestBuilder {
    NewRequest::builder(
        MuhtarlikCode::new(muhtarlik).unwrap_or_else(|e| panic!("{e}")),
        Channel::MbsWeb,
        "asfalt-onarim",
        "Okul önündeki çukur",
    )
    .description("Kuzguncuk İlkokulu önündeki yolda derin bir çukur var.")
}

/// What a fixture request is made of.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Tenant.
    pub tenant: String,
    /// Seed for its id and tracking number.
    pub seed: u64,
    /// Muhtarlık.
    pub muhtarlik: String,
    /// Unit it is routed to.
    pub unit: String,
    /// Category.
    pub category: String,
    /// Channel.
    pub channel: Channel,
    /// Receipt instant.
    pub received_at: DateTime<Utc>,
    /// Resolution deadline.
    pub due: Option<DateTime<Utc>>,
    /// Kind.
    pub kind: RequestKind,
    /// Priority.
    pub priority: Priority,
    /// Where (none by default).
    pub location: Option<crate::request::Location>,
}

impl Spec {
    /// A request in `tenant` numbered `seed`, received `seed` hours after [`t0`].
    pub fn new(tenant: &str, seed: u64) -> Self {
        Spec {
            tenant: tenant.into(),
            seed,
            muhtarlik: "kuzguncuk".into(),
            unit: "fen-isleri".into(),
            category: "asfalt-onarim".into(),
            channel: Channel::MbsWeb,
            received_at: t0() + chrono::Duration::hours(seed as i64),
            due: Some(t0() + chrono::Duration::days(15)),
            kind: RequestKind::Request,
            priority: Priority::Normal,
            location: None,
        }
    }

    /// The commit that creates this request (received and routed), with one outbox message.
    pub fn commit(&self) -> Commit {
        let org = organisation(&self.tenant);
        let mut ids = IdGenerator::new(SeededRandom::new(
            self.seed.wrapping_mul(7919).wrapping_add(1),
        ));
        let id = ids.request_id(self.received_at);
        let tracking = ids.tracking_number();
        let mut req = new_request(&self.muhtarlik);
        req.category = self.category.clone();
        req.channel = self.channel;
        req.kind = self.kind;
        req.priority = Some(self.priority);
        req.location = self.location.clone();
        req.received_at = Some(self.received_at);
        let content = req
            .validate(&org, self.received_at)
            .unwrap_or_else(|e| panic!("fixture request invalid: {e}"));
        let system = Actor::system(org.tenant.id.clone());
        let events = vec![
            Event {
                version: 1,
                at: self.received_at,
                actor: system.clone(),
                kind: EventKind::Received {
                    id,
                    tenant: org.tenant.id.clone(),
                    tracking,
                    content,
                    policy: "genelge-2015-8".into(),
                    policy_rule: "default".into(),
                },
            },
            Event {
                version: 2,
                at: self.received_at,
                actor: system,
                kind: EventKind::Routed {
                    unit: UnitCode::new(self.unit.clone()).unwrap_or_else(|e| panic!("{e}")),
                    rule: "test".into(),
                    rule_set_version: "1".into(),
                },
            },
        ];
        let state = RequestState::fold(&events).unwrap_or_else(|e| panic!("{e}"));
        let deadlines = Deadlines {
            first_response_due: None,
            resolution_due: self.due,
            calendar_version: "test".into(),
            answer_working_days: None,
        };
        let payload = NoticePayload::Received(request_facts(&org, &state, &deadlines));
        let outbox = vec![OutboxMessage {
            id: ids.uuid_v7(self.received_at),
            tenant: org.tenant.id.clone(),
            request: Some(id),
            idempotency_key: format!("{id}:2:received"),
            kind: NoticeKind::Received,
            channel: DeliveryChannel::Email,
            recipient: "ali.demir@muhtar.example".into(),
            addressee: None,
            locale: Locale::Tr,
            payload,
            created_at: self.received_at,
            not_before: self.received_at,
        }];
        Commit {
            expected_version: 0,
            events,
            record: RequestRecord { state, deadlines },
            outbox,
            documents: Vec::new(),
            decision: None,
        }
    }
}

/// The commit that applies `kind` to `record` (whose events are `events`), at `at`.
pub fn next_commit(record: &RequestRecord, kind: EventKind, at: DateTime<Utc>) -> Commit {
    let e = Event {
        version: record.state.version + 1,
        at,
        actor: Actor::system(record.state.tenant.clone()),
        kind,
    };
    let mut state = record.state.clone();
    state
        .apply(&e)
        .unwrap_or_else(|err| panic!("fixture event does not apply: {err}"));
    Commit {
        expected_version: record.state.version,
        events: vec![e],
        record: RequestRecord {
            state,
            deadlines: record.deadlines.clone(),
        },
        outbox: vec![],
        documents: Vec::new(),
        decision: None,
    }
}

/// The histories of 60 requests of `tenant` spread over 2025Q1 to Q3 with every kind of
/// ending: positive and negative answers with reasons and working days, withdrawals,
/// merges, reopenings, open ones, on time and late, instants on quarter boundaries and
/// below the microsecond; first responses (Law 3071) by interim reply or by the answer,
/// on time and late, and none yet. Each history is the commits of one request in order (the
/// first creates it). The report conformance check and the stores' migration tests
/// (through [`squash`]) use it.
pub fn report_histories(tenant: &str) -> Vec<Vec<Commit>> {
    use crate::reason::ReasonCode;
    use crate::request::Outcome;
    use chrono::Duration;
    let q1 = crate::report::Quarter::new(2025, 1).unwrap_or_else(|e| panic!("{e}"));
    let q2 = q1.next();
    let units = ["fen-isleri", "asfalt", "park-bahce", "muhtarliklar"];
    let muhtars = ["kuzguncuk", "cengelkoy", "beylerbeyi"];
    let cats = ["asfalt-onarim", "budama", "cop"];
    let channels = [
        Channel::MbsWeb,
        Channel::Phone,
        Channel::Whatsapp,
        Channel::Open311,
    ];
    let kinds = [
        RequestKind::Request,
        RequestKind::Complaint,
        RequestKind::Suggestion,
    ];
    let reasons = ["no-budget", "not-our-authority", "planned-later"];
    let mut first_tracking = None;
    let mut out = Vec::new();
    for i in 0..60u64 {
        let mut spec = Spec::new(tenant, 1000 + i);
        spec.unit = units[(i % 4) as usize].into();
        spec.muhtarlik = muhtars[(i * 7 % 3) as usize].into();
        spec.category = cats[(i * 5 % 3) as usize].into();
        spec.channel = channels[(i * 3 % 4) as usize];
        spec.kind = kinds[(i * 11 % 3) as usize];
        spec.received_at = match i {
            0 => q1.start(),
            1 => q2.start(),
            2 => q2.start() - Duration::nanoseconds(1),
            3 => q2.start() + Duration::nanoseconds(999),
            _ => {
                q1.start() - Duration::days(20)
                    + Duration::days((i * 53 % 190) as i64)
                    + Duration::hours((i * 7 % 24) as i64)
            }
        };
        spec.due = match i % 7 {
            0 => None,
            1 => Some(q2.start() - Duration::microseconds(1)),
            k => Some(spec.received_at + Duration::days(3 + k as i64 * 4)),
        };
        let mut created = spec.commit();
        // The first-response clock: none, one the replies below miss, or one they meet.
        created.record.deadlines.first_response_due = match i % 5 {
            0 => None,
            1 => Some(spec.received_at + Duration::minutes(10)),
            _ => Some(spec.received_at + Duration::days(2)),
        };
        let mut history = vec![created];
        // Two in three get an interim reply (ara cevap) half an hour after receipt.
        if i % 3 != 0 {
            let interim = next_commit(
                &history[0].record,
                EventKind::InterimReply {
                    text: "İnceleniyor".into(),
                },
                spec.received_at + Duration::minutes(30),
            );
            history.push(interim);
        }
        let rec = history[history.len() - 1].record.clone();
        let tracking = *first_tracking.get_or_insert(rec.state.tracking);
        let at = spec.received_at + Duration::hours((i * 29 % 40 * 24) as i64 / 3 + 1);
        let at = if i % 13 == 5 { q2.start() } else { at };
        let step = |rec: &RequestRecord, kind: EventKind, at, days: Option<u32>| {
            let mut c = next_commit(rec, kind, at);
            c.record.deadlines.answer_working_days = days;
            c
        };
        let answer = |outcome, reason: Option<&str>| EventKind::Answered {
            outcome,
            reason: reason.map(ReasonCode::new),
            reason_text: None,
            text: "Cevap".into(),
        };
        let later: Vec<Commit> = match i % 9 {
            0 | 4 => vec![step(
                &rec,
                answer(Outcome::Positive, None),
                at,
                Some((i % 6) as u32),
            )],
            1 | 6 => vec![step(
                &rec,
                answer(Outcome::Negative, Some(reasons[(i % 3) as usize])),
                at,
                Some((i % 4) as u32),
            )],
            2 => vec![step(
                &rec,
                EventKind::Withdrawn {
                    reason: "Gerek kalmadı".into(),
                },
                at,
                None,
            )],
            3 => vec![step(&rec, EventKind::Merged { into: tracking }, at, None)],
            5 => {
                // Answered, then reopened: open again.
                let a = step(&rec, answer(Outcome::Positive, None), at, Some(2));
                let b = step(
                    &a.record,
                    EventKind::Reopened {
                        reason: "Yapılmadı".into(),
                    },
                    at + Duration::days(1),
                    None,
                );
                vec![a, b]
            }
            // Answered without working days (as before the report columns).
            7 => vec![step(&rec, answer(Outcome::Positive, None), at, None)],
            _ => vec![],
        };
        history.extend(later);
        out.push(history);
    }
    out
}

/// One commit that creates a request with its whole history at once: every event, the
/// final record and every outbox message (as an import, or a test that writes rows the
/// way an older schema held them, needs it).
pub fn squash(history: &[Commit]) -> Commit {
    let last = history
        .last()
        .unwrap_or_else(|| panic!("squash: an empty history"));
    Commit {
        expected_version: 0,
        events: history.iter().flat_map(|c| c.events.clone()).collect(),
        record: last.record.clone(),
        outbox: history.iter().flat_map(|c| c.outbox.clone()).collect(),
        documents: history.iter().flat_map(|c| c.documents.clone()).collect(),
        decision: history.iter().find_map(|c| c.decision.clone()),
    }
}

/// The JSON a build from before schema versions and policy rules (schema 1) stored for an
/// event payload or a request state: no `schema` field, and no `policy_rule` where it is
/// the default (what schema 1 without it means). For tests that write rows the way an old
/// build did and read them back through a store.
pub fn as_schema_v1<T: crate::request::schema::Versioned>(v: &T) -> serde_json::Value {
    let mut json = serde_json::to_value(v).unwrap_or_else(|e| panic!("{e}"));
    if let Some(map) = json.as_object_mut() {
        if map.get("policy_rule").and_then(serde_json::Value::as_str)
            == Some(crate::regime::DEFAULT_POLICY_RULE)
        {
            map.remove("policy_rule");
        }
    }
    json
}

/// A valid official document of the request `state` (of a fixture [`organisation`]):
/// numbered `sequence` in the registry of unit `registry` (which must have a DETSİS
/// number: `belediye` or `fen-isleri`), dated `at` (its year is `at`'s Istanbul year),
/// its content hashed, its id and verification code drawn from `SeededRandom::new(seed)`,
/// the request's paper number as its external number; unsigned. Put it in a commit whose
/// event records it (`DocumentRegistered` or `LetterIssued` with
/// [`crate::document::Document::reference`]).
pub fn document(
    state: &RequestState,
    direction: crate::document::Direction,
    registry: &str,
    sequence: u32,
    at: DateTime<Utc>,
    seed: u64,
) -> crate::document::Document {
    use crate::document::{
        sha256_hex, Content, Direction, Document, DocumentId, IncomingContent, Letter,
        RegistryNumber, SdpCode, VerificationCode,
    };
    use chrono::Datelike;
    let org = organisation(state.tenant.as_str());
    let registry = UnitCode::new(registry).unwrap_or_else(|e| panic!("{e}"));
    let unit = org
        .unit(&registry)
        .unwrap_or_else(|| panic!("no unit {registry} in the fixture organisation"));
    let number = RegistryNumber {
        detsis: unit
            .detsis
            .clone()
            .unwrap_or_else(|| panic!("unit {registry} has no DETSİS number")),
        sdp: SdpCode::new(crate::document::DEFAULT_SDP).unwrap_or_else(|e| panic!("{e}")),
        sequence,
    };
    let mut ids = IdGenerator::new(SeededRandom::new(seed));
    let id = DocumentId(ids.uuid_v7(at));
    let code = VerificationCode::from_random(|| ids.next_u64());
    let c = &state.content;
    let content = match direction {
        Direction::Outgoing => Content::Letter(Letter {
            heading: vec!["T.C.".into(), org.tenant.name.clone(), unit.name.clone()],
            number: number.clone(),
            date: crate::calendar::local_date(at),
            subject: format!("{} talebi", c.category),
            addressee: "KUZGUNCUK MAHALLESİ MUHTARLIĞINA".into(),
            related: Vec::new(),
            body: "Talebiniz yerine getirilmiştir. ğüşıöç İ".into(),
            signatory_name: "Ayşe Yılmaz".into(),
            signatory_title: "Belediye Başkan Yardımcısı".into(),
            distribution_action: vec!["Kuzguncuk Mahallesi Muhtarlığı".into()],
            distribution_information: Vec::new(),
            code: code.clone(),
        }),
        _ => Content::Incoming(IncomingContent {
            tracking: state.tracking,
            muhtarlik: c.muhtarlik.to_string(),
            channel: c.channel.display_name().to_owned(),
            category: c.category.clone(),
            received_at: c.received_at,
            subject: c.subject.clone(),
            description: c.description.clone(),
            external_number: c.registration_number.clone(),
            attachments: Vec::new(),
        }),
    }
    .to_json();
    Document {
        id,
        tenant: state.tenant.clone(),
        direction,
        registry: registry.clone(),
        year: crate::calendar::local_date(at).year(),
        number,
        date: at,
        issuer: format!("{}, {}", org.tenant.name, unit.name),
        subject: format!("{} talebi", c.category),
        request: state.id,
        tracking: state.tracking,
        external_number: c.registration_number.clone(),
        related: None,
        code,
        sha256: sha256_hex(content.as_bytes()),
        content,
        signature: None,
    }
}

/// The commit that registers `doc` on `record` (a `DocumentRegistered` event for an
/// incoming document, `LetterIssued` for a letter) at the document's date.
pub fn document_commit(record: &RequestRecord, doc: crate::document::Document) -> Commit {
    let kind = match doc.direction {
        crate::document::Direction::Outgoing => EventKind::LetterIssued {
            document: doc.reference(),
        },
        _ => EventKind::DocumentRegistered {
            document: doc.reference(),
        },
    };
    let mut c = next_commit(record, kind, doc.date);
    c.documents.push(doc);
    c
}
