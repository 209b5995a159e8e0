//! `/talep/yeni`: the form that creates a request, for a muhtar on a tablet and for the
//! back office (the coordinator, unit staff) entering what came by phone, WhatsApp,
//! petition, CİMER….
//!
//! - `GET /talep/yeni`: the form (`yeni.html`, `multipart/form-data`, works without
//!   JavaScript): **Kategori** (the tenant's categories by name), **Konu**, **Açıklama**,
//!   **Fotoğraf** (`capture="environment"`: the tablet's camera), **Konumumu kullan**
//!   (the script asks the browser's location and fills **Enlem** and **Boylam**; without
//!   it they may be typed), button **Gönder**. For back-office staff
//!   ([`back_office`]) it adds **Kanal**, **Başvuru zamanı** (Istanbul local time),
//!   **Muhtarlık**, **Evrak no** and the citizen's contact, marked as personal data
//!   (kişisel veri): a phone number or e-mail given is the citizen's consent to hear back
//!   (core's outbox tells them the tracking number and the answer there). A receipt time
//!   in a quarter whose report is signed is refused; the coordinator is then asked for
//!   a **Düzeltme gerekçesi** (core's `submit_forced`: the signed report is marked as
//!   needing a correction). A role that
//!   may not submit (core's [`authorize`]) gets the 403 page.
//! - `POST /talep/yeni`: the CSRF token first (a photo before it is refused, as is a body
//!   without it: 403, nothing stored), then the photo through the [`AppState`]'s upload
//!   store and the request through `Mbs::submit`, the REST submit's own code
//!   (`api::submit_received`): the inputs are named after the API's fields
//!   (`category`, `subject`, `location.lat`, `citizen.name`…), so core's
//!   [`InputError::field`] is the id of the input to correct. A wrong field: 400, the
//!   error summary and the message at the field ([`super::problem`], Turkish), the typed
//!   values kept (the photo is asked for again). Done: `303` to the result page.
//! - `GET /talep/yeni/{tracking}`: the result (`yeni-sonuc.html`): **Takip numarası**
//!   and what was recorded, a link to the request's page (`/talepler/{tracking}`) and to
//!   a new request.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use minijinja::context;
use muhtar_core::access::{authorize, Action, Actor, Role, Target};
use muhtar_core::calendar::{from_istanbul_local, local_time};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::request::{Channel, InputError, MAX_ATTACHMENTS};
use muhtar_core::service::ServiceError;
use muhtar_core::tracking::TrackingNumber;
use serde::Serialize;

use super::problem::{error_page, problem, service_error_page, Problem};
use super::session::{csrf_refused, SignedIn, CSRF_FIELD};
use super::{FieldError, Page};
use crate::api::{submit_received, CitizenBody, LocationBody, SubmitBody};
use crate::error::ApiError;
use crate::mount::Mount;
use crate::uploads::{self, UploadError};
use crate::AppState;

/// The form's path within the router.
pub const PATH: &str = "/talep/yeni";

/// The name and id of the photo input.
pub const PHOTO: &str = "photo";

/// The text inputs of the form (name = id = the API's field), with their labels: the
/// first four every submitter has, the rest back-office staff only ([`back_office`]).
const FIELDS: &[(&str, &str, bool)] = &[
    ("category", "Kategori", false),
    ("subject", "Konu", false),
    ("description", "Açıklama", false),
    ("location.lat", "Enlem", false),
    ("location.lon", "Boylam", false),
    ("channel", "Kanal", true),
    ("received_at", "Başvuru zamanı", true),
    ("muhtarlik", "Muhtarlık", true),
    ("registration_number", "Evrak no", true),
    ("citizen.name", "Ad soyad", true),
    ("citizen.phone", "Telefon", true),
    ("citizen.email", "E-posta", true),
    ("force_reason", "Düzeltme gerekçesi", true),
];

/// Whether `actor` enters requests for the back office (the coordinator; unit staff
/// entering a paper letter): they name the muhtarlık, the channel and when it arrived.
/// A muhtar submits for their own muhtarlık, now, through the MBS.
pub use crate::api::back_office;

/// The hidden input a back-office form carries once it named a muhtarlık other than the
/// one whose boundary holds the location: the muhtarlık the person then chose. Sent back
/// with the same choice, it confirms it.
pub const CONFIRMED: &str = "muhtarlik_onay";

