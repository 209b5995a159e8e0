//! `muhtar works add | list | close | clashes`, run as a person would: the built binary on
//! a real SQLite file with the example organisation. Output in Turkish with display names
//! and Istanbul times; `--json` the REST API's views; errors name the flag.

use std::path::Path;

use serde_json::Value;

use crate::common::{muhtar, muhtar_fails};

fn world() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("m.db").display());
    muhtar(d.path(), &db, &["init"]);
    (d, db)
}

fn json(dir: &Path, db: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = muhtar(dir, db, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn ids(list: &Value) -> Vec<String> {
    list["works"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_unit_adds_lists_and_closes_its_works() {
    let (d, db) = world();
    let dir = d.path();
    // A point (LAT,LON as people write it), from an instant to a whole day.
    let out = muhtar(
        dir,
        &db,
        &[
            "--as",
            "unit:iski",
            "works",
            "add",
            "--unit",
            "iski",
            "--title",
            "Paşalimanı Caddesi su şebekesi yenileme",
            "--kind",
            "excavation",
            "--point",
            "41.0369,29.0306",
            "--from",
            "2030-05-04T06:00:00Z",
            "--until",
            "2030-05-20",
            "--contact",
            "İSKİ 185",
        ],
    );
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("çalışma duyuruldu: "), "{out}");
    let dig = first.trim_start_matches("çalışma duyuruldu: ").to_owned();
    // Istanbul time: 06:00 UTC is 09:00; the whole 20 May.
    assert!(
        out.contains("2030-05-04 09:00 – 2030-05-21 00:00 (İstanbul saati), Planlandı"),
        "{out}"
    );
    assert!(
        out.contains("tür: Kazı çalışması, birim: İSKİ Genel Müdürlüğü"),
        "{out}"
    );
    // An area from a GeoJSON file (a Feature), already going on, by the coordinator.
    std::fs::write(
        dir.join("cadde.geojson"),
        r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString",
            "coordinates":[[29.0300,41.0365],[29.0312,41.0372]]}}"#,
    )
    .unwrap();
    let asphalt = json(
        dir,
        &db,
        &[
            "works",
            "add",
            "--unit",
            "isfalt",
            "--title",
            "Paşalimanı Caddesi asfalt",
            "--kind",
            "road-works",
            "--area",
            "cadde.geojson",
            "--from",
            "2030-05-01 08:00",
            "--until",
            "2030-05-31",
            "--ongoing",
        ],
    );
    assert_eq!(asphalt["status"], "ongoing");
    assert_eq!(asphalt["starts_at"], "2030-05-01T08:00:00+03:00");
    assert_eq!(asphalt["area"]["type"], "LineString");
    assert_eq!(asphalt["unit_name"], "İSFALT A.Ş.");
    let asphalt = asphalt["id"].as_str().unwrap().to_owned();

    // The table: Turkish headings, display names, Istanbul times; anyone may list.
    let table = muhtar(dir, &db, &["--as", "public", "works", "list"]);
    let head = table.lines().next().unwrap();
    for h in ["BAŞLANGIÇ", "BİTİŞ", "DURUM", "TÜR", "BİRİM", "BAŞLIK"] {
        assert!(head.contains(h), "{head}");
    }
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert!(
        rows[0].starts_with(&asphalt) && rows[1].starts_with(&dig),
        "{table}"
    );
    assert!(rows[0].contains("2030-05-01 08:00") && rows[0].contains("Devam ediyor"));
    assert!(
        rows[1].contains("Kazı çalışması") && rows[1].contains("Planlandı"),
        "{table}"
    );
    assert!(
        !table.contains("excavation") && !table.contains("planned"),
        "{table}"
    );

    // Filters.
    let all = json(dir, &db, &["works", "list"]);
    assert_eq!(ids(&all), vec![asphalt.clone(), dig.clone()]);
    assert_eq!(
        ids(&json(dir, &db, &["works", "list", "--unit", "iski"])),
        vec![dig.clone()]
    );
    assert!(ids(&json(dir, &db, &["works", "list", "--status", "closed"])).is_empty());
    // A muhtarlık's works are those whose area touches its boundary.
    let kuzguncuk = json(dir, &db, &["works", "list", "--muhtarlik", "kuzguncuk"]);
    let touching: Vec<String> = all["works"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| {
            w["muhtarliklar"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "kuzguncuk")
        })
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&kuzguncuk), touching);

    // The excavation lies on the asphalted street in May: a clash for the coordinator.
    let clashes = muhtar(dir, &db, &["works", "clashes"]);
    assert!(
        clashes.starts_with("2030-05-04 09:00 – 2030-05-21 00:00 (İstanbul saati)"),
        "{clashes}"
    );
    assert!(
        clashes.contains(&asphalt) && clashes.contains(&dig),
        "{clashes}"
    );
    let c = json(dir, &db, &["works", "clashes"]);
    assert_eq!(c.as_array().unwrap().len(), 1, "{c}");
    let e = muhtar_fails(dir, &db, &["--as", "muhtar:kuzguncuk", "works", "clashes"]);
    assert!(e.contains("koordinatör (--as coordinator)"), "{e}");

    // Closed: out of the default list, in the closed one; once only.
    let out = muhtar(dir, &db, &["--as", "unit:iski", "works", "close", &dig]);
    assert_eq!(
        out,
        format!("çalışma kapandı: {dig} (Paşalimanı Caddesi su şebekesi yenileme)")
    );
    assert_eq!(
        ids(&json(dir, &db, &["works", "list"])),
        vec![asphalt.clone()]
    );
    assert_eq!(
        ids(&json(
            dir,
            &db,
            &["works", "list", "--status", "closed,planned"]
        )),
        vec![dig.clone()]
    );
    let e = muhtar_fails(dir, &db, &["works", "close", &dig]);
    assert!(e.contains("closed"), "{e}");
    assert_eq!(muhtar(dir, &db, &["works", "clashes"]), "çakışma yok");
    let quiet = muhtar(
        dir,
        &db,
        &[
            "works",
            "add",
            "--unit",
            "iski",
            "--title",
            "Su kesintisi",
            "--kind",
            "water-cut",
            "--point",
            "41.03,29.03",
            "--from",
            "2030-06-01",
            "--until",
            "2030-06-01",
            "-q",
        ],
    );
    assert_eq!(quiet.len(), 36, "only the id: {quiet}");
}

