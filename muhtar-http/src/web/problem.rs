//! What went wrong, in Turkish, for the pages: core's errors ([`ServiceError`],
//! [`InputError`], [`LifecycleError`]) as a [`Problem`] a page shows, either at a form's
//! field (the error summary links to it) or as a whole error page ([`error_page`]).
//!
//! Core's own messages are for logs and API clients (English, with field names); people
//! read these. Every form names its inputs after the API's fields (`subject`,
//! `description`, `location.lat`…), so an [`InputError::field`] is the `id` of the input
//! to correct.

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use muhtar_core::access::AccessError;
use muhtar_core::request::InputError;
use muhtar_core::request::LifecycleError;
use muhtar_core::service::ServiceError;
use muhtar_core::store::StoreError;

use super::session::SignedIn;
use super::{FieldError, Page};
use crate::mount::Mount;

/// A problem to show: the HTTP status, the field to correct (when one is at fault) and
/// what to do, in Turkish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The status of the page showing it.
    pub status: StatusCode,
    /// The `id` of the field at fault, if one is.
    pub field: Option<&'static str>,
    /// What is wrong and how to put it right.
    pub message: String,
}

impl Problem {
    /// The problem as a [`FieldError`] of the error summary, when a field is at fault.
    pub fn field_error(&self) -> Option<FieldError> {
        self.field.map(|field| FieldError {
            field,
            message: self.message.clone(),
        })
    }
}

/// The Turkish message of a bad field; `label` is the field's visible label
/// (**Konu**, **Açıklama**…).
pub fn input_message(e: &InputError, label: &str) -> String {
    match e {
        InputError::Empty { .. } => format!("{label} alanını doldurun"),
        InputError::TooLong { len, max, .. } => {
            format!("{label} en çok {max} karakter olabilir; yazdığınız {len} karakter")
        }
        InputError::OutOfBounds { value, .. } => {
            format!("{label}: {value} izin verilen aralığın dışında")
        }
        InputError::OutsideTurkey { .. } => {
            format!("{label}: konum Türkiye sınırları içinde olmalı")
        }
        InputError::Unknown { value, valid, .. } if valid.is_empty() => {
            format!("{label}: {value:?} bulunamadı")
        }
        InputError::Unknown { value, valid, .. } => {
            let shown: Vec<&str> = valid.iter().take(10).map(String::as_str).collect();
            let more = valid.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" ve {more} tane daha")
            } else {
                String::new()
            };
            format!(
                "{label}: {value:?} geçerli değil; geçerli olanlar: {}{more}",
                shown.join(", ")
            )
        }
        InputError::NotDateTime { .. } => {
            format!("{label}: tarih ve saati GG.AA.YYYY SS:DD biçiminde yazın (örneğin 14.03.2026 10:00)")
        }
        InputError::ImpossibleDate { value, .. } => {
            format!("{label}: {value} diye bir tarih yok (ayı, günü ve saati kontrol edin)")
        }
        InputError::Invalid { message, .. } => format!("{label}: {message}"),
        _ => format!("{label} geçersiz"),
    }
}

/// The Turkish message of a command that does not fit the request's state.
pub fn lifecycle_message(e: &LifecycleError) -> String {
    match e {
        LifecycleError::IllegalTransition { state, .. } => format!(
            "Bu işlem talebin şu anki durumunda ({}) yapılamaz",
            state.display_name()
        ),
        LifecycleError::Input(i) => input_message(i, "Alan"),
        LifecycleError::Reason(r) => format!("Gerekçe: {r}"),
        LifecycleError::ReasonRequired => "Olumsuz cevap için bir gerekçe seçin".into(),
        LifecycleError::ReasonNotAllowed => "Olumlu cevap gerekçe almaz".into(),
        LifecycleError::ReopenWindowClosed { days, since } => format!(
            "Talep yalnızca cevaptan sonraki {days} gün içinde yeniden açılabilir ({} tarihinden beri süre doldu)",
            muhtar_core::calendar::local_time(*since)
        ),
        LifecycleError::SameUnit(_) => "Talep zaten bu birimde".into(),
        LifecycleError::Target(u) => format!("Birim {u} bulunamadı ya da etkin değil"),
        LifecycleError::AlreadyExtended => "Cevap süresi daha önce bir kez uzatıldı".into(),
        LifecycleError::SelfMerge => "Bir talep kendisiyle birleştirilemez".into(),
        _ => "Talebin geçmişi okunamadı: sistem yöneticisine bildirin".into(),
    }
}

