//! A portal's own upload store (an in-memory "object store" here) plugged into the
//! router, mounted under `/mbs` in the portal's app: uploads are stored and read through
//! it, a failed submission takes back only what it stored, its errors map by variant,
//! and Open311's `media_url` is the URL it gives (or the submitted link when the request
//! has no file of its own).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_core::testkit::fixtures::{organisation, t0, tenant};
use muhtar_core::testkit::MemoryStore;
use muhtar_core::token::{hash_secret, ApiToken, TokenStore};
use muhtar_http::uploads::{Content, Put, StoredFile, UploadError, UploadStore};
use muhtar_http::{router, AppState};
use serde_json::{json, Value};

/// An object store: keys to objects in memory, public URLs on its own host, and a switch
/// that makes the next `put` fail the way a full or unreachable bucket does.
#[derive(Default)]
struct ObjectStore {
    objects: Mutex<HashMap<String, (Bytes, String)>>,
    calls: Mutex<Vec<String>>,
    fail_next_put: Mutex<Option<UploadError>>,
}

impl ObjectStore {
    fn log(&self, what: String) {
        self.calls.lock().unwrap().push(what);
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn has(&self, key: &str) -> bool {
        self.objects.lock().unwrap().contains_key(key)
    }
}

#[async_trait::async_trait]
impl UploadStore for ObjectStore {
    async fn put(
        &self,
        key: &str,
        media_type: &str,
        content: &Content,
    ) -> Result<Put, UploadError> {
        self.log(format!("put {key}"));
        if let Some(e) = self.fail_next_put.lock().unwrap().take() {
            return Err(e);
        }
        // No spool directory: the content arrives in memory.
        assert!(content.spool_file().is_none());
        let bytes = content.bytes().await?;
        assert_eq!(bytes.len() as u64, content.len());
        let mut objects = self.objects.lock().unwrap();
        if objects.contains_key(key) {
            return Ok(Put::Existed);
        }
        objects.insert(key.to_owned(), (bytes, media_type.to_owned()));
        Ok(Put::Created)
    }

    async fn get(&self, key: &str) -> Result<Option<StoredFile>, UploadError> {
        self.log(format!("get {key}"));
        Ok(self
            .objects
            .lock()
            .unwrap()
            .get(key)
            .map(|(bytes, media_type)| StoredFile {
                bytes: bytes.clone(),
                media_type: media_type.clone(),
            }))
    }

    async fn remove(&self, key: &str) -> Result<(), UploadError> {
        self.log(format!("remove {key}"));
        self.objects.lock().unwrap().remove(key);
        Ok(())
    }

