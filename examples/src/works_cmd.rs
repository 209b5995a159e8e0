//! `muhtar works add | list | close | clashes`: the units' works and announcements
//! ("which body does what, where"). Everything else is `Mbs`'s (`muhtar_core::map::work`);
//! `--json` prints the REST API's views (`muhtar_http::api::WorkView`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Subcommand};
use muhtar_core::calendar::{from_istanbul_local, local_time};
use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::map::work::{NewWork, Work, WorkId, WorkKind, WorkQuery, WorkStatus, MAX_WORKS};
use muhtar_core::map::Shape;
use muhtar_core::org::Organisation;
use muhtar_core::service::ServiceError;
use muhtar_http::api::WorkView;

use crate::state_cmd::{self, Global};

/// `muhtar works`.
#[derive(Debug, Clone, Subcommand)]
pub enum WorksCmd {
    /// Publish a unit's work or announcement (as the unit's staff or the coordinator);
    /// the muhtars of the muhtarlıklar its area touches are notified.
    Add(AddArgs),
    /// List works (anyone may: they are public), earliest start first.
    List(ListArgs),
    /// Close a work (finished or called off); its muhtars are notified.
    Close {
        /// The work's id (from `muhtar works list`).
        id: String,
    },
    /// The clashes: works of different units in the same place at the same time
    /// (coordinator, official, auditor).
    Clashes,
}

/// `muhtar works add`.
#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The unit doing it (code).
    #[arg(long)]
    pub unit: String,
    /// Title: one line, at most 200 characters.
    #[arg(long)]
    pub title: String,
    /// Kind.
    #[arg(long, value_parser = crate::named_arg::<WorkKind>(WorkKind::NAMES))]
    pub kind: WorkKind,
    /// Where, as a point: latitude and longitude (WGS 84), e.g. 41.0369,29.0306.
    #[arg(
        long,
        value_name = "LAT,LON",
        required_unless_present = "area",
        conflicts_with = "area"
    )]
    pub point: Option<String>,
    /// Where, as a GeoJSON file: a geometry (Point, LineString, Polygon, MultiPolygon,
    /// `[lon, lat]`), or a Feature or a FeatureCollection of one feature.
    #[arg(long, value_name = "FILE.geojson")]
    pub area: Option<PathBuf>,
    /// From: YYYY-MM-DD (the day's start), YYYY-MM-DD HH:MM (Istanbul time) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Until: YYYY-MM-DD (the whole day), YYYY-MM-DD HH:MM (Istanbul time) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    pub until: String,
    /// Whom to ask (public): a phone number or an office.
    #[arg(long)]
    pub contact: Option<String>,
    /// Already going on (default: planned).
    #[arg(long)]
    pub ongoing: bool,
    /// Print only the new work's id.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `muhtar works list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only this unit's works and those of the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only works touching this muhtarlık.
    #[arg(long)]
    pub muhtarlik: Option<String>,
    /// Only these statuses (repeat or comma-separate; default: planned and ongoing).
    #[arg(long, value_delimiter = ',', value_parser = crate::named_arg::<WorkStatus>(WorkStatus::NAMES))]
    pub status: Vec<WorkStatus>,
}

