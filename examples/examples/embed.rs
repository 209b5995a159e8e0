//! Connecting a portal by embedding the library instead of calling the HTTP API:
//! `cargo run -p muhtar-examples --example embed`.
//!
//! Opens (and migrates) an SQLite database in a temporary directory, installs the example
//! organisation and rules, submits a request as a muhtar and answers it as the unit,
//! through the same service façade (validation, authorization, one transaction per
//! command) the CLI and `muhtar serve` use.

use muhtar_core::prelude::*;
use muhtar_core::request::Outcome;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

use muhtar_http::OsRandom;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("muhtar-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("portal.db").display());
    let store = SqliteStore::open(&url, SqliteOptions::default()).await?;
    store.migrate().await?; // explicit, never hidden in open()

    // Any Fn() -> DateTime<Utc> is a clock. Ids and tracking numbers come from the
    // operating system's randomness: a fixed seed (`muhtar_core::ids::SeededRandom`)
    // would let whoever sees one request id predict the next tracking numbers.
    let mbs = Mbs::new(store, chrono::Utc::now, OsRandom::new()?);
    // The organisation file names its boundaries file; give core a way to read it.
    let (org, _warnings) =
        Organisation::from_toml_str_with(include_str!("../data/org.toml"), |_| {
            Ok(include_str!("../data/boundaries.geojson").to_owned())
        })?;
    let tenant = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(tenant.clone()), org)
        .await?;
    mbs.install_rules(
        &Actor::parse(&tenant, "admin")?,
        include_str!("../data/rules.toml"),
    )
    .await?;

    let muhtar = Actor::parse(&tenant, "muhtar:kuzguncuk")?;
    let new: NewRequest = serde_json::from_value(serde_json::json!({
        "muhtarlik": "kuzguncuk",
        "channel": "mbs-web",
        "category": "asfalt-onarim",
        "subject": "Okul önünde çukur",
        "location": {"lat": 41.0312, "lon": 29.0301},
    }))?;
    let rec = mbs.submit(&muhtar, new).await?;
    let unit = rec.state.unit.clone().ok_or("not routed")?;
    // People read Istanbul time: `local_time` writes an instant as they do.
    println!(
        "takip no {} → {} (cevap süresi {})",
        rec.state.tracking,
        unit,
        rec.deadlines
            .resolution_due
            .map(muhtar_core::calendar::local_time)
            .unwrap_or_else(|| "-".into())
    );

    let staff = Actor::parse(&tenant, &format!("unit:{unit}"))?;
    let answered = mbs
        .execute(
            &staff,
            &rec.state.tracking,
            Some(rec.state.version),
            Command::Answer {
                outcome: Outcome::Positive,
                reason: None,
                reason_text: None,
                text: "Yama yapıldı".into(),
            },
        )
        .await?;
    println!(
        "{}: {}",
        answered.state.tracking,
        answered.state.status.display_name()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
