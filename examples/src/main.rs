//! The `muhtar` binary.

mod calendar_cmd;

use clap::{Parser, Subcommand};

/// Muhtar Bilgi Sistemi command line.
#[derive(Debug, Parser)]
#[command(name = "muhtar", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Official holidays of a year (CSV or JSON).
    Holidays(calendar_cmd::HolidaysArgs),
    /// Deadline of a request (JSON lines).
    Deadline(calendar_cmd::DeadlineArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Holidays(args) => calendar_cmd::run_holidays(args),
        Command::Deadline(args) => calendar_cmd::run_deadline(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
