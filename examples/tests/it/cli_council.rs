//! Neighbourhood councils through the built `muhtar` binary (`muhtar council …`, issue
//! 24's first part): the member roll, an open and a secret vote, one ballot per member,
//! a changeable secret ballot changed by its receipt, closing refused while the vote
//! runs, the result (counts, turnout, decision, hash) and receipts verified; the refusals
//! in Turkish; `--json`. On a real SQLite file and on PostgreSQL (`DATABASE_URL`; skipped
//! without it unless `MUHTAR_REQUIRE_POSTGRES=1`). Then concurrent `muhtar council vote
//! cast` processes, some killed with SIGKILL: every receipt printed verifies and no
//! member has two ballots.
//!
//! The CLI has no clock override, so the votes open in the past and close a few seconds
//! after the test opens them; the test waits for that instant once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use muhtar_core::ids::{RandomSource, SeededRandom};

use crate::common::{self, muhtar, muhtar_fails};

const MUHTAR: &str = "muhtar:kuzguncuk";

pub(crate) fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `muhtar --as muhtar:kuzguncuk council ARGS`.
pub(crate) fn council(dir: &Path, db: &str, args: &[&str]) -> String {
    muhtar(dir, db, &[&["--as", MUHTAR, "council"], args].concat())
}

/// `muhtar --as muhtar:kuzguncuk council ARGS`, which must fail; its one line.
pub(crate) fn refused(dir: &Path, db: &str, args: &[&str]) -> String {
    muhtar_fails(dir, db, &[&["--as", MUHTAR, "council"], args].concat())
}

/// Adds a resident to Kuzguncuk's council; returns their id.
fn add(dir: &Path, db: &str, name: &str, phone: &str) -> String {
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
            "--phone",
            phone,
        ],
    )
}

/// An instant `secs` seconds from now, RFC 3339, and the instant itself.
fn in_secs(secs: u64) -> (String, Instant) {
    let at = chrono::Utc::now() + chrono::Duration::seconds(secs as i64);
    (
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        Instant::now() + Duration::from_secs(secs),
    )
}

/// Sleeps until `at` and a little more (the processes' clock is the wall clock).
fn wait_until(at: Instant) {
    let end = at + Duration::from_millis(300);
    if let Some(d) = end.checked_duration_since(Instant::now()) {
        std::thread::sleep(d);
    }
}

