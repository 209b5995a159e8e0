//! Personal data (issue 17, defect 9): a muhtar's view of the organisation holds no
//! person's phone or e-mail; a KVKK erasure on PostgreSQL leaves no copy of the erased
//! contact in the tables' heap pages.

use std::path::Path;
use std::process::Command;

use common::{body, client, muhtar, token, App};

use crate::common;

/// People's contact data in `examples/data/org.toml`: a unit's liaison, a unit's
/// official, another muhtarlık's muhtar.
const PERSONAL: &[&str] = &[
    "Murat Şahin",
    "murat.sahin@ibb.example.gov.tr",
    "+905324001001",
    "Zeynep Arslan",
    "zeynep.arslan@ibb.example.gov.tr",
    "+902124551000",
    "Şule Öztürk",
    "cengelkoy.muhtarligi@muhtar.example.org",
    "+905326021222",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muhtar_sees_the_organisation_without_personal_data() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("org.db").display());
    muhtar(dir, &db, &["init"]);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");
    let staff = token(dir, &db, "ibb", "unit:asfalt-mud");
    let srv = App::start(dir, &db);
    let c = client();
    let get = |t: String| {
        let c = c.clone();
        let url = srv.url("/api/v1/organisation");
        async move { body(c.get(url).bearer_auth(t).send().await.unwrap()).await }
    };
    let (s, m) = get(kuz).await;
    assert_eq!(s, 200, "{m}");
    let text = m.to_string();
    for p in PERSONAL {
        assert!(!text.contains(p), "a muhtar sees {p:?}: {text}");
    }
    // What a muhtar needs: units with their public contact points, muhtarlıklar,
    // categories with their fields, reason codes.
    assert!(text.contains("asfalt@ibb.example.gov.tr"), "{text}");
    assert!(text.contains("Yol Bakım ve Onarım Müdürlüğü"), "{text}");
    assert!(text.contains("Çengelköy"), "{text}");
    assert!(m["category"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(m["reason"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(m["unit"][0].get("official").is_none(), "{}", m["unit"][0]);
    assert!(m["muhtarlik"][0].get("muhtar").is_none());
    // The back office sees the people.
    for t in [coord, staff] {
        let (s, full) = get(t).await;
        assert_eq!(s, 200, "{full}");
        let text = full.to_string();
        for p in PERSONAL {
            assert!(text.contains(p), "the back office does not see {p:?}");
        }
    }
}

/// The citizen whose contact the erasure tests erase.
const NAME: &str = "Zümrüt Silinecekoğlu";
/// Their e-mail address.
const EMAIL: &str = "zumrut.silinecek@example.com";

/// A muhtar's request carrying the citizen's contact, then a command, so that the tables
/// hold older versions of its rows too; returns its tracking number.
fn submit_with_contact_and_message(dir: &Path, db: &str) -> String {
    std::fs::write(
        dir.join("req.json"),
        format!(
            r#"{{"citizen": {{"name": "{NAME}", "phone": "0555 987 65 43", "email": "{EMAIL}"}}}}"#
        ),
    )
    .unwrap();
    let sub = muhtar(
        dir,
        db,
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
        ],
    );
    let sub: serde_json::Value = serde_json::from_str(&sub).unwrap();
    let tracking = sub["state"]["tracking"].as_str().unwrap().to_owned();
    muhtar(
        dir,
        db,
        &["--as", "coordinator", "message", &tracking, "--text", "Not"],
    );
    tracking
}

fn psql(db: &str, sql: &str) -> String {
    let o = Command::new("psql")
        .args([db, "-qtAXc", sql])
        .output()
        .expect("psql");
    assert!(
        o.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// Heap tuples (live or dead) of `table` whose bytes hold `text`.
fn tuples_holding(db: &str, table: &str, text: &str) -> u64 {
    psql(
        db,
        &format!(
            "SELECT count(*) FROM generate_series(0, (pg_relation_size('{table}') / \
             current_setting('block_size')::int)::int - 1) AS b, \
             LATERAL heap_page_items(get_raw_page('{table}', b)) AS i \
             WHERE i.t_data IS NOT NULL AND position(convert_to('{text}', 'UTF8') IN i.t_data) > 0"
        ),
    )
    .parse()
    .unwrap()
}

#[test]
fn kvkk_erasure_on_postgres_leaves_no_copy_in_the_heap() {
    let Some(base) = common::pg_server("KVKK erasure on PostgreSQL") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_erase");
    psql(&db, "CREATE EXTENSION IF NOT EXISTS pageinspect");
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, &db, &["init"]);
    let (name, email) = (NAME, EMAIL);
    let tracking = submit_with_contact_and_message(dir, &db);
    assert!(tuples_holding(&db, "events", name) > 0, "the test finds it");
    assert!(tuples_holding(&db, "requests", name) > 0);
    muhtar(dir, &db, &["--as", "admin", "kvkk", "erase", &tracking]);
    for table in ["events", "requests", "outbox"] {
        for text in [name, email] {
            assert_eq!(
                tuples_holding(&db, table, text),
                0,
                "{table} still holds {text:?} after the erasure"
            );
        }
    }
}

#[test]
fn kvkk_erasure_on_sqlite_leaves_no_copy_in_the_files() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let file = dir.join("erase.db");
    let db = format!("sqlite://{}", file.display());
    muhtar(dir, &db, &["init"]);
    // A running server keeps the database open, as in production: the write-ahead log
    // stays (SQLite removes it only when the last connection closes).
    let srv = App::start(dir, &db);
    let (name, email) = (NAME, EMAIL);
    let tracking = submit_with_contact_and_message(dir, &db);
    let holding = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        for f in std::fs::read_dir(dir).unwrap() {
            let p = f.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            if n.starts_with("erase.db") {
                let bytes = std::fs::read(&p).unwrap();
                if bytes.windows(text.len()).any(|w| w == text.as_bytes()) {
                    out.push(n);
                }
            }
        }
        out
    };
    assert!(!holding(name).is_empty(), "the test finds it");
    muhtar(dir, &db, &["--as", "admin", "kvkk", "erase", &tracking]);
    for text in [name, email] {
        assert_eq!(
            holding(text),
            Vec::<String>::new(),
            "files still holding {text:?} after the erasure"
        );
    }
    drop(srv);
}
