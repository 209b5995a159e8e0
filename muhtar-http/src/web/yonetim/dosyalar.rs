//! `/yonetim/dosyalar`: the organisation and routing rule files (TOML), in two steps so
//! that nothing is applied unseen and a file with errors is never applied.
//!
//! 1. `GET`: the upload form: **Dosya türü** (organisation or rules), **Dosya** (a file
//!    input) or **Dosya içeriği** (a text area), **Sınırlar (GeoJSON)** (the boundaries
//!    file an organisation file names, `boundaries = "…"`), button **Denetle**.
//! 2. `POST /yonetim/dosyalar/denetle` (multipart, CSRF): core's validation of the file
//!    (`RuleSet::from_toml_str` against the tenant's organisation, as `muhtar rules check`;
//!    `Organisation::from_toml_str`, and for an organisation also the rules in force
//!    checked against it, as `Mbs::install_organisation` does; with its boundaries file,
//!    `Organisation::from_toml_str_with`, every problem of that file by line and feature,
//!    `boundary_rows`): every problem with its line, severity and a Turkish message
//!    ([`rule_message`], [`org_message`]), or "no problems" and a summary. Only a file without errors gets the **Uygula** button (a
//!    form carrying the checked text).
//! 3. `POST /yonetim/dosyalar/uygula` (CSRF): checks the text again and installs it
//!    (`Mbs::install_rules`, `Mbs::install_organisation`, which authorize and refuse
//!    invalid files themselves); a file with errors shows them and installs nothing.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use muhtar_core::map::BoundaryProblem;
use muhtar_core::org::{OrgError, OrgProblem, Organisation};
use muhtar_core::routing::{Problem, ProblemKind, RoutingError, RuleSet};
use muhtar_core::service::ServiceError;
use muhtar_core::store::DocumentKind;
use serde::{Deserialize, Serialize};

use super::managed;
use crate::mount::Mount;
use crate::web::problem::{error_page, service_error_page};
use crate::web::session::SignedIn;
use crate::web::{FieldError, Page};
use crate::AppState;

/// The `id` and `name` of the kind field.
pub const KIND_FIELD: &str = "tur";
/// The `id` and `name` of the text area.
pub const TEXT_FIELD: &str = "metin";
/// The `id` and `name` of the file input.
pub const FILE_FIELD: &str = "dosya";
/// The `id` and `name` of the boundaries file input (and of the apply form's hidden
/// field carrying the checked boundaries).
pub const BOUNDARIES_FIELD: &str = "sinirlar";

/// The largest file accepted (bytes).
const MAX_FILE: usize = 1024 * 1024;
/// The largest body of the check and apply forms: both files, form-encoded (the routes'
/// limit).
pub const MAX_FORM: usize = 8 * MAX_FILE;

/// Which file: the organisation or the routing rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organisation,
    Rules,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "teskilat" => Some(Kind::Organisation),
            "kurallar" => Some(Kind::Rules),
            _ => None,
        }
    }

    fn value(self) -> &'static str {
        match self {
            Kind::Organisation => "teskilat",
            Kind::Rules => "kurallar",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Organisation => "Teşkilat dosyası",
            Kind::Rules => "Yönlendirme kuralları dosyası",
        }
    }
}

/// One problem as the page shows it.
#[derive(Debug, Clone, Serialize)]
struct Row {
    /// The 1-based line, when known.
    line: Option<usize>,
    /// `Hata` or `Uyarı`.
    severity: &'static str,
    error: bool,
    /// Where: the rule's name, or what file (the rules in force).
    place: String,
    /// What is wrong, in Turkish.
    message: String,
}

/// What a check found.
#[derive(Debug, Default, Serialize)]
struct Checked {
    rows: Vec<Row>,
    errors: usize,
    summary: Option<String>,
}