fn flow(dir: &Path, db: &str) {
    muhtar(dir, db, &["init"]);

    // No members, no vote; an unknown muhtarlık is refused listing the valid ones.
    let e = refused(
        dir,
        db,
        &[
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "x",
            "--closes",
            "2099-01-01",
        ],
    );
    assert!(e.contains("üyesi yok") && e.contains("member add"), "{e}");
    let e = refused(
        dir,
        db,
        &[
            "member",
            "add",
            "--muhtarlik",
            "kuzguncukk",
            "--name",
            "Ayşe",
            "--phone",
            "05321112233",
        ],
    );
    assert!(
        e.contains("\"kuzguncukk\" adında bir muhtarlık yok") && e.contains("kuzguncuk, "),
        "{e}"
    );
    // The coordinator reads the council but does not run it.
    let e = muhtar_fails(
        dir,
        db,
        &[
            "council",
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            "Ayşe",
            "--phone",
            "05321112233",
        ],
    );
    assert!(e.contains("yapamaz"), "{e}");

    // Members; --json shows the fields, the phone normalised.
    let m1 = json(&council(
        dir,
        db,
        &[
            "--json",
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            "Ayşe Yılmaz",
            "--phone",
            "0532 111 22 33",
            "--email",
            "ayse@example.org",
            "--role",
            "official",
        ],
    ));
    assert_eq!(m1["name"], "Ayşe Yılmaz");
    assert_eq!(m1["role"], "official");
    assert_eq!(m1["phone"], "+905321112233");
    assert_eq!(m1["email"], "ayse@example.org");
    assert!(
        m1["added_at"].is_string() && m1["removed_at"].is_null(),
        "{m1}"
    );
    let m1 = m1["id"].as_str().unwrap().to_owned();
    let m2 = add(dir, db, "Mehmet Kaya", "05321112234");
    let m3 = add(dir, db, "Zeynep Demir", "05321112235");
    let m4 = add(dir, db, "Ali Çelik", "05321112236");
    let e = refused(
        dir,
        db,
        &[
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            "İletişimsiz",
        ],
    );
    assert!(
        e.starts_with("error: --email: an e-mail address or a phone"),
        "{e}"
    );
    let removed = json(&council(dir, db, &["--json", "member", "remove", &m4]));
    assert!(removed["removed_at"].is_string(), "{removed}");
    let list = json(&muhtar(
        dir,
        db,
        &[
            "--as",
            "auditor",
            "--json",
            "council",
            "member",
            "list",
            "--muhtarlik",
            "kuzguncuk",
        ],
    ));
    let members = list["members"].as_array().unwrap();
    assert_eq!(members.len(), 4, "{list}");
    let gone: Vec<_> = members
        .iter()
        .filter(|m| !m["removed_at"].is_null())
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(gone, [m4.as_str()]);
    let text = council(dir, db, &["member", "list", "--muhtarlik", "kuzguncuk"]);
    assert!(
        text.contains("Ayşe Yılmaz")
            && text.contains("davetli yetkili")
            && text.contains("çıkarıldı"),
        "{text}"
    );

    // Two votes that opened in the past and close in a few seconds: an open one with
    // the standard options, a secret changeable one with a list and the absolute rule.
    let (closes, closes_at) = in_secs(12);
    let open = json(&council(
        dir,
        db,
        &[
            "--json",
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Sahil yolu için trafik ışığı istensin mi?",
            "--opens",
            "2020-01-01 09:00",
            "--closes",
            &closes,
        ],
    ));
    assert_eq!(
        open["options"],
        serde_json::json!(["Kabul", "Ret", "Çekimser"])
    );
    assert_eq!(open["eligible"], 3, "the removed member is not eligible");
    assert_eq!(open["status"], "open");
    assert_eq!(open["majority"], "simple");
    assert_eq!(open["quorum_percent"], 50);
    assert_eq!(open["secret"], false);
    assert_eq!(open["changeable"], false);
    assert_eq!(
        open["opens_at"], "2020-01-01T06:00:00Z",
        "Istanbul time: {open}"
    );
    let v1 = open["id"].as_str().unwrap().to_owned();
    let v2 = council(
        dir,
        db,
        &[
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Boş arsaya ne yapılsın?",
            "--opens",
            "2020-01-01",
            "--closes",
            &closes,
            "--options",
            "Park,Otopark,Pazar yeri",
            "--majority",
            "absolute",
            "--quorum",
            "60",
            "--secret",
            "--changeable",
        ],
    );
    assert_eq!(v2.lines().count(), 1, "only the id: {v2}");

    // Closing is refused while the vote runs, and so is its result.
    let e = refused(dir, db, &["vote", "close", &v1]);
    assert!(e.contains("oylama sürüyor") && e.contains("kapanır"), "{e}");
    let e = refused(dir, db, &["vote", "result", &v1]);
    assert!(e.contains("oylama sürüyor"), "{e}");

    // Ballots of the open vote: one per member; the removed member and a bad choice
    // are refused, the latter listing the options.
    let cast = |v: &str, m: &str, c: &str| {
        council(dir, db, &["vote", "cast", v, "--member", m, "--choice", c])
    };
    let cast_refused = |v: &str, m: &str, c: &str| {
        refused(dir, db, &["vote", "cast", v, "--member", m, "--choice", c])
    };
    let change_refused = |v: &str, r: &str, c: &str| {
        refused(
            dir,
            db,
            &["vote", "change", v, "--receipt", r, "--choice", c],
        )
    };
    let r1 = cast(&v1, &m1, "Kabul");
    assert_eq!(r1.replace('-', "").len(), 12, "a receipt code: {r1}");
    let e = cast_refused(&v1, &m1, "Ret");
    assert!(e.contains("zaten oy kullandı"), "{e}");
    let e = cast_refused(&v1, &m4, "Ret");
    assert!(e.contains("oy kullanamaz"), "{e}");
    let e = cast_refused(&v1, &m2, "Belki");
    assert!(
        e.starts_with("error: --choice:") && e.contains("Kabul, Ret, Çekimser"),
        "{e}"
    );
    let r2 = json(&council(
        dir,
        db,
        &[
            "--json", "vote", "cast", &v1, "--member", &m2, "--choice", "against",
        ],
    ));
    assert_eq!(r2["changed"], false);
    let r2 = r2["receipt"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);

    // The secret vote: a second ballot refused even though it is changeable (a secret
    // ballot changes by its receipt), then one changed by its receipt.
    let s1 = cast(&v2, &m1, "Park");
    let s2 = cast(&v2, &m2, "otopark");
    let s3 = cast(&v2, &m3, "Park");
    let e = cast_refused(&v2, &m1, "Pazar yeri");
    assert!(e.contains("zaten oy kullandı"), "{e}");
    let changed = council(
        dir,
        db,
        &["vote", "change", &v2, "--receipt", &s2, "--choice", "Park"],
    );
    assert!(changed.contains("oy değiştirildi"), "{changed}");
    let e = change_refused(&v2, "7KQ2-M9XA-4T0B", "Park");
    assert!(e.contains("makbuz koduyla bir oy yok"), "{e}");
    let e = change_refused(&v1, &r1, "Ret");
    assert!(e.contains("oy değiştirilemez"), "{e}");
    let e = refused(dir, db, &["vote", "verify", &v2, "--receipt", "bozuk"]);
    assert!(e.contains("bir makbuz kodu değil"), "{e}");
    // Before closing, a receipt shows the choice, recorded.
    let before = json(&council(
        dir,
        db,
        &["--json", "vote", "verify", &v2, "--receipt", &s2],
    ));
    assert_eq!(before["choice"], "Park");
    assert_eq!(before["closed"], false);

    // Time over: no more ballots; the vote closes once, with its result.
    wait_until(closes_at);
    let e = cast_refused(&v1, &m3, "Kabul");
    assert!(e.contains("oylama kapandı"), "{e}");
    let text = council(dir, db, &["vote", "close", &v1]);
    assert!(
        text.contains("3 üyeden 2 oy (%66.7)") && text.contains("Karar çıkmadı"),
        "a tie decides nothing: {text}"
    );
    let e = refused(dir, db, &["vote", "close", &v1]);
    assert!(e.contains("zaten kapatıldı"), "{e}");
    let closed = json(&council(dir, db, &["--json", "vote", "close", &v2]));
    assert_eq!(
        closed["options"],
        serde_json::json!(["Park", "Otopark", "Pazar yeri"])
    );
    assert_eq!(closed["counts"], serde_json::json!([3, 0, 0]));
    assert_eq!(closed["cast"], 3);
    assert_eq!(closed["eligible"], 3);
    assert_eq!(closed["turnout_percent"], 100.0);
    assert_eq!(closed["quorum_met"], true);
    assert_eq!(closed["decision"], "adopted");
    assert_eq!(closed["adopted"], "Park");
    let hash = closed["hash"].as_str().unwrap().to_owned();
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hash}"
    );
    let e = change_refused(&v2, &s1, "Pazar yeri");
    assert!(e.contains("oylama kapandı"), "{e}");

    // The result, recounted, is the same for every reader; the open vote's too.
    for who in ["coordinator", "auditor", MUHTAR] {
        let r = json(&muhtar(
            dir,
            db,
            &["--as", who, "--json", "council", "vote", "result", &v2],
        ));
        assert_eq!(r["hash"], hash.as_str(), "{who}");
    }
    let r = json(&council(dir, db, &["--json", "vote", "result", &v1]));
    assert_eq!(r["counts"], serde_json::json!([1, 1, 0]));
    assert_eq!(r["cast"], 2);
    assert_eq!(r["eligible"], 3);
    assert_eq!(r["turnout_percent"], 66.7);
    assert_eq!(r["quorum_met"], true);
    assert_eq!(r["decision"], "not-decided");
    assert!(r["adopted"].is_null());
    let text = council(dir, db, &["vote", "result", &v2]);
    assert!(
        text.contains("Karar: Park (3 oy") && text.contains(&hash),
        "{text}"
    );

    // Every receipt shows its choice, counted in the frozen result.
    for (v, receipt, choice) in [
        (&v1, &r1, "Kabul"),
        (&v1, &r2, "Ret"),
        (&v2, &s1, "Park"),
        (&v2, &s2, "Park"),
        (&v2, &s3, "Park"),
    ] {
        let j = json(&council(
            dir,
            db,
            &["--json", "vote", "verify", v, "--receipt", receipt],
        ));
        assert_eq!(j["choice"], choice, "{j}");
        assert_eq!(j["counted"], true, "{j}");
        assert_eq!(j["closed"], true, "{j}");
    }
    let text = council(dir, db, &["vote", "verify", &v2, "--receipt", &s3]);
    assert!(
        text.starts_with("SAYILDI") && text.contains("Park"),
        "{text}"
    );
    // A receipt of another vote is not one of this vote's.
    let e = refused(dir, db, &["vote", "verify", &v2, "--receipt", &r1]);
    assert!(e.contains("makbuz koduyla bir oy yok"), "{e}");

    // The list: newest first, both closed.
    let list = json(&council(
        dir,
        db,
        &["--json", "vote", "list", "--muhtarlik", "kuzguncuk"],
    ));
    let votes = list["votes"].as_array().unwrap();
    let ids: BTreeSet<_> = votes.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, BTreeSet::from([v1.as_str(), v2.as_str()]));
    assert!(votes.iter().all(|v| v["status"] == "closed"), "{list}");
    let secret = votes.iter().find(|v| v["id"] == v2.as_str()).unwrap();
    assert_eq!(secret["secret"], true);
    assert_eq!(secret["changeable"], true);
    assert_eq!(secret["majority"], "absolute");
    assert_eq!(secret["quorum_percent"], 60);
    let text = council(dir, db, &["vote", "list", "--muhtarlik", "kuzguncuk"]);
    assert!(
        text.contains("Boş arsaya") && text.contains("kapandı"),
        "{text}"
    );

    // Another muhtar does not see this council's votes.
    let e = muhtar_fails(
        dir,
        db,
        &["--as", "muhtar:cengelkoy", "council", "vote", "result", &v1],
    );
    assert!(e.contains("böyle bir oylama yok"), "{e}");
}

