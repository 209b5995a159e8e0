//! Council members' identity numbers (T.C. kimlik no) through the built `muhtar` binary,
//! on a real SQLite file: `muhtar council identity-key new` writes a 0600 key file and
//! never overwrites one; `member add --identity-number` with `--identity-key FILE` (or
//! `MUHTAR_IDENTITY_KEY`) keeps the number as a keyed hash, refuses the same person
//! twice and a number with wrong check digits, naming the field; without a key it says
//! how to configure one. The number is never in `member list --json` nor in the
//! database's bytes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::cli_council::{council, json};
use crate::common::{muhtar, muhtar_command, muhtar_fails};

/// A valid T.C. identity number (its two check digits right).
const NUMBER: &str = "10000000146";
/// [`NUMBER`] with its last check digit wrong.
const BAD_CHECKSUM: &str = "10000000147";

/// `muhtar [--identity-key KEY] --as muhtar:kuzguncuk council member add …` with an
/// identity number: the raw output (success or not).
fn add_with(
    dir: &Path,
    db: &str,
    key: Option<&str>,
    name: &str,
    phone: &str,
    number: &str,
) -> std::process::Output {
    let mut args: Vec<&str> = Vec::new();
    if let Some(key) = key {
        args.extend(["--identity-key", key]);
    }
    args.extend([
        "--as",
        "muhtar:kuzguncuk",
        "--json",
        "council",
        "member",
        "add",
        "--muhtarlik",
        "kuzguncuk",
        "--name",
        name,
        "--phone",
        phone,
        "--identity-number",
        number,
    ]);
    muhtar_command(dir, db)
        .env_remove("MUHTAR_IDENTITY_KEY")
        .args(&args)
        .output()
        .unwrap()
}

/// `muhtar council identity-key new --for-tenant TENANT --out FILE`, which must succeed
/// (its output) or fail (its one line) as `ok` says.
fn key_new(dir: &Path, db: &str, tenant: &str, file: &str, ok: bool) -> String {
    let args = [
        "council",
        "identity-key",
        "new",
        "--for-tenant",
        tenant,
        "--out",
        file,
    ];
    if ok {
        muhtar(dir, db, &args)
    } else {
        muhtar_fails(dir, db, &args)
    }
}

/// The one line of a refused command's standard error.
fn one_line(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "should be refused: {o:?}");
    let e = String::from_utf8_lossy(&o.stderr).trim_end().to_owned();
    assert_eq!(e.lines().count(), 1, "one clear line: {e}");
    e
}

/// Every byte of the SQLite database (the file and its write-ahead log, if any).
fn database_bytes(db: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        if let Ok(b) = std::fs::read(format!("{db}{suffix}")) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty(), "no database at {db}");
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn the_identity_key_file_is_private_and_never_overwritten() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = dir.join("m.db").to_str().unwrap().to_owned();
    // Needs no database.
    let out = key_new(dir, &db, "ibb", "kimlik.key", true);
    assert_eq!(out, "kimlik.key");
    let key = dir.join("kimlik.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.contains("tenant = \"ibb\""), "{text}");

    let e = key_new(dir, &db, "ibb", "kimlik.key", false);
    assert!(e.contains("--out") && e.contains("zaten var"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        text,
        "the key is kept"
    );
    let e = key_new(dir, &db, "", "bos.key", false);
    assert!(e.contains("--for-tenant"), "{e}");
    assert!(!dir.join("bos.key").exists());
}

#[test]
fn identity_numbers_refuse_the_same_person_twice_and_are_never_stored_or_shown() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = dir.join("m.db").to_str().unwrap().to_owned();
    muhtar(dir, &db, &["init"]);
    key_new(dir, &db, "ibb", "kimlik.key", true);

    // Without a key: refused, saying how to configure one; nobody added.
    let e = one_line(&add_with(
        dir,
        &db,
        None,
        "Ayşe Yılmaz",
        "05321112233",
        NUMBER,
    ));
    assert!(
        e.contains("identity_number")
            && e.contains("identity-key new")
            && e.contains("--identity-key")
            && e.contains("MUHTAR_IDENTITY_KEY"),
        "{e}"
    );

    // With the key.
    let added = add_with(
        dir,
        &db,
        Some("kimlik.key"),
        "Ayşe Yılmaz",
        "05321112233",
        NUMBER,
    );
    assert!(added.status.success(), "{added:?}");
    let ayse = json(&String::from_utf8_lossy(&added.stdout));
    assert_eq!(ayse["name"], "Ayşe Yılmaz");
    assert!(
        !String::from_utf8_lossy(&added.stdout).contains(NUMBER),
        "not shown"
    );

    // The same person again (with spaces around the number): refused by the roll.
    let e = one_line(&add_with(
        dir,
        &db,
        Some("kimlik.key"),
        "Ayşe Y.",
        "05324445566",
        &format!(" {NUMBER} "),
    ));
    assert!(e.contains("identity_number"), "{e}");
    assert!(e.contains("already") || e.contains("zaten"), "{e}");
    assert!(!e.contains(NUMBER), "the number is not echoed: {e}");

    // The environment variable gives the key too: the same refusal.
    let o = muhtar_command(dir, &db)
        .env("MUHTAR_IDENTITY_KEY", "kimlik.key")
        .args([
            "--as",
            "muhtar:kuzguncuk",
            "council",
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            "Ayşe Y.",
            "--phone",
            "05324445566",
            "--identity-number",
            NUMBER,
        ])
        .output()
        .unwrap();
    assert!(one_line(&o).contains("identity_number"));

    // Wrong check digits, or not 11 digits: refused naming the field.
    for bad in [BAD_CHECKSUM, "1234", "0000000000a"] {
        let e = one_line(&add_with(
            dir,
            &db,
            Some("kimlik.key"),
            "Hasan Komşu",
            "05327778899",
            bad,
        ));
        assert!(e.contains("identity_number"), "{bad}: {e}");
    }

    // A key for another tenant is no key for this one.
    key_new(dir, &db, "baska", "baska.key", true);
    let e = one_line(&add_with(
        dir,
        &db,
        Some("baska.key"),
        "Hasan Komşu",
        "05327778899",
        "10000000078",
    ));
    assert!(e.contains("identity_number"), "{e}");

    // Only Ayşe is on the roll; the number is neither listed nor stored.
    let list = council(
        dir,
        &db,
        &["--json", "member", "list", "--muhtarlik", "kuzguncuk"],
    );
    let listed = json(&list);
    let members = listed["members"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(members.len(), 1, "{list}");
    assert_eq!(members[0]["id"], ayse["id"]);
    assert!(!list.contains(NUMBER), "{list}");
    assert!(!list.contains("identity"), "{list}");
    let bytes = database_bytes(&db);
    assert!(!contains(&bytes, NUMBER), "the number is in the database");
    assert!(contains(&bytes, "Ayşe Yılmaz"), "the reading finds text");

    // Removing Ayşe frees the number.
    council(
        dir,
        &db,
        &["member", "remove", ayse["id"].as_str().unwrap()],
    );
    let again = add_with(
        dir,
        &db,
        Some("kimlik.key"),
        "Ayşe Yılmaz",
        "05321112233",
        NUMBER,
    );
    assert!(again.status.success(), "{again:?}");
    assert!(!contains(&database_bytes(&db), NUMBER));
}
