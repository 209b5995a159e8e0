//! Deterministic inputs shared by the criterion benches and the comparison runner.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use muhtar_core::calendar::{Calendar, CalendarView, HolidayKind, FIRST_YEAR, LAST_YEAR};
use muhtar_core::ids::{MuhtarlikCode, RandomSource, SeededRandom};
use muhtar_core::org::Organisation;
use muhtar_core::request::{Channel, Location, NewRequest, RequestContent};
use muhtar_core::routing::RuleSet;

/// The example organisation (İstanbul Büyükşehir Belediyesi), as shipped in `examples/data`.
pub const ORG_TOML: &str = include_str!("../../examples/data/org.toml");
/// The example routing rules, as shipped in `examples/data`.
pub const RULES_TOML: &str = include_str!("../../examples/data/rules.toml");
/// The example organisation's boundaries (GeoJSON), as shipped in `examples/data`.
pub const BOUNDARIES_GEOJSON: &str = include_str!("../../examples/data/boundaries.geojson");

/// The instant every generated request is received at, unless said otherwise.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0)
        .single()
        .expect("a valid instant")
}

/// The example organisation.
pub fn example_org() -> Organisation {
    Organisation::from_toml_str_with(ORG_TOML, |_| Ok(BOUNDARIES_GEOJSON.to_owned()))
        .expect("the example organisation is valid")
        .0
}

/// The example rule set, compiled against `org`.
pub fn example_rules(org: &Organisation) -> RuleSet {
    RuleSet::from_toml_str(RULES_TOML, org)
        .expect("the example rules are valid")
        .0
}

/// A generated rule set of `n` rules, as the routing tests build it: rule `i` matches
/// category `i mod #categories` and the keyword `kelime{i}`, so every category has about
/// `n / #categories` rules and a request that matches none of them falls back after
/// trying them all.
pub fn generated_rules_toml(org: &Organisation, n: usize) -> String {
    let cats: Vec<&str> = org.categories.iter().map(|c| c.code.as_str()).collect();
    let mut text = String::from("version = \"generated\"\n");
    for i in 0..n {
        let cat = cats[i % cats.len()];
        text.push_str(&format!(
            "[[rule]]\nname = \"r{i}\"\ncategory = \"{cat}\"\nkeywords = \"kelime{i}\"\ntarget = \"atik-mud\"\n"
        ));
    }
    text
}

/// [`generated_rules_toml`], compiled against `org`.
pub fn generated_rules(org: &Organisation, n: usize) -> RuleSet {
    RuleSet::from_toml_str(&generated_rules_toml(org, n), org)
        .expect("the generated rules are valid")
        .0
}

/// Subjects of the generated requests: plain ones, and ones that trigger keyword rules of
/// the example set (gas, main roads) or of the generated set (`kelime…`).
const SUBJECTS: &[&str] = &[
    "Okul önündeki çukur",
    "Sokakta biriken çöp",
    "Parktaki ağaç devrilmek üzere",
    "Bağdat Caddesi üzerinde çökme",
    "Binada gaz kokusu var",
    "Köşedeki lamba yanmıyor",
    "kelime42 geçen bir talep",
    "Kaldırımda moloz dökülmüş, kamyon ile getirilmiş",
];

/// `n` new requests (the form a muhtar fills), spread over every active muhtarlık,
/// category and channel, a third of them with a location near the Bosphorus.
pub fn new_requests(org: &Organisation, n: usize, seed: u64) -> Vec<NewRequest> {
    let muhtarliklar: Vec<&MuhtarlikCode> = org
        .muhtarliklar
        .iter()
        .filter(|m| m.active)
        .map(|m| &m.code)
        .collect();
    let channels = [
        Channel::MbsWeb,
        Channel::MbsWeb,
        Channel::Phone,
        Channel::Email,
    ];
    let mut g = SeededRandom::new(seed);
    (0..n)
        .map(|_| {
            let r = g.next_u64();
            let location = r.is_multiple_of(3).then(|| Location {
                lat: 41.0 + (r >> 8 & 0xff) as f64 / 2000.0,
                lon: 29.0 + (r >> 16 & 0xff) as f64 / 2000.0,
            });
            NewRequest::builder(
                muhtarliklar[(r >> 24) as usize % muhtarliklar.len()].clone(),
                channels[(r >> 32) as usize % channels.len()],
                org.categories[(r >> 40) as usize % org.categories.len()]
                    .code
                    .clone(),
                SUBJECTS[(r >> 48) as usize % SUBJECTS.len()],
            )
            .description("Mahalle sakinlerinin bildirdiği sorun.")
            .location(location)
            .build()
        })
        .collect()
}

/// [`new_requests`], validated against `org` (received at [`epoch`]).
pub fn request_contents(org: &Organisation, n: usize, seed: u64) -> Vec<RequestContent> {
    new_requests(org, n, seed)
        .into_iter()
        .map(|r| {
            r.validate(org, epoch())
                .expect("generated requests are valid")
        })
        .collect()
}

/// `n` (received date, N business days) pairs: dates uniform over 2012-01-01..2047-12-31
/// (every day of the week, holidays included), N uniform in 1..=60, so every answer is
/// inside the calendar's range.
pub fn deadline_pairs(n: usize, seed: u64) -> Vec<(NaiveDate, u32)> {
    let first = NaiveDate::from_ymd_opt(2012, 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(2047, 12, 31).expect("valid date");
    let span = (last - first).num_days() as u64 + 1;
    let mut g = SeededRandom::new(seed);
    (0..n)
        .map(|_| {
            let r = g.next_u64();
            let date = first + Duration::days(((r >> 8) % span) as i64);
            (date, (r & 0xff) as u32 % 60 + 1)
        })
        .collect()
}

/// The non-working weekdays of the calendar's legal view where half days count as
/// working (the docs/domain.md §3 default): every full official holiday of
/// `FIRST_YEAR..=LAST_YEAR`, from the public holiday listing.
pub fn full_holidays(cal: &Calendar) -> Vec<NaiveDate> {
    (FIRST_YEAR..=LAST_YEAR)
        .flat_map(|y| {
            cal.holidays(y, CalendarView::Legal)
                .expect("a year in range")
        })
        .filter(|h| h.kind == HolidayKind::Full)
        .map(|h| h.date)
        .collect()
}

/// A service over `store` with the example organisation and rule set installed, its clock
/// standing at [`epoch`].
pub async fn example_service<S: muhtar_core::store::Store>(
    store: S,
) -> Result<
    muhtar_core::service::Mbs<S, muhtar_core::clock::ManualClock>,
    muhtar_core::service::ServiceError,
> {
    use muhtar_core::access::Actor;
    let mbs = muhtar_core::service::Mbs::new(
        store,
        muhtar_core::clock::ManualClock::new(epoch()),
        SeededRandom::new(20_158),
    );
    let org = example_org();
    let tenant = org.tenant.id.clone();
    // A data set kept from an earlier run already holds the configuration.
    if mbs.store().document_versions(&tenant).await?.organisation > 0 {
        return Ok(mbs);
    }
    mbs.install_organisation(&Actor::system(tenant.clone()), org)
        .await?;
    let admin = Actor::parse(&tenant, "admin").expect("a valid actor");
    mbs.install_rules(&admin, RULES_TOML).await?;
    Ok(mbs)
}

/// The actor who submits `new`: the muhtar of its muhtarlık.
pub fn submitter(org: &Organisation, new: &NewRequest) -> muhtar_core::access::Actor {
    muhtar_core::access::Actor::parse(&org.tenant.id, &format!("muhtar:{}", new.muhtarlik))
        .expect("a valid actor")
}
