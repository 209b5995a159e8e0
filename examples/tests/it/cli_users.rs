//! `muhtar user add | list | passwd | disable`, run as a user would: the built binary on a
//! real SQLite file, passwords on standard input; a login through the library on the same
//! file shows the stored hash is the password's.

use std::path::Path;

use muhtar_core::clock::Clock;
use muhtar_core::ids::{SeededRandom, TenantId};
use muhtar_core::service::{LoginError, Mbs};

use crate::common;

use common::muhtar_with_stdin as run;

fn ok(dir: &Path, db: &str, args: &[&str], stdin: &str) -> String {
    let o = run(dir, db, args, stdin);
    assert!(
        o.status.success(),
        "muhtar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(dir: &Path, db: &str, args: &[&str], stdin: &str) -> String {
    let o = run(dir, db, args, stdin);
    assert!(!o.status.success(), "muhtar {args:?} should fail");
    String::from_utf8(o.stderr).unwrap()
}

/// Logs `name` in with `password` on the SQLite file `db` (each time with another seed:
/// each session needs a secret of its own).
async fn login(db: &str, name: &str, password: &str) -> Result<(), LoginError> {
    let store = muhtar_store_sqlite::SqliteStore::open(db, Default::default())
        .await
        .unwrap();
    let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(chrono::Utc::now);
    static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let seed = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mbs = Mbs::new(store, clock, SeededRandom::new(seed));
    let t = TenantId::new("ibb").unwrap();
    mbs.login(&t, name, password).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_added_listed_given_passwords_and_disabled_from_the_cli() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("m.db").display());
    common::muhtar(dir, &db, &["init"]);

    let out = ok(
        dir,
        &db,
        &[
            "user",
            "add",
            "Ayse",
            "--as",
            "muhtar:kuzguncuk",
            "--display-name",
            "Ayşe Yılmaz",
        ],
        "uzun-bir-parola-42\n",
    );
    assert_eq!(
        out,
        "kullanıcı ayse eklendi: muhtar:kuzguncuk@ayse (Ayşe Yılmaz)\n"
    );
    // A short password is refused with the rule; a taken name too; nothing is added.
    let e = fails(
        dir,
        &db,
        &["user", "add", "mehmet", "--as", "coordinator"],
        "kisa\n",
    );
    assert_eq!(
        e,
        "error: password: parola en az 10 karakter olmalı / the password must have at least \
         10 characters\n"
    );
    let e = fails(
        dir,
        &db,
        &["user", "add", "AYSE", "--as", "auditor"],
        "baska-parola-1\n",
    );
    assert!(e.contains("bu ad kullanılıyor"), "{e}");
    let e = fails(
        dir,
        &db,
        &["user", "add", "mehmet", "--as", "muhtar:yok"],
        "baska-parola-1\n",
    );
    assert!(e.contains("unknown muhtarlık yok"), "{e}");
    let e = fails(dir, &db, &["user", "add", "mehmet"], "");
    assert!(e.contains("no password on standard input"), "{e}");
    ok(
        dir,
        &db,
        &["user", "add", "mehmet", "--as", "unit:uskudar-fen"],
        "mehmet-parola-2026\r\n",
    );

    let list = ok(dir, &db, &["user", "list"], "");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("KULLANICI") && lines[0].ends_with("EKLENDİ"));
    assert!(lines[1].starts_with("ayse "), "{list}");
    assert!(lines[1].contains("muhtar:kuzguncuk@ayse") && lines[1].contains("Ayşe Yılmaz"));
    assert!(lines[2].contains("unit:uskudar-fen@mehmet"), "{list}");
    assert!(!list.contains("argon2"), "{list}");
    // Created: Istanbul time to the minute, e.g. 2026-12-01 11:24.
    let created = lines[1].rsplit("  ").next().unwrap().trim();
    let now = muhtar_core::request::sheet::local_time(chrono::Utc::now());
    assert_eq!(created.len(), 16, "{created}");
    assert_eq!(&created[..10], &now[..10], "{list}");

    login(&db, "ayse", "uzun-bir-parola-42").await.unwrap();
    login(&db, "mehmet", "mehmet-parola-2026").await.unwrap();

    let out = ok(dir, &db, &["user", "passwd", "ayse"], "yepyeni-parola-7\n");
    assert_eq!(
        out,
        "kullanıcı ayse: parola değişti, oturumları sona erdi\n"
    );
    assert!(matches!(
        login(&db, "ayse", "uzun-bir-parola-42").await,
        Err(LoginError::BadCredentials)
    ));
    login(&db, "ayse", "yepyeni-parola-7").await.unwrap();
    let e = fails(dir, &db, &["user", "passwd", "ayse"], "ayse\n");
    assert!(e.contains("en az 10 karakter"), "{e}");
    let e = fails(dir, &db, &["user", "passwd", "kimse"], "yepyeni-parola-7\n");
    assert!(e.contains("user not found"), "{e}");

    let out = ok(dir, &db, &["user", "disable", "ayse"], "");
    assert_eq!(out, "kullanıcı ayse kapatıldı, oturumları sona erdi\n");
    assert!(matches!(
        login(&db, "ayse", "yepyeni-parola-7").await,
        Err(LoginError::BadCredentials)
    ));
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir, &db, &["--json", "user", "list"], "")).unwrap();
    assert!(json[0]["disabled_at"].is_string(), "{json}");
    assert!(json[1]["disabled_at"].is_null(), "{json}");
    assert!(json[0].get("password_hash").is_none(), "{json}");
    let list = ok(dir, &db, &["user", "list"], "");
    let ayse = list.lines().nth(1).unwrap();
    assert_eq!(
        ayse.matches(&now[..10]).count(),
        2,
        "disabled and created: {ayse}"
    );
}