/// The muhtarlık a back-office entry's location suggests: the muhtarlık whose boundary
/// holds **Enlem**/**Boylam** (`None` without both, or in no boundary).
fn suggested(org: &muhtar_core::org::Organisation, typed: &Typed) -> Option<MuhtarlikCode> {
    let number = |f: &str| {
        typed
            .get(f)
            .and_then(|v| v.trim().replace(',', ".").parse::<f64>().ok())
            .filter(|x| x.is_finite())
    };
    let (lat, lon) = (number("location.lat")?, number("location.lon")?);
    org.boundaries.muhtarlik_at(lon, lat).cloned()
}

/// What the location says of the chosen muhtarlık, before a back-office submission: with
/// no muhtarlık chosen, the one found is used (put into `typed`); with another chosen and
/// not yet confirmed ([`CONFIRMED`]), the hint to show (the form comes back, nothing
/// recorded).
fn check_muhtarlik(org: &muhtar_core::org::Organisation, typed: &mut Typed) -> Option<String> {
    let found = suggested(org, typed)?;
    let chosen = typed
        .get("muhtarlik")
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    if chosen.is_empty() {
        typed.insert("muhtarlik".into(), found.to_string());
        return None;
    }
    if chosen == found.as_str() || typed.get(CONFIRMED) == Some(&chosen) {
        return None;
    }
    let name = |code: &str| {
        MuhtarlikCode::new(code)
            .ok()
            .and_then(|c| org.muhtarlik(&c).map(|m| m.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    };
    typed.insert(CONFIRMED.into(), chosen.clone());
    Some(format!(
        "Konum {} sınırları içinde; seçilen muhtarlık {}. Seçim doğruysa Gönder'e yeniden \
         basın; değilse Muhtarlık olarak {} seçin.",
        name(found.as_str()),
        name(&chosen),
        name(found.as_str())
    ))
}

/// The visible label of the input `field` on `actor`'s form, if the form has it.
fn label_for(actor: &Actor) -> impl Fn(&str) -> Option<&'static str> {
    let office = back_office(actor);
    move |field| {
        if field == PHOTO || field.starts_with("attachments") {
            return Some("Fotoğraf");
        }
        FIELDS
            .iter()
            .find(|(f, _, only_office)| *f == field && (office || !only_office))
            .map(|(_, label, _)| *label)
    }
}

/// What was typed, by input name: kept when the form comes back with an error.
type Typed = HashMap<String, String>;

/// An option of a select: its value (a code) and what people read.
#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    name: String,
}

/// Why a submission failed: core's own error (said in Turkish at its field), the API
/// layer's (a code that is not one), or the upload store's.
#[derive(Debug)]
enum Failure {
    Service(ServiceError),
    Api(ApiError),
    Upload(UploadError),
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure::Service(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<UploadError> for Failure {
    fn from(e: UploadError) -> Self {
        Failure::Upload(e)
    }
}

/// `GET /talep/yeni`: the empty form.
pub async fn page(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    form(&s, &mount, &user, &Typed::new(), Vec::new()).await
}

/// The form with the values `typed` and the fields to correct (`errors`: 400).
async fn form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    typed: &Typed,
    errors: Vec<FieldError>,
) -> Response {
    form_with(s, mount, user, typed, errors, None).await
}

/// [`form`], with the hint of a muhtarlık the location suggests ([`check_muhtarlik`]).
async fn form_with(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    typed: &Typed,
    errors: Vec<FieldError>,
    suggestion: Option<String>,
) -> Response {
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let org = &ctx.org;
    // Whether the role may submit at all: core's table (a muhtar for their own
    // muhtarlık; staff for any).
    let own = match &user.actor.role {
        Role::Muhtar(m) => Some(m.clone()),
        _ => org.muhtarliklar.first().map(|m| m.code.clone()),
    };
    if let Some(m) = &own {
        let target = Target::NewRequest {
            tenant: &user.actor.tenant,
            muhtarlik: m,
        };
        if let Err(e) = authorize(&user.actor, Action::Submit, &target, org) {
            return service_error_page(&ServiceError::Forbidden(e), mount, Some(user));
        }
    }
    let office = back_office(&user.actor);
    let categories: Vec<Choice> = org
        .categories
        .iter()
        .map(|c| Choice {
            value: c.code.clone(),
            name: c.name.clone(),
        })
        .collect();
    let muhtarliks: Vec<Choice> = org
        .muhtarliklar
        .iter()
        .filter(|m| m.active)
        .map(|m| Choice {
            value: m.code.to_string(),
            name: format!("{} ({})", m.name, m.district),
        })
        .collect();
    // Every channel a person enters by hand (Open311 clients submit themselves).
    let channels: Vec<Choice> = Channel::ALL
        .into_iter()
        .filter(|c| *c != Channel::Open311)
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            name: c.display_name().to_owned(),
        })
        .collect();
    let mut values = typed.clone();
    if office {
        values
            .entry("channel".into())
            .or_insert_with(|| Channel::Phone.as_str().into());
    }
    let value = |f: &str| values.get(f).cloned().unwrap_or_default();
    let field_errors: HashMap<&str, &str> = errors
        .iter()
        .map(|e| (e.field, e.message.as_str()))
        .collect();
    let status = FieldError::status_of(&errors);
    let v: HashMap<&str, String> = FIELDS.iter().map(|(f, _, _)| (*f, value(f))).collect();
    Page::new("yeni.html", "Yeni talep", mount)
        .status(status)
        .errors(errors.clone())
        .user(Some(user))
        .render(context! {
            office => office,
            action => PATH,
            csrf => user.csrf.as_str(),
            v => v,
            e => field_errors,
            categories => categories,
            muhtarliks => muhtarliks,
            channels => channels,
            window_days => ctx.settings.received_at_window_days(),
            // Asked for once a receipt time falls in a signed quarter (coordinator only).
            force => user.actor.role == Role::Coordinator && typed.contains_key("force_reason"),
            muhtarlik_name => match &user.actor.role {
                Role::Muhtar(m) => org.muhtarlik(m).map(|m| m.name.clone()),
                _ => None,
            },
            suggestion => suggestion,
            confirmed => typed.get(CONFIRMED),
        })
}

