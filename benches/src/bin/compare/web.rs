//! The web queue page (issue 21: "a unit queue page with 10,000 open requests renders
//! server-side in under 20 ms at the 95th percentile"): `GET /kuyruk` of unit staff
//! through the library router (`muhtar_http::router`, tower's `oneshot`, no socket),
//! session cookie and all, over an SQLite file holding 10,000 open requests of one unit
//! (submitted through `Mbs::submit`, so with their events; every tenth İVEDİ, receipts a
//! minute apart, the clock then moved so the oldest are overdue). The ceiling, in the
//! same run: the JSON queue endpoint (`GET /api/v1/units/{unit}/queue`, the same
//! `Mbs::queue` call and first page of 50, serialised instead of rendered) and the bare
//! `Mbs::queue` call. Also the request page (`/talepler/{tracking}`) of the first row.
//! Checked: the page is 200 and shows 50 rows, the first one İVEDİ.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration as Span;
use muhtar_benches::workload::{epoch, example_org, RULES_TOML};
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom, UnitCode};
use muhtar_core::request::{Channel, NewRequest, Priority};
use muhtar_core::service::{Mbs, NewUser};
use muhtar_core::store::Store;
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_store_sqlite::SqliteStore;
use tower::ServiceExt;

use crate::{Opts, Outcome};

/// Open requests in the unit's queue.
const OPEN: usize = 10_000;
/// Timed requests of each kind (after warm-up).
const REPS: usize = 300;
const PASSWORD: &str = "uzun-bir-parola-42";
const TOKEN: &str = "mbs_bench_web_queue";

/// 50th and 95th percentiles of `times`.
fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    (at(0.50), at(0.95))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `REPS` timed runs of `f` after 20 untimed ones; the percentiles.
async fn measure<F, Fut>(mut f: F) -> Result<(Duration, Duration), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    for _ in 0..20 {
        f().await?;
    }
    let mut times = Vec::with_capacity(REPS);
    for _ in 0..REPS {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    Ok(percentiles(times))
}