/// A rule problem's message in Turkish (core's English text for kinds added later).
pub fn rule_message(k: &ProblemKind) -> String {
    match k {
        ProblemKind::EmptyName => "kuralın adı yok".into(),
        ProblemKind::ReservedName => "\"fallback\" adı yedek birim için ayrılmıştır".into(),
        ProblemKind::DuplicateName { first_line } => {
            format!("bu adda bir kural {first_line}. satırda da var")
        }
        ProblemKind::EmptyConditions => {
            "kuralın koşulu yok; her talebi yakalayacak kural yerine yedek birimi (fallback) kullanın"
                .into()
        }
        ProblemKind::UnknownUnit { unit } => format!("hedef birim {unit:?} teşkilatta yok"),
        ProblemKind::InactiveUnit { unit } => format!("hedef birim {unit:?} etkin değil"),
        ProblemKind::UnresolvableTarget { target } => {
            format!("hedef {target} hiçbir muhtarlık için etkin bir birime varmıyor")
        }
        ProblemKind::UnknownCategory { code } => format!("kategori {code:?} teşkilatta yok"),
        ProblemKind::UnknownGroup { group } => format!("kategori grubu {group:?} teşkilatta yok"),
        ProblemKind::UnknownMuhtarlik { code } => format!("muhtarlık {code:?} teşkilatta yok"),
        ProblemKind::InactiveMuhtarlik { code } => format!("muhtarlık {code:?} etkin değil"),
        ProblemKind::UnknownDistrict { district } => {
            format!("{district:?} ilçesinde kurumun muhtarlığı yok")
        }
        ProblemKind::UnknownProvince { province } => {
            format!("{province:?} ilinde kurumun muhtarlığı yok")
        }
        ProblemKind::EmptyKeyword => "boş anahtar kelime".into(),
        ProblemKind::EmptyList { condition } => format!(
            "`{condition}` koşulunun listesi boş (\"hepsi\" demek için koşulu yazmayın)"
        ),
        ProblemKind::NeverMatches { reason } => format!("kural hiçbir talebe uymaz: {reason}"),
        ProblemKind::InvalidPolygon { reason } => format!("alan (polygon) geçersiz: {reason}"),
        ProblemKind::NoBoundary { code } => format!(
            "muhtarlık {code:?} için sınır yok: inside_muhtarlik koşulu teşkilatın sınırlar \
             dosyasında sınırı olan muhtarlıkları alır"
        ),
        ProblemKind::Shadowed { by, by_line } => format!(
            "{by_line}. satırdaki \"{by}\" kuralı bu kuralın her talebini önce alıyor; bu kural hiç uygulanmaz"
        ),
        ProblemKind::UnknownFallback { unit } => format!("yedek birim {unit:?} teşkilatta yok"),
        ProblemKind::UnreachableFallback { unit, reason } => {
            format!("yedek birim {unit:?} kullanılamaz: {reason}")
        }
        other => other.to_string(),
    }
}

/// An organisation problem's message in Turkish (core's English text for kinds added
/// later).
pub fn org_message(p: &OrgProblem) -> String {
    match p {
        OrgProblem::UnknownParent { unit, parent } => {
            format!("birim {unit}: üst birim {parent} yok")
        }
        OrgProblem::Cycle { units } => {
            format!("birimler döngü oluşturuyor: {}", units.join(" → "))
        }
        OrgProblem::DuplicateCode { code, .. } => format!("{code} kodu iki kez kullanılmış"),
        OrgProblem::InvalidEmail { owner, value } => {
            format!("{owner}: {value:?} bir e-posta adresi değil")
        }
        OrgProblem::InvalidPhone { owner, value } => {
            format!("{owner}: {value:?} bir Türkiye telefon numarası değil")
        }
        OrgProblem::UnknownUnit { role, unit } => format!("{role}: birim {unit} yok"),
        OrgProblem::InactiveTarget { role, unit } => format!("{role}: birim {unit} etkin değil"),
        OrgProblem::Empty { owner, field } => format!("{owner}: {field} boş"),
        OrgProblem::NoOfficial { unit } => {
            format!("rapor birimi {unit} için sorumlu yetkili (official) yok")
        }
        OrgProblem::ForbiddenCharacter { owner, field, .. } => {
            format!("{owner}: {field} izin verilmeyen bir karakter (satır sonu, sekme…) içeriyor")
        }
        OrgProblem::BoundaryOfUnknownMuhtarlik { code } => {
            format!("sınırlar: {code} kodlu muhtarlık teşkilatta yok")
        }
        other => other.to_string(),
    }
}

