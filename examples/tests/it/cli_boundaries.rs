//! Boundaries on the command line: `muhtar init` reads the boundaries file the organisation
//! file names (relative to it), prints its warnings and refuses its errors with every
//! problem's line and feature; `submit` and `show` warn of a location outside the
//! muhtarlık's boundary (not a refusal).

use std::path::Path;

use crate::common::{muhtar, muhtar_command, write_org};

const ORG: &str = include_str!("../../data/org.toml");
const BOUNDARIES: &str = include_str!("../../data/boundaries.geojson");

fn run(dir: &Path, db: &str, args: &[&str]) -> std::process::Output {
    muhtar_command(dir, db).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The [lat, lon] centre of an example muhtarlık.
fn centre(m: &str) -> (String, String) {
    let at = ORG.find(&format!("code = \"{m}\"")).unwrap();
    let line = ORG[at..]
        .lines()
        .find(|l| l.starts_with("centre = "))
        .unwrap();
    let inner = line.trim_start_matches("centre = [").trim_end_matches(']');
    let (lat, lon) = inner.split_once(", ").unwrap();
    (lat.to_owned(), lon.to_owned())
}

#[test]
fn init_reads_the_boundaries_file_beside_the_organisation_and_prints_its_warnings() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("b.db").display());
    // Moda's boundary wound clockwise: read, turned round, and said.
    let moda = BOUNDARIES
        .lines()
        .position(|l| l.contains("\"code\": \"moda\""))
        .unwrap();
    let mut lines: Vec<String> = BOUNDARIES.lines().map(str::to_owned).collect();
    let line = &lines[moda];
    let start = line.find("[[[").unwrap() + 2;
    let end = line.find("]]]").unwrap() + 1;
    let mut ring: Vec<&str> = line[start..end]
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("], [")
        .collect();
    ring.reverse();
    lines[moda] = format!("{}[{}]{}", &line[..start], ring.join("], ["), &line[end..]);
    let sub = dir.join("il");
    std::fs::create_dir(&sub).unwrap();
    let org = write_org(&sub, "org.toml", ORG);
    std::fs::write(sub.join("boundaries.geojson"), lines.join("\n")).unwrap();
    let o = run(dir, &db, &["init", "--org", org.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "boundaries.geojson: line {}, feature {} (moda): warning: exterior ring is wound clockwise",
            moda + 1,
            moda
        )),
        "{err}"
    );

    // An error: nothing is installed, every problem is named with its line.
    let broken = lines
        .join("\n")
        .replace("\"code\": \"moda\"", "\"code\": \"mod\"");
    std::fs::write(sub.join("boundaries.geojson"), broken).unwrap();
    let o = run(dir, &db, &["init", "--org", org.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "boundaries.geojson: line {}, feature {} (mod): muhtarlık \"mod\" is not in the organisation",
            moda + 1,
            moda
        )),
        "{err}"
    );
    // A missing file is named with the path tried.
    std::fs::remove_file(sub.join("boundaries.geojson")).unwrap();
    let o = run(dir, &db, &["init", "--org", org.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains(&format!(
            "cannot read {}",
            sub.join("boundaries.geojson").display()
        )),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn submit_and_show_warn_of_a_location_outside_the_muhtarlik() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("w.db").display());
    muhtar(dir, &db, &["init"]);
    let (lat, lon) = centre("beylerbeyi");
    let args = [
        "--as",
        "muhtar:kuzguncuk",
        "submit",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Yolda çukur",
        "--quiet",
        "--lat",
        &lat,
        "--lon",
        &lon,
    ];
    let o = run(dir, &db, &args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let warning =
        "Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta Beylerbeyi Mahallesi içinde.";
    assert_eq!(text(&o.stderr).trim(), format!("warning: {warning}"));
    let tracking = text(&o.stdout).trim().to_owned();
    let sheet = muhtar(dir, &db, &["show", &tracking]);
    assert!(sheet.contains(&format!("Uyarı: {warning}")), "{sheet}");
    // Inside: nothing to say.
    let (lat, lon) = centre("kuzguncuk");
    let mut inside = args;
    inside[9] = &lat;
    inside[11] = &lon;
    let o = run(dir, &db, &inside);
    assert!(o.status.success());
    assert_eq!(text(&o.stderr), "");
}