/// Runs a `muhtar works` command.
pub async fn run(g: &Global, cmd: &WorksCmd) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let actor = state_cmd::actor(g, &tenant)?;
    let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
    let org = &ctx.org;
    match cmd {
        WorksCmd::Add(a) => {
            let unit = UnitCode::new(a.unit.as_str()).map_err(|e| format!("--unit: {e}"))?;
            let area = match (&a.point, &a.area) {
                (Some(p), _) => point(p)?,
                (None, Some(f)) => area_file(f)?,
                (None, None) => return Err("--point or --area is required".into()),
            };
            let from = instant("--from", &a.from, false)?;
            let until = instant("--until", &a.until, true)?;
            let mut new = NewWork::new(unit, a.title.as_str(), a.kind, area, from, until);
            new.contact = a.contact.clone();
            if a.ongoing {
                new = new.with_status(WorkStatus::Ongoing);
            }
            let w = mbs.publish_work(&actor, new).await.map_err(flag_error)?;
            if g.json {
                print_json(&WorkView::of(&w, org))?;
            } else if a.quiet {
                outln!("{}", w.id);
            } else {
                outln!("çalışma duyuruldu: {}", w.id);
                describe(&w, org);
            }
        }
        WorksCmd::List(a) => {
            let mut q = WorkQuery::default();
            if let Some(u) = &a.unit {
                let code = org
                    .known_unit("--unit", u)
                    .map_err(|e| e.to_string())?
                    .code
                    .clone();
                q.units = Some(org.subtree(&code));
            }
            if let Some(m) = &a.muhtarlik {
                q.muhtarlik =
                    Some(MuhtarlikCode::new(m.as_str()).map_err(|e| format!("--muhtarlik: {e}"))?);
            }
            q.statuses = Some(match a.status.is_empty() {
                true => vec![WorkStatus::Planned, WorkStatus::Ongoing],
                false => a.status.clone(),
            });
            let works = mbs
                .works(&actor, &q, MAX_WORKS)
                .await
                .map_err(|e| e.to_string())?;
            if g.json {
                let views: Vec<WorkView> = works.iter().map(|w| WorkView::of(w, org)).collect();
                print_json(&serde_json::json!({ "works": views }))?;
            } else {
                table(&works, org);
            }
        }
        WorksCmd::Close { id } => {
            let id: WorkId = id
                .parse()
                .map_err(|_| format!("ID: {id:?} is not a work id (see muhtar works list)"))?;
            let w = mbs
                .close_work(&actor, id, None)
                .await
                .map_err(|e| e.to_string())?;
            if g.json {
                print_json(&WorkView::of(&w, org))?;
            } else {
                outln!("çalışma kapandı: {} ({})", w.id, w.title);
            }
        }
        WorksCmd::Clashes => {
            let clashes = mbs.clashes(&actor).await.map_err(|e| e.to_string())?;
            if g.json {
                let views: Vec<serde_json::Value> = clashes
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "first": WorkView::of(&c.first_work, org),
                            "second": WorkView::of(&c.second_work, org),
                            "from": c.clash.from,
                            "until": c.clash.until,
                        })
                    })
                    .collect();
                print_json(&views)?;
            } else if clashes.is_empty() {
                outln!("çakışma yok");
            } else {
                for c in &clashes {
                    outln!(
                        "{} – {} (İstanbul saati): aynı yerde iki birimin çalışması",
                        local_time(c.clash.from),
                        local_time(c.clash.until)
                    );
                    for w in [&c.first_work, &c.second_work] {
                        outln!(
                            "  {}  {}: {} ({})",
                            w.id,
                            unit_name(w, org),
                            w.title,
                            w.kind.display_name()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// The flags core's fields are given with, for errors that name the field.
const FLAGS: [(&str, &str); 6] = [
    ("unit", "--unit"),
    ("title", "--title"),
    ("area", "--point/--area"),
    ("starts_at", "--from"),
    ("ends_at", "--until"),
    ("contact", "--contact"),
];

/// A service error, an input error led by the flag of its field.
fn flag_error(e: ServiceError) -> String {
    match &e {
        ServiceError::Input(i) => match FLAGS.iter().find(|(f, _)| *f == i.field()) {
            Some((_, flag)) => format!("{flag}: {i}"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    outln!("{}", serde_json::to_string(v).map_err(|e| e.to_string())?);
    Ok(())
}

fn unit_name<'a>(w: &'a Work, org: &'a Organisation) -> &'a str {
    org.unit(&w.unit)
        .map_or(w.unit.as_str(), |u| u.name.as_str())
}

fn muhtarlik_names(w: &Work, org: &Organisation) -> String {
    w.muhtarliklar
        .iter()
        .map(|m| org.muhtarlik(m).map_or(m.as_str(), |x| x.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A published work as people read it (Istanbul times, names).
fn describe(w: &Work, org: &Organisation) {
    outln!("  başlık: {}", w.title);
    outln!(
        "  tür: {}, birim: {}",
        w.kind.display_name(),
        unit_name(w, org)
    );
    outln!(
        "  {} – {} (İstanbul saati), {}",
        local_time(w.starts_at),
        local_time(w.ends_at),
        w.status.display_name()
    );
    match w.muhtarliklar.is_empty() {
        true => outln!("  hiçbir muhtarlığın sınırına dokunmuyor: bildirim yok"),
        false => outln!("  bildirilen muhtarlıklar: {}", muhtarlik_names(w, org)),
    }
}

/// The works as a table: Turkish headings and names, Istanbul times.
fn table(works: &[Work], org: &Organisation) {
    outln!(
        "{:<36}  {:<16}  {:<16}  {:<12}  {:<19}  {:<28}  BAŞLIK (MUHTARLIKLAR)",
        "NO",
        "BAŞLANGIÇ",
        "BİTİŞ",
        "DURUM",
        "TÜR",
        "BİRİM"
    );
    for w in works {
        let places = muhtarlik_names(w, org);
        outln!(
            "{:<36}  {:<16}  {:<16}  {:<12}  {:<19}  {:<28}  {}{}",
            w.id,
            local_time(w.starts_at),
            local_time(w.ends_at),
            w.status.display_name(),
            w.kind.display_name(),
            unit_name(w, org),
            w.title,
            match places.is_empty() {
                true => String::new(),
                false => format!(" ({places})"),
            }
        );
    }
    if works.is_empty() {
        outln!("(çalışma yok)");
    }
}

/// `LAT,LON` as a point.
fn point(text: &str) -> Result<Shape, String> {
    let bad = || format!("--point: {text:?} is not LAT,LON, e.g. 41.0369,29.0306");
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    Ok(Shape::point(lon, lat))
}

/// A GeoJSON file's geometry: the file a geometry, a Feature or a FeatureCollection of one
/// feature.
fn area_file(path: &Path) -> Result<Shape, String> {
    let name = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--area: cannot read {name}: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("--area {name}: not JSON: {e}"))?;
    let geometry = match json["type"].as_str() {
        Some("Feature") => json["geometry"].clone(),
        Some("FeatureCollection") => match json["features"].as_array().map(Vec::as_slice) {
            Some([one]) => one["geometry"].clone(),
            _ => {
                return Err(format!(
                    "--area {name}: a FeatureCollection of exactly one feature is accepted"
                ))
            }
        },
        _ => json,
    };
    serde_json::from_value(geometry).map_err(|e| format!("--area {name}: {e}"))
}

/// An instant given as `YYYY-MM-DD` (the day's start, or with `end` the next day's:
/// the whole day), `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM` in Istanbul time, or RFC 3339.
/// The CLI's reader of the times people type (`works add`, `council vote open`).
pub(crate) fn instant(flag: &str, text: &str, end: bool) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "{flag}: {t:?} is not a date: expected YYYY-MM-DD, YYYY-MM-DD HH:MM (Istanbul time) \
             or RFC 3339 (2026-05-04T09:00:00+03:00)"
        )
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    let local = match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => match end {
            true => d.checked_add_days(Days::new(1)).ok_or_else(bad)?,
            false => d,
        }
        .and_hms_opt(0, 0, 0)
        .ok_or_else(bad)?,
        Err(_) => ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .ok_or_else(bad)?,
    };
    from_istanbul_local(local).map_err(|e| format!("{flag}: {e}"))
}
