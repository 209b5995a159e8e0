//! Official documents through the built `muhtar` binary (`muhtar document …`, issue 23):
//! signing keys, registration (automatic for petitions, and the command), letters with
//! their A4 HTML, show by our number or a petition's own, verification and its exit
//! status, the sheet, export and report; the refusals in Turkish. On a real SQLite file
//! and on PostgreSQL (`DATABASE_URL`; skipped without it unless `MUHTAR_REQUIRE_POSTGRES=1`).

use std::path::Path;

use crate::common::{self, muhtar, muhtar_command, muhtar_fails};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `muhtar document key new --id ID --out FILE`; returns its standard output.
fn new_key(dir: &Path, id: &str, file: &str) -> String {
    muhtar(
        dir,
        "sqlite://unused.db",
        &["document", "key", "new", "--id", id, "--out", file],
    )
}

/// The example settings with petitions registered on receipt, and the key entry `entry`.
fn settings_with(dir: &Path, entry: &str) -> String {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/settings.toml"))
            .unwrap();
    assert!(example.contains("\n# auto_register = [\"petition\"]\n"));
    let text = example.replace(
        "\n# auto_register = [\"petition\"]\n",
        "\nauto_register = [\"petition\"]\n",
    ) + entry;
    let path = dir.join("evrak-ayarlar.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_new_key_is_a_private_file_and_its_public_entry_on_standard_output() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let out = new_key(dir, "2026-1", "anahtar.toml");

    // The entry is TOML the settings take: the id and 64 hexadecimal digits.
    let v: toml::Value = toml::from_str(&out).unwrap();
    let entry = &v["documents"]["keys"][0];
    assert_eq!(entry["id"].as_str(), Some("2026-1"));
    let public = entry["public_key"].as_str().unwrap();
    assert!(
        public.len() == 64 && public.bytes().all(|b| b.is_ascii_hexdigit()),
        "{out}"
    );
    // The file is the owner's only, holds the secret, not the public key.
    let file = dir.join("anahtar.toml");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("id = \"2026-1\"") && text.contains("secret = "),
        "{text}"
    );
    assert!(!text.contains(public));

    // Two keys are never the same; an existing file is never overwritten.
    let other = new_key(dir, "2026-2", "anahtar2.toml");
    assert_ne!(out.replace("2026-1", ""), other.replace("2026-2", ""));
    let e = muhtar_fails(
        dir,
        "sqlite://unused.db",
        &[
            "document",
            "key",
            "new",
            "--id",
            "2026-3",
            "--out",
            "anahtar.toml",
        ],
    );
    assert!(e.contains("anahtar.toml zaten var"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let e = muhtar_fails(
        dir,
        "sqlite://unused.db",
        &[
            "document", "key", "new", "--id", "bad id", "--out", "x.toml",
        ],
    );
    assert!(e.contains("--id") && e.contains("bad id"), "{e}");
    assert!(!dir.join("x.toml").exists());

    // --json gives the same entry.
    let j = json(&muhtar(
        dir,
        "sqlite://unused.db",
        &[
            "--json", "document", "key", "new", "--id", "k3", "--out", "k3.toml",
        ],
    ));
    assert_eq!(j["id"], "k3");
    assert_eq!(j["public_key"].as_str().unwrap().len(), 64);
}

#[test]
fn refusals_are_turkish_and_name_the_request_the_unit_or_the_code() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = "sqlite://evrak.db";
    // An organisation without DETSİS numbers: no unit keeps a registry.
    let org = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/org.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("detsis = "))
        .collect::<Vec<_>>()
        .join("\n");
    let org = org.replace(
        "boundaries = \"boundaries.geojson\"",
        &format!(
            "boundaries = \"{}/data/boundaries.geojson\"",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    std::fs::write(dir.join("org.toml"), org).unwrap();
    muhtar(dir, db, &["init", "--org", "org.toml"]);
    let tr = muhtar(
        dir,
        db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Çukur",
            "--quiet",
        ],
    );

    let e = muhtar_fails(dir, db, &["document", "register", &tr]);
    assert!(
        e.contains("evrak kaydı yok")
            && e.contains("(uskudar-fen)")
            && e.contains("DETSİS")
            && e.contains("detsis = "),
        "{e}"
    );
    // Not answered: no letter, and no file left behind.
    let e = muhtar_fails(dir, db, &["document", "letter", &tr, "--out", "yazi.html"]);
    assert!(e.contains(&tr) && e.contains("henüz cevaplanmadı"), "{e}");
    assert!(!dir.join("yazi.html").exists());
    // An unknown request, a malformed number, a malformed code.
    let known: muhtar_core::tracking::TrackingNumber = tr.parse().unwrap();
    let unknown = muhtar_core::tracking::TrackingNumber::from_value(known.value() ^ 1)
        .unwrap()
        .to_string();
    let e = muhtar_fails(dir, db, &["document", "register", &unknown]);
    assert!(
        e.contains(&format!("{unknown} takip numaralı talep yok")),
        "{e}"
    );
    let e = muhtar_fails(dir, db, &["document", "register", "XYZ"]);
    assert!(e.contains("takip numarası"), "{e}");
    let e = muhtar_fails(dir, db, &["document", "verify", "7KQ2-M9XA"]);
    assert!(e.contains("bir doğrulama kodu değil"), "{e}");
    // A signing key file that is not there.
    let e = muhtar_fails(
        dir,
        db,
        &["--signing-key", "yok.toml", "document", "register", &tr],
    );
    assert!(e.contains("--signing-key") && e.contains("yok.toml"), "{e}");
}

/// The whole flow on one database. Needs the stores' documents (issue 23's store work).
fn flow(dir: &Path, db: &str) {
    let entry = new_key(dir, "2026-1", "anahtar.toml");
    let settings = settings_with(dir, &entry);
    muhtar(dir, db, &["init", "--settings", &settings]);
    let key = ["--signing-key", "anahtar.toml"];
    let with_key = |args: &[&str]| -> String {
        let mut all = key.to_vec();
        all.extend_from_slice(args);
        muhtar(dir, db, &all)
    };

    // A paper petition is registered on receipt, found by its own number.
    let petition = with_key(&[
        "submit",
        "--muhtarlik",
        "kuzguncuk",
        "--channel",
        "petition",
        "--registration-number",
        "2026/145",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Kaldırım taşları kırık",
        "--quiet",
    ]);
    let found = json(&muhtar(
        dir,
        db,
        &["--json", "document", "show", "2026/145"],
    ));
    assert_eq!(found["tracking"], petition.as_str());
    assert_eq!(found["external_number"], "2026/145");
    assert_eq!(found["direction"], "incoming");
    assert_eq!(found["signed_by"], "2026-1");
    let first = found["number"].as_str().unwrap().to_owned();
    assert!(first.starts_with("E-69669655-754.01-"), "{first}");

    // Another request, registered by the command: the next number of the registry.
    let tr = with_key(&[
        "submit",
        "--muhtarlik",
        "kuzguncuk",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Yol çizgileri silindi",
        "--quiet",
    ]);
    let number = with_key(&["document", "register", &tr]);
    let seq = |n: &str| n.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(seq(&number), seq(&first) + 1, "{number} after {first}");
    let e = muhtar_fails(dir, db, &["document", "register", &tr]);
    assert!(
        e.contains("zaten gelen evrak") && e.contains(&number),
        "{e}"
    );

    // Answered, issued as a letter with its A4 page.
    muhtar(
        dir,
        db,
        &[
            "--as",
            "unit:uskudar-fen",
            "answer",
            &tr,
            "--outcome",
            "positive",
            "--text",
            "Çizgiler yenilendi",
        ],
    );
    let letter = json(&with_key(&[
        "--as",
        "unit:uskudar-fen",
        "--json",
        "document",
        "letter",
        &tr,
        "--out",
        "yazi.html",
    ]));
    for f in ["number", "code", "sha256", "date", "issuer", "subject"] {
        assert!(letter[f].is_string(), "{f}: {letter}");
    }
    assert_eq!(letter["related"], number.as_str());
    assert_eq!(letter["direction"], "outgoing");
    let letter_number = letter["number"].as_str().unwrap();
    let code = letter["code"].as_str().unwrap();
    let html = std::fs::read_to_string(dir.join("yazi.html")).unwrap();
    assert!(
        html.contains(letter_number) && html.contains("Çizgiler yenilendi"),
        "{html}"
    );
    assert!(html.contains(&code[..4]), "{html}");
    let e = muhtar_fails(dir, db, &["document", "letter", &tr]);
    assert!(
        e.contains("zaten resmî yazı") && e.contains(letter_number),
        "{e}"
    );

    // Shown by its number, in Turkish.
    let shown = muhtar(dir, db, &["document", "show", letter_number]);
    for needle in [
        "giden evrak",
        &format!("İlgi         {number}"),
        "anahtar 2026-1",
        &format!("Takip No     {tr}"),
    ] {
        assert!(shown.contains(needle), "{needle} in {shown}");
    }

    // Verified by anyone with the code, in either spelling.
    let v = muhtar(dir, db, &["--as", "public", "document", "verify", code]);
    assert!(
        v.starts_with("GEÇERLİ") && v.contains("anahtar 2026-1"),
        "{v}"
    );
    let v = json(&muhtar(
        dir,
        db,
        &["--json", "document", "verify", &code.to_lowercase()],
    ));
    assert_eq!(v["valid"], true);
    assert_eq!(v["sha256"], letter["sha256"]);
    assert_eq!(v["number"], letter["number"]);
    let unknown: String = code.chars().rev().collect();
    if unknown != code {
        let e = muhtar_fails(dir, db, &["document", "verify", &unknown]);
        assert!(e.contains("belge yok"), "{e}");
    }

    // The sheet, the export and the report name them.
    let sheet = muhtar(dir, db, &["show", &tr]);
    assert!(
        sheet.contains(&format!("Gelen evrak  {number} (")),
        "{sheet}"
    );
    assert!(
        sheet.contains(&format!("Cevap yazısı {letter_number} (")),
        "{sheet}"
    );
    let rows: Vec<serde_json::Value> = muhtar(dir, db, &["export"]).lines().map(json).collect();
    let row = rows.iter().find(|r| r["tracking"] == tr.as_str()).unwrap();
    assert_eq!(row["document_number"], number.as_str());
    assert_eq!(row["letter_numbers"], serde_json::json!([letter_number]));
    let year = chrono::Utc::now().format("%Y").to_string();
    let report = json(&muhtar(
        dir,
        db,
        &["report", "--period", &year, "--format", "json"],
    ));
    assert_eq!(
        report["documents"],
        serde_json::json!({"registered": 2, "letters": 1})
    );

    // Settings that no longer list the key: the signature cannot be checked, verification
    // says so and exits non-zero.
    let without = settings_with(dir, "");
    muhtar(dir, db, &["init", "--settings", &without]);
    let o = muhtar_command(dir, db)
        .args(["document", "verify", code])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("GEÇERSİZ") && out.contains("2026-1"),
        "{out}"
    );
}

#[test]
fn documents_from_registration_to_verification_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    flow(d.path(), "sqlite://evrak.db");
}

#[test]
fn documents_from_registration_to_verification_on_postgres() {
    let Some(base) = common::pg_server("documents on PostgreSQL") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    flow(d.path(), &common::fresh_pg_db(&base, "evrak"));
}