/// `POST /talep/yeni`: the form as `multipart/form-data` (or urlencoded, without a
/// photo): submitted, or back with what to correct.
pub async fn submit(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    req: Request,
) -> Response {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut typed = Typed::new();
    let mut files: Vec<uploads::Received> = Vec::new();
    let mut photo_error: Option<String> = None;
    let mut csrf_ok = false;
    if is_multipart {
        let mut mp = match Multipart::from_request(req, &()).await {
            Ok(mp) => mp,
            Err(_) => return csrf_refused(&mount, Some(&user)),
        };
        loop {
            let mut field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return body_error(&mount, &user, &e),
            };
            let name = field.name().unwrap_or("").to_owned();
            if name == PHOTO {
                // Nothing is received before the form's token is checked.
                if !csrf_ok {
                    return csrf_refused(&mount, Some(&user));
                }
                if field.file_name().is_none_or(str::is_empty) {
                    // No file chosen: the browser sends an empty part.
                    let _ = field.bytes().await;
                    continue;
                }
                if files.len() >= MAX_ATTACHMENTS {
                    photo_error = Some(format!("En çok {MAX_ATTACHMENTS} dosya eklenebilir"));
                    let _ = field.bytes().await;
                    continue;
                }
                match uploads::receive(s.uploads.as_ref(), &mut field, chunk_error).await {
                    Ok(f) => files.push(f),
                    Err(e) => photo_error = Some(photo_message(e.status)),
                }
                continue;
            }
            let text = match field.text().await {
                Ok(t) => t,
                Err(e) => return body_error(&mount, &user, &e),
            };
            if name == CSRF_FIELD {
                if let Err(refused) = user.check_csrf(Some(&text), &mount) {
                    return refused;
                }
                csrf_ok = true;
            } else {
                typed.insert(name, text);
            }
        }
    } else {
        let bytes = match Bytes::from_request(req, &()).await {
            Ok(b) => b,
            Err(_) => return csrf_refused(&mount, Some(&user)),
        };
        for (k, v) in form_urlencoded::parse(&bytes) {
            if k == CSRF_FIELD {
                if let Err(refused) = user.check_csrf(Some(&v), &mount) {
                    return refused;
                }
                csrf_ok = true;
            } else {
                typed.insert(k.into_owned(), v.into_owned());
            }
        }
    }
    if !csrf_ok {
        return csrf_refused(&mount, Some(&user));
    }
    if let Some(message) = photo_error {
        let error = FieldError {
            field: PHOTO,
            message,
        };
        return form(&s, &mount, &user, &typed, vec![error]).await;
    }
    if back_office(&user.actor) {
        let ctx = match user.context(&s, &mount).await {
            Ok(c) => c,
            Err(page) => return page,
        };
        if let Some(hint) = check_muhtarlik(&ctx.org, &mut typed) {
            return form_with(&s, &mount, &user, &typed, Vec::new(), Some(hint)).await;
        }
    }
    let body = match body_of(&typed) {
        Ok(b) => b,
        Err(error) => return form(&s, &mount, &user, &typed, vec![error]).await,
    };
    let received_at = body.received_at;
    match submit_received::<Failure>(&s, &user.actor, body, files).await {
        Ok(rec) => {
            Redirect::to(&mount.url(&format!("{PATH}/{}", rec.state.tracking))).into_response()
        }
        Err(f) => {
            let label = label_for(&user.actor);
            let problem = match f {
                Failure::Service(e) => {
                    let (problem, signed) = service_problem(&s, &user.actor, &e, received_at).await;
                    if signed && user.actor.role == Role::Coordinator {
                        // The coordinator may force it with a reason: the form asks.
                        typed.entry("force_reason".into()).or_default();
                    }
                    problem
                }
                Failure::Api(e) => api_problem(&e, &label),
                Failure::Upload(e) => {
                    let status = ApiError::from(e).status;
                    Problem {
                        status,
                        field: status.is_client_error().then_some(PHOTO),
                        message: photo_message(status),
                    }
                }
            };
            match problem.field.filter(|f| label(f).is_some()) {
                Some(field) => {
                    let error = FieldError {
                        field,
                        message: problem.message,
                    };
                    form(&s, &mount, &user, &typed, vec![error]).await
                }
                None => error_page(&mount, Some(&user), problem.status, &problem.message),
            }
        }
    }
}

