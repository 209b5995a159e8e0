//! Errors that teach (issue 20): a refused action names the roles that may take it, a
//! malformed date or time names the field and the form expected, a coordinate outside
//! Turkey names the range, an unknown value lists the valid ones; the CLI (the built
//! binary on a real SQLite file) and REST say the same.

use std::path::Path;

use common::{body, client, muhtar, muhtar_fails, token, App};
use serde_json::json;

use crate::common;

/// A fresh database with the example organisation in `dir`.
fn init(dir: &Path) -> String {
    let db = format!("sqlite://{}", dir.join("muhtar.db").display());
    muhtar(dir, &db, &["init"]);
    db
}

/// `muhtar submit` for Kuzguncuk as the coordinator, with `extra` flags.
fn submit_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "submit",
        "--muhtarlik",
        "kuzguncuk",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Yolda çukur",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn a_refused_action_names_the_role_that_may_take_it() {
    let d = tempfile::tempdir().unwrap();
    let db = init(d.path());
    let e = muhtar_fails(
        d.path(),
        &db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "kvkk",
            "export",
            "--email",
            "x@y.z",
        ],
    );
    assert_eq!(
        e,
        "error: forbidden: muhtar Kuzguncuk Mahallesi bu işlemi yapamaz (yönetim (teşkilat, kurallar, \
         takvim, kişisel veri)); gerekli rol: yönetici (--as admin)"
    );
    assert!(!e.contains("Manage"), "{e}");
    // A request's command: the unit it is routed to and the coordinator.
    let tr = muhtar(
        d.path(),
        &db,
        &[
            "--json",
            "submit",
            "--muhtarlik",
            "kuzguncuk",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Yolda çukur",
        ],
    );
    let tr: serde_json::Value = serde_json::from_str(&tr).unwrap();
    let (tr, unit) = (
        tr["state"]["tracking"].as_str().unwrap(),
        tr["state"]["unit"].as_str().unwrap(),
    );
    let e = muhtar_fails(d.path(), &db, &["--as", "muhtar:kuzguncuk", "accept", tr]);
    assert!(
        e.ends_with(&format!(
            "bu işlemi yapamaz (işleme alma); gerekli rol: birim personeli (--as unit:{unit}) \
             veya koordinatör (--as coordinator)"
        )),
        "{e}"
    );
}

#[test]
fn a_malformed_or_impossible_date_names_the_flag_and_the_form() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), init(d.path()));
    let e = muhtar_fails(dir, &db, &submit_args(&["--received-at", "2025-03-14"]));
    assert_eq!(
        e,
        "error: --received-at: \"2025-03-14\" is not a date-time; expected RFC 3339, e.g. \
         2025-03-14T10:00:00+03:00"
    );
    let e = muhtar_fails(
        dir,
        &db,
        &submit_args(&["--received-at", "2026-02-30T10:00:00+03:00"]),
    );
    assert_eq!(
        e,
        "error: --received-at: \"2026-02-30T10:00:00+03:00\" is not a date that exists (no such \
         month, day or time)"
    );
    let e = muhtar_fails(dir, &db, &submit_args(&["--reply-by", "2026-02-30"]));
    assert_eq!(
        e,
        "error: --reply-by: \"2026-02-30\" is not a date that exists (no such month, day or time)"
    );
    let e = muhtar_fails(dir, &db, &submit_args(&["--reply-by", "yarın"]));
    assert!(
        e.starts_with("error: --reply-by: \"yarın\" is not a date or a date-time; expected"),
        "{e}"
    );
    let e = muhtar_fails(
        dir,
        &db,
        &[
            "deadline",
            "--policy",
            "genelge-2015-8",
            "--received",
            "2025-03-14",
        ],
    );
    assert_eq!(
        e,
        "error: --received: \"2025-03-14\" is not a date-time; expected RFC 3339, e.g. \
         2025-03-14T10:00:00+03:00"
    );
    let e = muhtar_fails(dir, &db, &["report", "--period", "2026-02-30..2026-03-31"]);
    assert_eq!(
        e,
        "error: --period: invalid period \"2026-02-30..2026-03-31\": first day: \"2026-02-30\" \
         is not a date that exists (no such month, day or time)"
    );
    let e = muhtar_fails(dir, &db, &["report", "--period", "2026-01-01..2026-6-x"]);
    assert!(
        e.contains("last day: \"2026-6-x\" is not a date; expected YYYY-MM-DD"),
        "{e}"
    );
}

#[test]
fn a_location_outside_turkey_names_the_range() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), init(d.path()));
    let e = muhtar_fails(dir, &db, &submit_args(&["--lat", "51.5", "--lon", "29"]));
    assert_eq!(
        e,
        "error: invalid input: location.lat = 51.5 is outside Turkey (35.7–42.2 N)"
    );
    let e = muhtar_fails(dir, &db, &submit_args(&["--lat", "41", "--lon", "-0.1"]));
    assert_eq!(
        e,
        "error: invalid input: location.lon = -0.1 is outside Turkey (25.5–45 E)"
    );
}

