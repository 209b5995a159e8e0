//! `muhtar report`: the quarterly report of Genelge 2015/8 (draft, sign-off, signed
//! reports) and the same statistics for any period (`--period`, never signed) in JSON,
//! CSV or HTML.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use muhtar_core::ids::UnitCode;
use muhtar_core::report::render::{self, CsvOptions, Format, Separator};
use muhtar_core::report::{Quarter, ReportPeriod};

use crate::state_cmd::{self, Global};

/// `muhtar report`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    /// Sign off, list or show signed reports; without one, the draft report.
    #[command(subcommand)]
    pub action: Option<ReportAction>,
    #[command(flatten)]
    pub draft: DraftArgs,
}

/// What to report on and how to write it.
#[derive(Debug, Clone, Args)]
pub struct DraftArgs {
    /// Quarter, e.g. 2026Q1 (default: the last quarter that has ended).
    #[arg(long, conflicts_with = "period")]
    pub quarter: Option<String>,
    /// Any period instead: a year (2026), a quarter (2026Q2) or a range of dates, both
    /// included (2026-01-01..2026-06-30), Istanbul dates. Only quarters are signed.
    #[arg(long)]
    pub period: Option<String>,
    /// Narrow to this unit and the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// The draft computed from today's data even for a signed quarter (whose report is
    /// otherwise the signed snapshot, with its signature and whether today's data
    /// differs from it).
    #[arg(long)]
    pub draft: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Output options.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// json, csv or html.
    #[arg(long, default_value = "json")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CSV field separator: comma (decimal point `.`) or semicolon (decimal comma, for
    /// spreadsheets in Turkish locale).
    #[arg(long, default_value = "comma")]
    pub csv_separator: String,
}

/// `muhtar report <action>`.
#[derive(Debug, Clone, Subcommand)]
pub enum ReportAction {
    /// Sign off an ended quarter's report (the responsible official: `--as official`).
    /// Signing again makes a correction, the next version.
    Sign {
        /// Quarter, e.g. 2026Q1.
        #[arg(long)]
        quarter: String,
        /// Narrow to this unit and the units below it.
        #[arg(long)]
        unit: Option<String>,
        /// The sign-off note (for a correction: what was corrected).
        #[arg(long)]
        note: String,
    },
    /// List the signed reports.
    List,
    /// Show a signed report by id.
    Show {
        /// The signed report's id (from `report list`).
        id: String,
        #[command(flatten)]
        output: OutputArgs,
    },
}

fn unit(s: Option<&str>) -> Result<Option<UnitCode>, String> {
    s.map(|u| UnitCode::new(u).map_err(|e| format!("--unit {u}: {e}")))
        .transpose()
}

fn output(o: &OutputArgs) -> Result<(Format, CsvOptions), String> {
    let format: Format = o.format.parse()?;
    let separator: Separator = o.csv_separator.parse()?;
    Ok((format, CsvOptions { separator }))
}

/// Writes `text` to `out` (through a temporary file renamed into place, so a reader never
/// sees half a report) or to standard output.
fn write(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        None => {
            out!("{text}");
            if !text.ends_with('\n') {
                outln!();
            }
            Ok(())
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = dir.join(format!(
                ".{}.tmp-{}",
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("report"),
                std::process::id()
            ));
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, path))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    format!("cannot write {}: {e}", path.display())
                })
        }
    }
}

/// A signed report without its body, as `--json` prints it.
fn summary(s: &muhtar_core::report::SignedReport) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "quarter": s.quarter,
        "unit": s.unit,
        "version": s.version,
        "supersedes": s.supersedes,
        "signed_by": s.signed_by,
        "signed_at": s.signed_at,
        "note": s.note,
        "content_hash": s.content_hash,
        "received": s.report.totals.received,
    })
}

