//! `muhtar document register | letter | show | verify | key new`: official documents
//! (resmî evrak). Everything is `Mbs`'s (`muhtar_core::document`, `Mbs::register_document`,
//! `issue_letter`, `find_documents`, `verify_document`); this file parses the arguments,
//! prints the documents, says the refusals in Turkish, and reads and writes the signing
//! key files (`--signing-key`, `MUHTAR_SIGNING_KEY`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use muhtar_core::calendar::local_time;
use muhtar_core::document::{
    render_letter_html, Content, Direction, Document, DocumentError, DocumentKey, PublicDocument,
    SignatureCheck, VerificationCode,
};
use muhtar_core::org::Organisation;
use muhtar_core::service::{DocumentSearch, ServiceError};
use muhtar_core::tracking::TrackingNumber;

use crate::state_cmd::{self, Global};

/// `muhtar document`.
#[derive(Debug, Clone, Subcommand)]
pub enum DocumentCmd {
    /// Register a request as an incoming official document (gelen evrak) and print its
    /// number, `E-<DETSİS>-<SDP>-<sequence>` (its unit's staff or the coordinator).
    Register {
        /// Tracking number.
        tracking: String,
    },
    /// Issue a request's answer as an official letter to its muhtarlık (giden evrak) and
    /// print its number.
    Letter(LetterArgs),
    /// Show a document by its number (E-…) or a paper petition's own number.
    Show {
        /// `E-<DETSİS>-<SDP>-<sequence>`, or the number the petition came with.
        number: String,
    },
    /// Verify a document by its verification code: anyone holding the code may (no
    /// `--as` needed). Exit status 1 unless the content and signature hold.
    Verify {
        /// The code printed on the document, e.g. 7KQ2-M9XA-4T0B.
        code: String,
    },
    /// The tenant's document signing keys.
    #[command(subcommand)]
    Key(KeyCmd),
}

/// `muhtar document letter`.
#[derive(Debug, Clone, Args)]
pub struct LetterArgs {
    /// Tracking number.
    pub tracking: String,
    /// Also write the letter as a printable A4 HTML page to this file.
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
}

/// `muhtar document key`.
#[derive(Debug, Clone, Subcommand)]
pub enum KeyCmd {
    /// Make a new Ed25519 signing key from the operating system's randomness: writes the
    /// key file (mode 0600; never over an existing file) and prints the
    /// `[[documents.keys]]` entry to add to the tenant's settings (standard output, so
    /// `>> settings.toml` adds it).
    New {
        /// The key's id, e.g. 2026-1 (letters, digits, `-`, `_`, `.`).
        #[arg(long)]
        id: String,
        /// The key file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The signing keys of `--signing-key FILE` (none without it): what the service signs
/// with ([`muhtar_core::service::Mbs::document_keys`]). A file others may read is used,
/// with a warning.
pub fn signing_keys(file: Option<&Path>) -> Result<Vec<DocumentKey>, String> {
    let Some(path) = file.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(Vec::new());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--signing-key: {name} okunamadı: {e}"))?;
    let key =
        DocumentKey::from_file_text(&text).map_err(|e| format!("--signing-key {name}: {e}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "warning: --signing-key {name} başkalarınca okunabilir: chmod 600 {name}"
                );
            }
        }
    }
    Ok(vec![key])
}

/// Runs a `muhtar document` command.
pub async fn run(g: &Global, cmd: &DocumentCmd) -> Result<(), String> {
    match cmd {
        DocumentCmd::Key(k) => key(g, k),
        DocumentCmd::Verify { code } => verify(g, code).await,
        DocumentCmd::Register { tracking } => {
            let (mbs, tenant) = state_cmd::service(g).await?;
            let actor = state_cmd::actor(g, &tenant)?;
            let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
            let tr = tracking_number(tracking)?;
            let doc = mbs
                .register_document(&actor, &tr)
                .await
                .map_err(|e| turkish(e, &tr, &actor, &ctx.org))?;
            match g.json {
                true => print_json(&view(&doc)),
                false => {
                    outln!("{}", doc.number);
                    Ok(())
                }
            }
        }
        DocumentCmd::Letter(a) => letter(g, a).await,
        DocumentCmd::Show { number } => {
            let (mbs, tenant) = state_cmd::service(g).await?;
            let actor = state_cmd::actor(g, &tenant)?;
            let found = mbs
                .find_documents(&actor, &DocumentSearch::parse(number))
                .await
                .map_err(|e| e.to_string())?;
            if found.is_empty() {
                return Err(format!("{number} numaralı evrak yok ya da {actor} göremez"));
            }
            for (i, d) in found.iter().enumerate() {
                if g.json {
                    print_json(&view(d))?;
                } else {
                    if i > 0 {
                        outln!();
                    }
                    describe(d);
                }
            }
            Ok(())
        }
    }
}