#[test]
fn bad_arguments_are_refused_naming_the_flag() {
    let (d, db) = world();
    let dir = d.path();
    let add = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "works",
            "add",
            "--unit",
            "iski",
            "--title",
            "Kazı",
            "--kind",
            "excavation",
            "--from",
            "2030-05-04",
            "--until",
            "2030-05-20",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    for (extra, flag) in [
        (&["--point", "41.03"][..], "--point"),
        (&["--point", "48.85,2.35"], "--point/--area"),
        (&["--area", "yok.geojson"], "--area"),
        (
            &["--point", "41.03,29.03", "--until", "2030-05-01"],
            "--until",
        ),
        (&["--point", "41.03,29.03", "--from", "4 Mayıs"], "--from"),
        (&["--point", "41.03,29.03", "--kind", "piknik"], "--kind"),
        (&["--point", "41.03,29.03", "--unit", "yok"], "--unit"),
        (&["--point", "41.03,29.03", "--title", " "], "--title"),
    ] {
        let args = add(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = crate::common::muhtar_command(dir, &db)
            .args(&args)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{extra:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(flag), "{extra:?}: {e}");
    }
    // Neither --point nor --area.
    let args = add(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = crate::common::muhtar_command(dir, &db)
        .args(&args)
        .output()
        .unwrap();
    assert!(!o.status.success());
    // A muhtar publishes nothing: the refusal names who may.
    let args = add(&["--point", "41.03,29.03", "--as", "muhtar:kuzguncuk"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let e = muhtar_fails(dir, &db, &args);
    assert!(e.contains("birim personeli (--as unit:iski)"), "{e}");
    let e = muhtar_fails(dir, &db, &["works", "close", "nope"]);
    assert!(e.contains("not a work id"), "{e}");
    assert!(ids(&json(dir, &db, &["works", "list"])).is_empty());
}
