//! Law 4982 (right to information) and the Law 3071 interim reply end to end, on SQLite
//! and PostgreSQL:
//!
//! * through the `muhtar` binary: `extend` before the 15 business days run out and its
//!   refusal after them (a back-office receipt a month back), `fee` / `fee-paid`,
//!   `reply` as the first response, `show`, `sweep`;
//! * through `muhtar serve`: the same commands over REST and the request view;
//! * through the library on the real stores with a manual clock, for what takes weeks:
//!   the deadline moved by the working days a fee stopped it, and the deemed withdrawal
//!   by the sweep after 15 unpaid business days, with its notice, once.
//!
//! The tenant is the example organisation with `default_policy = "bilgi-edinme-4982"`.

use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{body, client, muhtar, post_json, token, App};
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;

const ORG: &str = include_str!("../../data/org.toml");

/// The example organisation whose requests run under Law 4982.
fn org_4982(dir: &Path) -> String {
    let text = ORG.replace(
        "default_policy = \"genelge-2015-8\"",
        "default_policy = \"bilgi-edinme-4982\"",
    );
    assert_ne!(
        text, ORG,
        "the example organisation names its default policy"
    );
    let p = common::write_org(dir, "org-4982.toml", &text);
    p.to_str().unwrap().to_owned()
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Runs `muhtar`, expecting a failure with one clear line on standard error.
fn fails(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = Process::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .args(args)
        .output()
        .unwrap();
    assert!(!o.status.success(), "muhtar {args:?} should fail");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one clear line: {e}");
    e
}

/// A back-office information request received `days_ago` days ago; its tracking number
/// and resolution deadline.
fn submit(dir: &Path, db: &str, days_ago: i64) -> (String, DateTime<Utc>) {
    let file = dir.join(format!("request-{days_ago}.json"));
    let received = Utc::now() - Duration::days(days_ago);
    std::fs::write(
        &file,
        json!({"received_at": received, "channel": "petition", "kind": "information-request"})
            .to_string(),
    )
    .unwrap();
    let out = json_of(&muhtar(
        dir,
        db,
        &[
            "--json",
            "submit",
            "--file",
            file.to_str().unwrap(),
            "--muhtarlik",
            "kuzguncuk",
            "--category",
            "asfalt-onarim",
            "--subject",
            "İhale belgeleri",
            "--description",
            "2025 yılı asfalt ihalesinin sözleşmesini istiyorum",
        ],
    ));
    assert_eq!(out["state"]["policy"], "bilgi-edinme-4982", "{out}");
    let due = out["deadlines"]["resolution_due"].as_str().unwrap();
    (
        out["state"]["tracking"].as_str().unwrap().to_owned(),
        DateTime::parse_from_rfc3339(due)
            .unwrap()
            .with_timezone(&Utc),
    )
}

fn cli_flow(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init", "--org", &org_4982(dir)]);

    // Received today: the extension is in time; the deadline becomes 30 business days.
    let (tr, due15) = submit(dir, db, 0);
    let ext = json_of(&muhtar(
        dir,
        db,
        &[
            "--json",
            "extend",
            &tr,
            "--reason",
            "Arşiv taraması gerekiyor",
        ],
    ));
    assert_eq!(ext["state"]["extended"], true);
    let due30 =
        DateTime::parse_from_rfc3339(ext["deadlines"]["resolution_due"].as_str().unwrap()).unwrap();
    assert!(due30 > due15 + Duration::days(14), "{due15} → {due30}");
    let e = fails(dir, db, &["extend", &tr, "--reason", "Bir daha"]);
    assert!(e.contains("already extended"), "{e}");
    // The interim reply (ara cevap) meets the first-response clock; `show` says so.
    muhtar(dir, db, &["reply", &tr, "--text", "Belgeler derleniyor"]);
    let shown = muhtar(dir, db, &["show", &tr]);
    assert!(shown.contains("İlk yanıt"), "{shown}");
    assert!(shown.contains("(süresinde)"), "{shown}");
    // The extension is part of the deadline's explanation.
    assert!(shown.contains("             uzatma "), "{shown}");
    assert!(
        shown.contains("15 → 30 iş günü — Arşiv taraması gerekiyor"),
        "{shown}"
    );

    // Received a month ago: the 15 business days are over, the extension is refused
    // with the deadline in Istanbul time, and nothing is written.
    let (old, old_due) = submit(dir, db, 29);
    assert!(
        old_due < Utc::now(),
        "a month back the 15 days are over: {old_due}"
    );
    let e = fails(dir, db, &["extend", &old, "--reason", "Geç"]);
    let local = muhtar_core::calendar::to_istanbul(old_due)
        .format("%d.%m.%Y %H:%M (Europe/Istanbul)")
        .to_string();
    assert!(e.contains(&local) && e.contains("Law 4982 art. 11"), "{e}");
    let v = json_of(&muhtar(dir, db, &["--json", "show", &old]));
    assert_eq!(v["history"].as_array().unwrap().len(), 2, "nothing written");

    // A fee stops the clock; payment resumes it.
    let (tr, due) = submit(dir, db, 0);
    let e = fails(dir, db, &["fee", &tr, "--amount", "on iki"]);
    assert!(e.contains("--amount"), "{e}");
    let fee = json_of(&muhtar(
        dir,
        db,
        &[
            "--json",
            "fee",
            &tr,
            "--amount",
            "12,50",
            "--note",
            "40 sayfa fotokopi",
        ],
    ));
    assert_eq!(fee["state"]["status"], "paused");
    assert_eq!(fee["state"]["fee"]["amount"], "12.50");
    let v = json_of(&muhtar(dir, db, &["--json", "show", &tr]));
    assert_eq!(v["clocks"]["resolution"]["state"], "paused");
    let shown = muhtar(dir, db, &["show", &tr]);
    assert!(
        shown.contains("Ücret        12,50 TL bildirildi"),
        "{shown}"
    );
    // The sweep leaves a fresh fee alone.
    let sw = json_of(&muhtar(dir, db, &["--json", "sweep"]));
    assert_eq!(sw["deemed_withdrawn"], 0, "{sw}");
    // A muhtar may not record the payment.
    fails(dir, db, &["--as", "muhtar:kuzguncuk", "fee-paid", &tr]);
    let paid = json_of(&muhtar(
        dir,
        db,
        &["--json", "fee-paid", &tr, "--note", "Dekont 42"],
    ));
    assert_eq!(paid["state"]["status"], "in-progress");
    assert!(paid["state"].get("fee").is_none(), "{paid}");
    // Notified and paid the same day: no working day was lost, the deadline stands.
    assert_eq!(
        paid["deadlines"]["resolution_due"],
        json!(due),
        "same-day payment keeps the deadline"
    );
    let e = fails(dir, db, &["fee-paid", &tr]);
    assert!(e.contains("fee-paid"), "{e}");
}

#[test]
fn law_4982_from_the_command_line_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    cli_flow(&format!("sqlite://{}", d.path().join("m.db").display()));
}

