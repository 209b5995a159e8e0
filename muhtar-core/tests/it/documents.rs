//! Official documents through the service (given/when/then over the in-memory store):
//! registry numbers, letters, automatic registration, signing and verification.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use muhtar_core::document::{
    verify, Content, Direction, Document, DocumentError, DocumentKey, RegistryNumber,
    SignatureCheck, VerificationCode,
};
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::store::{DocumentStore, RequestStore};
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

async fn given(settings: &str, keys: Vec<DocumentKey>) -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(23),
    )
    .document_keys(keys);
    let org = fixtures::organisation("evrak");
    let t = org.tenant.id.clone();
    let system = Actor::system(t.clone());
    mbs.install_organisation(&system, org).await.unwrap();
    if !settings.is_empty() {
        mbs.install_settings(&actor(&t, "admin"), settings)
            .await
            .unwrap();
    }
    (mbs, t)
}

async fn submitted(mbs: &Svc, t: &TenantId) -> TrackingNumber {
    mbs.submit(
        &actor(t, "muhtar:kuzguncuk"),
        fixtures::new_request("kuzguncuk"),
    )
    .await
    .unwrap()
    .state
    .tracking
}

async fn answered(mbs: &Svc, t: &TenantId, text: &str) -> TrackingNumber {
    let tr = submitted(mbs, t).await;
    let coord = actor(t, "coordinator");
    mbs.execute(
        &coord,
        &tr,
        None,
        Command::Transfer {
            to: UnitCode::new("fen-isleri").unwrap(),
            reason: "Yol işi.".into(),
        },
    )
    .await
    .unwrap();
    mbs.execute(
        &actor(t, "unit:fen-isleri"),
        &tr,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: text.into(),
        },
    )
    .await
    .unwrap();
    tr
}

fn key(id: &str, byte: u8) -> DocumentKey {
    DocumentKey::from_secret(id, [byte; 32]).unwrap()
}

fn keys_settings(keys: &[&DocumentKey]) -> String {
    let mut s = String::from("[documents]\n");
    for k in keys {
        s.push_str(&format!(
            "[[documents.keys]]\nid = \"{}\"\npublic_key = \"{}\"\n",
            k.id(),
            k.public_key_hex()
        ));
    }
    s
}

#[tokio::test]
async fn registration_numbers_in_the_units_registry_from_one_each_year() {
    let (mbs, t) = given("", vec![]).await;
    let coord = actor(&t, "coordinator");
    let first = submitted(&mbs, &t).await;
    let d = mbs.register_document(&coord, &first).await.unwrap();
    // Routed to Muhtarlık İşleri, which has no DETSİS number: the belediye's registry.
    assert_eq!(d.number.to_string(), "E-13316537-010-1");
    assert_eq!(d.direction, Direction::Incoming);
    assert_eq!(d.subject, "Asfalt onarımı talebi");
    assert_eq!(d.issuer, "Örnek İlçe Belediyesi");
    let rec = mbs.get(&coord, &first).await.unwrap();
    assert_eq!(rec.state.registration().unwrap().number, d.number);
    let history = mbs.history(&coord, &first).await.unwrap();
    assert_eq!(history.last().unwrap().kind.name(), "document-registered");

    let again = mbs.register_document(&coord, &first).await.unwrap_err();
    assert!(
        matches!(&again, ServiceError::Document(DocumentError::AlreadyRegistered { number }) if *number == d.number),
        "{again}"
    );
    let second = submitted(&mbs, &t).await;
    let d2 = mbs.register_document(&coord, &second).await.unwrap();
    assert_eq!(d2.number.sequence, 2);

    // A new Istanbul year starts the sequence again: 2025-12-31 21:00 UTC is 2026-01-01.
    mbs.clock()
        .set(Utc.with_ymd_and_hms(2025, 12, 31, 21, 0, 0).unwrap());
    let third = submitted(&mbs, &t).await;
    let d3 = mbs.register_document(&coord, &third).await.unwrap();
    assert_eq!((d3.year, d3.number.sequence), (2026, 1));
    // Both first numbers are found, newest first.
    let both = mbs
        .find_documents(
            &coord,
            &muhtar_core::service::DocumentSearch::parse("E-13316537-010-1"),
        )
        .await
        .unwrap();
    assert_eq!(
        both.iter().map(|d| d.year).collect::<Vec<_>>(),
        [2026, 2025]
    );
}

