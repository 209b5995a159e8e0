//! The conformance checks of [`crate::store::MemberLoginStore`] and of the identity key
//! of [`crate::store::CouncilStore::put_member`]: a login code round-trips through its
//! tries (wrong ones counted, the right one used up, a new code replacing the old, the
//! notice written with it); of parallel tries of the right code exactly one is accepted;
//! members are found by contact (e-mail without case, phone) within their tenant and only
//! while on the roll; two members on a tenant's roll never share an identity hash.

use chrono::Duration;
use uuid::Uuid;

use super::super::fixtures::{t0, tenant};
use super::council::council_member;
use super::documents::join_all;
use crate::council::{CodeCheck, Contact, IssuedCode, LoginCode};
use crate::ids::{RandomSource, SeededRandom};
use crate::outbox::{
    DeliveryChannel, Locale, LoginCodeFacts, NoticeKind, NoticePayload, OutboxMessage,
};
use crate::store::{Store, StoreError, IDENTITY_TAKEN};

fn code(t: &str, contact: &Contact, seed: u64) -> IssuedCode {
    let mut r = SeededRandom::new(seed);
    LoginCode::issue(tenant(t), contact, t0(), 10, || r.next_u64())
}

fn notice(c: &IssuedCode) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::from_u128(u128::from_str_radix(&c.record.salt, 16).unwrap_or(7)),
        tenant: c.record.tenant.clone(),
        request: None,
        idempotency_key: format!("council-login:{}:{}", c.record.contact, c.record.salt),
        kind: NoticeKind::CouncilLoginCode,
        channel: DeliveryChannel::Sms,
        recipient: "+905321234567".into(),
        addressee: None,
        locale: Locale::Tr,
        payload: NoticePayload::CouncilLoginCode(LoginCodeFacts {
            code: c.code.clone(),
            minutes: 10,
            muhtarlik_name: None,
            tenant_name: "Belediye".into(),
        }),
        created_at: t0(),
        not_before: t0(),
    }
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" {
        "000001"
    } else {
        "000000"
    }
}

/// A code's tries: a wrong one is counted (the tries left go down), the right one is
/// accepted once and then there is none; a new code replaces the older (whose digits no
/// longer work); a code past its time or its tries is expired; codes are per tenant and
/// contact; the notice is written with the code.
pub async fn council_login_codes_are_used_once<S: Store>(s: &S) {
    let (a, b) = ("giris-a", "giris-b");
    let (ta, tb) = (tenant(a), tenant(b));
    let phone = Contact::Phone("+905321234567".into());
    let key = phone.key();
    let c1 = code(a, &phone, 1);
    s.put_login_code(&c1.record, &[notice(&c1)]).await.unwrap();
    let out = s.outbox(&ta, None).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].message, notice(&c1));
    let wrong = other_than(&c1.code);
    assert_eq!(
        s.use_login_code(&ta, &key, wrong, t0(), 5).await.unwrap(),
        CodeCheck::Wrong { tries_left: 4 }
    );
    assert_eq!(
        s.use_login_code(&ta, &key, wrong, t0(), 5).await.unwrap(),
        CodeCheck::Wrong { tries_left: 3 }
    );
    // Another tenant, another contact: no code.
    assert_eq!(
        s.use_login_code(&tb, &key, &c1.code, t0(), 5)
            .await
            .unwrap(),
        CodeCheck::NoCode
    );
    assert_eq!(
        s.use_login_code(&ta, "phone:+905329999999", &c1.code, t0(), 5)
            .await
            .unwrap(),
        CodeCheck::NoCode
    );
    // A new code replaces the old one (and its failures).
    let c2 = code(a, &phone, 2);
    assert_ne!(c1.code, c2.code);
    s.put_login_code(&c2.record, &[notice(&c2)]).await.unwrap();
    assert!(matches!(
        s.use_login_code(&ta, &key, &c1.code, t0(), 5)
            .await
            .unwrap(),
        CodeCheck::Wrong { tries_left: 4 }
    ));
    assert_eq!(
        s.use_login_code(&ta, &key, &c2.code, t0() + Duration::minutes(9), 5)
            .await
            .unwrap(),
        CodeCheck::Accepted
    );
    assert_eq!(
        s.use_login_code(&ta, &key, &c2.code, t0(), 5)
            .await
            .unwrap(),
        CodeCheck::NoCode,
        "a used code is gone"
    );
    // Expiry: by time, and by wrong tries.
    let c3 = code(a, &phone, 3);
    s.put_login_code(&c3.record, &[]).await.unwrap();
    assert_eq!(
        s.use_login_code(&ta, &key, &c3.code, t0() + Duration::minutes(10), 5)
            .await
            .unwrap(),
        CodeCheck::Expired
    );
    let c4 = code(a, &phone, 4);
    s.put_login_code(&c4.record, &[]).await.unwrap();
    let w = other_than(&c4.code);
    for left in (0..2).rev() {
        assert_eq!(
            s.use_login_code(&ta, &key, w, t0(), 2).await.unwrap(),
            CodeCheck::Wrong { tries_left: left }
        );
    }
    assert_eq!(
        s.use_login_code(&ta, &key, &c4.code, t0(), 2)
            .await
            .unwrap(),
        CodeCheck::Expired
    );
}