#[test]
fn an_unknown_value_lists_the_valid_ones() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), init(d.path()));
    let mut a = submit_args(&[]);
    a[4] = "yok";
    let e = muhtar_fails(dir, &db, &a);
    assert!(
        e.starts_with("error: invalid input: category: unknown \"yok\"; valid: "),
        "{e}"
    );
    assert!(e.contains("asfalt-onarim"), "{e}");
    assert!(
        e.ends_with("… and 7 more (all of them: GET /api/v1/organisation)"),
        "{e}"
    );
    let mut a = submit_args(&[]);
    a[2] = "yok";
    let e = muhtar_fails(dir, &db, &a);
    assert!(
        e.starts_with("error: invalid input: muhtarlik: unknown \"yok\"; valid: kuzguncuk, "),
        "{e}"
    );
    let e = muhtar_fails(dir, &db, &["list", "--unit", "yok"]);
    assert!(
        e.starts_with("error: --unit: unknown \"yok\"; valid: ibb, muhtarliklar-db, "),
        "{e}"
    );
    let e = muhtar_fails(dir, &db, &["list", "--status", "acik"]);
    assert!(e.ends_with(", withdrawn, merged, open"), "{e}");
    let e = muhtar_fails(dir, &db, &["--as", "patron", "list"]);
    assert_eq!(
        e,
        "error: --as patron: unknown role \"patron\"; valid roles: muhtar:<kod>, unit:<kod>, \
         coordinator, official, auditor, admin, system, public, member:<kod>"
    );
    let e = muhtar_fails(
        dir,
        &db,
        &[
            "deadline",
            "--policy",
            "yok",
            "--received",
            "2026-03-02T10:00:00+03:00",
        ],
    );
    assert_eq!(
        e,
        "error: unknown SLA policy \"yok\"; valid policies: belediye-15-is-gunu, \
         bilgi-edinme-4982, dilekce-3071, genelge-2015-8"
    );

    // A reason code: every valid one, the 15 of Law 4982 apart.
    let tr = muhtar(dir, &db, &{
        let mut a = vec!["--json"];
        a.extend(submit_args(&[]));
        a
    });
    let tr: serde_json::Value = serde_json::from_str(&tr).unwrap();
    let tr = tr["state"]["tracking"].as_str().unwrap();
    let e = muhtar_fails(
        dir,
        &db,
        &[
            "answer",
            tr,
            "--outcome",
            "negative",
            "--reason",
            "yok",
            "--text",
            "x",
        ],
    );
    assert!(
        e.starts_with("error: unknown reason code \"yok\"; valid: not-our-authority, "),
        "{e}"
    );
    let law = e.split("Law 4982 (information requests): ").nth(1).unwrap();
    assert_eq!(law.split(", ").count(), 15, "{law}");
    assert!(
        law.contains("fee-unpaid") && law.contains("state-secret"),
        "{law}"
    );
    let e = muhtar_fails(dir, &db, &["transfer", tr, "--to", "yok", "--reason", "x"]);
    assert!(
        e.starts_with("error: to: unknown \"yok\"; valid: ibb, muhtarliklar-db, "),
        "{e}"
    );
}

#[test]
fn help_lists_every_channel_kind_and_role() {
    let d = tempfile::tempdir().unwrap();
    let out = muhtar(d.path(), "sqlite://unused.db", &["submit", "--help"]);
    for c in muhtar_core::request::Channel::NAMES {
        assert!(out.contains(c), "--help lacks channel {c}: {out}");
    }
    for k in muhtar_core::request::RequestKind::NAMES {
        assert!(out.contains(k), "--help lacks kind {k}: {out}");
    }
    assert!(
        out.contains(&muhtar_core::access::RoleKind::forms()),
        "--help lacks the roles: {out}"
    );
}

/// REST says what the CLI says: a 403 names the roles that may, a 422 the range of a
/// coordinate and the form of an instant.
#[tokio::test(flavor = "multi_thread")]
async fn rest_refusals_and_bad_input_teach_as_the_cli_does() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), init(d.path()));
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");
    let srv = App::start(dir, &db);
    let c = client();
    let submit = |tok: &str, v: serde_json::Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let (s, e) = body(
        submit(
            &kuz,
            json!({"category": "asfalt-onarim", "subject": "x", "location": {"lat": 51.5, "lon": 29.0}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "location.lat");
    assert_eq!(
        e["error"]["message"],
        "location.lat = 51.5 is outside Turkey (35.7–42.2 N)"
    );
    let (s, e) = body(
        submit(
            &coord,
            json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "x",
                   "received_at": "2025-03-14"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert!(s.is_client_error(), "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("received_at: \"2025-03-14\" is not a date-time; expected RFC 3339"),
        "{e}"
    );
    let (s, v) = body(
        submit(&kuz, json!({"category": "asfalt-onarim", "subject": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (tr, unit) = (v["tracking"].as_str().unwrap(), v["unit"].as_str().unwrap());
    let (s, e) = body(
        c.post(srv.url(&format!("/api/v1/requests/{tr}/answer")))
            .bearer_auth(&kuz)
            .json(&json!({"outcome": "positive", "text": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    assert_eq!(
        e["error"]["message"],
        format!(
            "muhtar Kuzguncuk Mahallesi bu işlemi yapamaz (cevaplama); gerekli rol: birim personeli \
             (--as unit:{unit}) veya koordinatör (--as coordinator)"
        )
    );
}
