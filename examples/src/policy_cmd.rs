//! `muhtar policy`: check the policy rules of a settings file (or the stored settings),
//! and explain why a request runs under its SLA policy.

use std::path::PathBuf;

use muhtar_core::org::Organisation;
use muhtar_core::routing::RoutingError;
use muhtar_core::settings::TenantSettings;
use muhtar_core::store::DocumentKind;

use crate::org_file;
use crate::state_cmd::{self, Global};

/// Arguments of `muhtar policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate the policy rules (`[[policy_rule]]`) of a settings file, or without FILE
    /// of the settings stored in the database: one problem per line, fails on errors.
    Check {
        /// The settings file (TOML); default: the stored settings.
        file: Option<PathBuf>,
        /// The organisation file (TOML); default: the shipped example organisation with
        /// FILE, the stored organisation without.
        #[arg(long, env = "MUHTAR_ORG")]
        org: Option<PathBuf>,
    },
    /// Why a request runs under its policy: the policy rule recorded at receipt, changes
    /// by staff, and how the rules in force now decide for it (JSON, with a summary).
    Explain {
        /// Tracking number.
        tracking: String,
    },
}

impl PolicyArgs {
    /// Whether the subcommand reads the database (else it works on files alone).
    pub fn uses_database(&self) -> bool {
        !matches!(self.command, PolicyCommand::Check { file: Some(_), .. })
    }
}

/// Runs `policy check FILE`.
pub fn run(args: PolicyArgs) -> Result<(), String> {
    match args.command {
        PolicyCommand::Check {
            file: Some(file),
            org,
        } => {
            let org = match org {
                Some(p) => org_file::load(Some(&p))?,
                None => org_file::load(None)?,
            };
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            check(&file.display().to_string(), &text, &org)
        }
        _ => Err("this subcommand needs the database".into()),
    }
}

/// Runs the `policy` subcommands that read the database.
pub async fn run_stored(g: &Global, args: PolicyArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    match args.command {
        PolicyCommand::Check { file: None, org } => {
            let doc = mbs
                .store()
                .document(&tenant, DocumentKind::Settings)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("tenant {tenant} has no stored settings"))?;
            let org = match org {
                Some(p) => org_file::load(Some(&p))?,
                None => mbs
                    .context(&tenant)
                    .await
                    .map_err(|e| e.to_string())?
                    .org
                    .clone(),
            };
            check(
                &format!("stored settings v{}", doc.version),
                &doc.body,
                &org,
            )
        }
        PolicyCommand::Explain { tracking } => {
            let actor = state_cmd::actor(g, &tenant)?;
            let tr = tracking
                .parse()
                .map_err(|e| format!("tracking number: {e}"))?;
            let ex = mbs
                .explain_policy(&actor, &tr)
                .await
                .map_err(|e| e.to_string())?;
            let s = serde_json::to_string_pretty(&ex).map_err(|e| format!("output: {e}"))?;
            outln!("{s}");
            Ok(())
        }
        other => run(PolicyArgs { command: other }),
    }
}

/// Checks the policy rules of the settings `text` (named `name`) against `org`.
fn check(name: &str, text: &str, org: &Organisation) -> Result<(), String> {
    let settings = TenantSettings::from_toml_str(text).map_err(|e| format!("{name}: {e}"))?;
    muhtar_notify::check_templates(&settings).map_err(|e| format!("{name}: {e}"))?;
    match settings.policy_rules(org) {
        Ok((rules, warnings)) => {
            for w in &warnings {
                outln!("{w}");
            }
            outln!(
                "ok: {} policy rule(s), default policy {}, {} warning(s)",
                rules.len(),
                rules.default_policy(),
                warnings.len()
            );
            Ok(())
        }
        Err(RoutingError::Invalid { problems }) => {
            for p in &problems {
                outln!("{p}");
            }
            let errors = problems.iter().filter(|p| p.is_error()).count();
            Err(format!("{name}: {errors} error(s)"))
        }
        Err(e) => Err(format!("{name}: {e}")),
    }
}
