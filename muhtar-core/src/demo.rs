//! Demo data: a realistic, reproducible year of requests for an organisation.
//!
//! `requests` requests spread over the year before `until`, with the category mix of
//! Ümraniye's 2022 activity report (docs/domain.md section 2), a channel mix of muhtar
//! channels, a skewed neighbourhood distribution (a few mahalle send most requests),
//! routed by the tenant's rules, accepted, sometimes paused, transferred or withdrawn,
//! answered positive or negative with reasons in realistic proportions, some late, the
//! recent ones often still open. The same seed and `until` give the same data on any
//! store: every random choice comes from one seeded generator and every instant from the
//! plan.
//!
//! Most requests of a muhtarlık with a boundary (the organisation's `boundaries`) carry a
//! location inside it, drawn uniformly from its box until one falls inside; those of a
//! muhtarlık with a centre but no boundary (`centre = [lat, lon]` in the organisation) a
//! location within a few hundred metres of the centre ([`location_box`]); a few carry a
//! photo ([`photos`], small PNG images made here). [`run`] records the notices of this
//! past as delivered, so a dispatcher started afterwards sends only what new activity
//! causes.
//!
//! Two parts:
//! - [`plan`] is pure: from the organisation and a [`DemoSpec`] it makes every request and
//!   what happens to it ([`DemoRequest`]: who enters it and when, then each command with
//!   its instant and who gives it).
//! - [`run`] writes a plan through the service façade, setting the service's
//!   [`ManualClock`](crate::clock::ManualClock) to each instant, so every request is
//!   validated, authorised, routed and timed exactly like a real one.
//!
//! ```
//! use chrono::NaiveDate;
//! use muhtar_core::demo::{plan, DemoSpec};
//! use muhtar_core::testkit::fixtures;
//!
//! let org = fixtures::organisation("t1");
//! let spec = DemoSpec {
//!     seed: 42,
//!     requests: 50,
//!     until: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
//!     now: None,
//! };
//! let requests = plan(&org, &spec);
//! assert_eq!(requests.len(), 50);
//! assert_eq!(requests, plan(&org, &spec));
//! ```

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::access::{Actor, Role};
use crate::ids::{RandomSource, SeededRandom, UnitCode};
use crate::org::Centre;
use crate::org::Organisation;
use crate::reason::ReasonCode;
use crate::request::{
    Channel, Command, Location, NewRequest, Outcome, PauseReason, Priority, RequestKind,
};

mod photo;
mod write;
pub use photo::{photos, DemoPhoto};
pub use write::run;

/// How far a demo location of a muhtarlık without a boundary lies from its centre at most,
/// in degrees of latitude and longitude: about 330 metres each way in Istanbul.
pub const LOCATION_JITTER: (f64, f64) = (0.003, 0.004);

/// The box demo locations of a muhtarlık centred at `c` lie in: (south, north, west,
/// east), [`LOCATION_JITTER`] around the centre.
pub fn location_box(c: Centre) -> (f64, f64, f64, f64) {
    let (dlat, dlon) = LOCATION_JITTER;
    (c.lat - dlat, c.lat + dlat, c.lon - dlon, c.lon + dlon)
}

/// Demo size and span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of requests: exactly this many.
    pub requests: usize,
    /// The data ends at 18:00 Istanbul time on this date (or at `now` if earlier).
    pub until: NaiveDate,
    /// The demo's clock: nothing is received or done after it (`muhtar demo` gives the
    /// time it runs at). `None`: only `until` bounds the data.
    pub now: Option<DateTime<Utc>>,
}

impl DemoSpec {
    /// The last instant of the data: 18:00 Istanbul time on [`DemoSpec::until`], or
    /// [`DemoSpec::now`] if earlier.
    pub fn end(&self) -> DateTime<Utc> {
        let end = istanbul(self.until, 18, 0);
        self.now.map_or(end, |now| now.min(end))
    }

    /// The first instant: a year (365 days) before [`DemoSpec::end`].
    pub fn start(&self) -> DateTime<Utc> {
        self.end() - Duration::days(365)
    }
}

/// What the demo wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
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
    /// Notices of the demo's past recorded as delivered.
    pub notices: usize,
}

/// Who gives a [`DemoStep`]'s command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoActor {
    /// The muhtar of the request's muhtarlık.
    Muhtar,
    /// Staff of the unit the request is with when the step runs (known only then: the
    /// tenant's rules route it, and a transfer moves it).
    UnitStaff,
}

