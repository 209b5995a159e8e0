//! The `muhtar` binary: the Muhtar Bilgi Sistemi from the command line.

/// `println!` for standard output that may be a closed pipe ([`out::write`]).
macro_rules! outln {
    () => { $crate::out::write(format_args!(""), true) };
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), true) };
}

/// `print!` for standard output that may be a closed pipe ([`out::write`]).
macro_rules! out {
    ($($t:tt)*) => { $crate::out::write(format_args!($($t)*), false) };
}

mod calendar_cmd;
mod db;
mod kvkk_cmd;
mod notify_cmd;
mod out;
mod policy_cmd;
mod report_cmd;
mod rules_cmd;
mod serve;
mod state_cmd;
mod token_cmd;
mod user_cmd;

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
    /// List requests, urgent (İVEDİ) first, then earliest deadline.
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
    /// Check a routing rule set, or explain how it routes a request.
    Rules(rules_cmd::RulesArgs),
    /// Check the policy rules of a settings file, or explain why a request runs under
    /// its SLA policy.
    Policy(policy_cmd::PolicyArgs),
    /// The quarterly report (Genelge 2015/8 item 7): draft, sign-off, signed reports.
    Report(report_cmd::ReportArgs),
    /// Run the HTTP server: REST API, Open311 GeoReport v2, dispatcher and sweeper.
    Serve(serve::ServeArgs),
    /// API tokens for the HTTP server: create (as `--as`), list, revoke.
    #[command(subcommand)]
    Token(token_cmd::TokenCmd),
    /// Personal data requests (KVKK): export or erase a citizen's contact data.
    Kvkk(kvkk_cmd::KvkkArgs),
    /// Web page users: add (as `--as`, password on standard input), passwd, disable, list.
    #[command(subcommand)]
    User(user_cmd::UserCmd),
}

/// The example rule set shipped with the binary.
const EXAMPLE_RULES: &str = include_str!("../data/rules.toml");

/// The example tenant settings shipped with the binary (policy rules).
const EXAMPLE_SETTINGS: &str = include_str!("../data/settings.toml");

/// The settings file's name and text: `file`, or the shipped example.
/// The clap parser of a muhtar-core named enum (`Channel`, `CalendarView`, …): the
/// possible values (in help and errors) are the stable names of its one name table.
fn named_arg<T>(names: &'static [&'static str]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = muhtar_core::names::UnknownName> + Clone + Send + Sync + 'static,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names).try_map(|s| s.parse::<T>())
}

fn settings_text(file: Option<&std::path::Path>) -> Result<(String, String), String> {
    match file {
        Some(p) => Ok((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        )),
        None => Ok((
            "the example settings".to_owned(),
            EXAMPLE_SETTINGS.to_owned(),
        )),
    }
}

/// The rule file's name and text: `file`, or the shipped example.
fn rules_text(file: Option<&std::path::Path>) -> Result<(String, String), String> {
    match file {
        Some(p) => Ok((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        )),
        None => Ok(("the example rule set".to_owned(), EXAMPLE_RULES.to_owned())),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let g = cli.global;
    let result = match cli.command {
        Cmd::Holidays(args) => calendar_cmd::run_holidays(args),
        Cmd::Deadline(args) => calendar_cmd::run_deadline(args),
        Cmd::Rules(args) if !args.uses_database() => rules_cmd::run(args),
        Cmd::Policy(args) if !args.uses_database() => policy_cmd::run(args),
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
                    Cmd::Report(a) => report_cmd::run(&g, &a).await,
                    Cmd::Serve(a) => serve::run(&g, &a).await,
                    Cmd::Token(t) => token_cmd::run(&g, &t).await,
                    Cmd::Kvkk(a) => kvkk_cmd::run(&g, &a).await,
                    Cmd::User(u) => user_cmd::run(&g, &u).await,
                    Cmd::Rules(a) => rules_cmd::run_stored(&g, a).await,
                    Cmd::Policy(a) => policy_cmd::run_stored(&g, a).await,
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