/// The rows of a boundaries file's problems: line, severity, the feature (`Sınırlar:
/// Öğe 3 (kuzguncuk)`) and core's Turkish message.
fn boundary_rows(problems: &[BoundaryProblem]) -> Vec<Row> {
    problems
        .iter()
        .map(|p| Row {
            line: (p.line > 0).then_some(p.line),
            severity: if p.is_error() { "Hata" } else { "Uyarı" },
            error: p.is_error(),
            place: format!("Sınırlar: {}", p.place()),
            message: p.kind.describe(),
        })
        .collect()
}

/// Reads an organisation file with the boundaries file it names (`boundaries`, the
/// text of the **Sınırlar (GeoJSON)** field): the organisation and the boundaries'
/// warnings, or the rows of what is wrong.
fn load_organisation(
    text: &str,
    boundaries: &str,
) -> Result<(Organisation, Vec<BoundaryProblem>), Vec<Row>> {
    let named = Organisation::boundaries_path(text);
    if let (None, false) = (&named, boundaries.trim().is_empty()) {
        return Err(vec![error_row(
            0,
            "Sınırlar",
            "bir sınırlar dosyası seçildi, ama teşkilat dosyası sınırlar dosyası göstermiyor: \
             teşkilat dosyasının başına boundaries = \"dosya-adı.geojson\" satırını ekleyin \
             ya da sınırlar dosyasını kaldırın"
                .into(),
        )]);
    }
    let loaded = Organisation::from_toml_str_with(text, |path| {
        if boundaries.trim().is_empty() {
            Err(format!(
                "teşkilat dosyası {path:?} sınırlar dosyasını gösteriyor: Sınırlar (GeoJSON) \
                 alanında o dosyayı da seçin"
            ))
        } else {
            Ok(boundaries.to_owned())
        }
    });
    loaded.map_err(|e| match e {
        OrgError::Parse { line, message } => vec![error_row(
            line,
            "Dosya",
            format!("dosya okunamadı (TOML): {message}"),
        )],
        OrgError::Invalid { problems } => problems
            .iter()
            .map(|p| {
                let line = match p {
                    OrgProblem::ForbiddenCharacter { line, .. } => *line,
                    _ => 0,
                };
                error_row(line, "Teşkilat", org_message(p))
            })
            .collect(),
        OrgError::BoundariesUnreadable { reason, .. } => {
            let line = named.as_ref().map_or(0, |(_, line)| *line);
            vec![error_row(line, "Sınırlar", reason)]
        }
        OrgError::Boundaries { error, .. } => boundary_rows(&error.problems),
        other => vec![error_row(0, "Dosya", other.to_string())],
    })
}

fn rule_rows(problems: &[Problem], place_of: impl Fn(&Problem) -> String) -> Vec<Row> {
    problems
        .iter()
        .map(|p| Row {
            line: (p.line > 0).then_some(p.line),
            severity: if p.is_error() { "Hata" } else { "Uyarı" },
            error: p.is_error(),
            place: place_of(p),
            message: rule_message(&p.kind),
        })
        .collect()
}

fn error_row(line: usize, place: &str, message: String) -> Row {
    Row {
        line: (line > 0).then_some(line),
        severity: "Hata",
        error: true,
        place: place.into(),
        message,
    }
}

fn rule_place(p: &Problem) -> String {
    match &p.rule {
        Some(name) => format!("Kural \"{name}\""),
        None => "Yedek birim (fallback)".into(),
    }
}

