//! The stateful `muhtar` commands, run as a user would: the built binary on a real SQLite
//! file in a temporary directory.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;

/// The `muhtar` binary run in `dir`, with no database, actor or tenant from the
/// environment.
fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muhtar"));
    cmd.current_dir(dir)
        .env_remove("MUHTAR_DB")
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT");
    cmd
}

fn muhtar(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().expect("run muhtar")
}

/// `muhtar --json notify --once` in `dir`, through the SMTP test server on `port`.
fn notify_once(dir: &Path, port: u16) -> Output {
    command(dir)
        .env("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["--json", "notify", "--once"])
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = muhtar(dir, args);
    assert!(
        o.status.success(),
        "muhtar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = muhtar(dir, args);
    assert!(!o.status.success(), "muhtar {args:?} should fail");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one clear line: {e}");
    e
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The muhtar of Kuzguncuk submits a request (`--json --as muhtar:kuzguncuk submit
/// --category CATEGORY --subject SUBJECT EXTRA…`); its record as JSON.
fn kuzguncuk_submits(
    dir: &Path,
    category: &str,
    subject: &str,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        "--json",
        "--as",
        "muhtar:kuzguncuk",
        "submit",
        "--category",
        category,
        "--subject",
        subject,
    ];
    args.extend_from_slice(extra);
    json(&ok(dir, &args))
}

#[test]
fn a_request_goes_through_its_life_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let init = json(&ok(dir, &["--json", "init"]));
    assert_eq!(init["tenant"], "ibb");
    assert!(
        dir.join("muhtar.db").exists(),
        "the default database is muhtar.db in the working directory"
    );
    // Idempotent: a second init changes nothing.
    assert_eq!(
        json(&ok(dir, &["--json", "init"]))["organisation_version"],
        1
    );

    let sub = kuzguncuk_submits(
        dir,
        "asfalt-onarim",
        "Okul önünde çukur",
        &["--lat", "41.03", "--lon", "29.03"],
    );
    let tr = sub["state"]["tracking"].as_str().unwrap().to_owned();
    let unit = sub["state"]["unit"].as_str().unwrap().to_owned();
    assert_eq!(sub["state"]["status"], "routed");
    assert!(sub["deadlines"]["resolution_due"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    // Typed by phone: lower case and spaces are fine; a wrong check character is not.
    let typed = tr.to_lowercase().replace('-', " ");
    let shown = json(&ok(
        dir,
        &["--json", "--as", "muhtar:kuzguncuk", "show", &typed],
    ));
    assert_eq!(shown["request"]["state"]["tracking"], tr.as_str());
    assert_eq!(shown["history"].as_array().unwrap().len(), 2);
    assert!(shown["clocks"]["resolution"]["explanation"]["policy"] == "genelge-2015-8");
    let mut bad = tr.clone().into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
    let e = fails(dir, &["show", std::str::from_utf8(&bad).unwrap()]);
    assert!(e.contains("check character"), "{e}");
    // Another muhtar cannot see it; the error does not reveal that it exists.
    let e = fails(dir, &["--as", "muhtar:moda", "show", &tr]);
    assert!(e.contains("not found"), "{e}");
    // The unit's queue has it; the unit works it.
    let q = json(&ok(
        dir,
        &["--json", "--as", &format!("unit:{unit}"), "list"],
    ));
    assert!(q["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["state"]["tracking"] == tr.as_str()));
    let e = fails(
        dir,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "answer",
            &tr,
            "--outcome",
            "positive",
            "--text",
            "x",
        ],
    );
    assert!(e.contains("forbidden"), "{e}");
    let e = fails(dir, &["--as", &format!("unit:{unit}"), "close", &tr]);
    assert!(e.contains("cannot close a request that is routed"), "{e}");
    let e = fails(
        dir,
        &[
            "--as",
            &format!("unit:{unit}"),
            "answer",
            &tr,
            "--outcome",
            "negative",
            "--text",
            "Olmaz",
        ],
    );
    assert!(e.contains("reason"), "{e}");
    ok(dir, &["--as", &format!("unit:{unit}"), "accept", &tr]);
    let e = fails(
        dir,
        &[
            "--as",
            &format!("unit:{unit}"),
            "accept",
            &tr,
            "--expect-version",
            "2",
        ],
    );
    assert!(e.contains("changed meanwhile"), "{e}");
    ok(
        dir,
        &[
            "--as",
            &format!("unit:{unit}"),
            "answer",
            &tr,
            "--outcome",
            "negative",
            "--reason",
            "no-budget",
            "--text",
            "Bu yıl bütçe yok",
        ],
    );
    ok(
        dir,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "reopen",
            &tr,
            "--reason",
            "Acil",
        ],
    );
    let t = json(&ok(
        dir,
        &[
            "--json",
            "--as",
            "coordinator",
            "transfer",
            &tr,
            "--to",
            "kadikoy-fen",
            "--reason",
            "İlçe yolu",
        ],
    ));
    assert_eq!(t["state"]["unit"], "kadikoy-fen");
    let e = fails(
        dir,
        &[
            "--as",
            "coordinator",
            "transfer",
            &tr,
            "--to",
            "isfalt",
            "--reason",
            "x",
        ],
    );
    assert!(e.contains("inactive"), "{e}");

    // Export: one JSON object per line with the audit fields.
    let out = ok(dir, &["export", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 1);
    for k in [
        "tracking",
        "status",
        "unit",
        "category",
        "channel",
        "muhtarlik",
        "received_at",
        "first_response_due",
        "resolution_due",
        "outcome",
        "reason",
    ] {
        assert!(lines[0].get(k).is_some(), "export lacks {k}");
    }
    let e = fails(dir, &["--as", "muhtar:kuzguncuk", "export"]);
    assert!(e.contains("forbidden"), "{e}");
}

#[test]
fn unreadable_and_unset_databases_give_one_clear_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(
        dir.join("notes.db"),
        b"this is not a database, just some text\n".repeat(100),
    )
    .unwrap();
    let before = std::fs::read(dir.join("notes.db")).unwrap();
    let e = fails(dir, &["--db", "sqlite://notes.db", "list"]);
    assert!(e.contains("notes.db"), "{e}");
    assert_eq!(
        std::fs::read(dir.join("notes.db")).unwrap(),
        before,
        "the file is untouched"
    );
    let e = fails(dir, &["list"]);
    assert!(e.contains("muhtar init"), "{e}");
    let e = fails(dir, &["--as", "mayor", "list"]);
    assert!(!e.is_empty());
}

#[test]
fn the_demo_is_reproducible_and_sweep_queues_once() {
    let exports: Vec<String> = (0..2)
        .map(|_| {
            let d = tempfile::tempdir().unwrap();
            ok(d.path(), &["init"]);
            let s = json(&ok(
                d.path(),
                &[
                    "--json",
                    "demo",
                    "--seed",
                    "7",
                    "--requests",
                    "120",
                    "--until",
                    "2026-06-30",
                ],
            ));
            assert_eq!(s["requests"], 120);
            assert!(s["open"].as_u64().unwrap() > 0 && s["negative"].as_u64().unwrap() > 0);
            let ex = ok(d.path(), &["export"]);
            // Sweeping twice queues each notice once.
            let first = json(&ok(d.path(), &["--json", "sweep"]));
            let second = json(&ok(d.path(), &["--json", "sweep"]));
            assert_eq!(second["queued"], 0);
            assert_eq!(first["checked"], second["checked"]);
            ex
        })
        .collect();
    assert_eq!(exports[0].lines().count(), 120);
    assert_eq!(exports[0], exports[1], "same seed and --until, same data");
}

#[test]
fn start_sets_up_the_embedded_default_in_one_step() {
    let d = tempfile::tempdir().unwrap();
    let out = ok(d.path(), &["start"]);
    assert!(out.contains("TAKİP NO"), "{out}");
    assert!(d.path().join("muhtar.db").exists());
    // The second start reuses the data.
    let again = ok(d.path(), &["start"]);
    assert!(!again.contains("demo:"), "{again}");
}

/// A reader that stops early (`muhtar export | head -c 100`) closes the pipe: the
/// command ends quietly with status 0, through a writer (export) and through printed
/// lines (a large JSON listing), never with a panic or an error.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::io::Read;
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &["start"]);
    for args in [&["export"][..], &["--json", "list", "--limit", "300"][..]] {
        let mut child = command(d.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Far less than the output (well over the 64 KiB a pipe holds), then close it.
        let mut head = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success(),
            "muhtar {args:?}: {:?} {stderr}",
            o.status
        );
        assert!(stderr.is_empty(), "muhtar {args:?} wrote: {stderr}");
    }
}

/// `--status open` stands for every open status (as in REST); a unit's list shows what
/// still waits for it unless asked otherwise; an unknown status lists the valid ones.
#[test]
fn list_reads_open_and_a_units_queue_is_open_only() {
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &["start"]);
    let open = ["received", "routed", "in-progress", "paused"];
    let statuses = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["state"]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = json(&ok(d.path(), &["--json", "list", "--limit", "300"]));
    assert!(statuses(&all).iter().any(|s| !open.contains(&s.as_str())));
    let listed = json(&ok(
        d.path(),
        &["--json", "list", "--status", "open", "--limit", "300"],
    ));
    let listed = statuses(&listed);
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|s| open.contains(&s.as_str())),
        "{listed:?}"
    );
    // The unit of a request that is no longer open: its queue still shows open ones only.
    let unit = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !open.contains(&r["state"]["status"].as_str().unwrap()))
        .and_then(|r| r["state"]["unit"].as_str())
        .unwrap()
        .to_owned();
    let queue = json(&ok(
        d.path(),
        &[
            "--json",
            "--as",
            &format!("unit:{unit}"),
            "list",
            "--limit",
            "300",
        ],
    ));
    assert!(statuses(&queue).iter().all(|s| open.contains(&s.as_str())));
    let e = fails(d.path(), &["list", "--status", "kapali"]);
    assert!(e.contains("kapali") && e.contains("answered"), "{e}");
}