/// One command in a demo request's life.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoStep {
    /// When it is given (never after [`DemoSpec::end`]).
    pub at: DateTime<Utc>,
    /// By whom.
    pub by: DemoActor,
    /// The command. A [`Command::Transfer`] to the unit the request is already with is
    /// skipped, and one the service refuses is left out ([`run`]).
    pub command: Command,
}

/// One demo request: who enters it and when, and what happens to it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRequest {
    /// Who enters it: the muhtar, or the coordinator's back office for requests that
    /// arrive by phone, petition, in person and the like (these carry `received_at`).
    pub submitter: Actor,
    /// When it is entered (the service's clock at submission).
    pub entered_at: DateTime<Utc>,
    /// The request.
    pub request: NewRequest,
    /// What happens to it, in order.
    pub steps: Vec<DemoStep>,
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

/// Where a demo request of `m` lies (four in five of them): inside its boundary when it
/// has one (uniform in the boundary's box until a point falls inside, at most
/// [`BOUNDARY_TRIES`] draws), else [`LOCATION_JITTER`] around its centre; `None` for
/// a muhtarlık with neither.
fn location(org: &Organisation, m: &crate::org::Muhtarlik, place: &mut Rng) -> Option<Location> {
    let boundary = org.boundaries.of(&m.code);
    if m.centre.is_none() && boundary.is_none() {
        return None;
    }
    if !place.chance(0.8) {
        return None;
    }
    if let Some(b) = boundary.and_then(|s| s.bbox()) {
        for _ in 0..BOUNDARY_TRIES {
            let lon = b.min_lon + place.u() * (b.max_lon - b.min_lon);
            let lat = b.min_lat + place.u() * (b.max_lat - b.min_lat);
            if org.boundaries.contains(&m.code, lon, lat) == Some(true) {
                return Some(Location { lat, lon });
            }
        }
    }
    let c = m.centre?;
    let (dlat, dlon) = LOCATION_JITTER;
    Some(Location {
        lat: c.lat + (place.u() * 2.0 - 1.0) * dlat,
        lon: c.lon + (place.u() * 2.0 - 1.0) * dlon,
    })
}

/// How many points [`location`] draws from a boundary's box before it gives up (then the
/// centre's box, or no location): enough for any boundary filling a tenth of its box.
const BOUNDARY_TRIES: usize = 200;

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
    crate::calendar::from_istanbul_local(naive).unwrap_or_else(|_| Utc.from_utc_datetime(&naive))
}

