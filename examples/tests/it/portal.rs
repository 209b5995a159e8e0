//! The `portal` example (`examples/portal.rs`) runs and serves, over HTTP: its own home
//! page, the Muhtar Bilgi Sistemi under `/mbs` with the portal's session cookie instead
//! of API tokens, and URLs that carry `/mbs`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{body, client, Server};
use serde_json::json;

use crate::common;

fn start(dir: &std::path::Path) -> Server {
    let mut child = Command::new(common::example_executable("portal"))
        .env("PORTAL_DIR", dir)
        .env("PORTAL_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the portal example");
    // It prints its data directory and demo sessions, then the listening line.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let base = loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("the portal did not start: {printed:?}");
        }
        if let Some(base) = line.trim().strip_prefix("listening on ") {
            break base.to_owned();
        }
        printed.push_str(&line);
    };
    assert!(
        printed.contains("Cookie: portal_session=oturum-kuzguncuk"),
        "{printed}"
    );
    // Whatever it prints later goes nowhere, without a broken pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Server { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_mounts_the_api_under_mbs_with_its_own_sessions() {
    let d = tempfile::tempdir().unwrap();
    let srv = start(d.path());
    let c = client();

    let r = c.get(srv.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Örnek Belediye Portalı"), "{page}");
    let r = c.get(srv.url("/mbs/healthz")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (200, "ok".into())
    );

    // The portal's session, no token.
    let submit = |cookie: Option<&str>| {
        let r = c
            .post(srv.url("/mbs/api/v1/requests"))
            .json(&json!({"category": "asfalt-onarim", "subject": "Okul önünde çukur"}));
        match cookie {
            Some(v) => r.header("cookie", format!("dil=tr; portal_session={v}")),
            None => r,
        }
    };
    let r = submit(Some("oturum-kuzguncuk")).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let (s, rec) = body(r).await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["muhtarlik"], "kuzguncuk");
    let tracking = rec["tracking"].as_str().unwrap();
    assert_eq!(location, format!("/mbs/api/v1/requests/{tracking}"));
    let (s, e) = body(submit(None).send().await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (s, _) = body(submit(Some("oturum-yok")).send().await.unwrap()).await;
    assert_eq!(s, 401);
    // The coordinator's session sees the muhtar's request at its Location.
    let (s, got) = body(
        c.get(srv.url(&location))
            .header("cookie", "portal_session=oturum-koordinator")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), got["tracking"].as_str()),
        (200, Some(tracking))
    );

    // Open311 under /mbs: its URLs carry /mbs, and the session works there too.
    let (s, d) = body(
        c.get(srv.url("/mbs/open311/v2/discovery.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(d["endpoints"][0]["url"], "/mbs/open311/v2", "{d}");
    let (s, v) = body(
        c.post(srv.url("/mbs/open311/v2/requests.json"))
            .header("cookie", "portal_session=oturum-kuzguncuk")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("service_code=asfalt-onarim&address_string=Sokak+1&description=%C3%87ukur")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert!(srv.terminate().success(), "a graceful stop on SIGTERM");
}
