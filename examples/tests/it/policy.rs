//! The regime belongs to the request: policy rules (the example settings `muhtar init`
//! installs), `set-policy` and the policy explanation, end to end through the CLI and the
//! REST API, on SQLite and PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::common;

use common::{body, client, token, App};

fn run(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .args(args)
        .output()
        .expect("run muhtar")
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> Value {
    let o = run(dir, db, args);
    assert!(
        o.status.success(),
        "muhtar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s = String::from_utf8(o.stdout).unwrap();
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn fails(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = run(dir, db, args);
    assert!(!o.status.success(), "muhtar {args:?} should fail");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one clear line: {e}");
    e
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("{v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// The resolution deadline `muhtar deadline` computes for a receipt under `policy`.
fn reference_due(dir: &Path, db: &str, policy: &str, received: &Value) -> DateTime<Utc> {
    let line = ok(
        dir,
        db,
        &[
            "deadline",
            "--policy",
            policy,
            "--received",
            received.as_str().unwrap(),
        ],
    );
    instant(&line["due"])
}

const SUBMIT: &[&str] = &[
    "--json",
    "submit",
    "--muhtarlik",
    "kuzguncuk",
    "--category",
    "asfalt-onarim",
    "--subject",
    "Yol çalışması hakkında",
];

fn cli_flow(dir: &Path, db: &str) {
    let init = ok(dir, db, &["--json", "init"]);
    assert_eq!(init["settings_version"], 1, "{init}");
    let ok_settings = run(dir, db, &["policy", "check"]);
    assert!(ok_settings.status.success());
    assert!(String::from_utf8_lossy(&ok_settings.stdout).starts_with("ok: 2 policy rule(s)"));

    // The coordinator records an information request that came by CİMER: Law 4982.
    let args = [
        SUBMIT,
        &["--channel", "cimer", "--kind", "information-request"],
    ]
    .concat();
    let info = ok(dir, db, &args);
    assert_eq!(info["state"]["policy"], "bilgi-edinme-4982", "{info}");
    assert_eq!(info["state"]["policy_rule"], "bilgi-edinme");
    assert_eq!(
        instant(&info["deadlines"]["resolution_due"]),
        reference_due(
            dir,
            db,
            "bilgi-edinme-4982",
            &info["state"]["content"]["received_at"]
        )
    );
    // A complaint by petition: Law 3071.
    let args = [SUBMIT, &["--channel", "petition", "--kind", "complaint"]].concat();
    let petition = ok(dir, db, &args);
    assert_eq!(petition["state"]["policy"], "dilekce-3071");
    assert_eq!(petition["state"]["policy_rule"], "dilekce");
    // A muhtar's MBS request: no rule matches, the organisation's default.
    let mbs = ok(
        dir,
        db,
        &[
            "--json",
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Okul önünde çukur",
        ],
    );
    assert_eq!(mbs["state"]["policy"], "genelge-2015-8");
    assert_eq!(mbs["state"]["policy_rule"], "default");
    let tr = mbs["state"]["tracking"].as_str().unwrap().to_owned();
    let received = mbs["state"]["content"]["received_at"].clone();

    // Why: the explanation names the rules tried.
    let ex = ok(
        dir,
        db,
        &[
            "policy",
            "explain",
            petition["state"]["tracking"].as_str().unwrap(),
        ],
    );
    assert_eq!(ex["received_rule"], "dilekce");
    assert_eq!(ex["now"]["policy"], "dilekce-3071");
    let summary = ex["summary"].to_string();
    assert!(summary.contains("did not match: kind"), "{summary}");
    assert!(
        summary.contains("rule \\\"dilekce\\\" (line ") && summary.contains(") applied"),
        "{summary}"
    );

    // A muhtar may not set the policy: one line, nothing written.
    let e = fails(
        dir,
        db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "set-policy",
            &tr,
            "--policy",
            "bilgi-edinme-4982",
            "--reason",
            "bilgi edinme",
        ],
    );
    assert!(e.contains("forbidden"), "{e}");
    let e = fails(
        dir,
        db,
        &["set-policy", &tr, "--policy", "yok", "--reason", "x"],
    );
    assert!(
        e.contains("policy: unknown \"yok\"; valid: belediye-15-is-gunu, bilgi-edinme-4982"),
        "{e}"
    );
    assert_eq!(
        ok(dir, db, &["--json", "show", &tr])["history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The coordinator may: the deadline is recomputed under the new policy.
    let after = ok(
        dir,
        db,
        &[
            "--json",
            "--as",
            "coordinator",
            "set-policy",
            &tr,
            "--policy",
            "bilgi-edinme-4982",
            "--reason",
            "CİMER bilgi edinme başvurusu",
        ],
    );
    assert_eq!(after["state"]["policy"], "bilgi-edinme-4982");
    assert_eq!(after["state"]["policy_rule"], "set-policy");
    assert_eq!(
        after["state"]["policy_reason"],
        "CİMER bilgi edinme başvurusu"
    );
    assert_eq!(
        instant(&after["deadlines"]["resolution_due"]),
        reference_due(dir, db, "bilgi-edinme-4982", &received)
    );
    let shown = ok(dir, db, &["--json", "show", &tr]);
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["kind"]["type"], "policy-changed");
    let x = &shown["clocks"]["resolution"]["explanation"];
    assert_eq!(x["policy"], "bilgi-edinme-4982");
    assert_eq!(x["policy_changes"][0]["from"], "genelge-2015-8");
    assert_eq!(x["policy_changes"][0]["to"], "bilgi-edinme-4982");
}

#[test]
fn policy_rules_and_set_policy_from_the_command_line_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("policy.db").display());
    cli_flow(d.path(), &db);
}

#[test]
fn policy_rules_and_set_policy_from_the_command_line_on_postgres() {
    let Some(base) = common::pg_server("PostgreSQL policy CLI tests") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_policy_cli");
    let d = tempfile::tempdir().unwrap();
    cli_flow(d.path(), &db);
}

#[test]
fn init_refuses_settings_whose_policy_rules_do_not_fit() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("bad.db").display());
    let file = dir.join("settings.toml");
    std::fs::write(
        &file,
        "[[policy_rule]]\nname = \"x\"\nkind = \"complaint\"\npolicy = \"yok\"\n",
    )
    .unwrap();
    let e = fails(dir, &db, &["init", "--settings", file.to_str().unwrap()]);
    assert!(
        e.contains("rule \"x\" (line 1): unknown policy \"yok\""),
        "{e}"
    );
    assert!(e.contains("nothing was written"), "{e}");
    let o = run(dir, &db, &["policy", "check", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("error: rule \"x\" (line 1)"));
}

async fn rest_flow(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, db, &["--json", "init"]);
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, db, "ibb", "coordinator");
    let srv = App::start(dir, db);
    let c = client();
    let submit = |tok: &str, v: Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let (s, info) = body(
        submit(
            &coord,
            json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim",
                   "subject": "Yol çalışması hakkında", "channel": "cimer",
                   "kind": "information-request"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{info}");
    assert_eq!(info["policy"], "bilgi-edinme-4982");
    assert_eq!(info["policy_rule"], "bilgi-edinme");
    let (s, petition) = body(
        submit(
            &coord,
            json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim",
                   "subject": "Kaldırım şikâyeti", "channel": "petition", "kind": "complaint"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{petition}");
    assert_eq!(petition["policy"], "dilekce-3071");
    assert_eq!(petition["policy_rule"], "dilekce");
    let (s, rec) = body(
        submit(
            &kuz,
            json!({"category": "asfalt-onarim", "subject": "Okul önünde çukur"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["policy"], "genelge-2015-8");
    assert_eq!(rec["policy_rule"], "default");
    let tr = rec["tracking"].as_str().unwrap().to_owned();
    let get = |path: String, tok: &str| c.get(srv.url(&path)).bearer_auth(tok.to_owned()).send();
    let (s, got) = body(get(format!("/api/v1/requests/{tr}"), &kuz).await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(
        (got["policy"].as_str(), got["policy_rule"].as_str()),
        (Some("genelge-2015-8"), Some("default"))
    );
    let (s, ex) = body(
        get(
            format!(
                "/api/v1/requests/{}/policy",
                info["tracking"].as_str().unwrap()
            ),
            &coord,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{ex}");
    assert_eq!(ex["received_rule"], "bilgi-edinme");
    // The line named is the header of that rule in the example settings.
    let line = ex["now"]["explanation"]["applied"]["line"]
        .as_u64()
        .unwrap() as usize;
    let settings: Vec<&str> = include_str!("../../data/settings.toml").lines().collect();
    assert_eq!(
        (settings[line - 1], settings[line]),
        ("[[policy_rule]]", "name = \"bilgi-edinme\""),
        "line {line}"
    );

    let set = |tok: &str, v: Value| {
        c.post(srv.url(&format!("/api/v1/requests/{tr}/set-policy")))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let change = json!({"policy": "bilgi-edinme-4982", "reason": "CİMER bilgi edinme başvurusu"});
    // A muhtar: 403, nothing written.
    let (s, e) = body(set(&kuz, change.clone()).await.unwrap()).await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    // An unknown policy: 422 naming the field.
    let (s, e) = body(
        set(&coord, json!({"policy": "yok", "reason": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "policy");
    let (_, h) = body(
        get(format!("/api/v1/requests/{tr}/history"), &coord)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(h.as_array().unwrap().len(), 2, "nothing written: {h}");
    // The coordinator: the deadline follows the new policy.
    let (s, after) = body(set(&coord, change).await.unwrap()).await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["policy"], "bilgi-edinme-4982");
    assert_eq!(after["policy_rule"], "set-policy");
    assert_eq!(after["policy_reason"], "CİMER bilgi edinme başvurusu");
    assert_eq!(
        instant(&after["resolution_due"]),
        reference_due(dir, db, "bilgi-edinme-4982", &rec["received_at"])
    );
    let (_, dl) = body(
        get(format!("/api/v1/requests/{tr}/deadline"), &coord)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        dl["resolution"]["explanation"]["policy_changes"][0]["reason"],
        "CİMER bilgi edinme başvurusu"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_over_rest_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("policy-rest.db").display());
    rest_flow(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_over_rest_on_postgres() {
    let Some(base) = common::pg_server("policy over REST on PostgreSQL") else {
        return;
    };
    rest_flow(&common::fresh_pg_db(&base, "muhtar_policy_rest")).await;
}