/// A notice template that does not render is refused at install time with its notice
/// kind, part and line; nothing is written.
#[test]
fn init_refuses_a_template_that_does_not_render_with_its_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(
        dir.join("bad.toml"),
        "[templates]\nlanguage = \"tr\"\n\n[templates.received]\nsubject = \"{{ title }}\"\nsms = \"{{ takip_no }} alındı\"\n",
    )
    .unwrap();
    let e = fails(dir, &["init", "--settings", "bad.toml"]);
    assert!(
        e.contains("bad.toml: settings, line 6: the sms template of notice `received`"),
        "{e}"
    );
    assert!(e.contains("takip_no"), "{e}");
    std::fs::write(
        dir.join("good.toml"),
        "[templates.received]\nsms = \"{{ tag_value }} alındı\"\n",
    )
    .unwrap();
    ok(dir, &["init", "--settings", "good.toml"]);
    // Installing over it goes through the same check.
    let e = fails(dir, &["init", "--settings", "bad.toml"]);
    assert!(e.contains("line 6"), "{e}");
}

/// `muhtar notify --once` delivers the outbox through a real SMTP server process, configured
/// by two environment variables.
#[test]
fn notify_delivers_through_a_real_smtp_server() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["init"]);
    kuzguncuk_submits(dir, "budama", "Ağaç dalları tellere değiyor", &[]);
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let o = notify_once(dir, port);
    let _ = child.kill();
    let _ = child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&String::from_utf8(o.stdout).unwrap());
    // E-mails go out (or wait for the end of quiet hours, depending on the time of day
    // the test runs); the muhtar's SMS waits for a gateway (none configured).
    let sent = r["sent"].as_u64().unwrap();
    assert!(sent >= 2 || r["deferred"].as_u64().unwrap() > 0, "{r}");
    if sent > 0 {
        let summaries: Vec<serde_json::Value> = std::fs::read_dir(&mail)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| json(&std::fs::read_to_string(e.path()).unwrap()))
            .collect();
        assert_eq!(summaries.len() as u64, sent);
        let text = serde_json::to_string(&summaries).unwrap();
        assert!(
            text.contains("Ağaç dalları tellere değiyor"),
            "Turkish subject intact: {text}"
        );
        assert!(
            text.contains("kuzguncuk.muhtarligi@muhtar.example.org"),
            "{text}"
        );
    }
}