/// `muhtar document letter`: the output file is opened before the letter is issued, so
/// a path that cannot be written issues nothing.
async fn letter(g: &Global, a: &LetterArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let actor = state_cmd::actor(g, &tenant)?;
    let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
    let tr = tracking_number(&a.tracking)?;
    let out = match &a.out {
        Some(p) => {
            let existed = p.exists();
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(p)
                .map_err(|e| format!("--out: {} yazılamıyor: {e}", p.display()))?;
            Some((p, f, existed))
        }
        None => None,
    };
    let doc = match mbs.issue_letter(&actor, &tr).await {
        Ok(d) => d,
        Err(e) => {
            if let Some((p, _, false)) = &out {
                let _ = std::fs::remove_file(p);
            }
            return Err(turkish(e, &tr, &actor, &ctx.org));
        }
    };
    if let Some((p, mut f, _)) = out {
        let Ok(Content::Letter(l)) = doc.parsed_content() else {
            return Err(format!(
                "{} düzenlendi, ama içeriği yazı olarak okunamadı",
                doc.number
            ));
        };
        let html = render_letter_html(&l, ctx.settings.documents.verify_url.as_deref());
        f.set_len(0)
            .and_then(|()| f.write_all(html.as_bytes()))
            .map_err(|e| {
                format!(
                    "{} düzenlendi, ama {} yazılamadı: {e}",
                    doc.number,
                    p.display()
                )
            })?;
    }
    match g.json {
        true => print_json(&view(&doc)),
        false => {
            outln!("{}", doc.number);
            Ok(())
        }
    }
}

/// `muhtar document verify`: the verdict first, then what the code shows anyone.
async fn verify(g: &Global, text: &str) -> Result<(), String> {
    let code = VerificationCode::parse(text).map_err(|_| {
        format!("{text:?} bir doğrulama kodu değil: 12 harf ve rakam, ör. 7KQ2-M9XA-4T0B")
    })?;
    let mbs = state_cmd::open_service(g).await?;
    let p = mbs.verify_document(&code).await.map_err(|e| match e {
        ServiceError::NotFound(_) => format!("{code} doğrulama koduyla bir belge yok"),
        e => e.to_string(),
    })?;
    let valid = p.verification.is_valid();
    let verdict = verdict(&p);
    if g.json {
        let mut v = serde_json::to_value(&p).map_err(|e| e.to_string())?;
        if let Some(o) = v.as_object_mut() {
            o.insert("code".into(), code.as_str().into());
            o.insert("valid".into(), valid.into());
            o.insert("verdict".into(), verdict.clone().into());
            o.insert("date_local".into(), local_time(p.date).into());
        }
        print_json(&v)?;
    } else {
        outln!("{verdict}");
        line("Sayı", p.number.to_string());
        line("Tür", p.direction.display_name().to_owned());
        line("Tarih", local_time(p.date));
        line("Kurum", p.issuer.clone());
        line("Konu", p.subject.clone());
        line("Doğrulama", code.to_string());
        line("SHA-256", p.sha256.clone());
        line(
            "İçerik",
            match p.verification.content_intact {
                true => "bozulmamış".to_owned(),
                false => "DEĞİŞMİŞ: içeriğin SHA-256 özeti kayıtlı özetle uyuşmuyor".to_owned(),
            },
        );
        line("İmza", p.verification.signature.describe());
    }
    match valid {
        true => Ok(()),
        false => Err(format!("{code}: {verdict}")),
    }
}

/// The verdict in one Turkish line.
fn verdict(p: &PublicDocument) -> String {
    let v = &p.verification;
    match (v.content_intact, &v.signature) {
        (true, SignatureCheck::Valid { key_id }) => {
            format!("GEÇERLİ: belge kayıtlı, içeriği ve imzası (anahtar {key_id}) doğru")
        }
        (true, SignatureCheck::Unsigned) => {
            "GEÇERLİ: belge kayıtlı ve içeriği doğru (imzasız)".to_owned()
        }
        (false, _) => "GEÇERSİZ: belgenin içeriği kayıtlı özetle uyuşmuyor".to_owned(),
        (true, s) => format!("GEÇERSİZ: {}", s.describe()),
    }
}

/// Writes a new secret key file `out` (mode 0600, never over an existing file).
pub fn write_secret_file(out: &Path, text: &str) -> Result<(), String> {
    let name = out.display();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("--out: {name} zaten var; bir anahtar dosyasının üzerine yazılmaz")
        }
        _ => format!("--out: {name} yazılamıyor: {e}"),
    })?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("--out: {name} yazılamadı: {e}"))
}