/// A GET through the router: status and body.
async fn get(
    app: &axum::Router,
    path: &str,
    auth: (header::HeaderName, String),
) -> Result<(StatusCode, String), String> {
    let req = Request::get(path)
        .header(auth.0, auth.1)
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    let res = app.clone().oneshot(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

pub async fn run(_opts: &Opts) -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = SqliteStore::open(dir.path().join("web.db"), Default::default())
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(ManualClock::new(epoch()));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let mbs = Mbs::new(store.clone(), dyn_clock, SeededRandom::new(21));
    let org = example_org();
    let tenant = org.tenant.id.clone();
    let e = |e: muhtar_core::service::ServiceError| e.to_string();
    mbs.install_organisation(&Actor::system(tenant.clone()), org)
        .await
        .map_err(e)?;
    let admin = Actor::parse(&tenant, "admin").map_err(|e| e.to_string())?;
    mbs.install_rules(&admin, RULES_TOML).await.map_err(e)?;

    // 10,000 open requests routed to one unit (the example rules' unit for road repairs
    // in Kuzguncuk).
    let t = Instant::now();
    let muhtar = Actor::parse(&tenant, "muhtar:kuzguncuk").map_err(|e| e.to_string())?;
    let mut unit: Option<UnitCode> = None;
    let mut first_urgent = None;
    for i in 0..OPEN {
        let new = NewRequest::builder(
            MuhtarlikCode::new("kuzguncuk").map_err(|e| e.to_string())?,
            Channel::MbsWeb,
            "asfalt-onarim",
            format!("Okul önünde çukur {i}"),
        )
        .description("Kuzguncuk İlkokulu önündeki yolda derin bir çukur var.")
        .priority((i % 10 == 0).then_some(Priority::Urgent))
        .build();
        let rec = mbs.submit(&muhtar, new).await.map_err(e)?;
        unit.get_or_insert_with(|| rec.state.unit.clone().expect("routed"));
        if i == 0 {
            first_urgent = Some(rec.state.tracking);
        }
        clock.advance(Span::minutes(1));
    }
    let unit = unit.ok_or("no request")?;
    clock.advance(Span::days(20));
    eprintln!(
        "  web: {OPEN} requests submitted to {unit} in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let staff = format!("unit:{unit}");
    mbs.add_user(&admin, NewUser::new("birim", staff.as_str(), PASSWORD))
        .await
        .map_err(e)?;
    store
        .create_token(&ApiToken {
            id: uuid::Uuid::from_u128(21),
            tenant: tenant.clone(),
            actor: staff.clone(),
            name: "bench".into(),
            hash: hash_secret(TOKEN),
            created_at: epoch(),
            revoked_at: None,
        })
        .await
        .map_err(|e| e.to_string())?;
    let actor = Actor::parse(&tenant, &staff).map_err(|e| e.to_string())?;
    let state = muhtar_http::AppState::builder(mbs)
        .uploads(dir.path())
        .build();
    let session = muhtar_http::session::login(&state, &tenant, "birim", PASSWORD, None)
        .await
        .map_err(|e| format!("login: {e}"))?;
    let app = muhtar_http::router(state.clone());
    let cookie = (header::COOKIE, format!("muhtar_oturum={}", session.secret));
    let bearer = (header::AUTHORIZATION, format!("Bearer {TOKEN}"));

    // The page shows the first 50, urgent first.
    let (status, html) = get(&app, "/kuyruk", cookie.clone()).await?;
    let rows = html.matches("<li class=\"request-card").count();
    if status != StatusCode::OK || rows != 50 || !html.contains(">İVEDİ</strong>") {
        return Err(format!("/kuyruk: {status}, {rows} rows"));
    }
    let page = measure(|| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let (s, _) = get(app, "/kuyruk", cookie).await?;
            (s == StatusCode::OK)
                .then_some(())
                .ok_or(format!("/kuyruk: {s}"))
        }
    })
    .await?;
    let json_path = format!("/api/v1/units/{unit}/queue?limit=50");
    let json = measure(|| {
        let (app, bearer, path) = (&app, bearer.clone(), json_path.as_str());
        async move {
            let (s, body) = get(app, path, bearer).await?;
            (s == StatusCode::OK && body.starts_with('{'))
                .then_some(())
                .ok_or(format!("{path}: {s}"))
        }
    })
    .await?;
    let bare = measure(|| {
        let (state, actor, unit) = (&state, &actor, &unit);
        async move {
            let p = state
                .mbs
                .queue(actor, unit, 50, None)
                .await
                .map_err(|e| e.to_string())?;
            (p.items.len() == 50)
                .then_some(())
                .ok_or("not 50 rows".to_owned())
        }
    })
    .await?;
    let tracking = first_urgent.ok_or("no request")?;
    let request_path = format!("/talepler/{tracking}");
    let request = measure(|| {
        let (app, cookie, path) = (&app, cookie.clone(), request_path.as_str());
        async move {
            let (s, body) = get(app, path, cookie).await?;
            (s == StatusCode::OK && body.contains(">Kabul et</button>"))
                .then_some(())
                .ok_or(format!("{path}: {s}"))
        }
    })
    .await?;
    let target = Duration::from_millis(20);
    println!(
        "web queue page, SQLite, {OPEN} open requests of {unit}, first page of 50, {REPS} runs: \
         GET /kuyruk p50 {} p95 {} (target p95 < 20 ms: {}); JSON queue endpoint p50 {} p95 {}; \
         bare Mbs::queue p50 {} p95 {}; request page /talepler/{{tracking}} p50 {} p95 {}; \
         JSON p95 / page p95: ratio={:.2}",
        ms(page.0),
        ms(page.1),
        if page.1 < target { "met" } else { "MISSED" },
        ms(json.0),
        ms(json.1),
        ms(bare.0),
        ms(bare.1),
        ms(request.0),
        ms(request.1),
        json.1.as_secs_f64() / page.1.as_secs_f64()
    );
    if page.1 >= target {
        return Err(format!("/kuyruk p95 {} is not under 20 ms", ms(page.1)));
    }
    Ok(())
}