#[test]
fn law_4982_from_the_command_line_on_postgres() {
    let Some(base) = common::pg_server("Law 4982 CLI on PostgreSQL") else {
        return;
    };
    cli_flow(&common::fresh_pg_db(&base, "muhtar_4982"));
}

async fn rest_flow(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init", "--org", &org_4982(dir)]);
    let coord = token(dir, db, "ibb", "coordinator");
    let srv = App::start(dir, db);
    let c = client();
    let submit = |days_ago: i64| {
        json!({
            "muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "İhale belgeleri",
            "description": "Sözleşmeyi istiyorum", "kind": "information-request",
            "channel": "petition", "received_at": Utc::now() - Duration::days(days_ago),
        })
    };
    let (s, v) = post_json(&c, &srv.url("/api/v1/requests"), &coord, &submit(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["policy"], "bilgi-edinme-4982");
    let tr = v["tracking"].as_str().unwrap().to_owned();
    let cmd = |name: &str| srv.url(&format!("/api/v1/requests/{tr}/{name}"));

    let (s, v) = post_json(&c, &cmd("fee"), &coord, &json!({"amount": "1,2,3"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "amount", "{v}");
    let (s, v) = post_json(
        &c,
        &cmd("fee"),
        &coord,
        &json!({"amount": 7.5, "note": "CD"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["fee"]["amount"].as_str()),
        (Some("paused"), Some("7.50"))
    );
    let (s, v) = body(
        c.get(srv.url(&format!("/api/v1/requests/{tr}/deadline")))
            .bearer_auth(&coord)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["resolution"]["state"], "paused", "{v}");
    let (s, v) = post_json(&c, &cmd("fee-paid"), &coord, &json!({"note": "Dekont"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["fee"].is_null()),
        (Some("in-progress"), true)
    );
    let (s, v) = post_json(&c, &cmd("fee-paid"), &coord, &json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    let (s, v) = post_json(&c, &cmd("extend"), &coord, &json!({"reason": "Arşiv"})).await;
    assert_eq!(
        (s, v["extended"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let (s, v) = post_json(&c, &cmd("reply"), &coord, &json!({"text": "Derleniyor"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["first_response_on_time"], true, "{v}");
    assert!(v["first_response_at"].is_string(), "{v}");

    // A month back the 15 business days are over: 422, naming the deadline.
    let (_, v) = post_json(&c, &srv.url("/api/v1/requests"), &coord, &submit(29)).await;
    let old = v["tracking"].as_str().unwrap().to_owned();
    let (s, v) = post_json(
        &c,
        &srv.url(&format!("/api/v1/requests/{old}/extend")),
        &coord,
        &json!({"reason": "Geç"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(Europe/Istanbul)"),
        "{v}"
    );

    // The OpenAPI document names the new commands.
    let (_, doc) = body(c.get(srv.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    let text = doc.to_string();
    assert!(
        text.contains("fee-paid") && text.contains("amount"),
        "openapi lacks fee commands"
    );
    srv.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn law_4982_over_rest_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    rest_flow(&format!("sqlite://{}", d.path().join("m.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn law_4982_over_rest_on_postgres() {
    let Some(base) = common::pg_server("Law 4982 REST on PostgreSQL") else {
        return;
    };
    rest_flow(&common::fresh_pg_db(&base, "muhtar_4982")).await;
}

/// Istanbul local time (UTC+3 in 2026).
fn local(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap() - Duration::hours(3)
}

/// What takes weeks, on a real store with a manual clock.
async fn weeks_flow(store: Arc<dyn Store>) {
    use muhtar_core::outbox::NoticeKind;
    use muhtar_core::request::FeeAmount;
    let org = muhtar_core::org::Organisation::from_toml_str_with(
        &ORG.replace(
            "default_policy = \"genelge-2015-8\"",
            "default_policy = \"bilgi-edinme-4982\"",
        ),
        |_| Ok(include_str!("../../data/boundaries.geojson").to_owned()),
    )
    .unwrap()
    .0;
    let t = org.tenant.id.clone();
    let clock = Arc::new(ManualClock::new(local(5, 15, 11, 0)));
    let mbs = Mbs::new(store, clock.clone(), SeededRandom::new(3));
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let coord = Actor::parse(&t, "coordinator").unwrap();
    let new = |subject: &str| {
        serde_json::from_value::<NewRequest>(json!({
            "muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": subject,
            "description": "Belge istiyorum", "channel": "petition",
            "kind": "information-request",
        }))
        .unwrap()
    };
    let fee = || Command::NotifyFee {
        amount: "25".parse::<FeeAmount>().unwrap(),
        note: "Fotokopi".into(),
    };
    let paid = mbs
        .submit(&coord, new("Ödenen"))
        .await
        .unwrap()
        .state
        .tracking;
    let unpaid = mbs
        .submit(&coord, new("Ödenmeyen"))
        .await
        .unwrap()
        .state
        .tracking;
    // Fee notified Monday 1 June on both.
    clock.set(local(6, 1, 10, 0));
    for tr in [&paid, &unpaid] {
        mbs.execute(&coord, tr, None, fee()).await.unwrap();
    }
    // Paid Friday 5 June: 2–5 June did not count; 11 June becomes 17 June.
    clock.set(local(6, 5, 15, 0));
    let rec = mbs
        .execute(
            &coord,
            &paid,
            None,
            Command::FeePaid {
                note: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rec.deadlines.resolution_due, Some(local(6, 17, 17, 30)));
    // Stored as such.
    assert_eq!(
        mbs.get(&coord, &paid)
            .await
            .unwrap()
            .deadlines
            .resolution_due,
        Some(local(6, 17, 17, 30))
    );

    // The unpaid one lapses after the 15th business day after the notice (22 June).
    clock.set(local(6, 22, 17, 0));
    assert_eq!(mbs.sweep(&t).await.unwrap().deemed_withdrawn, 0);
    clock.set(local(6, 22, 17, 31));
    assert_eq!(mbs.sweep(&t).await.unwrap().deemed_withdrawn, 1);
    let rec = mbs.get(&coord, &unpaid).await.unwrap();
    assert_eq!(rec.state.status, Status::Withdrawn);
    assert_eq!(
        rec.state.reason.as_ref().map(|r| r.0.as_str()),
        Some("fee-unpaid")
    );
    let notices = |id| {
        let mbs = &mbs;
        let t = t.clone();
        async move {
            mbs.store()
                .outbox(&t, Some(id))
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.message.kind == NoticeKind::DeemedWithdrawn)
                .count()
        }
    };
    let n = notices(rec.state.id).await;
    assert!(n >= 1, "the muhtar hears of it");
    let events = mbs.history(&coord, &unpaid).await.unwrap().len();
    // Once: the next sweep writes nothing.
    clock.set(local(6, 30, 12, 0));
    assert_eq!(mbs.sweep(&t).await.unwrap().deemed_withdrawn, 0);
    assert_eq!(mbs.history(&coord, &unpaid).await.unwrap().len(), events);
    assert_eq!(notices(rec.state.id).await, n);
    // The paid one is untouched.
    assert_eq!(
        mbs.get(&coord, &paid).await.unwrap().state.status,
        Status::InProgress
    );
    // The report counts it as negative with its reason.
    let report = mbs
        .report(&coord, "2026Q2".parse().unwrap(), None)
        .await
        .unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["totals"]["negative"], 1, "{}", v["totals"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_stop_and_deemed_withdrawal_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", d.path().join("m.db").display());
    let store = muhtar_store_sqlite::SqliteStore::open(&url, Default::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    weeks_flow(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_stop_and_deemed_withdrawal_on_postgres() {
    let Some(base) = common::pg_server("Law 4982 weeks on PostgreSQL") else {
        return;
    };
    let url = common::fresh_pg_db(&base, "muhtar_4982");
    let store = muhtar_store_postgres::PgStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    weeks_flow(Arc::new(store)).await;
}
