//! `muhtar rules check` and `muhtar rules explain`, run as the built binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_muhtar");
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules.toml");
const ORG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/org.toml");

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("MUHTAR_ORG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn example_rules_validate() {
    for args in [
        vec!["rules", "check", RULES],
        vec!["rules", "check", RULES, "--org", ORG],
    ] {
        let out = run(&args, None);
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with("ok: 23 rule(s), version 2025-03+"),
            "{stdout}"
        );
        assert!(!stdout.contains("error"), "{stdout}");
    }
}

#[test]
fn broken_rules_fail_naming_rule_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(
        &path,
        "version = \"x\"\n\n[[rule]]\nname = \"iyi\"\ncategory = \"budama\"\ntarget = \"agac-mud\"\n\n[[rule]]\nname = \"bozuk\"\ncategory = \"moloz\"\ntarget = \"olmayan-birim\"\n",
    )
    .unwrap();
    let out = run(&["rules", "check", path.to_str().unwrap()], None);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "error: rule \"bozuk\" (line 8): target unit \"olmayan-birim\" does not exist"
        ),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("1 error(s)"), "{stderr}");
}

#[test]
fn warnings_only_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(
        &path,
        "[[rule]]\nname = \"genis\"\ngroup = \"hayvan\"\ntarget = \"veteriner-mud\"\n\n[[rule]]\nname = \"dar\"\ncategory = \"yarali-hayvan\"\ntarget = \"agac-mud\"\n",
    )
    .unwrap();
    let out = run(&["rules", "check", path.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("warning: rule \"dar\" (line 6): shadowed"));
}

#[test]
fn explain_routes_a_sample_request() {
    let request = r#"{"muhtarlik": "kuzguncuk", "channel": "mobile-app", "category": "moloz",
        "subject": "Sokakta moloz bırakılmış"}"#;
    let out = run(
        &["rules", "explain", RULES, "--request", "-"],
        Some(request),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unit"], "uskudar-temizlik");
    assert_eq!(v["rule"], "moloz-ilce");
    assert_eq!(v["explanation"]["applied"]["rule"], "moloz-ilce");
    assert!(v["rule_set_version"]
        .as_str()
        .unwrap()
        .starts_with("2025-03+"));
    assert!(v["summary"].as_array().unwrap().len() >= 2);

    // From a file, in Beykoz: the relative target does not resolve, the next rule decides.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("req.json");
    std::fs::write(&path, request.replace("kuzguncuk", "riva")).unwrap();
    let out = run(
        &[
            "rules",
            "explain",
            RULES,
            "--org",
            ORG,
            "--request",
            path.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unit"], "atik-mud");
    let tried = v["explanation"]["tried"].as_array().unwrap();
    assert!(tried
        .iter()
        .any(|a| a["rule"] == "moloz-ilce" && a["result"] == "target-unavailable"));
}

#[test]
fn explain_rejects_an_invalid_request_in_one_line() {
    let out = run(
        &["rules", "explain", RULES, "--request", "-"],
        Some(
            r#"{"muhtarlik": "atlantis", "channel": "email", "category": "moloz", "subject": "x"}"#,
        ),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("muhtarlik"), "{stderr}");
}

/// The stored rule set and an organisation change: `init` refuses an organisation the
/// rules would not validate against (naming them, writing nothing); forced, the
/// organisation goes in, and `rules show`, `rules check` and every command's warning say
/// that routing falls back and why, until rules that fit are installed.
#[test]
fn an_organisation_change_that_breaks_the_stored_rules_is_refused_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("muhtar.db").display());
    let at = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        run(&all, None)
    };
    let ok = |args: &[&str]| {
        let out = at(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        out
    };
    let shown = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--json", "rules", "show"];
        all.extend_from_slice(args);
        serde_json::from_str(&text(&ok(&all).stdout)).unwrap()
    };
    ok(&["init"]);
    let s = shown(&[]);
    assert_eq!(
        (&s["in_force"], &s["document_version"], &s["problem"]),
        (
            &serde_json::json!(true),
            &serde_json::json!(1),
            &serde_json::Value::Null
        )
    );
    let out = ok(&["rules", "show"]);
    assert!(
        text(&out.stdout).contains("rule set v1 (2025-03+"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    ok(&["rules", "check"]);

    // İGDAŞ, the target of two rules, is deactivated.
    let changed = dir.path().join("org.toml");
    let org = std::fs::read_to_string(ORG).unwrap().replacen(
        "code = \"igdas\"\n",
        "code = \"igdas\"\nactive = false\n",
        1,
    );
    std::fs::write(&changed, org).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/boundaries.geojson"),
        dir.path().join("boundaries.geojson"),
    )
    .unwrap();
    let changed = changed.to_str().unwrap();

    // Would the stored rules survive it? No, and why.
    let out = at(&["rules", "check", "--org", changed]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    for rule in ["gaz-kokusu", "dogalgaz"] {
        assert!(
            stdout.contains(&format!("error: rule \"{rule}\"")),
            "{stdout}"
        );
    }

    // init refuses it, naming the rules, and writes nothing.
    let out = at(&["init", "--org", changed]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(stderr.contains("rule \"gaz-kokusu\""), "{stderr}");
    assert_eq!(shown(&[])["organisation_version"], 1);

    // Forced: the organisation goes in; the rules do not, and routing falls back.
    let out = ok(&["init", "--org", changed, "--force"]);
    assert!(text(&out.stderr).contains("not installed (--force)"));
    let s = shown(&[]);
    assert_eq!(s["organisation_version"], 2);
    assert_eq!(s["document_version"], 1);
    assert_eq!(s["in_force"], false);
    assert_eq!(s["version"], "fallback:invalid-rules");
    assert_eq!(s["fallback"], "muhtarliklar-db");
    assert!(s["problem"].as_str().unwrap().contains("gaz-kokusu"), "{s}");
    assert!(s["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p.as_str().unwrap().contains("rule \"dogalgaz\"")));
    let out = ok(&["rules", "show"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("rule set v1 is NOT in force: it does not validate against organisation v2, so every request goes to the fallback unit muhtarliklar-db"),
        "{stdout}"
    );
    // Every command that builds the tenant's context warns, once.
    let stderr = text(&ok(&["--json", "list"]).stderr);
    assert_eq!(
        stderr.matches("warning: tenant ibb: the routing rule set (version 1) does not validate against organisation version 2").count(),
        1,
        "{stderr}"
    );
    let out = at(&["rules", "check"]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("error: rule \"gaz-kokusu\""));
    assert!(
        text(&out.stderr).contains("stored rule set v1: 2 error(s)"),
        "{}",
        text(&out.stderr)
    );

    // Rules that fit put routing back in force.
    let fixed = dir.path().join("rules.toml");
    std::fs::write(
        &fixed,
        std::fs::read_to_string(RULES)
            .unwrap()
            .replace("target = \"igdas\"", "target = \"muhtarliklar-db\""),
    )
    .unwrap();
    ok(&["init", "--org", changed, "--rules", fixed.to_str().unwrap()]);
    let s = shown(&[]);
    assert_eq!(
        (
            &s["in_force"],
            &s["document_version"],
            &s["organisation_version"]
        ),
        (
            &serde_json::json!(true),
            &serde_json::json!(2),
            &serde_json::json!(2)
        )
    );
}
