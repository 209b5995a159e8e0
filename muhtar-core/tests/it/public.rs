//! Public reads (issue 18): `Role::Public` reads `PublicView`s and nothing else, and a
//! `PublicView` carries no personal data whatever the citizen's contact says; through
//! the service façade over the in-memory store.

use muhtar_core::prelude::*;
use muhtar_core::public::{PublicStatus, PublicView};
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{CitizenContact, Location};
use muhtar_core::store::RequestRecord;
use muhtar_core::testkit::{block_on, fixtures, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    fixtures::service("pub", 7).await
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

/// Given a request submitted with `contact`, answered negative with a free-text
/// explanation and messaged about: the record, its public view (by tracking number, by
/// id and listed) and its public status.
async fn submitted_with(
    contact: CitizenContact,
) -> (RequestRecord, Vec<PublicView>, PublicStatus, RequestRecord) {
    let (mbs, t) = setup().await;
    let mut r = fixtures::new_request("kuzguncuk");
    r.citizen = Some(contact);
    r.address = Some("Kuzguncuk Cd. No 1".into());
    r.location = Some(Location {
        lat: 41.03,
        lon: 29.03,
    });
    let rec = mbs.submit(&actor(&t, "muhtar:kuzguncuk"), r).await.unwrap();
    let tr = rec.state.tracking;
    let coord = actor(&t, "coordinator");
    mbs.execute(
        &coord,
        &tr,
        None,
        Command::Message {
            text: "Vatandaşı aradık".into(),
        },
    )
    .await
    .unwrap();
    let answered = mbs
        .execute(
            &coord,
            &tr,
            None,
            Command::Answer {
                outcome: Outcome::Negative,
                reason: Some(ReasonCode::new("other")),
                reason_text: Some("Özel gerekçe metni".into()),
                text: "Cevap metni".into(),
            },
        )
        .await
        .unwrap();
    let public = Actor::public(t.clone());
    let views = vec![
        mbs.public_view(&public, &tr).await.unwrap(),
        mbs.public_view_by_id(&public, rec.state.id).await.unwrap(),
        mbs.public_list(&public, RequestQuery::default())
            .await
            .unwrap()
            .items
            .remove(0),
    ];
    let status = mbs.public_status(&t, &tr.to_string()).await.unwrap();
    (rec, views, status, answered)
}

/// A Turkish-looking word: a capital and 5 to 12 small letters.
fn word() -> impl Strategy<Value = String> {
    "[A-ZÇĞİÖŞÜ][a-zçğıöşü]{5,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the citizen's contact, no string of it is in any public view or status
    /// (while the record, which staff read, holds all of them).
    #[test]
    fn no_public_view_holds_the_citizens_contact(
        first in word(), last in word(),
        digits in "5[0-9]{9}",
        user in "[a-z]{6,12}", host in "[a-z]{6,12}",
    ) {
        let name = format!("{first} {last}");
        let phone = format!("0{digits}");
        let email = format!("{user}@{host}.com.tr");
        let contact = CitizenContact {
            name: name.clone(),
            phone: Some(phone.clone()),
            email: Some(email.clone()),
        };
        let (rec, views, status, answered) = block_on(submitted_with(contact));
        let stored = rec.state.content.citizen.clone().unwrap();
        let secrets = [
            name.as_str(), first.as_str(), last.as_str(), phone.as_str(), digits.as_str(),
            stored.phone.as_deref().unwrap(), email.as_str(), user.as_str(), host.as_str(),
        ];
        let full = serde_json::to_string(&rec).unwrap();
        for s in secrets {
            prop_assert!(full.contains(s), "the record should hold {s:?}: the check could not fail");
        }
        let mut public: Vec<String> = views.iter().map(|v| serde_json::to_string(v).unwrap()).collect();
        public.push(serde_json::to_string(&status).unwrap());
        for text in &public {
            for s in secrets {
                prop_assert!(!text.contains(s), "{s:?} in a public view: {text}");
            }
            // Nor the free texts between the muhtar and the body.
            for s in ["Özel gerekçe metni", "Cevap metni", "Vatandaşı aradık", "Okul önündeki çukur"] {
                prop_assert!(!text.contains(s), "{s:?} in a public view: {text}");
            }
        }
        // The three ways to a public view give the same view, of the answered request.
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[0], &views[2]);
        prop_assert_eq!(&views[0], &PublicView::of(&answered, &fixtures::organisation("pub")));
        prop_assert_eq!(status, PublicStatus::from(views[0].clone()));
    }
}

