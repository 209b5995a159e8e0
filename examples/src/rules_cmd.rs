//! `muhtar rules`: check a routing rule file, or explain how it routes one request.

use std::io::Read;
use std::path::{Path, PathBuf};

use muhtar_core::org::Organisation;
use muhtar_core::request::NewRequest;
use muhtar_core::routing::{Decision, RoutingError, RuleSet};
use serde::Serialize;

/// The example organisation, used when `--org` is not given.
pub const EXAMPLE_ORG: &str = include_str!("../data/org.toml");

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
    /// Validate a rule file: prints one problem per line, fails on errors.
    Check {
        /// The rule file (TOML).
        file: PathBuf,
        /// The organisation file (TOML); default: the shipped example organisation.
        #[arg(long, env = "MUHTAR_ORG")]
        org: Option<PathBuf>,
    },
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

/// Runs a `rules` subcommand. Output goes to standard output; the error is one line for
/// standard error (the caller exits non-zero).
pub fn run(args: RulesArgs) -> Result<(), String> {
    match args.command {
        RulesCommand::Check { file, org } => check(&file, org.as_deref()),
        RulesCommand::Explain { file, org, request } => explain(&file, org.as_deref(), &request),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_org(path: Option<&Path>) -> Result<Organisation, String> {
    let (name, text) = match path {
        Some(p) => (p.display().to_string(), read(p)?),
        None => ("example organisation".to_owned(), EXAMPLE_ORG.to_owned()),
    };
    Organisation::from_toml_str(&text).map_err(|e| format!("{name}: {e}"))
}

fn check(file: &Path, org: Option<&Path>) -> Result<(), String> {
    let org = load_org(org)?;
    let text = read(file)?;
    match RuleSet::from_toml_str(&text, &org) {
        Ok((rules, warnings)) => {
            for w in &warnings {
                println!("{w}");
            }
            println!(
                "ok: {} rule(s), version {}, {} warning(s)",
                rules.len(),
                rules.version_label(),
                warnings.len()
            );
            Ok(())
        }
        Err(RoutingError::Invalid { problems }) => {
            for p in &problems {
                println!("{p}");
            }
            let errors = problems.iter().filter(|p| p.is_error()).count();
            Err(format!("{}: {errors} error(s)", file.display()))
        }
        Err(e) => Err(format!("{}: {e}", file.display())),
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
    println!("{s}");
    Ok(())
}