/// The Turkish message of a council's refusal (`muhtar_core::council::CouncilError`).
pub fn council_message(e: &muhtar_core::council::CouncilError) -> String {
    use muhtar_core::council::CouncilError as C;
    match e {
        C::NotOpenYet { opens_at } => format!("Oylama henüz açılmadı: {opens_at} tarihinde açılacak."),
        C::Closed => "Oylama kapandı ya da buna izin vermiyor: oy kaydedilemez, değiştirilemez.".into(),
        C::StillRunning { closes_at } => format!(
            "Oylama {closes_at} tarihine kadar sürüyor: ancak ondan sonra kapatılabilir ve sonucu görülebilir."
        ),
        C::NotEligible { .. } => {
            "Bu üye bu oylamada oy kullanamaz: oylama açıldığında meclisin üyesi değildi.".into()
        }
        C::AlreadyVoted { .. } => "Bu üye bu oylamada oyunu kullandı.".into(),
        C::UnknownReceipt => "Bu makbuz kodu bu oylamanın hiçbir oyuna ait değil.".into(),
        C::NoMembers { .. } => {
            "Meclisin hiç üyesi yok: oylama açmadan önce üye ekleyin.".into()
        }
        C::AlreadySupported { .. } => "Bu üye bu öneriyi zaten destekledi.".into(),
        C::NotOnRoll { .. } => "Bu kişi meclisin üye listesinde değil.".into(),
        C::OnAgendaAlready => "Öneri zaten gündemde.".into(),
        C::NotAdopted { result } => {
            format!("Oylamada kabul edilen bir karar yok, gönderilemez. {result}")
        }
        C::DecisionSent { tracking } => {
            format!("Bu oylamanın kararı zaten gönderildi: {tracking} takip numaralı talep.")
        }
        _ => "Meclis işlemi yapılamadı.".into(),
    }
}

/// The Turkish message of a meeting's refusal (`muhtar_core::council::MeetingError`).
pub fn meeting_message(e: &muhtar_core::council::MeetingError) -> String {
    use muhtar_core::council::MeetingError as M;
    match e {
        M::Held { .. } => {
            "Toplantının tutanağı kaydedildi: tutanak ve katılım artık değişmez.".into()
        }
        M::NotYet { at } => {
            format!("Toplantı {at} tarihinde: tutanak ancak o zamandan sonra kaydedilebilir.")
        }
        M::NotOnRoll { .. } => {
            "Katılan olarak işaretlenen biri toplantı zamanında meclisin üyesi değildi.".into()
        }
        _ => "Toplantı işlemi yapılamadı.".into(),
    }
}

/// The problem of a failed call of `Mbs`: a field at fault (status 400) when core names
/// one, `label(field)` giving its visible label; else a whole-page problem.
pub fn problem(e: &ServiceError, label: impl Fn(&str) -> Option<&'static str>) -> Problem {
    let at_field = |i: &InputError| {
        let field = i.field();
        Problem {
            status: StatusCode::BAD_REQUEST,
            field: label(field).map(|_| field),
            message: input_message(i, label(field).unwrap_or(field)),
        }
    };
    match e {
        ServiceError::Input(i) | ServiceError::Lifecycle(LifecycleError::Input(i)) => at_field(i),
        ServiceError::NotFound(_) | ServiceError::Forbidden(AccessError::OtherTenant) => Problem {
            status: StatusCode::NOT_FOUND,
            field: None,
            message: "Aradığınız kayıt bulunamadı.".into(),
        },
        ServiceError::Forbidden(a) => Problem {
            status: StatusCode::FORBIDDEN,
            field: None,
            // Core's refusal is Turkish already and names the roles that may do it.
            message: format!("Bu işlem için yetkiniz yok: {a}."),
        },
        ServiceError::Lifecycle(l @ LifecycleError::Corrupt(_)) => {
            tracing::error!(error = %l, "a request's history is corrupt");
            Problem {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                field: None,
                message: lifecycle_message(l),
            }
        }
        ServiceError::Lifecycle(l) => Problem {
            status: StatusCode::CONFLICT,
            field: None,
            message: lifecycle_message(l),
        },
        ServiceError::Conflict { .. } | ServiceError::Store(StoreError::Conflict { .. }) => {
            Problem {
                status: StatusCode::CONFLICT,
                field: None,
                message: "Talep siz bakarken değişti: sayfayı yenileyip yeniden deneyin.".into(),
            }
        }
        ServiceError::Document(d) => Problem {
            status: StatusCode::CONFLICT,
            field: None,
            message: super::belge::document_message(d),
        },
        ServiceError::Council(c) => {
            use muhtar_core::council::CouncilError as C;
            let field = match c {
                C::NotEligible { .. }
                | C::AlreadyVoted { .. }
                | C::AlreadySupported { .. }
                | C::NotOnRoll { .. } => Some("member"),
                C::UnknownReceipt => Some("receipt"),
                _ => None,
            }
            .filter(|f| label(f).is_some());
            Problem {
                status: if field.is_some() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::CONFLICT
                },
                field,
                message: council_message(c),
            }
        }
        ServiceError::Meeting(m) => Problem {
            status: StatusCode::CONFLICT,
            field: None,
            message: meeting_message(m),
        },
        ServiceError::Store(StoreError::NotFound { .. }) => Problem {
            status: StatusCode::NOT_FOUND,
            field: None,
            message: "Aradığınız kayıt bulunamadı.".into(),
        },
        other => {
            tracing::error!(error = %other, "a page's call failed");
            Problem {
                status: StatusCode::SERVICE_UNAVAILABLE,
                field: None,
                message: "İşlem şu anda yapılamadı: biraz sonra yeniden deneyin. Sorun sürerse \
                          sistem yöneticisine bildirin."
                    .into(),
            }
        }
    }
}