#[tokio::test]
async fn a_unit_with_its_own_detsis_numbers_in_its_registry_and_sdp_codes_come_from_settings() {
    let (mbs, t) = given(
        "[documents]\nsdp = { asfalt-onarim = \"349.01\" }\n",
        vec![],
    )
    .await;
    let tr = answered(&mbs, &t, "Çukur onarıldı.").await;
    let d = mbs
        .register_document(&actor(&t, "unit:fen-isleri"), &tr)
        .await
        .unwrap();
    assert_eq!(d.number.to_string(), "E-44556677-349.01-1");
}

#[tokio::test]
async fn only_staff_of_the_unit_and_the_coordinator_register() {
    let (mbs, t) = given("", vec![]).await;
    let tr = submitted(&mbs, &t).await;
    for who in ["muhtar:kuzguncuk", "auditor", "unit:park-bahce"] {
        let e = mbs
            .register_document(&actor(&t, who), &tr)
            .await
            .unwrap_err();
        assert!(
            matches!(e, ServiceError::Forbidden(_) | ServiceError::NotFound(_)),
            "{who}: {e}"
        );
    }
    assert_eq!(
        mbs.store()
            .last_sequence(&t, &UnitCode::new("belediye").unwrap(), 2025)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn without_a_registry_up_the_tree_registration_names_the_unit() {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(5),
    );
    let mut org = fixtures::organisation("kayitsiz");
    for u in &mut org.units {
        u.detsis = None;
    }
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let tr = submitted(&mbs, &t).await;
    let e = mbs
        .register_document(&actor(&t, "coordinator"), &tr)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Document(DocumentError::NoRegistry { unit }) if unit == "muhtarliklar"),
        "{e}"
    );
}

#[tokio::test]
async fn a_letter_answers_once_per_answer_in_the_official_layout() {
    let (mbs, t) = given("", vec![]).await;
    let staff = actor(&t, "unit:fen-isleri");
    let open = submitted(&mbs, &t).await;
    let e = mbs
        .issue_letter(&actor(&t, "coordinator"), &open)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Document(DocumentError::NotAnswered)),
        "{e}"
    );

    let tr = answered(&mbs, &t, "Çukur 12 Mart'ta asfaltla kapatıldı.").await;
    let reg = mbs.register_document(&staff, &tr).await.unwrap();
    let letter = mbs.issue_letter(&staff, &tr).await.unwrap();
    assert_eq!(letter.direction, Direction::Outgoing);
    assert_eq!(letter.related.as_ref(), Some(&reg.number));
    assert_eq!(
        letter.number.sequence,
        reg.number.sequence + 1,
        "one registry"
    );
    let Content::Letter(l) = letter.parsed_content().unwrap() else {
        panic!("a letter's content is a letter")
    };
    assert_eq!(
        l.heading,
        ["T.C.", "ÖRNEK İLÇE BELEDİYESİ", "Fen İşleri Müdürlüğü"]
    );
    assert_eq!(l.addressee, "KUZGUNCUK MAHALLESİ MUHTARLIĞINA");
    assert_eq!(l.number, letter.number);
    assert_eq!(l.code, letter.code);
    assert!(
        l.related[0].contains(&reg.number.to_string()),
        "{:?}",
        l.related
    );
    assert!(l.body.contains("Çukur 12 Mart'ta asfaltla kapatıldı."));
    assert_eq!(
        (l.signatory_name.as_str(), l.signatory_title.as_str()),
        ("Ayşe Yılmaz", "Belediye Başkan Yardımcısı")
    );
    assert_eq!(l.distribution_action, ["Kuzguncuk Mahallesi Muhtarlığı"]);
    let html = muhtar_core::document::render_letter_html(&l, Some("https://mbs.ornek.bel.tr/"));
    for part in ["T.C.", "Sayı", "Konu", "İlgi", "Dağıtım", "Ayşe Yılmaz"] {
        assert!(html.contains(part), "{part}");
    }
    assert!(html.contains(&format!(
        "https://mbs.ornek.bel.tr/dogrula/{}",
        letter.code.as_str()
    )));

    let twice = mbs.issue_letter(&staff, &tr).await.unwrap_err();
    assert!(
        matches!(&twice, ServiceError::Document(DocumentError::LetterIssued { number }) if *number == letter.number),
        "{twice}"
    );
    // Reopened and answered again: the new answer may be issued as a letter too.
    mbs.clock().advance(Duration::hours(1));
    mbs.execute(
        &actor(&t, "muhtar:kuzguncuk"),
        &tr,
        None,
        Command::Reopen {
            reason: "Çukur yeniden açıldı.".into(),
        },
    )
    .await
    .unwrap();
    mbs.execute(
        &staff,
        &tr,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Yeniden onarıldı.".into(),
        },
    )
    .await
    .unwrap();
    let second = mbs.issue_letter(&staff, &tr).await.unwrap();
    assert_ne!(second.number, letter.number);
    let all = mbs.documents_of(&staff, &tr).await.unwrap();
    assert_eq!(all.len(), 3);
}

