//! Deadlines: our business-day offset vs numpy's `busday_offset` on the same pairs.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use muhtar_benches::workload::{deadline_pairs, full_holidays};
use muhtar_core::calendar::Calendar;

use crate::{best_of, per_sec, rate, Opts, Outcome};

/// numpy's side: reads the pairs and the holidays (int32 days since 1970-01-01), runs
/// `busday_offset` vectorised (best of `runs`) and one call at a time on the first
/// `scalar_n` pairs, writes the answers, prints the timings as JSON.
const NUMPY: &str = r#"
import json, sys, time
import numpy as np
d = sys.argv[1]
runs, scalar_n = int(sys.argv[2]), int(sys.argv[3])
dates = np.fromfile(d + "/dates.i32", dtype="<i4").astype("datetime64[D]")
offsets = np.fromfile(d + "/offsets.i32", dtype="<i4").astype(np.int64)
hol = np.fromfile(d + "/holidays.i32", dtype="<i4").astype("datetime64[D]")
cal = np.busdaycalendar(weekmask="1111100", holidays=hol)
best = float("inf")
for _ in range(runs):
    t = time.perf_counter()
    out = np.busday_offset(dates, offsets, roll="backward", busdaycal=cal)
    best = min(best, time.perf_counter() - t)
out.astype("<i4").tofile(d + "/numpy.i32")
sd, so = dates[:scalar_n].tolist(), offsets[:scalar_n].tolist()
t = time.perf_counter()
for a, b in zip(sd, so):
    np.busday_offset(a, b, roll="backward", busdaycal=cal)
scalar = time.perf_counter() - t
print(json.dumps({"vector_s": best, "scalar_s": scalar, "numpy": np.__version__}))
"#;

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

fn write_i32(path: &Path, v: impl Iterator<Item = i32>) -> std::io::Result<()> {
    let bytes: Vec<u8> = v.flat_map(i32::to_le_bytes).collect();
    std::fs::write(path, bytes)
}

/// Finds python3 with numpy, installing numpy with pip if it is missing.
fn python() -> Result<String, String> {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has_numpy = |py: &str| {
        Command::new(py)
            .args(["-c", "import numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_numpy(&py) {
        return Ok(py);
    }
    eprintln!("deadlines: numpy is missing, installing it with `{py} -m pip install numpy`");
    let out = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "numpy"])
        .output()
        .map_err(|e| format!("cannot run {py}: {e} (set PYTHON to a python3 with numpy)"))?;
    if has_numpy(&py) {
        Ok(py)
    } else {
        Err(format!(
            "numpy is not importable by {py} and `pip install numpy` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Our offsets: the public `Calendar::add_business_days` (legal view, half days count),
/// one call per pair, single-threaded.
pub fn ours(cal: &Calendar, pairs: &[(NaiveDate, u32)], out: &mut [NaiveDate]) {
    for (o, &(d, n)) in out.iter_mut().zip(pairs) {
        *o = cal.add_business_days(d, n).expect("pairs stay in range");
    }
}

pub fn run(opts: &Opts) -> Outcome {
    let n = 1_000_000usize;
    let runs = if opts.quick { 3 } else { 7 };
    let scalar_n = if opts.quick { 20_000 } else { 100_000 };
    let cal = Calendar::new();
    let pairs = deadline_pairs(n, 20_158);
    let holidays = full_holidays(&cal);
    let mut answers = vec![NaiveDate::MIN; n];
    let (t_ours, ()) = best_of(runs, || ours(&cal, &pairs, &mut answers));

    let py = python()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| e.to_string();
    write_i32(
        &dir.path().join("dates.i32"),
        pairs.iter().map(|p| days(p.0)),
    )
    .map_err(io)?;
    write_i32(
        &dir.path().join("offsets.i32"),
        pairs.iter().map(|p| p.1 as i32),
    )
    .map_err(io)?;
    write_i32(
        &dir.path().join("holidays.i32"),
        holidays.iter().map(|&d| days(d)),
    )
    .map_err(io)?;
    let out = Command::new(&py)
        .arg("-c")
        .arg(NUMPY)
        .arg(dir.path())
        .arg(runs.to_string())
        .arg(scalar_n.to_string())
        .output()
        .map_err(|e| format!("cannot run {py}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "numpy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let timing: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("numpy's output: {e}"))?;
    let secs = |k: &str| {
        timing[k]
            .as_f64()
            .ok_or(format!("numpy's output has no {k}"))
    };
    let (vector_s, scalar_s) = (secs("vector_s")?, secs("scalar_s")?);
    let theirs = std::fs::read(dir.path().join("numpy.i32")).map_err(io)?;
    let theirs: Vec<i32> = theirs
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let same = answers
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| days(**a) == **b)
        .count();
    if theirs.len() != n || same != n {
        let first = answers
            .iter()
            .zip(&theirs)
            .zip(&pairs)
            .find(|((a, b), _)| days(**a) != **b);
        return Err(format!(
            "{same} of {n} answers identical to numpy's; first difference: {first:?}"
        ));
    }
    let ours_rate = per_sec(n as u64, t_ours);
    let numpy_rate = n as f64 / vector_s;
    println!(
        "deadlines: {n} (date, N) pairs, {} holidays, {same}/{n} identical; muhtar \
         Calendar::add_business_days {} ({:.1} ms, 1 thread); numpy {} busday_offset \
         vectorised {} ({:.1} ms), one call at a time {}; ratio={:.1}",
        holidays.len(),
        rate(ours_rate),
        t_ours.as_secs_f64() * 1e3,
        timing["numpy"].as_str().unwrap_or("?"),
        rate(numpy_rate),
        vector_s * 1e3,
        rate(scalar_n as f64 / scalar_s),
        ours_rate / numpy_rate
    );
    Ok(())
}