/// `muhtar document key new`: needs no database.
pub fn key(g: &Global, cmd: &KeyCmd) -> Result<(), String> {
    let KeyCmd::New { id, out } = cmd;
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret)
        .map_err(|e| format!("işletim sisteminden rastgele sayı alınamadı: {e}"))?;
    let key = DocumentKey::from_secret(id, secret).map_err(|e| format!("--id: {e}"))?;
    secret.fill(0);
    write_secret_file(out, &key.to_file_text())?;
    let name = out.display();
    let entry = key.public_entry();
    if g.json {
        print_json(&serde_json::json!({
            "id": entry.id,
            "public_key": entry.public_key,
            "file": out,
        }))?;
    } else {
        outln!(
            "\n[[documents.keys]]\nid = \"{}\"\npublic_key = \"{}\"",
            entry.id,
            entry.public_key
        );
    }
    eprintln!(
        "anahtar {name} dosyasına yazıldı (gizli tutun); kurum ayarlarına yukarıdaki \
         [[documents.keys]] girdisini ekleyin, sunucuya --signing-key {name} verin"
    );
    Ok(())
}

fn tracking_number(s: &str) -> Result<TrackingNumber, String> {
    s.parse::<TrackingNumber>()
        .map_err(|e| format!("takip numarası: {e}"))
}

/// A document command's refusal in Turkish, naming the request, the unit or the number.
fn turkish(
    e: ServiceError,
    tr: &TrackingNumber,
    actor: &muhtar_core::access::Actor,
    org: &Organisation,
) -> String {
    match e {
        ServiceError::NotFound(_) => format!("{tr} takip numaralı talep yok ya da {actor} göremez"),
        ServiceError::Document(d) => match d {
            DocumentError::NoRegistry { unit } => {
                let name = muhtar_core::ids::UnitCode::new(unit.as_str())
                    .ok()
                    .and_then(|c| org.unit(&c))
                    .map_or_else(|| unit.clone(), |u| format!("{} ({unit})", u.name));
                format!(
                    "evrak kaydı yok: {name} biriminin ve üstündeki birimlerin DETSİS numarası \
                     yok (kurum dosyasında birime detsis = \"…\" ekleyin)"
                )
            }
            DocumentError::NotRouted => format!(
                "{tr} henüz bir birime yönlendirilmedi: evrak, birimin kayıt numarasıyla \
                 numaralanır"
            ),
            DocumentError::AlreadyRegistered { number } => {
                format!("{tr} zaten gelen evrak olarak kayıtlı: {number}")
            }
            DocumentError::NotAnswered => {
                format!("{tr} henüz cevaplanmadı: resmî yazı, talebin cevabından düzenlenir")
            }
            DocumentError::LetterIssued { number } => {
                format!("{tr} talebinin cevabı zaten resmî yazı olarak düzenlendi: {number}")
            }
            DocumentError::NoSigningKey => "belgeler imzalı olmalı ([documents] \
                 require_signature) ama sunucunun kurum ayarlarında geçerli bir imza anahtarı \
                 yok: --signing-key DOSYA (MUHTAR_SIGNING_KEY) verin ve anahtarı \
                 [[documents.keys]] içinde listeleyin"
                .to_owned(),
            d => d.to_string(),
        },
        e => e.to_string(),
    }
}

fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    outln!("{}", serde_json::to_string(v).map_err(|e| e.to_string())?);
    Ok(())
}

/// A document as `--json` prints it: its fields (content and signature bytes left out),
/// the direction's Turkish name, the date in Istanbul time, the signing key's id.
fn view(d: &Document) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "number": d.number,
        "direction": d.direction.as_str(),
        "direction_name": d.direction.display_name(),
        "date": d.date,
        "date_local": local_time(d.date),
        "registry": d.registry,
        "issuer": d.issuer,
        "subject": d.subject,
        "tracking": d.tracking,
        "external_number": d.external_number,
        "related": d.related,
        "code": d.code,
        "sha256": d.sha256,
        "signed_by": d.signature.as_ref().map(|s| s.key_id.as_str()),
    })
}

/// One labelled line, as `muhtar show` writes them.
fn line(label: &str, text: String) {
    outln!("{label:<13}{text}");
}

/// A document as people read it.
fn describe(d: &Document) {
    line("Sayı", d.number.to_string());
    line(
        "Tür",
        match d.direction {
            Direction::Incoming => "gelen evrak (kayıtlı talep)".to_owned(),
            _ => "giden evrak (cevap yazısı)".to_owned(),
        },
    );
    line("Tarih", local_time(d.date));
    line("Kurum", d.issuer.clone());
    line("Konu", d.subject.clone());
    line("Takip No", d.tracking.to_string());
    if let Some(n) = &d.external_number {
        line("Dilekçe no", n.clone());
    }
    if let Some(r) = &d.related {
        line("İlgi", r.to_string());
    }
    line("Doğrulama", d.code.to_string());
    line("SHA-256", d.sha256.clone());
    line(
        "İmza",
        match &d.signature {
            Some(s) => format!("anahtar {}", s.key_id),
            None => "imzasız".to_owned(),
        },
    );
}
