//! `muhtar rules`: check a routing rule file or the stored rule set, show the rule set
//! in force, or explain how a rule file routes one request.

use std::io::Read;
use std::path::{Path, PathBuf};

use muhtar_core::org::Organisation;
use muhtar_core::request::NewRequest;
use muhtar_core::routing::{Decision, RoutingError, RuleSet};
use muhtar_core::store::DocumentKind;
use serde::Serialize;

use crate::state_cmd::{self, Global};

/// Arguments of `muhtar rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// The `rules` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Validate a rule file, or without FILE the rule set stored in the database
    /// (`--db`, `--tenant`): prints one problem per line, fails on errors.
    Check {
        /// The rule file (TOML); default: the stored rule set.
        file: Option<PathBuf>,
        /// The organisation file (TOML); default: the shipped example organisation with
        /// FILE, the stored organisation without (so `muhtar rules check --org new.toml`
        /// tells whether the stored rules survive an organisation change).
        #[arg(long, env = "MUHTAR_ORG")]
        org: Option<PathBuf>,
    },
    /// The rule set stored in the database (`--db`, `--tenant`): its version, and
    /// whether it is in force or, no longer validating against the organisation, every
    /// request goes to the fallback unit, and why.
    Show,
    /// Route one request and print the decision and its explanation as JSON.
    Explain {
        /// The rule file (TOML).
        file: PathBuf,
        /// The organisation file (TOML); default: the shipped example organisation.
        #[arg(long, env = "MUHTAR_ORG")]
        org: Option<PathBuf>,
        /// The request: a JSON file holding a `NewRequest`, or `-` for standard input.
        #[arg(long)]
        request: String,
    },
}

impl RulesArgs {
    /// Whether the subcommand reads the database (else it works on files alone).
    pub fn uses_database(&self) -> bool {
        matches!(
            self.command,
            RulesCommand::Show | RulesCommand::Check { file: None, .. }
        )
    }
}

/// Runs a `rules` subcommand on files. Output goes to standard output; the error is one
/// line for standard error (the caller exits non-zero).
pub fn run(args: RulesArgs) -> Result<(), String> {
    match args.command {
        RulesCommand::Check {
            file: Some(file),
            org,
        } => {
            let org = load_org(org.as_deref())?;
            check(&file.display().to_string(), &read(&file)?, &org)
        }
        RulesCommand::Explain { file, org, request } => explain(&file, org.as_deref(), &request),
        RulesCommand::Check { file: None, .. } | RulesCommand::Show => {
            Err("this subcommand needs the database".into())
        }
    }
}

/// Runs a `rules` subcommand on the database: `show`, and `check` without a file.
pub async fn run_stored(g: &Global, args: RulesArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let stored = mbs
        .store()
        .document(&tenant, DocumentKind::RuleSet)
        .await
        .map_err(|e| e.to_string())?;
    match args.command {
        RulesCommand::Check { file: None, org } => {
            let doc = stored.ok_or_else(|| format!("tenant {tenant} has no stored rule set"))?;
            let org = match org {
                Some(p) => load_org(Some(&p))?,
                None => mbs
                    .context(&tenant)
                    .await
                    .map_err(|e| e.to_string())?
                    .org
                    .clone(),
            };
            check(
                &format!("stored rule set v{}", doc.version),
                &doc.body,
                &org,
            )
        }
        RulesCommand::Show => {
            let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
            let view = Shown {
                tenant: tenant.as_str(),
                document_version: ctx.rules_version,
                organisation_version: ctx.org_version,
                version: ctx.rules.version_label(),
                rules: ctx.rules.len(),
                fallback: ctx.rules.fallback().as_str(),
                in_force: ctx.rules_problem.is_none(),
                problem: ctx.rules_problem.as_ref().map(ToString::to_string),
                problems: ctx
                    .rules_problem
                    .as_ref()
                    .map(problem_lines)
                    .unwrap_or_default(),
            };
            if g.json {
                let s = serde_json::to_string(&view).map_err(|e| e.to_string())?;
                outln!("{s}");
            } else {
                out!("{}", view.text());
            }
            Ok(())
        }
        _ => run(args),
    }
}

/// What `rules show` prints.
#[derive(Serialize)]
struct Shown<'a> {
    tenant: &'a str,
    /// The stored rule set's document version (0: none).
    document_version: u32,
    organisation_version: u32,
    /// The version label routed requests record.
    version: &'a str,
    rules: usize,
    fallback: &'a str,
    /// False when the stored rule set no longer validates against the organisation.
    in_force: bool,
    problem: Option<String>,
    problems: Vec<String>,
}

impl Shown<'_> {
    fn text(&self) -> String {
        let mut out = if self.document_version == 0 {
            format!(
                "tenant {}: no rule set installed; every request goes to the fallback unit {}\n",
                self.tenant, self.fallback
            )
        } else if self.in_force {
            format!(
                "tenant {}: rule set v{} ({}) in force: {} rule(s), fallback {}\n",
                self.tenant, self.document_version, self.version, self.rules, self.fallback
            )
        } else {
            format!(
                "tenant {}: rule set v{} is NOT in force: it does not validate against \
                 organisation v{}, so every request goes to the fallback unit {}\n",
                self.tenant, self.document_version, self.organisation_version, self.fallback
            )
        };
        for p in &self.problems {
            out.push_str(p);
            out.push('\n');
        }
        out
    }
}

/// One line per problem of a rule set that does not validate.
pub fn problem_lines(e: &RoutingError) -> Vec<String> {
    match e {
        RoutingError::Invalid { problems } => problems.iter().map(ToString::to_string).collect(),
        other => vec![format!("error: {other}")],
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_org(path: Option<&Path>) -> Result<Organisation, String> {
    crate::org_file::load(path)
}

/// Checks the rule set `text` (named `name` in messages) against `org`.
fn check(name: &str, text: &str, org: &Organisation) -> Result<(), String> {
    match RuleSet::from_toml_str(text, org) {
        Ok((rules, warnings)) => {
            for w in &warnings {
                outln!("{w}");
            }
            outln!(
                "ok: {} rule(s), version {}, {} warning(s)",
                rules.len(),
                rules.version_label(),
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

/// What `explain` prints.
#[derive(Serialize)]
struct Explained<'a> {
    #[serde(flatten)]
    decision: &'a Decision,
    summary: Vec<String>,
}

fn explain(file: &Path, org: Option<&Path>, request: &str) -> Result<(), String> {
    let org = load_org(org)?;
    let text = read(file)?;
    let (rules, _) = RuleSet::from_toml_str(&text, &org).map_err(|e| match e {
        RoutingError::Invalid { problems } => format!(
            "{}: {}",
            file.display(),
            problems
                .iter()
                .filter(|p| p.is_error())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        e => format!("{}: {e}", file.display()),
    })?;
    let json = if request == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("standard input: {e}"))?;
        s
    } else {
        read(Path::new(request))?
    };
    let new: NewRequest = serde_json::from_str(&json).map_err(|e| format!("request: {e}"))?;
    let content = new
        .validate(&org, chrono::Utc::now())
        .map_err(|e| format!("request: {e}"))?;
    let decision = rules.decide(&org, &content);
    let out = Explained {
        summary: decision.explanation.lines(),
        decision: &decision,
    };
    let s = serde_json::to_string_pretty(&out).map_err(|e| format!("output: {e}"))?;
    outln!("{s}");
    Ok(())
}