/// The rows of a routing error.
fn routing_rows(e: &RoutingError, place_of: impl Fn(&Problem) -> String) -> Vec<Row> {
    match e {
        RoutingError::Invalid { problems } => rule_rows(problems, place_of),
        RoutingError::Parse { line, message } => vec![error_row(
            *line,
            "Dosya",
            format!("dosya okunamadı (TOML): {message}"),
        )],
        other => vec![error_row(0, "Dosya", other.to_string())],
    }
}

/// Checks `text` as a file of `kind` for the signed-in administrator's tenant: every
/// problem by line, and a summary when there is no error. `Err` is the error page (not
/// an administrator, store down).
async fn check(
    s: &AppState,
    user: &SignedIn,
    kind: Kind,
    text: &str,
    boundaries: &str,
) -> Result<(Checked, Option<Organisation>), ServiceError> {
    let ctx = s.mbs.manage_context(&user.actor).await?;
    let mut out = Checked::default();
    let mut parsed = None;
    match kind {
        Kind::Rules => match RuleSet::from_toml_str(text, &ctx.org) {
            Ok((rules, warnings)) => {
                out.rows = rule_rows(&warnings, rule_place);
                let fallback = ctx
                    .org
                    .unit(rules.fallback())
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| rules.fallback().to_string());
                out.summary = Some(format!(
                    "{} kural, sürüm {}, yedek birim: {fallback}",
                    rules.len(),
                    rules.version_label()
                ));
            }
            Err(e) => out.rows = routing_rows(&e, rule_place),
        },
        Kind::Organisation => match load_organisation(text, boundaries) {
            Ok((org, _)) if org.tenant.id != user.actor.tenant => {
                out.rows = vec![error_row(
                    0,
                    "[tenant] id",
                    format!(
                        "dosya başka bir kurumun ({}); bu kurumun kimliği {}",
                        org.tenant.id, user.actor.tenant
                    ),
                )];
            }
            Ok((org, warnings)) => {
                // As Mbs::install_organisation: the rules in force must still validate.
                let stored = s
                    .mbs
                    .store()
                    .document(&user.actor.tenant, DocumentKind::RuleSet)
                    .await?;
                if let Some(doc) = stored.filter(|_| ctx.rules_problem.is_none()) {
                    if let Err(e) = RuleSet::from_toml_str(&doc.body, &org) {
                        out.rows = routing_rows(&e, |p| {
                            format!("Yürürlükteki kurallar: {}", rule_place(p))
                        });
                        for r in &mut out.rows {
                            r.message = format!(
                                "bu teşkilatla yürürlükteki kurallar geçersiz olur: {}",
                                r.message
                            );
                        }
                    }
                }
                out.rows.extend(boundary_rows(&warnings));
                out.summary = Some(format!(
                    "{}: {} birim, {} muhtarlık, {} kategori{}",
                    org.tenant.name,
                    org.units.len(),
                    org.muhtarliklar.len(),
                    org.categories.len(),
                    match org.boundaries.len() {
                        0 => String::new(),
                        n => format!(", {n} muhtarlık sınırı"),
                    }
                ));
                parsed = Some(org);
            }
            Err(rows) => out.rows = rows,
        },
    }
    out.errors = out.rows.iter().filter(|r| r.error).count();
    if out.errors > 0 {
        out.summary = None;
    }
    Ok((out, parsed))
}

/// The page: the form, and a check's result when there is one.
#[allow(clippy::too_many_arguments)]
fn render(
    mount: &Mount,
    user: &SignedIn,
    kind: Option<Kind>,
    (text, boundaries): (&str, &str),
    checked: Option<&Checked>,
    applied: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let error_of = |f: &str| FieldError::message_of(&errors, f);
    let field_errors = context! {
        tur => error_of(KIND_FIELD),
        metin => error_of(TEXT_FIELD),
        dosya => error_of(FILE_FIELD),
        sinirlar => error_of(BOUNDARIES_FIELD),
    };
    Page::new("yonetim_dosyalar.html", "Teşkilat ve kurallar", mount)
        .status(status)
        .user(Some(user))
        .errors(errors)
        .render(context! {
            kind => kind.map(Kind::value),
            kind_name => kind.map(Kind::name),
            text => text,
            boundaries => boundaries,
            checked => checked,
            applied => applied,
            field_errors => field_errors,
        })
}

