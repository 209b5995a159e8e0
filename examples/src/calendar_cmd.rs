//! `muhtar holidays` and `muhtar deadline`: the calendar and SLA commands.
//!
//! Output conventions:
//! * `holidays --format csv`: first line `date,name,kind`; years whose religious
//!   dates are ESTIMATES get a note on stderr (`note: ... estimated ...`).
//!   `--format json`: one JSON array of objects with `date`, `name`, `kind`,
//!   `source` and `estimated`.
//! * `deadline`: one JSON object per line (`received`, `policy`, `calendar`,
//!   `due`, `due_date`, `state`, `explanation`). With `--received -` one instant
//!   per stdin line; errors name the line number.

use std::io::{BufRead, BufWriter, Write};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use muhtar_core::calendar::{Calendar, CalendarView, HolidayKind};
use muhtar_core::sla::{ClockEvent, PauseReason, PolicyRegistry, SlaClock};

/// Output format of `holidays`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `date,name,kind` CSV.
    Csv,
    /// A JSON array.
    Json,
}

/// `muhtar holidays <YEAR>`: the official holidays of a year.
#[derive(Debug, Clone, Args)]
pub struct HolidaysArgs {
    /// The year (2010..=2050).
    pub year: i32,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Calendar view (operational adds the built-in idari izin days).
    #[arg(long, default_value = "legal", value_parser = crate::named_arg::<CalendarView>(CalendarView::NAMES))]
    pub calendar: CalendarView,
}

/// `muhtar deadline`: the deadline of a request received at an instant.
#[derive(Debug, Clone, Args)]
pub struct DeadlineArgs {
    /// Policy name, e.g. genelge-2015-8, belediye-15-is-gunu, dilekce-3071, bilgi-edinme-4982.
    #[arg(long)]
    pub policy: String,
    /// Receipt instant (RFC 3339), or `-` to read one instant per line from stdin.
    #[arg(long)]
    pub received: String,
    /// Calendar view (operational adds the built-in idari izin days).
    #[arg(long, default_value = "legal", value_parser = crate::named_arg::<CalendarView>(CalendarView::NAMES))]
    pub calendar: CalendarView,
    /// A pause `FROM..TO` (two RFC 3339 instants, waiting on the muhtar); repeatable.
    #[arg(long = "pause", value_name = "FROM..TO")]
    pub pauses: Vec<String>,
    /// Evaluation instant for the `state` field (RFC 3339; default: now).
    #[arg(long)]
    pub now: Option<String>,
}

/// The fixed "added at" instant recorded for the built-in idari izin days.
fn builtin_added_at() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

fn calendar_for(view: CalendarView) -> Calendar {
    match view {
        CalendarView::Legal => Calendar::new(),
        _ => Calendar::with_builtin_idari_izin("muhtar-core built-in list", builtin_added_at()),
    }
}

/// An instant given for `field`: the core's reader, whose error names the field and the
/// form expected.
fn parse_instant(field: &'static str, s: &str) -> Result<DateTime<Utc>, String> {
    muhtar_core::request::parse_instant(field, s).map_err(|e| e.to_string())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Runs `muhtar holidays`.
pub fn run_holidays(args: HolidaysArgs) -> Result<(), String> {
    let view = args.calendar;
    let cal = calendar_for(view);
    let rows = cal.holidays(args.year, view).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let io = crate::out::io_error;
    match args.format {
        Format::Csv => {
            if rows.iter().any(|h| h.estimated) {
                eprintln!(
                    "note: the religious holiday dates of {} are estimated (not yet published by Diyanet)",
                    args.year
                );
            }
            writeln!(out, "date,name,kind").map_err(io)?;
            for h in &rows {
                let kind = if h.kind == HolidayKind::Full {
                    "full"
                } else {
                    "half"
                };
                writeln!(out, "{},{},{}", h.date, csv_field(&h.name), kind).map_err(io)?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows).map_err(|e| e.to_string())?;
            writeln!(out).map_err(io)?;
        }
    }
    out.flush().map_err(io)
}

/// Runs `muhtar deadline`.
pub fn run_deadline(args: DeadlineArgs) -> Result<(), String> {
    let registry = PolicyRegistry::builtin();
    let policy = registry
        .get(&args.policy)
        .map_err(|e| e.to_string())?
        .clone()
        .with_view(args.calendar);
    let cal = calendar_for(policy.view);
    let clock = SlaClock::new(&policy, &cal);
    let now = match &args.now {
        Some(s) => parse_instant("--now", s)?,
        None => Utc::now(),
    };
    let mut pauses = Vec::new();
    for p in &args.pauses {
        let (from, to) = p
            .split_once("..")
            .ok_or_else(|| format!("malformed pause {p:?}: expected FROM..TO"))?;
        let (from, to) = (
            parse_instant("--pause", from)?,
            parse_instant("--pause", to)?,
        );
        if to < from {
            return Err(format!("malformed pause {p:?}: TO is before FROM"));
        }
        pauses.push((from, to));
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut events = Vec::with_capacity(1 + 2 * pauses.len());
    let mut line_buf = Vec::with_capacity(4096);
    let mut one = |received: DateTime<Utc>, out: &mut BufWriter<_>| -> Result<(), String> {
        events.clear();
        events.push(ClockEvent::Received { at: received });
        for &(from, to) in &pauses {
            events.push(ClockEvent::Paused {
                at: from,
                reason: PauseReason::Muhtar,
            });
            events.push(ClockEvent::Resumed { at: to });
        }
        let eval = clock
            .evaluate(&events, now.max(received))
            .map_err(|e| e.to_string())?;
        let r = &eval.resolution;
        let obj = serde_json::json!({
            "received": muhtar_core::calendar::to_istanbul(received).to_rfc3339(),
            "policy": policy.name,
            "calendar": policy.view,
            "calendar_version": eval.calendar_version,
            "due": r.due.to_rfc3339(),
            "due_date": r.due_date.to_string(),
            "state": r.state,
            "explanation": r.explanation,
        });
        line_buf.clear();
        serde_json::to_writer(&mut line_buf, &obj).map_err(|e| e.to_string())?;
        line_buf.push(b'\n');
        out.write_all(&line_buf).map_err(crate::out::io_error)
    };
    if args.received == "-" {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut line = String::new();
        let mut n = 0usize;
        loop {
            line.clear();
            let read = input
                .read_line(&mut line)
                .map_err(|e| format!("stdin: {e}"))?;
            if read == 0 {
                break;
            }
            n += 1;
            if line.trim().is_empty() {
                continue;
            }
            let at = parse_instant("--received", &line).map_err(|e| format!("line {n}: {e}"))?;
            one(at, &mut out).map_err(|e| format!("line {n}: {e}"))?;
        }
    } else {
        let at = parse_instant("--received", &args.received)?;
        one(at, &mut out)?;
    }
    out.flush().map_err(crate::out::io_error)
}
