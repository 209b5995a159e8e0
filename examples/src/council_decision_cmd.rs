//! `muhtar council decision send VOTE --category C [--kind request|suggestion]
//! [--belediye-meclisi]`: a closed vote's adopted decision sent to a public body as a
//! request of the muhtarlık (channel `mahalle-meclisi`, the decision attached as a PDF;
//! `Mbs::send_decision`). The PDF is stored in the uploads directory (`--uploads`,
//! `MUHTAR_UPLOADS`, as `muhtar serve`'s) so the request's attachment can be served;
//! sending again after a send cut off stores it again and names the request. Also the
//! decision's status as `muhtar council vote result` prints it ([`print_status`]).

use clap::{Args, Subcommand};
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_time;
use muhtar_core::council::{CouncilError, DecisionSpec, VoteId};
use muhtar_core::request::{InputError, RequestKind};
use muhtar_core::service::{DecisionStatus, ServiceError};
use muhtar_http::uploads::{Content, FsUploads, UploadStore};

use crate::council_cmd::print_json;
use crate::state_cmd::{self, Global};

/// `muhtar council decision`.
#[derive(Debug, Clone, Subcommand)]
pub enum DecisionCmd {
    /// Send a closed vote's adopted decision as a request of the muhtarlık (the muhtar);
    /// prints the request's tracking number.
    Send(SendArgs),
}

/// `muhtar council decision send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// The vote's id.
    pub vote: String,
    /// The category (a code of the organisation).
    #[arg(long)]
    pub category: String,
    /// request (Talep, default) or suggestion (Öneri).
    #[arg(long, default_value = "request")]
    pub kind: String,
    /// The subject (default: the vote's title).
    #[arg(long)]
    pub subject: Option<String>,
    /// The description (default: the vote's title and result).
    #[arg(long)]
    pub description: Option<String>,
    /// For the municipal council's agenda (belediye meclisi gündemi).
    #[arg(long = "belediye-meclisi")]
    pub municipal_council: bool,
    /// Directory of uploaded photos and documents (as `muhtar serve --uploads`).
    #[arg(long, env = "MUHTAR_UPLOADS", default_value = state_cmd::DEFAULT_UPLOADS)]
    pub uploads: std::path::PathBuf,
}

fn vote_id(text: &str) -> Result<VoteId, String> {
    text.parse()
        .map_err(|_| format!("{text:?} bir oylama numarası değil (muhtar council vote list)"))
}

/// Runs a `muhtar council decision` command.
pub async fn run(
    g: &Global,
    mbs: &state_cmd::Service,
    actor: &Actor,
    cmd: &DecisionCmd,
) -> Result<(), String> {
    let DecisionCmd::Send(a) = cmd;
    let vote = vote_id(&a.vote)?;
    let kind: RequestKind = a.kind.parse().map_err(|_| {
        format!(
            "--kind: {:?} geçerli değil; geçerli olanlar: request (Talep), suggestion (Öneri)",
            a.kind
        )
    })?;
    let mut spec = DecisionSpec::new(a.category.clone())
        .kind(kind)
        .municipal_council(a.municipal_council);
    if let Some(s) = &a.subject {
        spec = spec.subject(s.clone());
    }
    if let Some(d) = &a.description {
        spec = spec.description(d.clone());
    }
    let store = uploads(&a.uploads)?;
    match mbs.send_decision(actor, vote, spec).await {
        Ok(sent) => {
            let at = &sent.document.attachment;
            store
                .put(
                    &at.sha256,
                    &at.media_type,
                    &Content::from_bytes(sent.document.bytes),
                )
                .await
                .map_err(|e| {
                    format!(
                        "karar belgesi {} içine yazılamadı: {e}",
                        a.uploads.display()
                    )
                })?;
            if g.json {
                let status = mbs.decision_status(actor, vote).await.map_err(turkish)?;
                return print_json(&status);
            }
            outln!("{}", sent.link.tracking);
            Ok(())
        }
        Err(e @ ServiceError::Council(CouncilError::DecisionSent { .. })) => {
            // A send cut off after the request was written: its document stored now.
            if let Ok(Some(doc)) = mbs.decision_document(actor, vote).await {
                let at = &doc.attachment;
                let _ = store
                    .put(&at.sha256, &at.media_type, &Content::from_bytes(doc.bytes))
                    .await;
            }
            Err(turkish(e))
        }
        Err(e) => Err(turkish(e)),
    }
}

fn uploads(dir: &std::path::Path) -> Result<FsUploads, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{} oluşturulamadı: {e}", dir.display()))?;
    Ok(FsUploads::new(dir.to_path_buf()))
}

/// A refusal in Turkish.
fn turkish(e: ServiceError) -> String {
    match e {
        ServiceError::Council(CouncilError::NotAdopted { result }) => {
            format!("oylamada kabul edilen bir karar yok, gönderilemez: {result}")
        }
        ServiceError::Council(CouncilError::DecisionSent { tracking }) => format!(
            "bu oylamanın kararı zaten gönderildi: {tracking} takip numaralı talep \
             (muhtar council vote result)"
        ),
        ServiceError::Council(CouncilError::StillRunning { closes_at }) => format!(
            "oylama sürüyor ya da kapatılmadı: {closes_at} (İstanbul saati) kapanır; karar \
             kapatılan oylamadan gönderilir (muhtar council vote close)"
        ),
        ServiceError::Input(InputError::Unknown {
            field: "category",
            value,
            valid,
        }) => format!(
            "--category: {value:?} adında bir kategori yok; geçerli olanlar: {}",
            valid.join(", ")
        ),
        ServiceError::NotFound(_) => "oylama bulunamadı (muhtar council vote list)".into(),
        e => e.to_string(),
    }
}

/// The decision's status under a vote's result (`muhtar council vote result`).
pub fn print_status(d: &DecisionStatus) {
    outln!(
        "Talep        {} ({} gönderildi){}",
        d.tracking,
        local_time(d.sent_at),
        if d.municipal_council {
            "; belediye meclisi gündemi"
        } else {
            ""
        }
    );
    let mut status = d.request.status_name.clone();
    if let Some(o) = &d.request.outcome_name {
        status.push_str(&format!(", {o}"));
    }
    if let Some(u) = &d.request.unit_name {
        status.push_str(&format!(" ({u})"));
    }
    outln!("Durum        {status}");
    if let Some(a) = &d.answer {
        outln!("Cevap        {a}");
    }
}