/// The form again with the fields to correct (400), as the person sent it.
fn form_again(
    mount: &Mount,
    user: &SignedIn,
    kind: &str,
    text: &str,
    errors: Vec<FieldError>,
) -> Response {
    let kind = Kind::parse(kind);
    render(
        mount,
        user,
        kind,
        (text, ""),
        None,
        None,
        errors,
        StatusCode::BAD_REQUEST,
    )
}

/// A check's result: 422 when it found errors, else 200.
fn checked_page(
    mount: &Mount,
    user: &SignedIn,
    kind: Kind,
    files: (&str, &str),
    checked: &Checked,
) -> Response {
    let status = if checked.errors > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        mount,
        user,
        Some(kind),
        files,
        Some(checked),
        None,
        Vec::new(),
        status,
    )
}

/// `GET /yonetim/dosyalar`: the upload form.
pub async fn page(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    if let Err(page) = managed(&s, &mount, &user).await {
        return page;
    }
    render(
        &mount,
        &user,
        None,
        ("", ""),
        None,
        None,
        Vec::new(),
        StatusCode::OK,
    )
}

/// The fields of the check form.
#[derive(Debug, Default)]
struct Upload {
    csrf: Option<String>,
    kind: String,
    text: String,
    file: Vec<u8>,
    boundaries: Vec<u8>,
}

async fn read_upload(mut m: Multipart) -> Result<Upload, String> {
    let mut u = Upload::default();
    while let Some(field) = m.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|e| e.body_text())?;
        if bytes.len() > MAX_FILE {
            return Err("Dosya en çok 1 MB olabilir".into());
        }
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => u.csrf = Some(text()),
            KIND_FIELD => u.kind = text(),
            TEXT_FIELD => u.text = text(),
            FILE_FIELD => u.file = bytes.to_vec(),
            BOUNDARIES_FIELD => u.boundaries = bytes.to_vec(),
            _ => {}
        }
    }
    Ok(u)
}

/// The checked file's text, or the field to correct.
fn chosen(kind: &str, text: String, file: Vec<u8>) -> Result<(Kind, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = Kind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError {
            field: KIND_FIELD,
            message: "Dosya türünü seçin".into(),
        });
    }
    let text = if file.is_empty() {
        text
    } else {
        match String::from_utf8(file) {
            Ok(t) => t,
            Err(_) => {
                errors.push(FieldError {
                    field: FILE_FIELD,
                    message: "Dosya UTF-8 metin değil: TOML dosyası seçin".into(),
                });
                String::new()
            }
        }
    };
    if text.trim().is_empty() && errors.iter().all(|e| e.field != FILE_FIELD) {
        errors.push(FieldError {
            field: TEXT_FIELD,
            message: "Bir dosya seçin ya da dosyanın içeriğini yapıştırın".into(),
        });
    }
    match kind {
        Some(k) if errors.is_empty() => Ok((k, text)),
        _ => Err(errors),
    }
}