/// The request the form describes, as the REST API's body; a value the API could not
/// even read (a coordinate that is no number, a time that is none) is an error at its
/// field.
fn body_of(typed: &Typed) -> Result<SubmitBody, FieldError> {
    let text = |f: &str| typed.get(f).map(|v| v.trim()).unwrap_or("");
    let given = |f: &str| Some(text(f)).filter(|v| !v.is_empty()).map(str::to_owned);
    let coordinate = |f: &'static str, label: &str| -> Result<Option<f64>, FieldError> {
        match given(f) {
            None => Ok(None),
            Some(v) => v
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| FieldError {
                    field: f,
                    message: format!(
                        "{label} bir sayı olmalı, örneğin {}",
                        if f == "location.lat" {
                            "41,0255"
                        } else {
                            "29,0330"
                        }
                    ),
                }),
        }
    };
    let lat = coordinate("location.lat", "Enlem")?;
    let lon = coordinate("location.lon", "Boylam")?;
    let location = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(LocationBody { lat, lon }),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            let field = if lat.is_none() {
                "location.lat"
            } else {
                "location.lon"
            };
            return Err(FieldError {
                field,
                message: "Konum için Enlem ve Boylam'ı birlikte yazın (ya da ikisini de boş \
                          bırakın)"
                    .into(),
            });
        }
    };
    let received_at = given("received_at").map(|t| parse_local(&t)).transpose()?;
    let citizen = if ["citizen.name", "citizen.phone", "citizen.email"]
        .iter()
        .any(|f| given(f).is_some())
    {
        Some(CitizenBody {
            name: text("citizen.name").to_owned(),
            phone: given("citizen.phone"),
            email: given("citizen.email"),
        })
    } else {
        None
    };
    Ok(SubmitBody {
        muhtarlik: given("muhtarlik"),
        category: text("category").to_owned(),
        subject: typed.get("subject").cloned().unwrap_or_default(),
        description: typed.get("description").cloned().unwrap_or_default(),
        channel: given("channel"),
        kind: None,
        priority: None,
        reply_by: None,
        location,
        address: None,
        attachments: Vec::new(),
        attributes: Default::default(),
        media_url: None,
        citizen,
        registration_number: given("registration_number"),
        municipal_council: false,
        received_at,
        force_reason: given("force_reason"),
    })
}

/// A **Başvuru zamanı** as typed (see [`parse_local_at`]).
fn parse_local(text: &str) -> Result<DateTime<Utc>, FieldError> {
    parse_local_at(text, "received_at", "Başvuru zamanı")
}

/// A date and time field as typed, Istanbul local time: the `datetime-local` input's
/// `2026-03-14T10:00` (or what a person types where the browser has no such input,
/// `14.03.2026 10:00`); an error at `field` names its `label`.
pub(crate) fn parse_local_at(
    text: &str,
    field: &'static str,
    label: &str,
) -> Result<DateTime<Utc>, FieldError> {
    let error = |message: String| FieldError { field, message };
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        error(format!(
            "{label}: tarih ve saati GG.AA.YYYY SS:DD biçiminde yazın (örneğin 14.03.2026 10:00)"
        ))
    })?;
    from_istanbul_local(local)
        .map_err(|_| error(format!("{label}: {text} takvimin kapsadığı yıllar dışında")))
}