/// `muhtar notify --once` delivers every notice that is due, not one batch of 20: a
/// second run finds nothing left.
#[test]
fn notify_once_delivers_everything_due() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(
        dir.join("settings.toml"),
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\n",
    )
    .unwrap();
    ok(dir, &["init", "--settings", "settings.toml"]);
    for i in 0..15 {
        let subject = format!("Sokak lambası yanmıyor {i}");
        kuzguncuk_submits(dir, "budama", &subject, &[]);
    }
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let once = || json(&String::from_utf8(notify_once(dir, port).stdout).unwrap());
    let first = once();
    let second = once();
    let _ = child.kill();
    let _ = child.wait();
    // Every submission notifies at least the muhtar (e-mail and SMS) and the unit.
    assert!(first["claimed"].as_u64().unwrap() > 40, "{first}");
    assert!(first["sent"].as_u64().unwrap() >= 15, "{first}");
    assert_eq!(
        second["claimed"], 0,
        "nothing left after the first run: {second}"
    );
}

/// Settings whose quiet hours (Istanbul time) began an hour ago and end in two hours,
/// and their end as `HH:MM`.
fn quiet_now() -> (String, String) {
    let local = chrono::Utc::now() + chrono::Duration::hours(3); // +03:00 since 2016
    let hm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
    let end = hm(local + chrono::Duration::hours(2));
    let settings = format!(
        "quiet_hours = {{ start = \"{}\", end = \"{end}\" }}\n",
        hm(local - chrono::Duration::hours(1))
    );
    (settings, end)
}

/// A submission from Kuzguncuk (the muhtar has e-mail and a phone) in a database set up
/// with `settings`, then `muhtar notify --once` through an SMTP sink: its JSON and, from
/// a second run, its lines for people.
fn notify_after_a_submission(settings: &str) -> (serde_json::Value, String) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(dir.join("settings.toml"), settings).unwrap();
    ok(dir, &["init", "--settings", "settings.toml"]);
    kuzguncuk_submits(dir, "budama", "Ağaç dalları tellere değiyor", &[]);
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let o = notify_once(dir, port);
    let second = command(dir)
        .env("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["notify", "--once"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    (
        json(&String::from_utf8(o.stdout).unwrap()),
        String::from_utf8(second.stdout).unwrap(),
    )
}