/// A whole page saying what went wrong (`hata.html`): its status, a heading by status
/// and `message`.
pub fn error_page(
    mount: &Mount,
    user: Option<&SignedIn>,
    status: StatusCode,
    message: &str,
) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Sayfa bulunamadı",
        StatusCode::FORBIDDEN => "Yetkiniz yok",
        StatusCode::CONFLICT => "İşlem yapılamadı",
        StatusCode::TOO_MANY_REQUESTS => "Çok fazla deneme",
        StatusCode::BAD_REQUEST => "Bir sorun var",
        s if s.is_server_error() => "Bir hata oluştu",
        _ => "Bir sorun var",
    };
    Page::new("hata.html", heading, mount)
        .status(status)
        .user(user)
        .render(context! { heading => heading, message => message })
}

/// The page of a path no route serves (404).
pub fn not_found_page(mount: &Mount) -> Response {
    super::with_security_headers(error_page(
        mount,
        None,
        StatusCode::NOT_FOUND,
        "Bu adreste bir sayfa yok. Adresi kontrol edin ya da ana sayfadan devam edin.",
    ))
}

/// The page of a request the server failed to answer (500): nothing about the failure
/// itself, which is in the server's log.
pub fn internal_error_page(mount: &Mount) -> Response {
    super::with_security_headers(error_page(
        mount,
        None,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sunucuda beklenmeyen bir hata oluştu ve isteğiniz tamamlanamadı. Biraz sonra yeniden \
         deneyin; sorun sürerse sistem yöneticisine bildirin.",
    ))
}

/// The page of an address refused for a while after too many failed logins (429, with
/// `Retry-After`): how many minutes to wait.
pub fn too_many_page(mount: &Mount, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let minutes = secs.div_ceil(60).max(1);
    let mut res = error_page(
        mount,
        None,
        StatusCode::TOO_MANY_REQUESTS,
        &format!(
            "Bu adresten çok fazla başarısız giriş denemesi yapıldı. {minutes} dakika sonra \
             yeniden deneyin."
        ),
    );
    res.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(secs.max(1)),
    );
    super::with_security_headers(res)
}

/// The error page of a failed call whose fault is no field of a form.
pub fn service_error_page(e: &ServiceError, mount: &Mount, user: Option<&SignedIn>) -> Response {
    let p = problem(e, |_| None);
    error_page(mount, user, p.status, &p.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_is_named_by_its_label_and_linked_by_its_id() {
        let e = ServiceError::Input(InputError::Empty { field: "subject" });
        let p = problem(&e, |f| (f == "subject").then_some("Konu"));
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert_eq!(p.field, Some("subject"));
        assert_eq!(p.message, "Konu alanını doldurun");
        assert_eq!(p.field_error().unwrap().field, "subject");
    }

    #[test]
    fn an_unknown_code_lists_the_valid_ones_in_turkish() {
        let e = InputError::unknown("category", "x", ["yol", "su"]);
        assert_eq!(
            input_message(&e, "Kategori"),
            "Kategori: \"x\" geçerli değil; geçerli olanlar: yol, su"
        );
    }

    #[test]
    fn another_tenants_record_is_not_found_not_forbidden() {
        let p = problem(&ServiceError::Forbidden(AccessError::OtherTenant), |_| None);
        assert_eq!(p.status, StatusCode::NOT_FOUND);
    }
}
