//! The notices of a work: its muhtarlıklar's muhtars hear of it when it is published, when
//! it changes and when it is closed, once per version and recipient.

use super::*;
use crate::map::work::{Work, WorkKind, WorkStatus};

/// The notices of one version of a work: `before` is the version it replaces (`None`:
/// just published). The kind is [`NoticeKind::WorkPublished`] for version 1,
/// [`NoticeKind::WorkClosed`] when `work` is closed, else [`NoticeKind::WorkChanged`] with
/// what changed (`before.differences(work)`).
///
/// Recipients: the muhtar of every muhtarlık the work touches (`work.muhtarliklar`,
/// computed from the boundaries when it was written) and, for a change, those it touched
/// before (a work moved away is news too), each once: by e-mail, and by SMS for a water,
/// power or gas cut that is not closed (the muhtar passes it on to the neighbourhood). The
/// idempotency key names the work, the version and the recipient
/// (`work:{id}:{version}:{email|sms}:{address}`), so planning a version again adds
/// nothing.
pub fn plan_work(
    org: &Organisation,
    before: Option<&Work>,
    work: &Work,
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let (kind, changed) = match before {
        None => (NoticeKind::WorkPublished, Vec::new()),
        Some(_) if work.status == WorkStatus::Closed => (NoticeKind::WorkClosed, Vec::new()),
        Some(b) => (NoticeKind::WorkChanged, b.differences(work)),
    };
    let mut codes: Vec<&MuhtarlikCode> = work.muhtarliklar.iter().collect();
    codes.extend(before.iter().flat_map(|b| b.muhtarliklar.iter()));
    codes.sort();
    codes.dedup();
    let sms = work.status != WorkStatus::Closed
        && matches!(
            work.kind,
            WorkKind::WaterCut | WorkKind::PowerCut | WorkKind::GasCut
        );
    let unit_name = org.unit(&work.unit).map(|u| u.name.clone());
    let mut out = Vec::new();
    for code in codes {
        let Some(m) = org.muhtarlik(code) else {
            continue;
        };
        let facts = WorkFacts {
            work: work.id,
            version: work.version,
            title: work.title.clone(),
            work_kind: work.kind,
            work_kind_name: work.kind.display_name().to_owned(),
            work_status: work.status,
            work_status_name: work.status.display_name().to_owned(),
            unit: work.unit.clone(),
            unit_name: unit_name.clone(),
            starts_at: work.starts_at,
            ends_at: work.ends_at,
            contact: work.contact.clone(),
            muhtarlik: code.clone(),
            muhtarlik_name: Some(m.name.clone()),
            changed: changed.clone(),
            tenant_name: org.tenant.name.clone(),
        };
        let payload = match kind {
            NoticeKind::WorkPublished => NoticePayload::WorkPublished(facts),
            NoticeKind::WorkClosed => NoticePayload::WorkClosed(facts),
            _ => NoticePayload::WorkChanged(facts),
        };
        let to = Addressee::new(AddresseeRole::Muhtar)
            .named(&m.muhtar.name)
            .of(&m.name);
        let mut addresses = Vec::new();
        addresses.extend(m.muhtar.email.clone().map(|e| (DeliveryChannel::Email, e)));
        if sms {
            addresses.extend(m.muhtar.phone.clone().map(|p| (DeliveryChannel::Sms, p)));
        }
        for (channel, address) in addresses {
            out.push(OutboxMessage {
                id: ids.uuid_v7(now),
                tenant: work.tenant.clone(),
                request: None,
                idempotency_key: format!(
                    "work:{}:{}:{}:{address}",
                    work.id,
                    work.version,
                    channel.as_str()
                ),
                kind,
                channel,
                recipient: address,
                addressee: Some(to.clone()),
                locale: Locale::Tr,
                payload: payload.clone(),
                created_at: now,
                not_before: now,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededRandom;
    use crate::map::work::{NewWork, WorkChange, WorkId};
    use crate::map::{Boundaries, Shape};
    use crate::testkit::fixtures::{organisation, t0, tenant};
    use chrono::Duration;

    /// The fixture organisation with square boundaries: Kuzguncuk west of 29.01°E,
    /// Çengelköy east of it (both 41.00–41.01°N).
    fn org() -> Organisation {
        let mut org = organisation("a");
        let square = |lon: f64| {
            Shape(geo::Geometry::Polygon(
                geo::Rect::new(
                    geo::coord! { x: lon, y: 41.0 },
                    geo::coord! { x: lon + 0.01, y: 41.01 },
                )
                .to_polygon(),
            ))
        };
        org.boundaries = Boundaries(
            [
                ("kuzguncuk".parse().unwrap(), square(29.0)),
                ("cengelkoy".parse().unwrap(), square(29.01)),
            ]
            .into_iter()
            .collect(),
        );
        org
    }

    fn cut(lon: f64) -> Work {
        NewWork::new(
            "fen-isleri".parse().unwrap(),
            "Su kesintisi",
            WorkKind::WaterCut,
            Shape::point(lon, 41.005),
            t0(),
            t0() + Duration::hours(6),
        )
        .publish(
            &org(),
            tenant("a"),
            WorkId(uuid::Uuid::from_u128(9)),
            "x",
            t0(),
        )
        .unwrap()
    }

    #[test]
    fn the_muhtars_of_the_touched_muhtarliklar_hear_once_per_version() {
        let org = org();
        let mut ids = IdGenerator::new(SeededRandom::new(1));
        let w = cut(29.005);
        assert_eq!(w.muhtarliklar, vec!["kuzguncuk".parse().unwrap()]);
        let m = plan_work(&org, None, &w, &mut ids, t0());
        // Kuzguncuk's muhtar has e-mail and phone: a water cut goes by both.
        let got: Vec<_> = m.iter().map(|m| (m.kind, m.channel)).collect();
        assert_eq!(
            got,
            vec![
                (NoticeKind::WorkPublished, DeliveryChannel::Email),
                (NoticeKind::WorkPublished, DeliveryChannel::Sms)
            ]
        );
        assert_eq!(
            m[0].idempotency_key,
            format!("work:{}:1:email:ali.demir@muhtar.example", w.id)
        );
        assert_eq!(
            m[0].payload.work().unwrap().muhtarlik_name.as_deref(),
            Some("Kuzguncuk Mahallesi")
        );
        assert_eq!(m[0].request, None);
        // Planned again: the same keys (the store adds nothing).
        let again = plan_work(&org, None, &w, &mut ids, t0());
        let keys = |m: &[OutboxMessage]| {
            m.iter()
                .map(|m| m.idempotency_key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&again), keys(&m));
        // Moved to Çengelköy: both muhtars hear (Çengelköy's by e-mail only: no phone).
        let (moved, changed) = w
            .change(
                &WorkChange::new().area(Shape::point(29.015, 41.005)),
                &org,
                t0(),
            )
            .unwrap();
        let m = plan_work(&org, Some(&w), &moved, &mut ids, t0());
        let to: Vec<_> = m.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(
            to,
            vec![
                "sule.ozturk@muhtar.example",
                "ali.demir@muhtar.example",
                "+905321112233"
            ]
        );
        assert!(m.iter().all(|m| m.kind == NoticeKind::WorkChanged
            && m.payload.work().unwrap().changed == changed
            && m.idempotency_key.contains(":2:")));
        // Closed: e-mail only.
        let closed = moved.close(t0()).unwrap();
        let m = plan_work(&org, Some(&moved), &closed, &mut ids, t0());
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].kind, m[0].channel),
            (NoticeKind::WorkClosed, DeliveryChannel::Email)
        );
    }

    #[test]
    fn a_work_touching_no_muhtarlik_notifies_no_one() {
        let w = cut(29.5);
        assert!(w.muhtarliklar.is_empty());
        let mut ids = IdGenerator::new(SeededRandom::new(1));
        assert!(plan_work(&org(), None, &w, &mut ids, t0()).is_empty());
    }
}