/// Of parallel tries of the right code (and some wrong ones), exactly one is accepted.
pub async fn council_login_code_logs_in_once_under_concurrency<S: Store>(s: &S) {
    let t = "giris-yaris";
    let tid = tenant(t);
    for round in 0..5u64 {
        let contact = Contact::Email(format!("uye{round}@example.org"));
        let key = contact.key();
        let c = code(t, &contact, 100 + round);
        s.put_login_code(&c.record, &[]).await.unwrap();
        let tries: Vec<String> = (0..6)
            .map(|i| {
                if i % 3 == 2 {
                    other_than(&c.code).to_owned()
                } else {
                    c.code.clone()
                }
            })
            .collect();
        let results = join_all(
            tries
                .iter()
                .map(|given| {
                    let (tid, key) = (&tid, &key);
                    Box::pin(async move { s.use_login_code(tid, key, given, t0(), 5).await })
                })
                .collect(),
        )
        .await;
        let accepted = results
            .iter()
            .filter(|r| matches!(r, Ok(CodeCheck::Accepted)))
            .count();
        assert_eq!(accepted, 1, "round {round}: {results:?}");
        assert!(
            results.iter().all(|r| r.is_ok()),
            "round {round}: {results:?}"
        );
    }
}

/// Members are found by e-mail (without case) or phone, in their tenant, only while on
/// the roll, the earliest added first; two members on a tenant's roll never share an
/// identity hash (a removed one frees it, another tenant may have it).
pub async fn council_members_by_contact_and_identity<S: Store>(s: &S) {
    let (a, b) = ("giris-uye-a", "giris-uye-b");
    let (ta, tb) = (tenant(a), tenant(b));
    let mut m1 = council_member(a, "kuzguncuk", 21, t0() + Duration::hours(1));
    m1.email = Some("Ayse@Example.org".into());
    m1.phone = Some("+905321234567".into());
    let mut m2 = council_member(a, "icadiye", 22, t0());
    m2.email = None;
    m2.phone = Some("+905321234567".into());
    let mut gone = council_member(a, "kuzguncuk", 23, t0());
    gone.email = Some("ayse@example.org".into());
    gone.removed_at = Some(t0() + Duration::hours(2));
    let mut other = council_member(b, "kuzguncuk", 24, t0());
    other.email = Some("ayse@example.org".into());
    for m in [&m1, &m2, &gone, &other] {
        s.put_member(m).await.unwrap();
    }
    let ids = |v: Vec<crate::council::Member>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let email = Contact::Email("ayse@example.org".into());
    assert_eq!(
        ids(s.members_by_contact(&ta, &email).await.unwrap()),
        vec![m1.id]
    );
    assert_eq!(
        ids(s.members_by_contact(&tb, &email).await.unwrap()),
        vec![other.id]
    );
    let phone = Contact::Phone("+905321234567".into());
    assert_eq!(
        ids(s.members_by_contact(&ta, &phone).await.unwrap()),
        vec![m2.id, m1.id]
    );
    assert!(s
        .members_by_contact(&ta, &Contact::Email("nobody@example.org".into()))
        .await
        .unwrap()
        .is_empty());
    // Removing takes a member out of the lookups.
    let mut m1_gone = m1.clone();
    m1_gone.removed_at = Some(t0() + Duration::hours(3));
    s.put_member(&m1_gone).await.unwrap();
    assert!(s.members_by_contact(&ta, &email).await.unwrap().is_empty());

    // Identity hashes.
    let hash = "ab".repeat(32);
    let mut p1 = council_member(a, "kuzguncuk", 31, t0());
    p1.identity_hash = Some(hash.clone());
    s.put_member(&p1).await.unwrap();
    s.put_member(&p1).await.unwrap(); // writing the same member again is no duplicate
    let mut p2 = council_member(a, "icadiye", 32, t0());
    p2.identity_hash = Some(hash.clone());
    match s.put_member(&p2).await {
        Err(StoreError::Duplicate { what }) => assert_eq!(what, IDENTITY_TAKEN),
        r => panic!("{r:?}"),
    }
    assert!(matches!(
        s.member(&ta, p2.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let mut p3 = council_member(b, "kuzguncuk", 33, t0());
    p3.identity_hash = Some(hash.clone());
    s.put_member(&p3).await.unwrap();
    let mut p1_gone = p1.clone();
    p1_gone.removed_at = Some(t0() + Duration::hours(1));
    s.put_member(&p1_gone).await.unwrap();
    s.put_member(&p2).await.unwrap();
    assert_eq!(
        s.member(&ta, p2.id).await.unwrap().identity_hash,
        Some(hash)
    );
}
