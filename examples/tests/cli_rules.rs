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