    fn public_url(&self, key: &str, base: &str) -> Option<String> {
        Some(format!("https://foto.example{base}/{key}"))
    }
}

struct Portal {
    base: String,
    objects: Arc<ObjectStore>,
    muhtar: String,
    client: reqwest::Client,
}

impl Portal {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The router under `/mbs` in a portal app with a home page of its own, on a port of
/// 127.0.0.1, with a token for Kuzguncuk's muhtar.
async fn portal() -> Portal {
    let store = Arc::new(MemoryStore::default());
    let t = tenant("ibb");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    let dyn_store: Arc<dyn Store> = store.clone();
    let mbs = Mbs::new(dyn_store, clock, muhtar_core::ids::SeededRandom::new(7));
    mbs.install_organisation(&Actor::system(t.clone()), organisation("ibb"))
        .await
        .unwrap();
    let secret = "mbs_portal_test_secret";
    store
        .create_token(&ApiToken {
            id: uuid::Uuid::from_u128(1),
            tenant: t,
            actor: "muhtar:kuzguncuk@ali".into(),
            name: "test".into(),
            hash: hash_secret(secret),
            created_at: t0(),
            revoked_at: None,
        })
        .await
        .unwrap();
    let objects = Arc::new(ObjectStore::default());
    let state = AppState::builder(mbs).upload_store(objects.clone()).build();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "portal home" }))
        .nest("/mbs", router(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Portal {
        base: format!("http://{addr}"),
        objects,
        muhtar: secret.into(),
        client: reqwest::Client::new(),
    }
}

fn png(seed: &[u8]) -> Vec<u8> {
    let mut v = vec![0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend(seed.iter().cycle().take(300));
    v
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

async fn submit_with_photo(p: &Portal, request: &Value, photo: &[u8]) -> (u16, Value) {
    use reqwest::multipart::{Form, Part};
    let form = Form::new()
        .part("request", Part::text(request.to_string()))
        .part(
            "photo",
            Part::bytes(photo.to_vec()).file_name("foto.png".to_owned()),
        );
    let r = p
        .client
        .post(p.url("/mbs/api/v1/requests"))
        .bearer_auth(&p.muhtar)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn open311_view(p: &Portal, tracking: &str) -> Value {
    let r = p
        .client
        .get(p.url(&format!(
            "/mbs/open311/v2/requests/{tracking}.json?jurisdiction_id=ibb"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()[0].clone()
}

#[tokio::test]
async fn uploads_and_downloads_go_through_the_portals_store_and_media_url_is_its_url() {
    let p = portal().await;
    let home = p.client.get(p.url("/")).send().await.unwrap();
    assert_eq!(home.text().await.unwrap(), "portal home");

    let photo = png(b"Kuzguncuk'taki cukur");
    let h = sha(&photo);
    let req = json!({"category": "asfalt-onarim", "subject": "Fotoğraflı"});
    let (s, v) = submit_with_photo(&p, &req, &photo).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["attachments"][0]["sha256"], h.as_str());
    assert!(p.objects.has(&h));
    assert_eq!(p.objects.calls(), vec![format!("put {h}")]);
    let tracking = v["tracking"].as_str().unwrap().to_owned();

    // Open311's media_url is the store's URL, under the prefix the router is mounted at.
    let view = open311_view(&p, &tracking).await;
    assert_eq!(view["media_url"], format!("https://foto.example/mbs/{h}"));

    // The download reads from the store.
    let r = p
        .client
        .get(p.url(&format!("/mbs/api/v1/requests/{tracking}/attachments/{h}")))
        .bearer_auth(&p.muhtar)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);
    assert_eq!(p.objects.calls().last().unwrap(), &format!("get {h}"));

    // A request that only links to a photo elsewhere: media_url is that link.
    let r = p
        .client
        .post(p.url("/mbs/api/v1/requests"))
        .bearer_auth(&p.muhtar)
        .json(
            &json!({"category": "asfalt-onarim", "subject": "Bağlantılı",
                      "media_url": "https://baska.example/foto.jpg"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let linked: Value = r.json().await.unwrap();
    let view = open311_view(&p, linked["tracking"].as_str().unwrap()).await;
    assert_eq!(view["media_url"], "https://baska.example/foto.jpg");
}

#[tokio::test]
async fn a_failed_submission_removes_only_what_it_stored() {
    let p = portal().await;
    // A new photo with a category that does not exist: stored, then taken back.
    let fresh = png(b"yeni");
    let bad = json!({"category": "uydurma", "subject": "Olmayan kategori"});
    let (s, v) = submit_with_photo(&p, &bad, &fresh).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "category", "{v}");
    let h = sha(&fresh);
    assert!(!p.objects.has(&h));
    assert_eq!(
        p.objects.calls(),
        vec![format!("put {h}"), format!("remove {h}")]
    );
    // A photo an acknowledged request refers to stays when a later submission of the
    // same bytes fails.
    let kept = png(b"kalan");
    let k = sha(&kept);
    let good = json!({"category": "asfalt-onarim", "subject": "Kalan"});
    assert_eq!(submit_with_photo(&p, &good, &kept).await.0, 201);
    let (s, _) = submit_with_photo(&p, &bad, &kept).await;
    assert_eq!(s, 422);
    assert!(p.objects.has(&k));
    assert!(!p.objects.calls().contains(&format!("remove {k}")));
}

#[tokio::test]
async fn the_stores_errors_map_by_variant_and_store_no_request() {
    let p = portal().await;
    let req = json!({"category": "asfalt-onarim", "subject": "Dolu"});
    for (e, status, code) in [
        (
            UploadError::Full("bucket quota".into()),
            507,
            "insufficient_storage",
        ),
        (
            UploadError::Unavailable("bucket down".into()),
            503,
            "unavailable",
        ),
        (UploadError::TooLarge { max: 100 }, 413, "too_large"),
    ] {
        *p.objects.fail_next_put.lock().unwrap() = Some(e);
        let (s, v) = submit_with_photo(&p, &req, &png(code.as_bytes())).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{v}"
        );
    }
    // Nothing was stored, and no request either.
    assert!(p.objects.objects.lock().unwrap().is_empty());
    let r = p
        .client
        .get(p.url("/mbs/api/v1/requests"))
        .bearer_auth(&p.muhtar)
        .send()
        .await
        .unwrap();
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");
}

#[tokio::test]
async fn a_bad_cursor_and_a_missing_field_are_named() {
    let p = portal().await;
    let r = p
        .client
        .get(p.url("/mbs/api/v1/requests?after=garbage"))
        .bearer_auth(&p.muhtar)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "after", "{e}");
    let r = p
        .client
        .post(p.url("/mbs/api/v1/requests"))
        .bearer_auth(&p.muhtar)
        .json(&json!({"category": "asfalt-onarim"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "subject", "{e}");
}
