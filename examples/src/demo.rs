//! `muhtar demo`: a realistic, reproducible data set.
//!
//! The example organisation, `requests` requests spread over the year before `until`,
//! with the category mix of Ümraniye's 2022 activity report (DOMAIN.md section 2), a
//! channel mix of muhtar channels, a skewed neighbourhood distribution (a few mahalle
//! send most requests), routed by the tenant's rules, accepted, sometimes paused,
//! transferred or withdrawn, answered positive or negative with reasons in realistic
//! proportions, some late, the recent ones often still open. The same seed and `until`
//! give the same data on either store: every random choice comes from one seeded
//! generator and every instant from a manual clock.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use muhtar_core::access::Actor;
use muhtar_core::clock::ManualClock;
use muhtar_core::ids::{RandomSource, SeededRandom, TenantId, UnitCode};
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{
    Channel, Command, NewRequest, Outcome, PauseReason, Priority, RequestKind,
};
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;

/// Demo size and span.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of requests.
    pub requests: usize,
    /// The data ends at 18:00 Istanbul time on this date.
    pub until: NaiveDate,
}

/// What the demo wrote.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct DemoSummary {
    /// Requests submitted.
    pub requests: usize,
    /// Commands run after submission.
    pub commands: usize,
    /// Answered positive.
    pub positive: usize,
    /// Answered negative (including withdrawn).
    pub negative: usize,
    /// Still open at the end.
    pub open: usize,
}

struct Rng(SeededRandom);