/// `muhtar notify --once` in quiet hours: nothing goes out, and it says why and until
/// when; the SMS waits for a gateway (none configured), which it says too.
#[test]
fn notify_once_says_why_notices_wait_and_until_when() {
    let (settings, end) = quiet_now();
    let (r, text) = notify_after_a_submission(&settings);
    assert_eq!(r["sent"], 0, "{r}");
    let waiting = r["waiting"].as_array().unwrap();
    let quiet = waiting
        .iter()
        .find(|w| w["reason"] == "quiet-hours")
        .unwrap_or_else(|| panic!("{r}"));
    assert!(quiet["count"].as_u64().unwrap() >= 2, "{r}");
    let line = quiet["text"].as_str().unwrap();
    assert!(
        line.contains(&format!("bildirim sessiz saatler nedeniyle {end}'"))
            && line.contains(" kadar bekliyor (kurum ibb)"),
        "{line}"
    );
    let sms = waiting
        .iter()
        .find(|w| w["reason"] == "no-sms-gateway")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(sms["count"], 1, "{r}");
    assert!(
        sms["text"]
            .as_str()
            .unwrap()
            .starts_with("1 SMS bildirimi bekliyor: SMS ağ geçidi ayarlı değil (kurum ibb"),
        "{r}"
    );
    // For people: the same lines after the counts.
    assert!(text.contains(&format!("notify: {line}\n")), "{text}");
    assert!(
        text.contains("notify: 1 SMS bildirimi bekliyor: SMS ağ geçidi ayarlı değil"),
        "{text}"
    );
}