#[test]
fn a_letters_text_is_escaped() {
    let l = muhtar_core::document::Letter {
        heading: vec!["T.C.".into()],
        number: RegistryNumber::parse("E-13316537-010-1").unwrap(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        subject: "<b>Konu</b>".into(),
        addressee: "X".into(),
        related: vec![],
        body: "<script>alert(1)</script>".into(),
        signatory_name: "A".into(),
        signatory_title: "B".into(),
        distribution_action: vec!["C".into()],
        distribution_information: vec![],
        code: VerificationCode::parse("7KQ2M9XA4T0B").unwrap(),
    };
    let html = muhtar_core::document::render_letter_html(&l, None);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("/dogrula/7KQ2M9XA4T0B"));
}

#[tokio::test]
async fn channels_listed_in_the_settings_are_registered_in_the_submission() {
    let (mbs, t) = given("[documents]\nauto_register = [\"petition\"]\n", vec![]).await;
    let coord = actor(&t, "coordinator");
    let paper = mbs
        .submit(
            &coord,
            fixtures::request_builder("kuzguncuk")
                .channel(Channel::Petition)
                .registration_number("2025/118".to_owned())
                .build(),
        )
        .await
        .unwrap();
    assert_eq!(paper.state.version, 3);
    let reg = paper.state.registration().expect("registered on receipt");
    let events = mbs.store().events(&t, paper.state.id).await.unwrap();
    assert_eq!(events[2].kind.name(), "document-registered");
    assert_eq!(
        events[2].actor.to_string(),
        Actor::system(t.clone()).to_string()
    );
    // The paper number is kept beside ours, and finds it.
    let found = mbs
        .find_documents(
            &coord,
            &muhtar_core::service::DocumentSearch::parse(" 2025/118 "),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, reg.number);
    assert_eq!(found[0].external_number.as_deref(), Some("2025/118"));
    // Other channels are not.
    let web = submitted(&mbs, &t).await;
    assert!(mbs
        .get(&coord, &web)
        .await
        .unwrap()
        .state
        .registration()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_are_numbered_without_gap_or_duplicate() {
    let (mbs, t) = given("", vec![]).await;
    let mut trackings = Vec::new();
    for _ in 0..24 {
        trackings.push(submitted(&mbs, &t).await);
    }
    let mbs = Arc::new(mbs);
    let mut tasks = Vec::new();
    for tr in trackings {
        let (mbs, t) = (mbs.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            mbs.register_document(&actor(&t, "coordinator"), &tr)
                .await
                .map(|d| d.number.sequence)
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=24).collect::<Vec<u32>>());
}

#[tokio::test]
async fn a_tenant_that_signs_signs_with_the_listed_key_and_verification_checks_it() {
    let k1 = key("2025-1", 7);
    let (mbs, t) = given(&keys_settings(&[&k1]), vec![k1.clone()]).await;
    let tr = submitted(&mbs, &t).await;
    let d = mbs
        .register_document(&actor(&t, "coordinator"), &tr)
        .await
        .unwrap();
    assert_eq!(d.signature.as_ref().unwrap().key_id, "2025-1");
    let public = mbs.verify_document(&d.code).await.unwrap();
    assert!(public.verification.is_valid());
    assert_eq!(
        public.verification.signature,
        SignatureCheck::Valid {
            key_id: "2025-1".into()
        }
    );
    assert!(mbs
        .verify_copy(&d.code, d.content.as_bytes())
        .await
        .unwrap());
    let mut changed = d.content.clone().into_bytes();
    changed[0] ^= 1;
    assert!(!mbs.verify_copy(&d.code, &changed).await.unwrap());
    let unknown = VerificationCode::parse("0000-0000-0000").unwrap();
    assert!(matches!(
        mbs.verify_document(&unknown).await,
        Err(ServiceError::NotFound(_))
    ));

    // Rotation: the old key retired, a new one listed; the server given both signs with
    // the new one, and the old document still verifies.
    let k2 = key("2026-1", 9);
    let rotated = format!(
        "[documents]\n[[documents.keys]]\nid = \"2025-1\"\npublic_key = \"{}\"\nretired_at = \"2025-03-14T10:00:00Z\"\n[[documents.keys]]\nid = \"2026-1\"\npublic_key = \"{}\"\n",
        k1.public_key_hex(),
        k2.public_key_hex()
    );
    let mbs = mbs.document_keys(vec![k1, k2]);
    mbs.install_settings(&actor(&t, "admin"), &rotated)
        .await
        .unwrap();
    mbs.clock().advance(Duration::hours(2));
    let tr2 = submitted(&mbs, &t).await;
    let d2 = mbs
        .register_document(&actor(&t, "coordinator"), &tr2)
        .await
        .unwrap();
    assert_eq!(d2.signature.as_ref().unwrap().key_id, "2026-1");
    assert!(mbs
        .verify_document(&d.code)
        .await
        .unwrap()
        .verification
        .is_valid());
}

#[tokio::test]
async fn a_tenant_that_requires_signatures_issues_nothing_unsigned() {
    let (mbs, t) = given("[documents]\nrequire_signature = true\n", vec![]).await;
    let tr = submitted(&mbs, &t).await;
    let e = mbs
        .register_document(&actor(&t, "coordinator"), &tr)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Document(DocumentError::NoSigningKey)),
        "{e}"
    );
    let rec = mbs.get(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert!(rec.state.documents.is_empty());
    assert_eq!(
        RequestStore::events(mbs.store(), &t, rec.state.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn document_settings_are_checked_when_installed() {
    let (mbs, t) = given("", vec![]).await;
    let system = actor(&t, "admin");
    let e = mbs
        .install_settings(&system, "[documents]\nsdp = { yok-boyle = \"010\" }\n")
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("yok-boyle") && e.to_string().contains("asfalt-onarim"),
        "{e}"
    );
    let e = mbs
        .install_settings(&system, "[documents]\nsdp = { asfalt-onarim = \"10\" }\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Standart Dosya Planı"), "{e}");
    let e = mbs
        .install_settings(
            &system,
            "[documents]\n\n[[documents.keys]]\nid = \"k\"\npublic_key = \"abc\"\n",
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("64 hexadecimal"),
        "{e}"
    );
    let e = mbs
        .install_settings(&system, "[documents]\nauto_register = [\"fax\"]\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("petition"), "{e}");
}

/// A signed document as the service would make it, for the pure verification properties.
fn signed_document(key: &DocumentKey, content: &str) -> Document {
    let mut d: Document = serde_json::from_value(serde_json::json!({
        "id": "01958001-9c00-7000-8000-000000000001",
        "tenant": "evrak",
        "direction": "outgoing",
        "registry": "fen-isleri",
        "year": 2025,
        "number": "E-44556677-010-3",
        "date": "2025-03-14T09:00:00Z",
        "issuer": "Örnek İlçe Belediyesi, Fen İşleri Müdürlüğü",
        "subject": "Asfalt onarımı talebi",
        "request": "01958001-7a40-7c3e-9b1d-4f2a6c8e0d11",
        "tracking": fixtures::Spec::new("evrak", 1).commit().record.state.tracking,
        "code": "7KQ2M9XA4T0B",
        "content": content,
        "sha256": muhtar_core::document::sha256_hex(content.as_bytes()),
    }))
    .unwrap();
    d.signature = Some(key.sign(&d));
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_changed_byte_of_the_content_fails_verification(
        content in "[a-zçğıöşü ]{1,200}",
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let k = key("k1", 3);
        let d = signed_document(&k, &content);
        prop_assert!(verify(&d, &[k.public_entry()]).is_valid());
        let mut bytes = d.content.clone().into_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        let mut changed = d.clone();
        changed.content = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(changed.content != d.content);
        let v = verify(&changed, &[k.public_entry()]);
        prop_assert!(!v.content_intact && !v.is_valid());
        prop_assert!(!muhtar_core::document::matches_copy(&d, &bytes));
    }

    #[test]
    fn a_changed_signed_field_or_a_wrong_key_fails_verification(
        secret in any::<[u8; 32]>(),
        other in any::<[u8; 32]>(),
        field in 0usize..4,
    ) {
        prop_assume!(secret != other);
        let k = DocumentKey::from_secret("k1", secret).unwrap();
        let d = signed_document(&k, "içerik");
        // The same id, another key: the signature does not hold.
        let wrong = DocumentKey::from_secret("k1", other).unwrap();
        prop_assert_eq!(
            verify(&d, &[wrong.public_entry()]).signature,
            SignatureCheck::Invalid { key_id: "k1".into() }
        );
        // A key id the settings do not list.
        let unlisted = DocumentKey::from_secret("k2", secret).unwrap();
        prop_assert_eq!(
            verify(&d, &[unlisted.public_entry()]).signature,
            SignatureCheck::UnknownKey { key_id: "k1".into() }
        );
        // A signed field changed, the content and its hash kept.
        let mut changed = d.clone();
        match field {
            0 => changed.subject.push('.'),
            1 => changed.issuer.push('.'),
            2 => changed.number.sequence += 1,
            _ => changed.date += Duration::seconds(1),
        }
        let v = verify(&changed, &[k.public_entry()]);
        prop_assert!(v.content_intact);
        prop_assert_eq!(v.signature, SignatureCheck::Invalid { key_id: "k1".into() });
        // Retired before the document's date.
        let mut retired = k.public_entry();
        retired.retired_at = Some(d.date - Duration::seconds(1));
        prop_assert_eq!(
            verify(&d, &[retired]).signature,
            SignatureCheck::Retired { key_id: "k1".into() }
        );
    }
}

#[test]
fn a_key_file_reads_back_and_never_shows_its_secret() {
    let k = key("2026-1", 42);
    let text = k.to_file_text();
    let back = DocumentKey::from_file_text(&text).unwrap();
    assert_eq!(back.public_key_hex(), k.public_key_hex());
    let secret = text.lines().find(|l| l.starts_with("secret")).unwrap();
    let hex = secret.split('"').nth(1).unwrap();
    assert!(!format!("{k:?}").contains(hex));
    assert!(matches!(
        DocumentKey::from_file_text("id = \"a\"\nsecret = \"zz\"\n"),
        Err(muhtar_core::document::KeyError::Hex { .. })
    ));
    assert!(matches!(
        DocumentKey::from_file_text("id = \"a b\"\nsecret = \"00\"\n"),
        Err(muhtar_core::document::KeyError::Id(_))
    ));
}