impl Rng {
    fn u(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.u() * n as f64) as usize % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.u() < p
    }
    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.u() * total;
        for (t, w) in items {
            if x < *w {
                return t;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
    /// Exponential with the given mean, in hours.
    fn exp_hours(&mut self, mean_days: f64) -> i64 {
        let u = self.u().max(1e-12);
        (-u.ln() * mean_days * 24.0) as i64
    }
}

/// Category weights: the top-10 of Ümraniye's 2022 report, then smaller ones.
const CATEGORIES: &[(&str, f64)] = &[
    ("yarali-hayvan", 13688.0),
    ("moloz", 6867.0),
    ("sokak-hayvani", 5650.0),
    ("kar-buz", 4377.0),
    ("asfalt-onarim", 4115.0),
    ("denetim", 3795.0),
    ("cop-gorunti", 2978.0),
    ("budama", 2952.0),
    ("komsu-sikayeti", 2458.0),
    ("kacak-insaat", 2400.0),
    ("su-kanalizasyon", 1900.0),
    ("elektrik-aydinlatma", 1500.0),
    ("park-oyun", 1200.0),
    ("dogalgaz", 400.0),
    ("guvenlik-asayis", 350.0),
    ("bilgi-edinme", 300.0),
    ("diger", 900.0),
];

const CHANNELS: &[(Channel, f64)] = &[
    (Channel::MbsWeb, 34.0),
    (Channel::MobileApp, 24.0),
    (Channel::Whatsapp, 10.0),
    (Channel::Phone, 12.0),
    (Channel::Email, 5.0),
    (Channel::Petition, 4.0),
    (Channel::InPerson, 3.0),
    (Channel::Cimer, 3.0),
    (Channel::BeyazMasa, 2.0),
    (Channel::Bip, 1.5),
    (Channel::AcikKapi, 1.0),
    (Channel::MinistryLetter, 0.5),
    (Channel::Web, 2.0),
    (Channel::CallCentre, 2.0),
    (Channel::BilgiEdinme, 0.5),
];

const REASONS: &[(&str, f64)] = &[
    ("not-our-authority", 25.0),
    ("no-budget", 20.0),
    ("against-law-or-plan", 10.0),
    ("technically-impossible", 10.0),
    ("planned-later", 20.0),
    ("duplicate", 5.0),
    ("other", 10.0),
];

fn subject(category: &str, mahalle: &str) -> (String, String) {
    let (s, d) = match category {
        "yarali-hayvan" => (
            "Yaralı kedi",
            "Parkın yanında bacağı yaralı bir kedi var, veteriner desteği rica ediyoruz.",
        ),
        "moloz" => (
            "Moloz yığını",
            "Boş arsaya inşaat molozu dökülmüş, kaldırılmasını talep ediyoruz.",
        ),
        "sokak-hayvani" => (
            "Sahipsiz köpek sürüsü",
            "Okul yolunda sahipsiz köpekler çocukları korkutuyor.",
        ),
        "kar-buz" => (
            "Yokuşta buzlanma",
            "Sabah saatlerinde yokuş buz tutuyor, tuzlama yapılmasını istiyoruz.",
        ),
        "asfalt-onarim" => (
            "Yolda çukur",
            "Cadde üzerinde derin bir çukur oluştu, araçlar zarar görüyor.",
        ),
        "denetim" => (
            "İşyeri denetimi",
            "Ruhsatsız çalıştığı düşünülen işyerinin denetlenmesini rica ederiz.",
        ),
        "cop-gorunti" => (
            "Konteyner taşıyor",
            "Çöp konteyneri günlerdir boşaltılmadı, koku yayılıyor.",
        ),
        "budama" => (
            "Ağaç budama",
            "Elektrik tellerine değen ağaç dallarının budanması gerekiyor.",
        ),
        "komsu-sikayeti" => (
            "Gürültü şikâyeti",
            "Gece geç saatlere kadar süren gürültü hakkında şikâyet.",
        ),
        "kacak-insaat" => (
            "Özensiz inşaat",
            "İnşaat iskelesi kaldırıma taşmış, yayalar yola iniyor.",
        ),
        "su-kanalizasyon" => (
            "Rögar taşması",
            "Yağmurdan sonra rögar taşıyor, sokak su altında kalıyor.",
        ),
        "elektrik-aydinlatma" => (
            "Sokak lambası yanmıyor",
            "Sokaktaki üç direkte lamba yanmıyor.",
        ),
        "park-oyun" => (
            "Oyun alanı bakımı",
            "Çocuk parkındaki salıncak kırık, onarılmalı.",
        ),
        "dogalgaz" => (
            "Gaz kokusu",
            "Bina önünde gaz kokusu var, kontrol edilmesini istiyoruz.",
        ),
        "guvenlik-asayis" => (
            "Asayiş",
            "Akşam saatlerinde parkta asayiş sorunu yaşanıyor.",
        ),
        "bilgi-edinme" => (
            "Bilgi talebi",
            "Mahallemizdeki yol çalışmasının ne zaman biteceğini öğrenmek istiyoruz.",
        ),
        _ => ("Genel talep", "Mahalle sakinlerinden gelen bir talep."),
    };
    (format!("{s} ({mahalle})"), d.to_owned())
}

fn istanbul(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
    muhtar_core::calendar::from_istanbul_local(naive)
        .unwrap_or_else(|_| Utc.from_utc_datetime(&naive))
}

/// Writes the demo data through the service façade (so every request is validated,
/// authorised, routed and timed exactly like a real one).
pub async fn run(
    store: Arc<dyn Store>,
    tenant: &TenantId,
    spec: &DemoSpec,
) -> Result<DemoSummary, muhtar_core::service::ServiceError> {
    let until = istanbul(spec.until, 18, 0);
    let start = until - Duration::days(365);
    let clock = ManualClock::new(start);
    let mbs = Mbs::new(store, clock, SeededRandom::new(spec.seed));
    let ctx = mbs.context(tenant).await?;
    let org = &ctx.org;
    let mut rng = Rng(SeededRandom::new(spec.seed ^ 0x5EED_DE70));
    let muhtarliklar: Vec<_> = org.muhtarliklar.iter().filter(|m| m.active).collect();
    // Zipf-like skew: the first mahalle sends ~20 times as much as the last.
    let mweights: Vec<(usize, f64)> = (0..muhtarliklar.len())
        .map(|k| (k, 1.0 / ((k + 1) as f64).powf(1.0)))
        .collect();
    let categories: Vec<(&str, f64)> = CATEGORIES
        .iter()
        .copied()
        .filter(|(c, _)| org.category(c).is_some())
        .collect();
    let units: Vec<UnitCode> = org
        .units
        .iter()
        .filter(|u| u.active)
        .map(|u| u.code.clone())
        .collect();
    let coordinator = Actor::parse(tenant, "coordinator").map_err(|e| {
        muhtar_core::service::ServiceError::Config {
            what: "actor",
            message: e.to_string(),
        }
    })?;
    // Receipt instants, sorted, mostly in office hours.
    let mut times: Vec<DateTime<Utc>> = (0..spec.requests)
        .map(|_| {
            let day = start.date_naive() + Duration::days(rng.below(365) as i64 + 1);
            let hour = if rng.chance(0.85) {
                8 + rng.below(10) as u32
            } else {
                rng.below(24) as u32
            };
            istanbul(day, hour, rng.below(60) as u32)
        })
        .filter(|t| *t <= until)
        .collect();
    times.sort();
    let mut summary = DemoSummary::default();
    for received in times {
        let m = muhtarliklar[*rng.weighted(&mweights)];
        let category = *rng.weighted(&categories);
        let channel = *rng.weighted(CHANNELS);
        let kind = *rng.weighted(&[
            (RequestKind::Request, 85.0),
            (RequestKind::Complaint, 8.0),
            (RequestKind::Suggestion, 5.0),
            (RequestKind::InformationRequest, 2.0),
        ]);
        let (subj, desc) = subject(category, &m.name);
        // Requests by phone, petition or in person are entered by the coordinator's staff.
        let back_office = matches!(
            channel,
            Channel::Phone
                | Channel::Petition
                | Channel::InPerson
                | Channel::Cimer
                | Channel::AcikKapi
                | Channel::MinistryLetter
                | Channel::BeyazMasa
                | Channel::CallCentre
                | Channel::BilgiEdinme
        );
        let submitter = if back_office {
            coordinator.clone()
        } else {
            Actor::new(
                tenant.clone(),
                m.code.to_string(),
                muhtar_core::access::Role::Muhtar(m.code.clone()),
            )
        };
        let entered = if back_office {
            received + Duration::minutes(20 + rng.below(100) as i64)
        } else {
            received
        };
        mbs.clock().set(entered.min(until));
        let new = NewRequest::builder(m.code.clone(), channel, category, subj)
            .kind(kind)
            .description(desc)
            .priority(rng.chance(0.03).then_some(Priority::Urgent))
            .registration_number(
                (channel == Channel::Petition)
                    .then(|| format!("E-{}-{}", received.format("%Y"), 10_000 + rng.below(90_000))),
            )
            // Only back-office staff may say when a request arrived.
            .received_at(back_office.then_some(received))
            .build();
        let rec = mbs.submit(&submitter, new).await?;
        summary.requests += 1;
        let tracking = rec.state.tracking;
        let muhtar = Actor::new(
            tenant.clone(),
            m.code.to_string(),
            muhtar_core::access::Role::Muhtar(m.code.clone()),
        );
        let mut unit = rec
            .state
            .unit
            .clone()
            .unwrap_or_else(|| org.tenant.coordinator_unit.clone());
        let staff = |u: &UnitCode| {
            Actor::new(
                tenant.clone(),
                format!("{u}-personel"),
                muhtar_core::access::Role::UnitStaff(u.clone()),
            )
        };
        let age_days = (until - received).num_days();
        let mut t = entered;
        let mut step =
            |mbs: &Mbs<Arc<dyn Store>, ManualClock>, hours: i64| -> Option<DateTime<Utc>> {
                t += Duration::hours(hours.max(1));
                if t > until {
                    return None;
                }
                mbs.clock().set(t);
                Some(t)
            };
        // Withdrawn early by the muhtar.
        if rng.chance(0.02) {
            if step(&mbs, 6 + rng.exp_hours(1.0)).is_some() {
                mbs.execute(
                    &muhtar,
                    &tracking,
                    None,
                    Command::Withdraw {
                        reason: "Sorun kendiliğinden çözüldü".into(),
                    },
                )
                .await?;
                summary.commands += 1;
                summary.negative += 1;
            }
            continue;
        }
        // Misrouted requests are transferred by the unit that got them.
        if rng.chance(0.07) && units.len() > 1 {
            let to = units[rng.below(units.len())].clone();
            if to != unit && step(&mbs, 2 + rng.exp_hours(0.5)).is_some() {
                let r = mbs
                    .execute(
                        &staff(&unit),
                        &tracking,
                        None,
                        Command::Transfer {
                            to: to.clone(),
                            reason: "Birimimizin görev alanında değil".into(),
                        },
                    )
                    .await;
                if r.is_ok() {
                    unit = to;
                    summary.commands += 1;
                }
            }
        }
        // Recent requests are often still open; old ones rarely.
        let stays_open = if age_days < 20 {
            rng.chance(0.6)
        } else {
            rng.chance(0.03)
        };
        if step(&mbs, 1 + rng.exp_hours(0.8)).is_none() {
            summary.open += 1;
            continue;
        }
        mbs.execute(&staff(&unit), &tracking, None, Command::Accept)
            .await?;
        summary.commands += 1;
        if rng.chance(0.3) && step(&mbs, 4 + rng.exp_hours(2.0)).is_some() {
            mbs.execute(
                &staff(&unit),
                &tracking,
                None,
                Command::InterimReply {
                    text: "Talebiniz ekiplerimize iletilmiştir.".into(),
                },
            )
            .await?;
            summary.commands += 1;
        }
        let mut paused = false;
        if rng.chance(0.08) && step(&mbs, 8 + rng.exp_hours(1.0)).is_some() {
            mbs.execute(
                &staff(&unit),
                &tracking,
                None,
                Command::Pause {
                    reason: PauseReason::Muhtar,
                    note: "Açık adres ve fotoğraf rica ediyoruz.".into(),
                },
            )
            .await?;
            summary.commands += 1;
            paused = true;
            if step(&mbs, 24 + rng.exp_hours(3.0)).is_some() {
                mbs.execute(
                    &muhtar,
                    &tracking,
                    None,
                    Command::Resume {
                        note: "Adres ve fotoğraf eklendi.".into(),
                    },
                )
                .await?;
                summary.commands += 1;
                paused = false;
            }
        }
        if stays_open || paused {
            summary.open += 1;
            continue;
        }
        // Answer delay: exponential with a mean of 9 days; about a fifth take longer than 15.
        if step(&mbs, 6 + rng.exp_hours(9.0)).is_none() {
            summary.open += 1;
            continue;
        }
        let positive = rng.chance(0.8);
        let command = if positive {
            Command::Answer {
                outcome: Outcome::Positive,
                reason: None,
                reason_text: None,
                text: "Talebiniz yerine getirilmiştir.".into(),
            }
        } else {
            let reason = *rng.weighted(REASONS);
            Command::Answer {
                outcome: Outcome::Negative,
                reason: Some(ReasonCode::new(reason)),
                reason_text: (reason == "other")
                    .then(|| "Konu özel mülk sınırları içindedir.".to_owned()),
                text: "Talebiniz değerlendirilmiş, ancak yerine getirilememiştir.".into(),
            }
        };
        mbs.execute(&staff(&unit), &tracking, None, command).await?;
        summary.commands += 1;
        if positive {
            summary.positive += 1;
        } else {
            summary.negative += 1;
        }
        if rng.chance(0.7) && step(&mbs, 24 + rng.exp_hours(2.0)).is_some() {
            mbs.execute(&staff(&unit), &tracking, None, Command::Close)
                .await?;
            summary.commands += 1;
        }
    }
    Ok(summary)
}