/// With `sms_without_gateway = "skip"`, the SMS is skipped and said to be; the e-mails go.
#[test]
fn notify_once_skips_sms_without_a_gateway_when_the_tenant_says_so() {
    let settings =
        "sms_without_gateway = \"skip\"\nquiet_hours = { start = \"00:00\", end = \"00:00\" }\n";
    let (r, text) = notify_after_a_submission(settings);
    assert_eq!(r["skipped"], 1, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert!(r["sent"].as_u64().unwrap() >= 2, "{r}");
    assert_eq!(r["waiting"], serde_json::json!([]), "{r}");
    // The second run has nothing left and nothing to say about it.
    assert!(!text.contains("bekliyor"), "{text}");
}

/// `muhtar report`: the draft in three formats, the sign-off by the official only, the
/// frozen signed report, and a correction as the next version.
#[test]
fn the_quarterly_report_is_drafted_signed_and_frozen() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // The test runs on the wall clock: a window wide enough to reach back to 2026Q2.
    std::fs::write(
        dir.join("settings.toml"),
        "received_at_window_days = 3650\n",
    )
    .unwrap();
    ok(dir, &["init", "--settings", "settings.toml"]);
    ok(
        dir,
        &[
            "demo",
            "--seed",
            "5",
            "--requests",
            "150",
            "--until",
            "2026-06-30",
        ],
    );
    let r = json(&ok(dir, &["report", "--quarter", "2026Q2"]));
    assert_eq!(r["format"], "muhtar-quarterly-report/1");
    let t = &r["totals"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert!(n(&t["received"]) > 20, "{t}");
    assert_eq!(
        n(&t["positive"]) + n(&t["negative"]) + n(&t["open_at_end"]),
        n(&t["received"])
    );
    let by_hood: u64 = r["by_muhtarlik"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| n(&x["counts"]["received"]))
        .sum();
    assert_eq!(by_hood, n(&t["received"]));
    assert!(r["top_categories"].as_array().unwrap().len() <= 10);

    // CSV with BOM and semicolons; HTML with charts, to files.
    ok(
        dir,
        &[
            "report",
            "--quarter",
            "2026Q2",
            "--format",
            "csv",
            "--csv-separator",
            "semicolon",
            "--out",
            "r.csv",
        ],
    );
    let csv = std::fs::read_to_string(dir.join("r.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("\r\n"));
    assert!(
        csv.lines().nth(3).unwrap().starts_with("\"Toplam\";\"\";"),
        "{csv}"
    );
    ok(
        dir,
        &[
            "report",
            "--quarter",
            "2026Q2",
            "--format",
            "html",
            "--out",
            "r.html",
        ],
    );
    let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"tr\""));
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("@page { size: A4"));

    // Bad input: one clear line each.
    assert!(fails(dir, &["report", "--quarter", "2026Q5"]).contains("invalid quarter"));
    assert!(
        fails(dir, &["report", "--quarter", "2026Q2", "--format", "pdf"])
            .contains("unknown report format")
    );
    let e = fails(
        dir,
        &["report", "--quarter", "2026Q2", "--unit", "yok-boyle"],
    );
    assert!(
        e.contains("unit: unknown \"yok-boyle\"; valid: ibb, muhtarliklar-db"),
        "{e}"
    );

    // Only the responsible official signs.
    let e = fails(
        dir,
        &[
            "report",
            "sign",
            "--quarter",
            "2026Q2",
            "--note",
            "Uygundur",
        ],
    );
    assert!(e.contains("forbidden"), "{e}");
    let s1 = json(&ok(
        dir,
        &[
            "--as",
            "official",
            "--json",
            "report",
            "sign",
            "--quarter",
            "2026Q2",
            "--note",
            "Uygundur",
        ],
    ));
    assert_eq!(s1["version"], 1);
    let id = s1["id"].as_str().unwrap().to_owned();
    let shown = json(&ok(dir, &["report", "show", &id]));
    assert_eq!(shown["content_hash"], s1["content_hash"]);
    assert_eq!(shown["report"]["totals"], r["totals"]);

    // The report of a signed quarter is the signed snapshot: who signed, when, which
    // version, its hash and whether today's data differs; never the draft's "TASLAK".
    let signed = json(&ok(dir, &["report", "--quarter", "2026Q2"]));
    assert_eq!(signed["format"], "muhtar-quarterly-report/1");
    assert_eq!(signed["totals"], r["totals"]);
    let sig = &signed["signed"];
    assert_eq!(
        (&sig["signed_by"], &sig["version"], &sig["content_hash"]),
        (&s1["signed_by"], &1.into(), &s1["content_hash"])
    );
    assert_eq!(sig["data_changed"], false);
    assert!(sig["data_note"]
        .as_str()
        .unwrap()
        .contains("imzalı sürümle aynı"));
    assert!(
        sig["signed_at_local"].as_str().unwrap().len() == 16,
        "{sig}"
    );
    let page = ok(dir, &["report", "--quarter", "2026Q2", "--format", "html"]);
    assert!(!page.contains("TASLAK"), "{page}");
    for part in [
        "imzalı",
        "sürüm 1",
        s1["signed_by"].as_str().unwrap(),
        s1["content_hash"].as_str().unwrap(),
        "imzalı sürümle aynı",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    let csv = ok(dir, &["report", "--quarter", "2026Q2", "--format", "csv"]);
    assert!(
        csv.contains("sürüm 1") && csv.contains("imzalı sürümle aynı"),
        "{csv}"
    );
    // --draft: today's draft, explicitly.
    let draft_page = ok(
        dir,
        &[
            "report",
            "--quarter",
            "2026Q2",
            "--format",
            "html",
            "--draft",
        ],
    );
    assert!(draft_page.contains("TASLAK"), "{draft_page}");
    assert!(
        json(&ok(dir, &["report", "--quarter", "2026Q2", "--draft"]))
            .get("signed")
            .is_none()
    );

    // New data for the quarter (back-office entry of a June request) is refused while
    // the quarter is signed, unless the coordinator forces it with a reason; then it
    // changes the draft, not the signed report, which is marked as needing a correction.
    std::fs::write(
        dir.join("late.json"),
        r#"{"received_at": "2026-06-15T07:00:00Z", "channel": "petition"}"#,
    )
    .unwrap();
    let late = [
        "submit",
        "--file",
        "late.json",
        "--muhtarlik",
        "kuzguncuk",
        "--category",
        "cop-gorunti",
        "--subject",
        "Çöp",
        "--description",
        "Konteyner taşıyor",
    ];
    let e = fails(dir, &late);
    assert!(e.contains("received_at") && e.contains("2026Q2"), "{e}");
    let mut as_unit = vec!["--as", "unit:fen-isleri"];
    as_unit.extend(late);
    as_unit.extend(["--force-reason", "Evrak geç geldi"]);
    let e = fails(dir, &as_unit);
    assert!(e.contains("force_reason"), "{e}");
    assert!(!ok(dir, &["report", "list"]).contains("DÜZELTME"));
    let mut forced = late.to_vec();
    forced.extend(["--force-reason", "Evrak kayıtta unutulmuş"]);
    ok(dir, &forced);
    let listed = ok(dir, &["report", "list"]);
    assert!(listed.contains("DÜZELTME GEREKLİ"), "{listed}");
    let marked = json(&ok(dir, &["--json", "report", "list"]));
    assert_eq!(marked[0]["needs_correction"], true);
    let page = ok(dir, &["report", "show", &id, "--format", "html"]);
    assert!(page.contains("DÜZELTME GEREKLİ") && page.contains("Evrak kayıtta unutulmuş"));
    let page = json(&ok(dir, &["report", "show", &id]));
    assert_eq!(page["needs_correction"], true);
    let draft = json(&ok(dir, &["report", "--quarter", "2026Q2", "--draft"]));
    assert_eq!(n(&draft["totals"]["received"]), n(&t["received"]) + 1);
    // The signed quarter's report is still the snapshot, now saying the data changed.
    let signed = json(&ok(dir, &["report", "--quarter", "2026Q2"]));
    assert_eq!(signed["totals"], r["totals"]);
    assert_eq!(signed["signed"]["data_changed"], true);
    assert_eq!(signed["signed"]["needs_correction"], true);
    assert_eq!(signed["signed"]["changes"][0]["field"], "received");
    let note = signed["signed"]["data_note"].as_str().unwrap();
    assert!(
        note.contains("İmzalı sürümden sonra veriler değişti: düzeltme gerekebilir"),
        "{note}"
    );
    let page = ok(dir, &["report", "--quarter", "2026Q2", "--format", "html"]);
    assert!(page.contains("İmzalı sürümden sonra veriler değişti") && !page.contains("TASLAK"));
    let mut again = json(&ok(dir, &["report", "show", &id]));
    let o = again.as_object_mut().unwrap();
    o.remove("needs_correction");
    o.remove("corrections");
    assert_eq!(again, shown);

    // A correction is version 2, linked to version 1; both are listed.
    let s2 = json(&ok(
        dir,
        &[
            "--as",
            "official",
            "--json",
            "report",
            "sign",
            "--quarter",
            "2026Q2",
            "--note",
            "Geç girilen talep eklendi",
        ],
    ));
    assert_eq!(
        (s2["version"].clone(), s2["supersedes"].clone()),
        (2.into(), id.clone().into())
    );
    let list = json(&ok(dir, &["--json", "report", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(n(&list[1]["received"]), n(&t["received"]) + 1);
    // The correction settles the mark.
    assert_eq!(list[0]["needs_correction"], false);
    assert_eq!(list[1]["needs_correction"], false);
    assert!(!ok(dir, &["report", "list"]).contains("DÜZELTME"));
}

/// `muhtar report --period`: a year, a quarter and a range of dates, with the quarterly
/// report's definitions, a row per channel and calendar-day figures; never signable.
#[test]
fn the_period_report_covers_a_year_a_quarter_and_dates() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["init"]);
    ok(
        dir,
        &[
            "demo",
            "--seed",
            "5",
            "--requests",
            "150",
            "--until",
            "2026-06-30",
        ],
    );
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    let report = |args: &[&str]| {
        let mut r = json(&ok(dir, args));
        r["generated_at"] = serde_json::Value::Null;
        r
    };
    let q1 = report(&["report", "--quarter", "2026Q1"]);
    let q2 = report(&["report", "--quarter", "2026Q2"]);
    // A quarter given as a period is the quarterly report.
    assert_eq!(report(&["report", "--period", "2026Q2"]), q2);
    assert_eq!(
        report(&["report", "--period", "2026-04-01..2026-06-30"]),
        q2
    );
    let year = report(&["report", "--period", "2026"]);
    assert_eq!(year["format"], "muhtar-period-report/1");
    assert_eq!(year["quarter"], serde_json::Value::Null);
    assert_eq!(year["period"]["label"], "2026");
    assert_eq!(year["period"]["start"], "2026-01-01T00:00:00+03:00");
    assert_eq!(year["period"]["end"], "2027-01-01T00:00:00+03:00");
    let received = |r: &serde_json::Value| n(&r["totals"]["received"]);
    assert!(received(&q1) > 0 && received(&q2) > 0);
    assert_eq!(received(&year), received(&q1) + received(&q2));
    assert_eq!(year["totals"]["carried_over"], q1["totals"]["carried_over"]);
    let half = report(&["report", "--period", "2026-01-01..2026-06-30"]);
    assert_eq!(half["period"]["label"], "2026-01-01..2026-06-30");
    assert_eq!(half["period"]["end"], "2026-07-01T00:00:00+03:00");
    // Nothing arrived after June: the same counts, except the deadlines that pass
    // between the half year's end and the year's.
    let (mut h, mut y) = (half["totals"].clone(), year["totals"].clone());
    assert!(n(&h["overdue_at_end"]) <= n(&y["overdue_at_end"]));
    h["overdue_at_end"] = 0.into();
    y["overdue_at_end"] = 0.into();
    assert_eq!(h, y);
    // Every channel has a row; the rows add up to the totals.
    let t = &year["totals"];
    let channels = year["by_channel"].as_array().unwrap();
    assert_eq!(channels.len(), muhtar_core::request::Channel::ALL.len());
    assert_eq!(
        channels
            .iter()
            .map(|x| n(&x["counts"]["received"]))
            .sum::<u64>(),
        received(&year)
    );
    assert!(channels
        .iter()
        .all(|x| !x["name"].as_str().unwrap().is_empty()));
    // Calendar days beside working days; weekends count, so never fewer.
    assert!(n(&t["answered_with_calendar_days"]) > 0, "{t}");
    let f = |k: &str| t[k].as_f64().unwrap();
    assert!(f("mean_calendar_days") >= f("mean_working_days"), "{t}");
    assert!(f("median_calendar_days") >= f("median_working_days"), "{t}");
    assert!(year["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["field"] == "median_calendar_days"));
    // CSV and HTML say it is not signable; the quarterly draft does not.
    let csv = ok(dir, &["report", "--period", "2026", "--format", "csv"]);
    assert!(
        csv.contains("İmzalanamaz") && csv.contains("takvim günü"),
        "{csv}"
    );
    let html = ok(dir, &["report", "--period", "2026", "--format", "html"]);
    assert!(html.contains("İmzalanamaz") && !html.contains("TASLAK"));
    assert!(html.contains("2026 Muhtar Talepleri Raporu"));
    let qhtml = ok(dir, &["report", "--period", "2026Q2", "--format", "html"]);
    assert!(qhtml.contains("TASLAK") && !qhtml.contains("İmzalanamaz"));

    // Bad periods: one line naming the expected forms.
    for bad in ["26", "2026Q5", "2026-01-01"] {
        let e = fails(dir, &["report", "--period", bad]);
        assert!(
            e.contains("--period") && e.contains("2026-01-01..2026-06-30") && e.contains("2026Q2"),
            "{bad}: {e}"
        );
    }
    // A day that does not exist: named.
    let e = fails(dir, &["report", "--period", "2026-02-30..2026-03-01"]);
    assert!(
        e.contains("--period") && e.contains("first day: \"2026-02-30\" is not a date that exists"),
        "{e}"
    );
    let e = fails(dir, &["report", "--period", "2026-06-30..2026-01-01"]);
    assert!(e.contains("before the first"), "{e}");
    let e = fails(dir, &["report", "--period", "2015-01-01..2026-01-01"]);
    assert!(e.contains("longer than 10 years"), "{e}");
    // --quarter and --period together, or a period to sign: refused.
    assert!(
        !muhtar(dir, &["report", "--quarter", "2026Q1", "--period", "2026"])
            .status
            .success()
    );
    let o = muhtar(
        dir,
        &[
            "--as", "official", "report", "sign", "--period", "2026", "--note", "x",
        ],
    );
    assert!(!o.status.success());
}

/// Law 3071 in the period report: a complaint by petition (policy `dilekce-3071`) with an
/// interim reply counts as a first response on time, in the totals and in its channel's
/// row; a second petition without any reply has none yet.
#[test]
fn an_interim_reply_counts_as_a_first_response_on_time_in_the_report() {
    use chrono::Datelike;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["init"]);
    let petition = |subject: &str| {
        let out = json(&ok(
            dir,
            &[
                "--json",
                "submit",
                "--muhtarlik",
                "kuzguncuk",
                "--category",
                "asfalt-onarim",
                "--subject",
                subject,
                "--channel",
                "petition",
                "--kind",
                "complaint",
            ],
        ));
        assert_eq!(out["state"]["policy"], "dilekce-3071", "{out}");
        assert!(out["deadlines"]["first_response_due"].is_string(), "{out}");
        out["state"]["tracking"].as_str().unwrap().to_owned()
    };
    let replied = petition("Yol çalışması hakkında");
    petition("Kaldırım hakkında");
    ok(
        dir,
        &["reply", &replied, "--text", "Dilekçeniz inceleniyor"],
    );
    // This year in Istanbul (UTC+3): the year the requests were received in.
    let year = (chrono::Utc::now() + chrono::Duration::hours(3)).year();
    let r = json(&ok(
        dir,
        &["report", "--period", &year.to_string(), "--format", "json"],
    ));
    let t = &r["totals"];
    assert_eq!(t["received"], 2, "{t}");
    assert_eq!(t["first_response_on_time"], 1, "{t}");
    assert_eq!(t["first_response_late"], 0, "{t}");
    let row = r["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "petition")
        .unwrap();
    assert_eq!(row["counts"]["first_response_on_time"], 1, "{row}");
    assert_eq!(row["counts"]["received"], 2, "{row}");
    assert!(r["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["field"] == "first_response_on_time"));
    let csv = ok(
        dir,
        &["report", "--period", &year.to_string(), "--format", "csv"],
    );
    assert!(csv.contains("Süresinde ilk cevap"), "{csv}");
}

/// `muhtar kvkk`: an administrator exports and erases a citizen's contact data.
#[test]
fn kvkk_export_and_erase() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["init"]);
    std::fs::write(
        dir.join("req.json"),
        r#"{"citizen": {"name": "Fatma Kaya", "phone": "0555 111 22 33", "email": "fatma@example.com"}}"#,
    )
    .unwrap();
    let sub = json(&ok(
        dir,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "--json",
            "submit",
            "--file",
            "req.json",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Çukur",
            "--description",
            "Yolda çukur var",
        ],
    ));
    let tracking = sub["state"]["tracking"].as_str().unwrap().to_owned();
    let e = fails(dir, &["kvkk", "export", "--email", "fatma@example.com"]);
    assert!(e.contains("forbidden"), "{e}");
    let out = ok(
        dir,
        &[
            "--as",
            "admin",
            "kvkk",
            "export",
            "--phone",
            "+905551112233",
        ],
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(json(&out)["tracking"], tracking.as_str());
    assert_eq!(json(&out)["citizen"]["email"], "fatma@example.com");
    ok(dir, &["--as", "admin", "kvkk", "erase", &tracking]);
    assert_eq!(
        ok(
            dir,
            &[
                "--as",
                "admin",
                "kvkk",
                "export",
                "--email",
                "FATMA@example.com"
            ]
        ),
        ""
    );
    let export = ok(dir, &["export"]);
    assert!(
        !export.contains("Fatma") && !export.contains("fatma@"),
        "{export}"
    );
}

/// Issue 20: `muhtar show` prints what a person needs in Turkish: status, unit, the
/// deadline with its explanation, the answer with outcome, reason and text, interim
/// replies, messages and the history with who acted by name and role, Istanbul times;
/// `--json` keeps the machine form.
#[test]
fn show_prints_the_answer_messages_and_the_deadline_explained() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["init"]);
    // Given a request answered negatively after an interim reply and two messages.
    let sub = kuzguncuk_submits(dir, "asfalt-onarim", "Okul önünde çukur", &[]);
    let tr = sub["state"]["tracking"].as_str().unwrap().to_owned();
    let unit = sub["state"]["unit"].as_str().unwrap().to_owned();
    let staff = format!("unit:{unit}");
    let muhtar = "muhtar:kuzguncuk";
    for (who, args) in [
        (staff.as_str(), vec!["accept", &tr]),
        (
            staff.as_str(),
            vec!["reply", &tr, "--text", "Ekip yönlendirildi"],
        ),
        (
            staff.as_str(),
            vec!["message", &tr, "--text", "Fotoğraf var mı?"],
        ),
        (muhtar, vec!["message", &tr, "--text", "Gönderdim"]),
        (
            staff.as_str(),
            vec![
                "answer",
                &tr,
                "--outcome",
                "negative",
                "--reason",
                "no-budget",
                "--text",
                "Bu yıl bütçe yok",
            ],
        ),
    ] {
        ok(dir, &[&["--as", who][..], &args].concat());
    }
    // When the muhtar shows it.
    let text = ok(dir, &["--as", muhtar, "show", &tr]);
    let machine = json(&ok(dir, &["--json", "--as", muhtar, "show", &tr]));
    // Then the sheet says it all in Turkish, with names rather than codes.
    assert_eq!(unit, "uskudar-fen", "the example rules route it there");
    let unit_name = "Üsküdar Belediyesi Fen İşleri Müdürlüğü";
    for expected in [
        "Kanal: MBS web".to_owned(),
        "Tür: Talep".to_owned(),
        format!("Durum        cevaplandı   Birim: {unit_name}"),
        "Süre hesabı  politika genelge-2015-8: 15 takvim günü".to_owned(),
        "             süre sonu ".to_owned(),
        "Sonuç        olumsuz — gerekçe: Bütçe imkânı yok".to_owned(),
        "             Bu yıl bütçe yok\n".to_owned(),
        "Ara cevaplar:\n  ".to_owned(),
        format!("  {unit_name} (birim personeli):\n      Ekip yönlendirildi\n"),
        format!("  {unit_name} (birim personeli):\n      Fotoğraf var mı?\n"),
        "  Kuzguncuk Mahallesi (muhtar):\n      Gönderdim\n".to_owned(),
        "birime iletildi        sistem\n".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
    }
    for code_form in ["@", "unit:", "system", "Negative", "no-budget", "UTC"] {
        assert!(!text.contains(code_form), "{code_form} in:\n{text}");
    }
    // The times are Istanbul's: the receipt as the machine form has it, at +03:00.
    let received = machine["request"]["state"]["content"]["received_at"]
        .as_str()
        .unwrap();
    let local = chrono::DateTime::parse_from_rfc3339(received)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("Alındı       %Y-%m-%d %H:%M")
        .to_string();
    assert!(text.contains(&local), "{local} not in:\n{text}");
    // `--json` is the machine form, unchanged: the record, the history, the clocks.
    let mut keys: Vec<&String> = machine.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["clocks", "history", "request"]);
    assert_eq!(machine["request"]["state"]["answer"], "Bu yıl bütçe yok");
    assert_eq!(machine["history"][1]["actor"]["user"], "system");
}
