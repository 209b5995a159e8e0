//! `muhtar kvkk`: personal data requests under KVKK (Law 6698): find a citizen's contact
//! data, and erase it. Administrators only (`--as admin`).

use clap::{Args, Subcommand};
use muhtar_core::request::Command;
use muhtar_core::service::ContactQuery;
use muhtar_core::tracking::TrackingNumber;

use crate::state_cmd::{self, Global};

/// `muhtar kvkk`.
#[derive(Debug, Clone, Args)]
pub struct KvkkArgs {
    #[command(subcommand)]
    action: KvkkAction,
}

#[derive(Debug, Clone, Subcommand)]
enum KvkkAction {
    /// Every request holding contact data that matches (JSON lines).
    Export {
        /// E-mail address (case-insensitive).
        #[arg(long)]
        email: Option<String>,
        /// Phone number (any usual Turkish form).
        #[arg(long)]
        phone: Option<String>,
        /// Full name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Erase the citizen contact of a request, from its state and its history.
    Erase {
        /// Tracking number.
        tracking: String,
    },
}

/// Runs `muhtar kvkk`.
pub async fn run(g: &Global, a: &KvkkArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let actor = state_cmd::actor(g, &tenant)?;
    match &a.action {
        KvkkAction::Export { email, phone, name } => {
            let found = mbs
                .personal_data(
                    &actor,
                    &ContactQuery {
                        email: email.clone(),
                        phone: phone.clone(),
                        name: name.clone(),
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            for p in found {
                outln!("{}", serde_json::to_string(&p).map_err(|e| e.to_string())?);
            }
            Ok(())
        }
        KvkkAction::Erase { tracking } => {
            let t: TrackingNumber = tracking
                .parse()
                .map_err(|e| format!("tracking number {tracking}: {e}"))?;
            let rec = mbs
                .execute(&actor, &t, None, Command::EraseContact)
                .await
                .map_err(|e| e.to_string())?;
            outln!(
                "erased the contact data of {} (history kept, version {})",
                rec.state.tracking,
                rec.state.version
            );
            Ok(())
        }
    }
}
