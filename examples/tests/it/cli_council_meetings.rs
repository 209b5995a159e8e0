//! The council's meetings through the built `muhtar` binary (`muhtar council meeting …`,
//! issue 24's second part) on a real SQLite file: scheduling, attendance from the roll,
//! minutes from a file freezing the meeting (their SHA-256 shown), the refusals in
//! Turkish, `--json`, access.
//!
//! The CLI has no clock override: the meeting is set two seconds ahead and the test waits
//! for it once before recording its minutes.

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cli_council::{council, json, refused};
use crate::common::{muhtar, muhtar_fails};

fn member(dir: &Path, db: &str, name: &str, email: &str) -> String {
    let args = ["member", "add", "--muhtarlik", "kuzguncuk", "--name", name];
    council(dir, db, &[&args[..], &["--email", email]].concat())
        .trim()
        .to_owned()
}

fn add_meeting(dir: &Path, db: &str, at: &str, json_out: bool) -> String {
    let args = [
        "meeting",
        "add",
        "--muhtarlik",
        "kuzguncuk",
        "--at",
        at,
        "--place",
        "Kuzguncuk muhtarlığı",
        "--agenda",
        "Parkın bakımı",
        "--agenda",
        "Pazar yeri düzeni",
    ];
    if json_out {
        return council(dir, db, &[&["--json"], &args[..]].concat());
    }
    council(dir, db, &args).trim().to_owned()
}

#[test]
fn a_meeting_from_the_agenda_to_frozen_minutes_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (
        d.path(),
        format!("sqlite://{}", d.path().join("meclis.db").display()),
    );
    let db = db.as_str();
    muhtar(dir, db, &["init"]);
    let ayse = member(dir, db, "Ayşe Yılmaz", "ayse@example.org");
    let mehmet = member(dir, db, "Mehmet Kaya", "mehmet@example.org");

    // Scheduling: the agenda is needed; fields are named by their flags.
    let e = refused(
        dir,
        db,
        &[
            "meeting",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--at",
            "2030-01-01 19:00",
            "--place",
            "Kahvehane",
        ],
    );
    assert!(e.contains("--agenda") && e.contains("1 to 30"), "{e}");
    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    let held_at = Instant::now() + Duration::from_millis(2300);
    let soon_text = soon.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let first = json(&add_meeting(dir, db, &soon_text, true));
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(first["held"], false);
    assert_eq!(first["place"], "Kuzguncuk muhtarlığı");
    assert_eq!(
        first["agenda"],
        serde_json::json!(["Parkın bakımı", "Pazar yeri düzeni"])
    );
    let later = add_meeting(dir, db, "2099-06-01 19:00", false);
    let listed = json(&muhtar(
        dir,
        db,
        &[
            "--json",
            "--as",
            "auditor",
            "council",
            "meeting",
            "list",
            "--muhtarlik",
            "kuzguncuk",
        ],
    ));
    let ids: Vec<&str> = listed["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![later.as_str(), id.as_str()], "latest first");

    // Attendance: members of the roll only; replaced until the minutes.
    let stranger = "00000000-0000-0000-0000-000000000001";
    let e = refused(
        dir,
        db,
        &[
            "meeting",
            "attendance",
            &id,
            "--members",
            &format!("{ayse},{stranger}"),
        ],
    );
    assert!(
        e.contains(stranger) && e.contains("üye listesinde değildi"),
        "{e}"
    );
    let out = council(
        dir,
        db,
        &[
            "meeting",
            "attendance",
            &id,
            "--members",
            &format!("{ayse},{mehmet}"),
        ],
    );
    assert!(out.contains("2 üye"), "{out}");

    // Minutes: not before the meeting's time; then from a file.
    let e = refused(dir, db, &["meeting", "minutes", &later, "--text", "Erken"]);
    assert!(e.contains("tutanak o saatten sonra"), "{e}");
    if let Some(wait) = held_at.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
    let text = "Toplantı 19.00'da açıldı.\nParkın bakımı için dilekçe verilecek.\n";
    let file = dir.join("tutanak.txt");
    std::fs::write(&file, text).unwrap();
    let out = council(
        dir,
        db,
        &["meeting", "minutes", &id, "--file", file.to_str().unwrap()],
    );
    let sha = hex::encode(Sha256::digest(text.trim().as_bytes()));
    assert!(out.contains(&sha), "{out}");
    let show = || json(&council(dir, db, &["--json", "meeting", "show", &id]));
    let shown = show();
    assert_eq!(shown["held"], true);
    assert_eq!(shown["minutes"]["text"], text.trim());
    assert_eq!(shown["minutes"]["sha256"], sha);
    let mut attendees = vec![ayse.clone(), mehmet.clone()];
    attendees.sort();
    assert_eq!(shown["attendance"], serde_json::json!(attendees));

    // Frozen: neither the minutes nor the attendance change.
    for args in [
        vec![
            "meeting",
            "minutes",
            id.as_str(),
            "--text",
            "Düzeltilmiş tutanak",
        ],
        vec![
            "meeting",
            "attendance",
            id.as_str(),
            "--members",
            ayse.as_str(),
        ],
    ] {
        let e = refused(dir, db, &args);
        assert!(e.contains("artık değiştirilemez"), "{args:?}: {e}");
    }
    assert_eq!(show(), shown);
    let page = council(dir, db, &["meeting", "show", &id]);
    for want in [
        "Ayşe Yılmaz",
        "Mehmet Kaya",
        "yapıldı",
        "Parkın bakımı için dilekçe",
        &sha,
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }

    // Another muhtar does not see the meeting; a bad id is named.
    let e = muhtar_fails(
        dir,
        db,
        &[
            "--as",
            "muhtar:cengelkoy",
            "council",
            "meeting",
            "show",
            &id,
        ],
    );
    assert!(e.contains("böyle bir toplantı yok"), "{e}");
    let e = refused(dir, db, &["meeting", "show", "12"]);
    assert!(e.contains("toplantı numarası değil"), "{e}");
}
