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
mod council_cmd;
mod council_decision_cmd;
mod council_meeting_cmd;
mod council_proposal_cmd;
mod db;
mod document_cmd;
mod kvkk_cmd;
mod notify_cmd;
mod org_file;
mod out;
mod policy_cmd;
mod report_cmd;
mod rules_cmd;
mod serve;
mod state_cmd;
mod token_cmd;
mod user_cmd;
mod works_cmd;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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
    /// Works and announcements of the units (which body does what, where): add, list,
    /// close, clashes.
    #[command(subcommand)]
    Works(works_cmd::WorksCmd),
    /// Official documents (resmî evrak): register a request, issue its answer as a
    /// letter, show and verify documents, make signing keys.
    #[command(subcommand)]
    Document(document_cmd::DocumentCmd),
    /// The neighbourhood council (mahalle meclisi) of a muhtarlık: its member roll and
    /// its votes, secret ballots with receipts, results recounted.
    #[command(subcommand)]
    Council(council_cmd::CouncilCmd),
}

/// The example rule set shipped with the binary.
const EXAMPLE_RULES: &str = include_str!("../data/rules.toml");

/// The example tenant settings shipped with the binary (policy rules).
const EXAMPLE_SETTINGS: &str = include_str!("../data/settings.toml");

/// The clap parser of a muhtar-core named enum (`Channel`, `CalendarView`, …): the
/// possible values shown in help are the stable names of its one name table; a value is
/// read by the enum's `FromStr` (older names still read), and an unknown one is refused
/// in one line listing the valid names ([`muhtar_core::names::UnknownName`]).
fn named_arg<T>(names: &'static [&'static str]) -> NamedArg<T>
where
    T: std::str::FromStr<Err = muhtar_core::names::UnknownName> + Clone + Send + Sync + 'static,
{
    NamedArg {
        names,
        value: std::marker::PhantomData,
    }
}

/// The parser [`named_arg`] makes.
#[derive(Clone)]
struct NamedArg<T> {
    names: &'static [&'static str],
    value: std::marker::PhantomData<fn() -> T>,
}

impl<T> clap::builder::TypedValueParser for NamedArg<T>
where
    T: std::str::FromStr<Err = muhtar_core::names::UnknownName> + Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg.and_then(|a| a.get_long()).unwrap_or("value");
        let text = value.to_string_lossy();
        text.parse::<T>().map_err(|e| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("--{flag}: {e}\n"),
            )
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.names
                .iter()
                .map(|n| clap::builder::PossibleValue::new(*n)),
        ))
    }
}

/// The settings file's name and text: `file`, or the shipped example.
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

/// The global options each subcommand ignores, hidden from its help (still accepted, so
/// `muhtar --as X cmd`, `muhtar cmd --as X` and `muhtar --json cmd` keep working):
/// `serve` acts as every token's holder and logs, it neither acts `--as` anyone nor
/// prints JSON; `holidays` and `deadline` need no database.
const IGNORED_GLOBALS: &[(&str, &[&str])] = &[
    ("serve", &["actor", "json"]),
    (
        "holidays",
        &[
            "db",
            "actor",
            "tenant",
            "json",
            "signing_key",
            "identity_key",
        ],
    ),
    (
        "deadline",
        &[
            "db",
            "actor",
            "tenant",
            "json",
            "signing_key",
            "identity_key",
        ],
    ),
];

/// The command line parser: [`Cli`] with [`IGNORED_GLOBALS`] hidden from the help of the
/// subcommands they do not apply to.
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (sub, ids) in IGNORED_GLOBALS {
        // A subcommand's own copy of a global option keeps clap from adding the shown
        // one; the copy is the same option (global, same default and environment
        // variable), only hidden.
        let hidden: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| ids.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        cmd = cmd.mut_subcommand(*sub, |s| s.args(hidden));
    }
    cmd
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let g = cli.global;
    let result = match cli.command {
        Cmd::Holidays(args) => calendar_cmd::run_holidays(args),
        Cmd::Deadline(args) => calendar_cmd::run_deadline(args),
        Cmd::Rules(args) if !args.uses_database() => rules_cmd::run(args),
        Cmd::Policy(args) if !args.uses_database() => policy_cmd::run(args),
        Cmd::Document(document_cmd::DocumentCmd::Key(k)) => document_cmd::key(&g, &k),
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
                    Cmd::Works(w) => works_cmd::run(&g, &w).await,
                    Cmd::Document(d) => document_cmd::run(&g, &d).await,
                    Cmd::Council(c) => council_cmd::run(&g, &c).await,
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
