//! Uploads through `muhtar serve` (issue 17): concurrent identical uploads keep every
//! acknowledged request's file (defect 4); an attachment belongs to the submission that
//! uploaded it (defect 6); a full disk is a 507 that writes nothing, and temporary files
//! of a killed server are removed at start-up (defect 8).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{body, client, muhtar, post_json, token, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;

fn setup(dir: &Path) -> String {
    let db = format!("sqlite://{}", dir.join("uploads.db").display());
    muhtar(dir, &db, &["init"]);
    db
}

fn uploads(dir: &Path) -> PathBuf {
    dir.join("muhtar-uploads")
}

const QUIET: &[&str] = &["--no-dispatcher", "--no-sweeper"];

/// A PNG-looking file: the PNG signature, then `len` bytes of `seed`.
fn png(seed: &[u8], len: usize) -> Vec<u8> {
    let mut v = vec![0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend(seed.iter().cycle().take(len));
    v
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// A multipart submission: the request as JSON and one photo.
async fn upload(
    c: &reqwest::Client,
    srv: &Server,
    tok: &str,
    request: &Value,
    photo: &[u8],
) -> (StatusCode, Value) {
    use reqwest::multipart::{Form, Part};
    let form = Form::new()
        .part("request", Part::text(request.to_string()))
        .part(
            "photo",
            Part::bytes(photo.to_vec()).file_name("foto.png".to_owned()),
        );
    let r = c
        .post(srv.url("/api/v1/requests"))
        .bearer_auth(tok)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn count(c: &reqwest::Client, srv: &Server, tok: &str) -> usize {
    let (s, v) = body(
        c.get(srv.url("/api/v1/requests?limit=1000"))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().len()
}

/// Files whose name starts with `.upload-` directly in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".upload-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Defect 4: submissions of the same bytes at the same moment, half of them failing
/// validation after the upload: every acknowledged request's file is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_uploads_keep_every_acknowledged_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = setup(dir);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let srv = std::sync::Arc::new(Server::start(dir, &db, QUIET, &[]));
    let c = client();
    let (mut acked, mut lost) = (0, Vec::new());
    for round in 0..15u32 {
        let photo = png(
            format!("round {round} {:?}", Instant::now()).as_bytes(),
            2000,
        );
        let mut tasks = Vec::new();
        for i in 0..16 {
            let (c, srv, kuz, photo) = (c.clone(), srv.clone(), kuz.clone(), photo.clone());
            tasks.push(tokio::spawn(async move {
                // Every second one names a category that does not exist: 422 after upload.
                let category = if i % 2 == 0 {
                    "asfalt-onarim"
                } else {
                    "uydurma"
                };
                let req = json!({"category": category, "subject": format!("Aynı foto {i}")});
                upload(&c, &srv, &kuz, &req, &photo).await
            }));
        }
        for t in tasks {
            let (s, v) = t.await.unwrap();
            match s.as_u16() {
                201 => {
                    acked += 1;
                    let h = v["attachments"][0]["sha256"].as_str().unwrap().to_owned();
                    assert_eq!(h, sha(&photo));
                    if !uploads(dir).join(&h[..2]).join(&h).exists() {
                        lost.push(v["tracking"].as_str().unwrap().to_owned());
                    }
                }
                422 => {}
                other => panic!("unexpected {other}: {v}"),
            }
        }
        assert!(temporaries(&uploads(dir)).is_empty());
    }
    assert!(
        lost.is_empty(),
        "{} of {acked} acknowledged requests lost their file: {lost:?}",
        lost.len()
    );
    // Nor did a failing submission take the file from under a valid one before its commit.
    assert_eq!(acked, 15 * 8, "valid submissions refused");
}

/// Defect 6: a muhtar cannot attach another muhtarlık's photo by its SHA-256 (nor an
/// earlier one of their own): the error is that of an unknown hash; downloads go through
/// the request that holds the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_belong_to_the_submission_that_uploaded_them() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = setup(dir);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let cen = token(dir, &db, "ibb", "muhtar:cengelkoy");
    let coord = token(dir, &db, "ibb", "coordinator");
    let srv = Server::start(dir, &db, QUIET, &[]);
    let c = client();
    let photo = png(b"Kuzguncuk'taki cukur", 500);
    let h = sha(&photo);
    let req = json!({"category": "asfalt-onarim", "subject": "Fotoğraflı"});
    let (s, v) = upload(&c, &srv, &kuz, &req, &photo).await;
    assert_eq!(s, 201, "{v}");
    let tracking = v["tracking"].as_str().unwrap().to_owned();
    let n = count(&c, &srv, &coord).await;

    let referencing = |hash: &str, size: u64| {
        json!({"category": "asfalt-onarim", "subject": "Başkasının fotoğrafı",
               "attachments": [{"media_type": "image/png", "size": size, "sha256": hash}]})
    };
    let url = srv.url("/api/v1/requests");
    // Another muhtarlık's photo, by its hash.
    let (s1, e1) = post_json(&c, &url, &cen, &referencing(&h, photo.len() as u64)).await;
    // A hash nobody uploaded.
    let unknown = sha(b"nothing like this was ever uploaded");
    let (s2, e2) = post_json(&c, &url, &cen, &referencing(&unknown, 508)).await;
    // The uploader's own photo, in a later submission.
    let (s3, e3) = post_json(&c, &url, &kuz, &referencing(&h, photo.len() as u64)).await;
    assert_eq!(s1, 422, "{e1}");
    assert_eq!(e1["error"]["field"], "attachments.sha256", "{e1}");
    assert_eq!(
        (s1, &e1),
        (s2, &e2),
        "an existing hash looks like an unknown one"
    );
    assert_eq!((s1, &e1), (s3, &e3));
    assert_eq!(count(&c, &srv, &coord).await, n, "nothing was written");

    // The download goes through the request: another muhtarlık gets a 404.
    let file_url = srv.url(&format!("/api/v1/requests/{tracking}/attachments/{h}"));
    let r = c.get(&file_url).bearer_auth(&cen).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = c.get(&file_url).bearer_auth(&kuz).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);

    // Whoever holds the bytes may upload them: Çengelköy's own copy, listed in its own
    // submission too, is attached once and downloadable through Çengelköy's request.
    let req = json!({"category": "asfalt-onarim", "subject": "Aynı fotoğraf",
        "attachments": [{"media_type": "image/png", "size": photo.len(), "sha256": h}]});
    let (s, v) = upload(&c, &srv, &cen, &req, &photo).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["attachments"].as_array().unwrap().len(), 1, "{v}");
    let own = srv.url(&format!(
        "/api/v1/requests/{}/attachments/{h}",
        v["tracking"].as_str().unwrap()
    ));
    let r = c.get(&own).bearer_auth(&cen).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// A tmpfs of its own (the tests run as root), unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mount a tmpfs (the tests run as root): {}",
            String::from_utf8_lossy(&o.stderr)
        );
        SmallDisk(at.to_owned())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Defect 8: an upload onto a full disk is a 507 that says so, and nothing of it stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_507_and_nothing_is_half_written() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = setup(dir);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let disk = SmallDisk::mount(&uploads(dir), "1m");
    // Fill it.
    let filler = disk.0.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![7u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
    }
    let srv = Server::start(dir, &db, QUIET, &[]);
    let c = client();
    let n = count(&c, &srv, &kuz).await;
    let photo = png(b"disk full", 20_000);
    let req = json!({"category": "asfalt-onarim", "subject": "Disk dolu"});
    let (s, e) = upload(&c, &srv, &kuz, &req, &photo).await;
    assert_eq!(s.as_u16(), 507, "{e}");
    assert_eq!(e["error"]["code"], "insufficient_storage", "{e}");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("disk") && m.contains("No space"), "{m}");
    let h = sha(&photo);
    assert!(!disk.0.join(&h[..2]).join(&h).exists());
    assert!(
        temporaries(&disk.0).is_empty(),
        "{:?}",
        temporaries(&disk.0)
    );
    assert_eq!(count(&c, &srv, &kuz).await, n, "no request was stored");
    // With room again, the same upload is accepted.
    std::fs::remove_file(&filler).unwrap();
    let (s, v) = upload(&c, &srv, &kuz, &req, &photo).await;
    assert_eq!(s, 201, "{v}");
    assert!(disk.0.join(&h[..2]).join(&h).exists());
    drop(srv);
}

