//! The `muhtar` binary.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod rules_cmd;

/// Muhtar Bilgi Sistemi command line.
#[derive(Debug, Parser)]
#[command(name = "muhtar", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Routing rules: check a rule file, explain a decision.
    Rules(rules_cmd::RulesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rules(args) => rules_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