/// Core's refusal in Turkish: at its field when the form has it, with the messages core
/// gives in English (who may backdate, a phone number, an e-mail address) said here;
/// `true` beside it when the receipt time falls in a quarter whose report is signed.
async fn service_problem(
    s: &AppState,
    actor: &Actor,
    e: &ServiceError,
    received_at: Option<DateTime<Utc>>,
) -> (Problem, bool) {
    let label = label_for(actor);
    let at = |field: &'static str, message: String| Problem {
        status: StatusCode::BAD_REQUEST,
        field: Some(field),
        message,
    };
    let problem = match e {
        ServiceError::Input(i @ (InputError::Invalid { .. } | InputError::OutOfBounds { .. }))
            if i.field() == "received_at" =>
        {
            let (message, signed) = receipt_message(s, actor, received_at).await;
            return (at("received_at", message), signed);
        }
        ServiceError::Input(InputError::Invalid { field, .. }) if *field == "citizen.phone" => at(
            "citizen.phone",
            "Telefon: Türkiye'de geçerli bir telefon numarası yazın (örneğin 0532 123 45 67)"
                .into(),
        ),
        ServiceError::Input(InputError::Invalid { field, .. }) if *field == "citizen.email" => at(
            "citizen.email",
            "E-posta: geçerli bir e-posta adresi yazın (örneğin ad@ornek.com.tr)".into(),
        ),
        ServiceError::Input(
            InputError::Unknown { field, .. }
            | InputError::Empty { field }
            | InputError::Invalid { field, .. },
        ) if matches!(*field, "category" | "muhtarlik" | "channel") => {
            let name = label(field).unwrap_or("Seçim");
            at(field, format!("{name}: listeden birini seçin"))
        }
        other => problem(other, &label),
    };
    (problem, false)
}

/// Why a **Başvuru zamanı** was refused (core's backdating rules), in Turkish; `true`
/// when it falls in a quarter whose report is signed (the coordinator may force it).
async fn receipt_message(
    s: &AppState,
    actor: &Actor,
    given: Option<DateTime<Utc>>,
) -> (String, bool) {
    let Some(given) = given.filter(|_| back_office(actor)) else {
        let message = "Başvuru zamanını yalnızca arka ofis (koordinatör ya da birim personeli) \
                       girebilir; boş bırakılırsa şimdiki zaman kaydedilir.";
        return (message.into(), false);
    };
    let now = muhtar_core::clock::Clock::now(s.mbs.clock());
    let days = match s.mbs.context(&actor.tenant).await {
        Ok(ctx) => ctx.settings.received_at_window_days(),
        Err(_) => 30,
    };
    if given > now {
        let message = format!(
            "Başvuru zamanı ileri bir tarih olamaz: {} henüz gelmedi",
            local_time(given)
        );
        (message, false)
    } else if given < now - chrono::Duration::days(i64::from(days)) {
        let message = format!(
            "Başvuru zamanı en çok {days} gün öncesi olabilir; {} daha eski",
            local_time(given)
        );
        (message, false)
    } else if actor.role == Role::Coordinator {
        let message = format!(
            "Başvuru zamanı ({}) raporu onaylanmış bir çeyreğe düşüyor: yine de kaydetmek \
             için Düzeltme gerekçesi yazın (onaylanmış rapor düzeltme gerekli diye işaretlenir)",
            local_time(given)
        );
        (message, true)
    } else {
        let message = format!(
            "Başvuru zamanı ({}) raporu onaylanmış bir çeyreğe düşüyor: bu kaydı yalnızca \
             koordinatör, bir gerekçe yazarak girebilir",
            local_time(given)
        );
        (message, true)
    }
}

/// The API layer's refusal (a code that is no code, a muhtarlık missing): at its field
/// when the form has it.
fn api_problem(e: &ApiError, label: &impl Fn(&str) -> Option<&'static str>) -> Problem {
    let field = e
        .detail
        .field
        .as_deref()
        .and_then(|f| FIELDS.iter().find(|(name, _, _)| *name == f))
        .map(|(f, _, _)| *f)
        .filter(|f| label(f).is_some());
    match field {
        Some(f) => Problem {
            status: StatusCode::BAD_REQUEST,
            field: Some(f),
            message: format!("{}: listeden birini seçin", label(f).unwrap_or(f)),
        },
        None => Problem {
            status: if e.status.is_client_error() {
                StatusCode::BAD_REQUEST
            } else {
                e.status
            },
            field: None,
            message: "Talep gönderilemedi: formu yeniden açıp tekrar deneyin.".into(),
        },
    }
}

