//! A council's decision becoming a request, through the service (given/when/then over the
//! in-memory store): only a closed, adopted result; at most once; the request is the
//! muhtarlık's, channel `mahalle-meclisi`, with its deadline and the decision attached;
//! the answer comes back to the council and its members hear of it through the outbox.

use chrono::Duration;
use muhtar_core::council::{CouncilError, DecisionSpec, MemberId, NewMember, NewVote, VoteId};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::outbox::{DeliveryChannel, NoticeKind};
use muhtar_core::prelude::*;
use muhtar_core::request::{Channel, InputError, RequestKind, Status};
use muhtar_core::store::OutboxStore;
use muhtar_core::testkit::{fixtures, MemoryStore};
use sha2::{Digest, Sha256};

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn kuzguncuk() -> MuhtarlikCode {
    MuhtarlikCode::new("kuzguncuk").unwrap()
}

/// Given a council of three members (two by e-mail, one by phone) and a vote on "Parka
/// bank konsun" open for a day, with `choices` cast, then closed.
async fn given_closed_vote(choices: &[&str]) -> (Svc, TenantId, VoteId, Vec<MemberId>) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(24),
    );
    let org = fixtures::organisation("karar");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut members = Vec::new();
    for (i, (email, phone)) in [
        (Some("ayse@example.org"), None),
        (Some("mehmet@example.org"), None),
        (None, Some("+905551112233")),
    ]
    .into_iter()
    .enumerate()
    {
        let m = mbs
            .add_member(
                &muhtar,
                &kuzguncuk(),
                NewMember {
                    name: format!("Üye {i}"),
                    email: email.map(str::to_owned),
                    phone: phone.map(str::to_owned),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
        members.push(m.id);
    }
    let closes = fixtures::t0() + Duration::days(1);
    let v = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Parka bank konsun", closes),
        )
        .await
        .unwrap();
    for (m, c) in members.iter().zip(choices) {
        mbs.cast_ballot(&muhtar, v.id, *m, c).await.unwrap();
    }
    mbs.clock().set(closes + Duration::minutes(1));
    mbs.close_vote(&muhtar, v.id).await.unwrap();
    (mbs, t, v.id, members)
}

#[tokio::test]
async fn an_adopted_decision_becomes_a_request_of_the_muhtarlik_with_the_decision_attached() {
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul", "Kabul", "Ret"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    // When the muhtar sends it as a suggestion for the municipal council.
    let sent = mbs
        .send_decision(
            &muhtar,
            vote,
            DecisionSpec::new("asfalt-onarim")
                .kind(RequestKind::Suggestion)
                .municipal_council(true),
        )
        .await
        .unwrap();
    // Then the request is the muhtarlık's, by the council's channel, routed, with a
    // deadline, the subject and description from the vote, the decision attached.
    let st = &sent.record.state;
    assert_eq!(st.content.channel, Channel::MahalleMeclisi);
    assert_eq!(st.content.kind, RequestKind::Suggestion);
    assert_eq!(st.content.muhtarlik, kuzguncuk());
    assert!(st.content.municipal_council);
    assert_eq!(st.status, Status::Routed);
    assert!(sent.record.deadlines.resolution_due.is_some());
    assert_eq!(st.content.subject, "Parka bank konsun");
    assert!(
        st.content.description.contains("Karar: Kabul (2 oy"),
        "{}",
        st.content.description
    );
    assert_eq!(
        st.content.attachments,
        vec![sent.document.attachment.clone()]
    );
    let a = &sent.document.attachment;
    assert_eq!(a.media_type, "application/pdf");
    assert_eq!(a.size as usize, sent.document.bytes.len());
    assert_eq!(a.sha256, hex::encode(Sha256::digest(&sent.document.bytes)));
    assert!(sent.document.bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&sent.document.bytes);
    // Turkish letters are in the PDF's own font encoding: ASCII parts compared.
    for part in [
        "(    Kabul: 2) Tj",
        "(    Ret: 1) Tj",
        ": 3 / 3 ",
        "Parka bank konsun",
        "\\(%100\\)",
    ] {
        assert!(text.contains(part), "{part}");
    }
    let tally = mbs.vote_result(&muhtar, vote).await.unwrap();
    assert!(text.contains(&tally.hash));
    // The link is kept and the document made again is the same.
    assert_eq!(sent.link.tracking, st.tracking);
    assert_eq!(
        mbs.decision_document(&muhtar, vote).await.unwrap(),
        Some(sent.document.clone())
    );
    // And the council sees the request's public status, not yet answered.
    let status = mbs
        .decision_status(&actor(&t, "auditor"), vote)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.tracking, st.tracking);
    assert_eq!(status.request.status, Status::Routed);
    assert_eq!(status.answer, None);
    assert!(status.municipal_council);
}