#[test]
fn a_council_votes_from_the_roll_to_the_verified_receipt_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("meclis.db").display());
    flow(d.path(), &db);
}

#[test]
fn a_council_votes_from_the_roll_to_the_verified_receipt_on_postgres() {
    let Some(base) = common::pg_server("councils on PostgreSQL") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    flow(d.path(), &common::fresh_pg_db(&base, "meclis"));
}

/// The signal number of SIGKILL.
const SIGKILL: i32 = 9;

/// Concurrent `muhtar council vote cast` processes, each member's ballot cast twice at
/// once, two processes in three killed at a random moment; then every member's ballot
/// cast once more. Afterwards every receipt printed verifies, every member has exactly
/// one ballot (the result counts one per member), and a receipt printed is never lost.
fn ballots_survive_sigkill(dir: &Path, db: &str, what: &str) {
    const MEMBERS: usize = 8;
    let db = db.to_owned();
    muhtar(dir, &db, &["init"]);
    let members: Vec<String> = (0..MEMBERS)
        .map(|i| {
            add(
                dir,
                &db,
                &format!("Üye {i}"),
                &format!("0532111{:04}", 2000 + i),
            )
        })
        .collect();
    let (closes, closes_at) = in_secs(20);
    let vote = council(
        dir,
        &db,
        &[
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Çöp saatleri değişsin mi?",
            "--opens",
            "2020-01-01",
            "--closes",
            &closes,
        ],
    );
    let mut rng = SeededRandom::new(u64::from(std::process::id()));
    let mut children = Vec::new();
    for m in members.iter().chain(&members) {
        let choice = ["Kabul", "Ret", "Çekimser"][(rng.next_u64() % 3) as usize];
        let child = common::muhtar_command(dir, &db)
            .args([
                "--as", MUHTAR, "council", "vote", "cast", &vote, "--member", m, "--choice", choice,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run muhtar council vote cast");
        let kill_after = (!rng.next_u64().is_multiple_of(3)).then(|| rng.next_u64() % 250);
        children.push((m.clone(), child, kill_after));
    }
    // member → receipts printed; processes killed.
    let mut printed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut killed = 0;
    let start = Instant::now();
    let mut pending = children;
    while !pending.is_empty() {
        std::thread::sleep(Duration::from_millis(5));
        let mut still = Vec::new();
        for (m, mut child, kill_after) in pending {
            let due = kill_after.is_some_and(|ms| start.elapsed() >= Duration::from_millis(ms));
            let status = match due {
                true => {
                    let _ = child.kill();
                    Some(child.wait().expect("wait for muhtar"))
                }
                false => child.try_wait().expect("wait for muhtar"),
            };
            let Some(status) = status else {
                still.push((m, child, kill_after));
                continue;
            };
            let (out, err) = output(&mut child);
            let receipt = out.trim().to_owned();
            if status.signal() == Some(SIGKILL) {
                killed += 1;
            } else {
                assert!(
                    status.success() || err.contains("zaten oy kullandı"),
                    "muhtar council vote cast failed: {err}"
                );
            }
            // A killed process may have printed its receipt before it died.
            if !receipt.is_empty() {
                printed.entry(m).or_default().push(receipt);
            }
        }
        pending = still;
    }
    assert!(killed > 0, "no process was killed");
    for (m, receipts) in &printed {
        assert!(
            receipts.len() <= 1,
            "member {m} got two receipts: {receipts:?}"
        );
    }
    // Once more for every member: refused if their ballot is stored, else stored now.
    for m in &members {
        let o = common::muhtar_command(dir, &db)
            .args([
                "--as", MUHTAR, "council", "vote", "cast", &vote, "--member", m, "--choice",
                "Kabul",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        if o.status.success() {
            assert!(!printed.contains_key(m), "member {m} voted twice");
            printed.insert(
                m.clone(),
                vec![String::from_utf8_lossy(&o.stdout).trim().to_owned()],
            );
        } else {
            assert!(err.contains("zaten oy kullandı"), "{err}");
        }
    }
    wait_until(closes_at);
    let r = json(&council(dir, &db, &["--json", "vote", "close", &vote]));
    assert_eq!(r["eligible"], MEMBERS);
    assert_eq!(r["cast"], MEMBERS, "one ballot per member: {r}");
    for receipts in printed.values() {
        for receipt in receipts {
            let j = json(&council(
                dir,
                &db,
                &["--json", "vote", "verify", &vote, "--receipt", receipt],
            ));
            assert_eq!(j["counted"], true, "{j}");
        }
    }
    eprintln!(
        "FIGURES council crash ({what}): {} casts, {killed} killed, {} receipts printed",
        2 * MEMBERS,
        printed.values().map(Vec::len).sum::<usize>()
    );
}

#[test]
fn ballots_survive_sigkill_and_stay_one_per_member_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("meclis.db").display());
    ballots_survive_sigkill(d.path(), &db, "SQLite");
}

#[test]
fn ballots_survive_sigkill_and_stay_one_per_member_on_postgres() {
    let Some(base) = common::pg_server("council ballots under SIGKILL on PostgreSQL") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let db = common::fresh_pg_db(&base, "meclis_kill");
    ballots_survive_sigkill(d.path(), &db, "PostgreSQL");
}

/// What a finished process printed: standard output and standard error.
fn output(child: &mut std::process::Child) -> (String, String) {
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    (out, err)
}
