//! The council's agenda through the built `muhtar` binary (`muhtar council proposal …`,
//! issue 24's second part) on a real SQLite file: a member's proposal, supports up to the
//! `[council] support_threshold` (2 here) putting it on the agenda, a second support
//! refused, the muhtar's agenda decision, a comment hidden with a reason and kept; the
//! refusals in Turkish; `--json`.

use std::path::Path;

use crate::common::{muhtar, muhtar_fails};

const MUHTAR: &str = "muhtar:kuzguncuk";

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `muhtar --as muhtar:kuzguncuk [--json] council ARGS`.
fn council(dir: &Path, db: &str, args: &[&str]) -> String {
    muhtar(dir, db, &[&["--as", MUHTAR, "council"], args].concat())
}

fn council_json(dir: &Path, db: &str, args: &[&str]) -> serde_json::Value {
    json(&muhtar(
        dir,
        db,
        &[&["--as", MUHTAR, "--json", "council"], args].concat(),
    ))
}

fn refused(dir: &Path, db: &str, args: &[&str]) -> String {
    muhtar_fails(dir, db, &[&["--as", MUHTAR, "council"], args].concat())
}

fn add_member(dir: &Path, db: &str, name: &str, email: &str) -> String {
    council(
        dir,
        db,
        &[
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            name,
            "--email",
            email,
        ],
    )
}

#[test]
fn a_proposal_reaches_the_agenda_by_its_supports_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (
        d.path(),
        format!("sqlite://{}", d.path().join("gundem.db").display()),
    );
    let db = db.as_str();
    std::fs::write(
        dir.join("settings.toml"),
        "[council]\nsupport_threshold = 2\n",
    )
    .unwrap();
    muhtar(dir, db, &["init", "--settings", "settings.toml"]);
    let a = add_member(dir, db, "Ayşe Kaya", "ayse@example.org");
    let b = add_member(dir, db, "Mehmet Can", "mehmet@example.org");
    let c = add_member(dir, db, "Zeynep Ak", "zeynep@example.org");

    // A member's proposal; an empty title is refused naming the flag.
    let e = refused(
        dir,
        db,
        &[
            "proposal",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            " ",
            "--text",
            "x",
        ],
    );
    assert!(e.contains("--title"), "{e}");
    let p = council_json(
        dir,
        db,
        &[
            "proposal",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Parka bank",
            "--text",
            "Çocuk parkında oturacak yer yok.",
            "--member",
            &a,
            "--location",
            "41.03,29.03",
        ],
    );
    assert_eq!(p["status"], "open");
    assert_eq!(p["supports"], 0);
    assert_eq!(p["author"]["member"], a.as_str());
    let id = p["id"].as_str().unwrap().to_owned();

    // Supports: the second reaches the threshold and puts it on the agenda.
    let out = council(dir, db, &["proposal", "support", &id, "--member", &a]);
    assert_eq!(out, "destek kaydedildi: 1 destek");
    let s = council_json(dir, db, &["proposal", "support", &id, "--member", &b]);
    assert_eq!(s["supports"], 2);
    assert_eq!(s["put_on_agenda"], true);
    assert_eq!(s["proposal"]["status"], "on-agenda");
    assert_eq!(s["proposal"]["agenda_reason"], "threshold");
    let s = council_json(dir, db, &["proposal", "support", &id, "--member", &c]);
    assert_eq!(
        (s["supports"].as_u64(), s["put_on_agenda"].as_bool()),
        (Some(3), Some(false))
    );
    let e = refused(dir, db, &["proposal", "support", &id, "--member", &b]);
    assert!(e.contains("zaten destekledi"), "{e}");
    let e = refused(dir, db, &["proposal", "agenda", &id]);
    assert!(e.contains("zaten gündemde"), "{e}");

    // The muhtar's own proposal goes on the agenda by decision.
    let q = council(
        dir,
        db,
        &[
            "proposal",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Sokak lambası",
            "--text",
            "Karanlık.",
        ],
    );
    let on = council_json(dir, db, &["proposal", "agenda", &q]);
    assert_eq!(on["agenda_reason"], "muhtar");
    let list = council(dir, db, &["proposal", "list", "--muhtarlik", "kuzguncuk"]);
    assert!(
        list.contains("gündemde") && list.contains("Parka bank"),
        "{list}"
    );
    let listed = council_json(dir, db, &["proposal", "list", "--muhtarlik", "kuzguncuk"]);
    let ids: Vec<&str> = listed["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![q.as_str(), id.as_str()], "newest first");

    // Comments: one hidden with a reason, kept; hiding again keeps the first reason.
    let c1 = council(
        dir,
        db,
        &[
            "proposal",
            "comment",
            &id,
            "--text",
            "Hakaret içeren yorum",
            "--member",
            &c,
        ],
    );
    council(
        dir,
        db,
        &["proposal", "comment", &id, "--text", "Katılıyorum"],
    );
    let e = refused(
        dir,
        db,
        &["proposal", "hide", &id, "--comment", &c1, "--reason", ""],
    );
    assert!(e.contains("--reason"), "{e}");
    let out = council(
        dir,
        db,
        &[
            "proposal",
            "hide",
            &id,
            "--comment",
            &c1,
            "--reason",
            "Hakaret",
        ],
    );
    assert!(out.starts_with("yorum gizlendi: Hakaret"), "{out}");
    council(
        dir,
        db,
        &[
            "proposal",
            "hide",
            &id,
            "--comment",
            &c1,
            "--reason",
            "Başka",
        ],
    );
    let shown = council(dir, db, &["proposal", "comments", &id]);
    assert!(shown.contains("(gizlendi: Hakaret)"), "{shown}");
    assert!(
        !shown.contains("Hakaret içeren") && shown.contains("Katılıyorum"),
        "{shown}"
    );
    let all = council_json(dir, db, &["proposal", "comments", &id]);
    let comments = all["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["text"], "Hakaret içeren yorum");
    assert_eq!(comments[0]["hidden"]["reason"], "Hakaret");

    // Another council's muhtar does not see it; a non-member cannot support.
    let e = muhtar_fails(
        dir,
        db,
        &[
            "--as",
            "muhtar:cengelkoy",
            "council",
            "proposal",
            "support",
            &id,
            "--member",
            &a,
        ],
    );
    assert!(e.contains("böyle bir öneri yok"), "{e}");
    let e = refused(
        dir,
        db,
        &[
            "proposal",
            "support",
            &q,
            "--member",
            "00000000-0000-0000-0000-00000000002a",
        ],
    );
    assert!(e.contains("üye listesinde değil"), "{e}");
}