/// What is wrong with a photo, by the status the API gives the upload's error.
fn photo_message(status: StatusCode) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "Fotoğraf en çok {} MB olabilir: daha küçük bir fotoğraf seçin",
            uploads::MAX_UPLOAD / (1024 * 1024)
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Fotoğraf JPEG, PNG ya da WebP biçiminde (ya da bir PDF belgesi) olmalı".into()
        }
        StatusCode::UNPROCESSABLE_ENTITY => "Seçtiğiniz dosya boş: başka bir dosya seçin".into(),
        StatusCode::INSUFFICIENT_STORAGE => {
            "Fotoğraf şu anda kaydedilemiyor (yer kalmadı): fotoğrafsız gönderin ya da \
             sistem yöneticisine bildirin"
                .into()
        }
        _ => "Fotoğraf şu anda kaydedilemiyor: biraz sonra yeniden deneyin".into(),
    }
}

fn chunk_error(e: MultipartError) -> ApiError {
    ApiError::new(e.status(), "malformed", e.body_text())
}

/// The page of a body that could not be read (too large, cut off).
fn body_error(mount: &Mount, user: &SignedIn, e: &MultipartError) -> Response {
    let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "Gönderdiğiniz form çok büyük: fotoğraf en çok {} MB olabilir.",
            uploads::MAX_UPLOAD / (1024 * 1024)
        )
    } else {
        "Form eksik ulaştı: sayfayı yeniden açıp tekrar deneyin.".into()
    };
    error_page(mount, Some(user), e.status(), &message)
}

/// What the result page shows of the request just recorded.
#[derive(Debug, Serialize)]
struct Recorded {
    tracking: String,
    category: String,
    subject: String,
    description: String,
    muhtarlik: String,
    channel: &'static str,
    received_at: String,
    forced: Option<String>,
    registration_number: Option<String>,
    citizen: Option<Citizen>,
    files: Vec<String>,
    location: Option<String>,
    status: &'static str,
}

/// The citizen's contact as the result page shows it (personal data).
#[derive(Debug, Serialize)]
struct Citizen {
    name: String,
    phone: Option<String>,
    email: Option<String>,
}

/// `GET /talep/yeni/{tracking}`: the request just recorded, with its **Takip numarası**.
pub async fn result(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(t): Path<String>,
) -> Response {
    let Ok(tracking) = t.parse::<TrackingNumber>() else {
        return error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Aradığınız kayıt bulunamadı.",
        );
    };
    let rec = match s.mbs.get(&user.actor, &tracking).await {
        Ok(r) => r,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    let ctx = match user.context(&s, &mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let c = &rec.state.content;
    let recorded = Recorded {
        tracking: rec.state.tracking.to_string(),
        category: ctx
            .org
            .category(&c.category)
            .map(|k| k.name.clone())
            .unwrap_or_else(|| c.category.clone()),
        subject: c.subject.clone(),
        description: c.description.clone(),
        muhtarlik: ctx
            .org
            .muhtarlik(&c.muhtarlik)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| c.muhtarlik.to_string()),
        channel: c.channel.display_name(),
        received_at: local_time(c.received_at),
        forced: c.received_at_forced.as_ref().map(|f| f.reason.clone()),
        registration_number: c.registration_number.clone(),
        citizen: c.citizen.as_ref().map(|p| Citizen {
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
        }),
        files: c
            .attachments
            .iter()
            .map(|a| {
                let kb = a.size.div_ceil(1024);
                match &a.file_name {
                    Some(n) => format!("{n} ({kb} KB)"),
                    None => format!("{} ({kb} KB)", a.media_type),
                }
            })
            .collect(),
        location: c
            .location
            .as_ref()
            .map(|l| format!("{:.5}, {:.5}", l.lat, l.lon)),
        status: rec.state.status.display_name(),
    };
    let heading = if back_office(&user.actor) {
        "Başvuru kaydedildi"
    } else {
        "Talebiniz alındı"
    };
    Page::new("yeni-sonuc.html", heading, &mount)
        .user(Some(&user))
        .render(context! { r => recorded, new_url => PATH, heading => heading })
}