/// Defect 8: the temporary file of an upload cut off by SIGKILL is removed when the
/// server starts again; stored files stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_uploads_of_a_killed_server_are_removed_at_start_up() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = setup(dir);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let srv = Server::start(dir, &db, QUIET, &[]);
    let c = client();
    // A stored file, which must stay.
    let kept = png(b"kept", 100);
    let req = json!({"category": "asfalt-onarim", "subject": "Kalan"});
    let (s, _) = upload(&c, &srv, &kuz, &req, &kept).await;
    assert_eq!(s, 201);
    // An upload cut off half-way: its temporary file exists when the server is killed.
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let boundary = "XyZ";
    let photo = png(b"half", 200_000);
    let mut part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{req}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(&photo[..100_000]);
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/requests HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {kuz}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        part.len() + 200_000
    )
    .unwrap();
    conn.write_all(&part).unwrap();
    let t = Instant::now();
    while temporaries(&uploads(dir)).is_empty() {
        assert!(t.elapsed() < Duration::from_secs(10), "no temporary file");
        std::thread::sleep(Duration::from_millis(20));
    }
    srv.kill();
    drop(conn);
    // And one of an older crash.
    std::fs::write(uploads(dir).join(".upload-0123456789abcdef"), b"old").unwrap();
    assert_eq!(temporaries(&uploads(dir)).len(), 2);
    let srv = Server::start(dir, &db, QUIET, &[]);
    assert!(
        temporaries(&uploads(dir)).is_empty(),
        "{:?}",
        temporaries(&uploads(dir))
    );
    let h = sha(&kept);
    assert!(uploads(dir).join(&h[..2]).join(&h).exists());
    assert!(srv.terminate().success());
}
