//! `--help` of a subcommand shows only the options that apply to it, while the global
//! options keep working in every position the README uses.

use std::process::Command;

use crate::common;

fn help(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .args(args)
        .output()
        .expect("run muhtar");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn serve_help_shows_only_its_options_and_the_global_ones_still_work() {
    let serve = help(&["serve", "--help"]);
    assert!(
        serve.contains("--bind") && serve.contains("--db"),
        "{serve}"
    );
    for other in ["--as", "MUHTAR_AS", "--json"] {
        assert!(!serve.contains(other), "{other} in serve --help: {serve}");
    }
    // Given before the subcommand, too.
    assert!(!help(&["--as", "coordinator", "--json", "serve", "--help"]).contains("--as"));
    let holidays = help(&["holidays", "--help"]);
    assert!(
        !holidays.contains("--db") && !holidays.contains("--as"),
        "{holidays}"
    );
    // Where they apply, they are shown.
    let list = help(&["list", "--help"]);
    assert!(list.contains("--as") && list.contains("--json"), "{list}");

    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("m.db").display());
    common::muhtar(dir, &db, &["init"]);
    common::muhtar(
        dir,
        &db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "budama",
            "--subject",
            "Ağaç dalları tellere değiyor",
        ],
    );
    // Before and after the subcommand, alone and together.
    let listed = common::muhtar(dir, &db, &["--as", "muhtar:kuzguncuk", "list"]);
    assert!(listed.contains("Ağaç dalları"), "{listed}");
    for args in [
        &["--json", "--as", "muhtar:kuzguncuk", "list"][..],
        &["--json", "list", "--as", "muhtar:kuzguncuk"],
        &["list", "--as", "muhtar:kuzguncuk", "--json"],
    ] {
        let v: serde_json::Value = serde_json::from_str(&common::muhtar(dir, &db, args)).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 1, "{args:?}: {v}");
    }
    // serve still accepts them (hidden, not refused): a wrong --as is no parse error.
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .args([
            "--db",
            "sqlite:///nonexistent/dir/x.db",
            "serve",
            "--as",
            "coordinator",
            "--json",
        ])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && !e.contains("unexpected argument"),
        "{e}"
    );
}