/// `POST /yonetim/dosyalar/denetle`: checks the file; applies nothing.
pub async fn check_upload(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    form: Multipart,
) -> Response {
    let upload = match read_upload(form).await {
        Ok(u) => u,
        Err(message) => {
            return error_page(&mount, Some(&user), StatusCode::BAD_REQUEST, &message);
        }
    };
    if let Err(refused) = user.check_csrf(upload.csrf.as_deref(), &mount) {
        return refused;
    }
    let boundaries = String::from_utf8(upload.boundaries);
    let (kind, text) = match (
        chosen(&upload.kind, upload.text.clone(), upload.file),
        &boundaries,
    ) {
        (Ok(c), Ok(_)) => c,
        (chosen, boundaries) => {
            let mut errors = chosen.err().unwrap_or_default();
            if boundaries.is_err() {
                errors.push(FieldError {
                    field: BOUNDARIES_FIELD,
                    message: "Sınırlar dosyası UTF-8 metin değil: GeoJSON dosyası seçin".into(),
                });
            }
            return form_again(&mount, &user, &upload.kind, &upload.text, errors);
        }
    };
    let boundaries = boundaries.unwrap_or_default();
    match check(&s, &user, kind, &text, &boundaries).await {
        Ok((checked, _)) => checked_page(&mount, &user, kind, (&text, &boundaries), &checked),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// What the apply form posts: the checked text (and the boundaries file checked with an
/// organisation file).
#[derive(Debug, Default, Deserialize)]
pub struct ApplyForm {
    csrf: Option<String>,
    #[serde(default)]
    tur: String,
    #[serde(default)]
    metin: String,
    #[serde(default)]
    sinirlar: String,
}

/// `POST /yonetim/dosyalar/uygula`: checks the text again and installs it if it has no
/// error.
pub async fn apply(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(f): Form<ApplyForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    let (kind, text) = match chosen(&f.tur, f.metin.clone(), Vec::new()) {
        Ok(c) => c,
        Err(errors) => return form_again(&mount, &user, &f.tur, &f.metin, errors),
    };
    let files = (text.as_str(), f.sinirlar.as_str());
    let (checked, org) = match check(&s, &user, kind, &text, &f.sinirlar).await {
        Ok(c) => c,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    if checked.errors > 0 {
        return checked_page(&mount, &user, kind, files, &checked);
    }
    let installed = match (kind, org) {
        (Kind::Rules, _) => s
            .mbs
            .install_rules(&user.actor, &text)
            .await
            .map(|(label, _)| format!("Yönlendirme kuralları uygulandı: sürüm {label}.")),
        (Kind::Organisation, Some(org)) => s
            .mbs
            .install_organisation(&user.actor, org)
            .await
            .map(|v| format!("Teşkilat dosyası uygulandı: teşkilat sürümü {v}.")),
        (Kind::Organisation, None) => {
            return error_page(
                &mount,
                Some(&user),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Teşkilat dosyası okunamadı: yeniden denetleyin.",
            )
        }
    };
    match installed {
        Ok(message) => render(
            &mount,
            &user,
            None,
            ("", ""),
            None,
            Some(message),
            Vec::new(),
            StatusCode::OK,
        ),
        Err(ServiceError::RulesInvalidated { error, .. }) => {
            let mut checked = Checked {
                rows: routing_rows(&error, |p| {
                    format!("Yürürlükteki kurallar: {}", rule_place(p))
                }),
                ..Checked::default()
            };
            checked.errors = checked.rows.iter().filter(|r| r.error).count();
            render(
                &mount,
                &user,
                Some(kind),
                files,
                Some(&checked),
                None,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_in_turkish_with_their_place() {
        let p = Problem::new(
            Some("yol".into()),
            7,
            ProblemKind::UnknownUnit { unit: "yok".into() },
        );
        let rows = rule_rows(&[p], rule_place);
        assert_eq!(rows[0].line, Some(7));
        assert_eq!(rows[0].severity, "Hata");
        assert_eq!(rows[0].place, "Kural \"yol\"");
        assert_eq!(rows[0].message, "hedef birim \"yok\" teşkilatta yok");
    }

    #[test]
    fn a_file_is_needed_and_a_kind() {
        let e = chosen("", " ".into(), Vec::new()).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, [KIND_FIELD, TEXT_FIELD]);
        let (k, t) = chosen("kurallar", "x".into(), b"dosya".to_vec()).unwrap();
        assert_eq!((k, t.as_str()), (Kind::Rules, "dosya"));
    }
}