#[tokio::test]
async fn a_decision_is_sent_only_once() {
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul", "Kabul"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let first = mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap();
    // When it is sent again, it is refused naming the request it became.
    let again = mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap_err();
    match again {
        ServiceError::Council(CouncilError::DecisionSent { tracking }) => {
            assert_eq!(tracking, first.record.state.tracking.to_string())
        }
        other => panic!("{other:?}"),
    }
    // Concurrent sends of another tenant's vote: the store's key lets one through.
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul", "Kabul"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let spec = || DecisionSpec::new("asfalt-onarim");
    let (a, b) = tokio::join!(
        mbs.send_decision(&muhtar, vote, spec()),
        mbs.send_decision(&muhtar, vote, spec())
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
}

#[tokio::test]
async fn what_is_not_an_adopted_decision_is_refused() {
    // A tie adopts nothing.
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul", "Ret"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let e = mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::NotAdopted { .. })),
        "{e:?}"
    );
    // Too few votes: no quorum.
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let e = mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::NotAdopted { ref result }) if result.contains("yeter sayısı")),
        "{e:?}"
    );
    // An adopted one: an unknown category and a complaint are refused, listing the
    // valid values; another muhtar or an auditor may not send it.
    let (mbs, t, vote, _) = given_closed_vote(&["Kabul", "Kabul"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    match mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("yok-boyle"))
        .await
        .unwrap_err()
    {
        ServiceError::Input(InputError::Unknown { field, valid, .. }) => {
            assert_eq!(field, "category");
            assert!(valid.contains(&"asfalt-onarim".to_owned()));
        }
        other => panic!("{other:?}"),
    }
    match mbs
        .send_decision(
            &muhtar,
            vote,
            DecisionSpec::new("asfalt-onarim").kind(RequestKind::Complaint),
        )
        .await
        .unwrap_err()
    {
        ServiceError::Input(InputError::Unknown { field, valid, .. }) => {
            assert_eq!(
                (field, valid),
                ("kind", vec!["request".into(), "suggestion".into()])
            );
        }
        other => panic!("{other:?}"),
    }
    for who in ["muhtar:cengelkoy", "auditor"] {
        let e = mbs
            .send_decision(&actor(&t, who), vote, DecisionSpec::new("asfalt-onarim"))
            .await
            .unwrap_err();
        assert!(
            matches!(e, ServiceError::NotFound(_) | ServiceError::Forbidden(_)),
            "{who}: {e:?}"
        );
    }
    assert!(mbs.decision_status(&muhtar, vote).await.unwrap().is_none());
}

#[tokio::test]
async fn a_running_vote_has_no_decision_to_send() {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(3),
    );
    let org = fixtures::organisation("suruyor");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.add_member(
        &muhtar,
        &kuzguncuk(),
        NewMember {
            name: "Üye".into(),
            email: Some("uye@example.org".into()),
            ..NewMember::default()
        },
    )
    .await
    .unwrap();
    let v = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Park", fixtures::t0() + Duration::days(1)),
        )
        .await
        .unwrap();
    let e = mbs
        .send_decision(&muhtar, v.id, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::StillRunning { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_answer_returns_to_the_council_and_its_members_hear_of_it_once() {
    let (mbs, t, vote, members) = given_closed_vote(&["Kabul", "Kabul", "Kabul"]).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let sent = mbs
        .send_decision(&muhtar, vote, DecisionSpec::new("asfalt-onarim"))
        .await
        .unwrap();
    let tr = sent.record.state.tracking;
    let id = sent.record.state.id;
    // A member removed before the answer hears nothing.
    mbs.remove_member(&muhtar, members[1]).await.unwrap();
    let council_notices = |kind: NoticeKind| {
        let mbs = &mbs;
        let t = t.clone();
        async move {
            mbs.store()
                .outbox(&t, Some(id))
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.message.idempotency_key.starts_with("council:"))
                .filter(|e| e.message.kind == kind)
                .map(|e| (e.message.recipient, e.message.channel))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .map(|(r, c)| (c, r))
                .collect::<Vec<_>>()
        }
    };
    // When the unit answers.
    let coord = actor(&t, "coordinator");
    mbs.execute(
        &coord,
        &tr,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Bank konuldu.".into(),
        },
    )
    .await
    .unwrap();
    // Then the active members hear of it, by e-mail or SMS as their contact is.
    assert_eq!(
        council_notices(NoticeKind::CitizenAnswered).await,
        vec![
            (DeliveryChannel::Sms, "+905551112233".to_owned()),
            (DeliveryChannel::Email, "ayse@example.org".to_owned()),
        ]
    );
    // And the council's view shows the answer from the public view.
    let status = mbs.decision_status(&muhtar, vote).await.unwrap().unwrap();
    assert_eq!(status.request.status, Status::Answered);
    assert_eq!(status.request.status_name, "cevaplandı");
    assert_eq!(status.answer.as_deref(), Some("Bank konuldu."));
    // When it is closed, they hear once more; nothing else repeats.
    mbs.execute(&muhtar, &tr, None, Command::Close)
        .await
        .unwrap();
    assert_eq!(council_notices(NoticeKind::CitizenUpdate).await.len(), 2);
    assert_eq!(council_notices(NoticeKind::CitizenAnswered).await.len(), 2);
    // A request of another channel never notifies the council.
    let plain = mbs
        .submit(
            &muhtar,
            NewRequest::builder(kuzguncuk(), Channel::MbsWeb, "asfalt-onarim", "Çukur").build(),
        )
        .await
        .unwrap();
    mbs.execute(
        &coord,
        &plain.state.tracking,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Tamam".into(),
        },
    )
    .await
    .unwrap();
    assert!(mbs
        .store()
        .outbox(&t, Some(plain.state.id))
        .await
        .unwrap()
        .iter()
        .all(|e| !e.message.idempotency_key.starts_with("council:")));
}