#[tokio::test]
async fn a_public_view_says_what_open311_publishes() {
    let contact = CitizenContact {
        name: "Fatma Çelik".into(),
        phone: None,
        email: None,
    };
    let (rec, views, status, _) = submitted_with(contact).await;
    let v = &views[0];
    assert_eq!(v.tracking, rec.state.tracking);
    assert_eq!(v.status, Status::Answered);
    assert_eq!(v.status_name, Status::Answered.display_name());
    assert_eq!(v.outcome, Some(Outcome::Negative));
    assert_eq!(v.reason, Some(ReasonCode::new("other")));
    assert_eq!(v.category, "asfalt-onarim");
    assert_eq!(v.category_name.as_deref(), Some("Asfalt onarımı"));
    assert_eq!(v.description, rec.state.content.description);
    // No routing rules installed: the coordinator's unit, by name.
    assert_eq!(rec.state.unit.as_ref().unwrap().as_str(), "muhtarliklar");
    assert_eq!(v.unit_name.as_deref(), Some("Muhtarlık İşleri Müdürlüğü"));
    assert_eq!(v.address.as_deref(), Some("Kuzguncuk Cd. No 1"));
    assert_eq!(v.location.as_ref().map(|l| l.lat), Some(41.03));
    assert_eq!(v.received_at, rec.state.content.received_at);
    assert_eq!(v.resolution_due, rec.deadlines.resolution_due);
    assert!(!v.is_open());
    assert_eq!(status.unit_name, v.unit_name);
    assert_eq!(status.reason_name, v.reason_name);
}

/// The public may read public views and nothing else through the service: no full
/// record, no listing of records, no history, no command, no submission.
#[tokio::test]
async fn the_public_reads_public_views_only() {
    // Given a request of kuzguncuk.
    let (mbs, t) = setup().await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let tr = rec.state.tracking;
    let public = Actor::public(t.clone());
    // When the public reads: its public view, by number and listed.
    assert_eq!(
        mbs.public_view(&public, &tr).await.unwrap().tracking,
        tr,
        "the public view"
    );
    assert_eq!(
        mbs.public_list(&public, RequestQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // Then everything else is refused.
    assert!(matches!(
        mbs.get(&public, &tr).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        mbs.get_by_id(&public, rec.state.id).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(mbs.history(&public, &tr).await.is_err());
    assert!(mbs.deadline(&public, &tr).await.is_err());
    assert!(matches!(
        mbs.list(&public, RequestQuery::default()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        mbs.list_overdue(&public, RequestQuery::default()).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        mbs.export_page(&public, None).await,
        Err(ServiceError::Forbidden(_))
    ));
    for cmd in [
        Command::Close,
        Command::Message { text: "x".into() },
        Command::Withdraw { reason: "x".into() },
    ] {
        assert!(mbs.execute(&public, &tr, None, cmd).await.is_err());
    }
    assert!(matches!(
        mbs.submit(&public, fixtures::new_request("kuzguncuk"))
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(mbs.get(&actor(&t, "coordinator"), &tr).await.unwrap(), rec);
    // Nothing changed.
    assert_eq!(
        mbs.get(&actor(&t, "coordinator"), &tr)
            .await
            .unwrap()
            .state
            .version,
        rec.state.version
    );
}

/// Another role reads the public views of what it may read: a muhtar's listing and
/// lookups stay within their muhtarlık; another tenant's public sees nothing.
#[tokio::test]
async fn other_roles_read_the_public_views_of_what_they_may_read() {
    let (mbs, t) = setup().await;
    let kuz = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let cen = mbs
        .submit(
            &actor(&t, "muhtar:cengelkoy"),
            fixtures::new_request("cengelkoy"),
        )
        .await
        .unwrap();
    let m = actor(&t, "muhtar:kuzguncuk");
    let listed = mbs
        .public_list(&m, RequestQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(
        listed.iter().map(|v| v.tracking).collect::<Vec<_>>(),
        vec![kuz.state.tracking]
    );
    assert!(mbs.public_view(&m, &kuz.state.tracking).await.is_ok());
    assert!(matches!(
        mbs.public_view(&m, &cen.state.tracking).await,
        Err(ServiceError::NotFound(_))
    ));
    let auditor = actor(&t, "auditor");
    assert_eq!(
        mbs.public_list(&auditor, RequestQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    // Another tenant's public: not found, like a number that does not exist.
    let other = Actor::public(fixtures::tenant("baska"));
    assert!(mbs.public_view(&other, &kuz.state.tracking).await.is_err());
    assert!(matches!(
        mbs.public_status(&fixtures::tenant("baska"), &kuz.state.tracking.to_string())
            .await,
        Err(ServiceError::NotFound(_))
    ));
}