/// The demo requests for `org` (its tenant, active muhtarlıklar, categories and units),
/// in the order they are received (a back-office entry comes some minutes after its
/// receipt). Pure: the same organisation and spec give the same
/// plan.
///
/// Categories are drawn with the weights of Ümraniye's report where the organisation has
/// those categories, else evenly from its own; categories with required attributes are
/// left out. An
/// organisation without an active muhtarlık or a usable category gets no requests.
pub fn plan(org: &Organisation, spec: &DemoSpec) -> Vec<DemoRequest> {
    let tenant = &org.tenant.id;
    let until = spec.end();
    let start = spec.start();
    let mut rng = Rng(SeededRandom::new(spec.seed ^ 0x5EED_DE70));
    let muhtarliklar: Vec<_> = org.muhtarliklar.iter().filter(|m| m.active).collect();
    // Zipf-like skew: the first mahalle sends ~20 times as much as the last.
    let mweights: Vec<(usize, f64)> = (0..muhtarliklar.len())
        .map(|k| (k, 1.0 / ((k + 1) as f64).powf(1.0)))
        .collect();
    let usable = |c: &str| {
        org.category(c)
            .is_some_and(|c| c.attributes.iter().all(|a| !a.required))
    };
    let mut categories: Vec<(&str, f64)> = CATEGORIES
        .iter()
        .copied()
        .filter(|(c, _)| usable(c))
        .collect();
    if categories.is_empty() {
        categories = org
            .categories
            .iter()
            .filter(|c| usable(&c.code))
            .map(|c| (c.code.as_str(), 1.0))
            .collect();
    }
    if muhtarliklar.is_empty() || categories.is_empty() {
        return Vec::new();
    }
    let units: Vec<UnitCode> = org
        .units
        .iter()
        .filter(|u| u.active)
        .map(|u| u.code.clone())
        .collect();
    let coordinator = Actor::new(tenant.clone(), "coordinator", Role::Coordinator);
    // Receipt instants, sorted, mostly in office hours; one drawn after the end is
    // drawn again (only the last day has such instants), so there are exactly
    // `spec.requests`.
    let mut times: Vec<DateTime<Utc>> = Vec::with_capacity(spec.requests);
    while times.len() < spec.requests {
        let day = start.date_naive() + Duration::days(rng.below(365) as i64 + 1);
        let hour = if rng.chance(0.85) {
            8 + rng.below(10) as u32
        } else {
            rng.below(24) as u32
        };
        let t = istanbul(day, hour, rng.below(60) as u32);
        if t <= until {
            times.push(t);
        }
    }
    times.sort();
    // Places and photos from a generator of their own: the other choices stay as they were.
    let mut place = Rng(SeededRandom::new(spec.seed ^ 0x0091_ACE5));
    let photos = photos();
    let mut requests = Vec::with_capacity(times.len());
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
                Role::Muhtar(m.code.clone()),
            )
        };
        let entered = if back_office {
            received + Duration::minutes(20 + rng.below(100) as i64)
        } else {
            received
        };
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
            .location(location(org, m, &mut place))
            // A few muhtars send a photo from the app.
            .attachments(
                (!back_office && place.chance(0.05))
                    .then(|| photos[place.below(photos.len())].attachment.clone()),
            )
            .build();
        let i = requests.len();
        requests.push(DemoRequest {
            submitter,
            entered_at: entered.min(until),
            request: new,
            steps: Vec::new(),
        });
        let mut execute = |by: DemoActor, at: DateTime<Utc>, command: Command| {
            requests[i].steps.push(DemoStep { at, by, command });
        };
        let (muhtar, staff) = (DemoActor::Muhtar, DemoActor::UnitStaff);
        let age_days = (until - received).num_days();
        let mut t = entered;
        let mut step = |hours: i64| -> Option<DateTime<Utc>> {
            t += Duration::hours(hours.max(1));
            if t > until {
                return None;
            }
            Some(t)
        };
        // Withdrawn early by the muhtar.
        if rng.chance(0.02) {
            if let Some(at) = step(6 + rng.exp_hours(1.0)) {
                execute(
                    muhtar,
                    at,
                    Command::Withdraw {
                        reason: "Sorun kendiliğinden çözüldü".into(),
                    },
                );
            }
            continue;
        }
        // Misrouted requests are transferred by the unit that got them (when run, not
        // if it is the unit the request is with).
        if rng.chance(0.07) && units.len() > 1 {
            let to = units[rng.below(units.len())].clone();
            if let Some(at) = step(2 + rng.exp_hours(0.5)) {
                execute(
                    staff,
                    at,
                    Command::Transfer {
                        to,
                        reason: "Birimimizin görev alanında değil".into(),
                    },
                );
            }
        }
        // Recent requests are often still open; old ones rarely.
        let stays_open = if age_days < 20 {
            rng.chance(0.6)
        } else {
            rng.chance(0.03)
        };
        let Some(at) = step(1 + rng.exp_hours(0.8)) else {
            continue;
        };
        execute(staff, at, Command::Accept);
        if rng.chance(0.3) {
            if let Some(at) = step(4 + rng.exp_hours(2.0)) {
                execute(
                    staff,
                    at,
                    Command::InterimReply {
                        text: "Talebiniz ekiplerimize iletilmiştir.".into(),
                    },
                );
            }
        }
        let mut paused = false;
        if rng.chance(0.08) {
            if let Some(at) = step(8 + rng.exp_hours(1.0)) {
                execute(
                    staff,
                    at,
                    Command::Pause {
                        reason: PauseReason::Muhtar,
                        note: "Açık adres ve fotoğraf rica ediyoruz.".into(),
                    },
                );
                paused = true;
                if let Some(at) = step(24 + rng.exp_hours(3.0)) {
                    execute(
                        muhtar,
                        at,
                        Command::Resume {
                            note: "Adres ve fotoğraf eklendi.".into(),
                        },
                    );
                    paused = false;
                }
            }
        }
        if stays_open || paused {
            continue;
        }
        // Answer delay: exponential with a mean of 9 days; about a fifth take longer than 15.
        let Some(at) = step(6 + rng.exp_hours(9.0)) else {
            continue;
        };
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
        execute(staff, at, command);
        if rng.chance(0.7) {
            if let Some(at) = step(24 + rng.exp_hours(2.0)) {
                execute(staff, at, Command::Close);
            }
        }
    }
    requests
}