/// Runs `muhtar report`.
pub async fn run(g: &Global, a: &ReportArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let actor = state_cmd::actor(g, &tenant)?;
    match &a.action {
        None => {
            let d = &a.draft;
            let (format, csv) = output(&d.output)?;
            let period = match (&d.period, &d.quarter) {
                (Some(p), _) => p
                    .parse::<ReportPeriod>()
                    .map_err(|e| format!("--period: {e}"))?,
                (None, Some(q)) => q.parse::<Quarter>().map_err(|e| e.to_string())?.into(),
                (None, None) => Quarter::containing(chrono::Utc::now()).previous().into(),
            };
            let unit = unit(d.unit.as_deref())?;
            if let (false, Some(quarter)) = (d.draft, period.quarter()) {
                let signed = mbs
                    .signed_quarter(&actor, quarter, unit.as_ref())
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(q) = signed {
                    if d.output.out.is_some() {
                        outln!("{}", q.signed.signature_line());
                        outln!("{}", q.check.note());
                    }
                    return write(
                        d.output.out.as_deref(),
                        &render::render_signed_checked(
                            &q.signed,
                            &q.check,
                            format,
                            csv,
                            &q.corrections,
                        ),
                    );
                }
            }
            let report = mbs
                .report_period(&actor, period, unit.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            write(
                d.output.out.as_deref(),
                &render::render(&report, format, csv),
            )
        }
        Some(ReportAction::Sign {
            quarter,
            unit: u,
            note,
        }) => {
            let quarter: Quarter = quarter
                .parse()
                .map_err(|e: muhtar_core::report::ReportError| e.to_string())?;
            let unit = unit(u.as_deref())?;
            let s = mbs
                .sign_report(&actor, quarter, unit.as_ref(), note)
                .await
                .map_err(|e| e.to_string())?;
            if g.json {
                outln!("{}", summary(&s));
            } else {
                outln!(
                    "signed {} {} version {} ({}), sha256 {}",
                    s.quarter,
                    s.unit
                        .as_ref()
                        .map(|u| u.as_str())
                        .unwrap_or("(whole tenant)"),
                    s.version,
                    s.id,
                    s.content_hash
                );
            }
            Ok(())
        }
        Some(ReportAction::List) => {
            let marked = mbs
                .signed_reports_marked(&actor)
                .await
                .map_err(|e| e.to_string())?;
            let needs = |s: &muhtar_core::report::SignedReport| {
                marked.iter().any(|(r, m)| r.id == s.id && !m.is_empty())
            };
            let all: Vec<_> = marked.iter().map(|(r, _)| r.clone()).collect();
            if g.json {
                let items: Vec<serde_json::Value> = all
                    .iter()
                    .map(|s| {
                        let mut v = summary(s);
                        v["needs_correction"] = needs(s).into();
                        v
                    })
                    .collect();
                outln!("{}", serde_json::Value::Array(items));
            } else if all.is_empty() {
                outln!("no signed reports");
            } else {
                for s in &all {
                    outln!(
                        "{}  {}  {:<20} v{}  {}  {}  {}{}",
                        s.id,
                        s.quarter,
                        s.unit.as_ref().map(|u| u.as_str()).unwrap_or("(tenant)"),
                        s.version,
                        muhtar_core::request::sheet::local_time(s.signed_at),
                        s.signed_by,
                        s.note,
                        if needs(s) { "  DÜZELTME GEREKLİ" } else { "" }
                    );
                }
            }
            Ok(())
        }
        Some(ReportAction::Show { id, output: o }) => {
            let (format, csv) = output(o)?;
            let id: uuid::Uuid = id
                .parse()
                .map_err(|e| format!("signed report id {id:?}: {e}"))?;
            let (s, marks) = mbs
                .signed_reports_marked(&actor)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|(r, _)| r.id == id)
                .ok_or_else(|| format!("signed report {id} not found"))?;
            s.verify().map_err(|e| e.to_string())?;
            write(
                o.out.as_deref(),
                &render::render_signed_marked(&s, format, csv, &marks),
            )
        }
    }
}
