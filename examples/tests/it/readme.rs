//! README.md is executable truth: every `sh` block of it runs, in order, in one bash
//! process, on a fresh database, the way a reader pastes it from the repository root
//! (`muhtar` on the PATH, a server and an SMTP server in the background, tokens in shell
//! variables). Every command must succeed; a line whose comment says `# refused` must fail.
//! `curl` fails on an HTTP error status here (`--fail-with-body`), so a 403 or 404 in the
//! README is caught too.
//!
//! What the test changes, and why: `cargo run -p muhtar-examples -- ARGS` runs the
//! `muhtar` binary of this build and `cargo run -p muhtar-examples --example NAME` the
//! example's executable (the same programs without a second build); the ports 8080, 8090
//! and 2525 become free ones and `/tmp/mail` a folder of the test (parallel runs share
//! the machine). Two lines are not run: `bash .ci/run` (this test is part of it) and
//! `cargo install --path examples` (a release build of minutes; the binary under test is
//! put on the PATH instead).

use std::path::Path;
use std::process::Command;

use crate::common;

/// Lines the test does not run (the start of the command), with the reason in the module
/// documentation.
const NOT_RUN: [&str; 2] = ["bash .ci/run", "cargo install --path examples"];

/// One command of the README: its first line's number, its text (continuation lines
/// joined) and what the test expects of it.
#[derive(Debug)]
struct Step {
    line: usize,
    text: String,
    expect: Expect,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Success,
    Refusal,
    /// Runs in the background (`… &`); the next command waits until its port listens.
    Background,
    NotRun,
}

/// The commands of every `sh` block of `readme`, in order.
fn commands(readme: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in readme.lines().enumerate() {
        let trimmed = raw.trim();
        if !in_block {
            in_block = trimmed == "```sh";
            continue;
        }
        if trimmed == "```" {
            in_block = false;
            continue;
        }
        let (line, mut text) = pending.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                pending = Some((line, text));
                continue;
            }
            None => text.push_str(raw),
        }
        let code = without_comment(&text).trim().to_owned();
        if code.is_empty() {
            continue;
        }
        let comment = text[without_comment(&text).len()..].to_owned();
        let expect = if NOT_RUN.iter().any(|n| code.starts_with(n)) {
            Expect::NotRun
        } else if comment.contains("# refused") {
            Expect::Refusal
        } else if code.ends_with('&') {
            Expect::Background
        } else {
            Expect::Success
        };
        out.push(Step { line, text, expect });
    }
    out
}

/// `text` up to a `#` that starts a shell comment: outside quotes, at the start or after
/// white space.
fn without_comment(text: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &text[..i],
            _ => {}
        }
        prev = c;
    }
    text
}

/// `s` as one single-quoted shell word.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The ports the README names and the free ones the test uses instead.
struct Ports {
    serve: u16,
    portal: u16,
    smtp: u16,
}

/// The bash script of the README's commands, as the module documentation describes.
fn script(commands: &[Step], examples: &Path, ports: &Ports, mail: &Path) -> String {
    let mut s = String::from(
        "set -eo pipefail\n\
         wait_port() {\n\
         \x20 for _ in $(seq 1 600); do (exec 3<>\"/dev/tcp/127.0.0.1/$1\") 2>/dev/null && return 0; sleep 0.1; done\n\
         \x20 echo \"nothing listens on port $1\" >&2; return 1\n\
         }\n\
         trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n",
    );
    let mut run = 0;
    for c in commands {
        if c.expect == Expect::NotRun {
            continue;
        }
        let mut code = c
            .text
            .replace(
                "cargo run -p muhtar-examples --example ",
                &format!("{}/", examples.display()),
            )
            .replace("cargo run -p muhtar-examples -- ", "muhtar ")
            .replace("curl -s ", "curl -sS --fail-with-body ")
            .replace(":8080", &format!(":{}", ports.serve))
            .replace(":8090", &format!(":{}", ports.portal))
            .replace("2525", &ports.smtp.to_string())
            .replace("/tmp/mail", &mail.display().to_string());
        s.push_str(&format!(
            "printf '[%ss] %s\\n' \"$SECONDS\" {} >&2\n",
            quoted(&format!("+ README.md:{}: {}", c.line, c.text.trim()))
        ));
        match c.expect {
            Expect::Refusal => s.push_str(&format!(
                "if {code}\nthen echo 'README.md:{}: expected a refusal' >&2; exit 1; fi\n",
                c.line
            )),
            Expect::Background => {
                let port = if code.contains("smtp_sink") {
                    ports.smtp
                } else if code.contains("portal") {
                    ports.portal
                } else {
                    ports.serve
                };
                code.push('\n');
                s.push_str(&code);
                s.push_str(&format!("wait_port {port}\n"));
            }
            _ => {
                s.push_str(&code);
                s.push('\n');
            }
        }
        run += 1;
    }
    s.push_str(&format!("echo \"README: {run} commands ran\"\n"));
    s
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// The README's commands: only the two documented lines are left out, and the refusal
/// and background lines are the ones the text says.
#[test]
fn the_readme_test_leaves_out_only_the_ci_and_install_lines() {
    let cmds = commands(&readme());
    let not_run: Vec<&str> = cmds
        .iter()
        .filter(|c| c.expect == Expect::NotRun)
        .map(|c| without_comment(&c.text).trim())
        .collect();
    assert_eq!(
        not_run,
        ["bash .ci/run", "cargo install --path examples --locked"]
    );
    assert!(cmds.len() > 60, "{} commands", cmds.len());
    let refused: Vec<usize> = cmds
        .iter()
        .filter(|c| c.expect == Expect::Refusal)
        .map(|c| c.line)
        .collect();
    assert_eq!(refused.len(), 9, "{refused:?}");
    assert_eq!(
        without_comment("a \"b # c\" 'd # e' # f"),
        "a \"b # c\" 'd # e' "
    );
    assert_eq!(without_comment("curl x#y"), "curl x#y");
}

/// Every `sh` block of README.md, in order, on a fresh database: no command fails, the
/// refused ones are refused.
#[test]
fn every_command_of_the_readme_runs_in_order_on_a_fresh_database() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // The reader stands in the repository root: the files the README names are there,
    // what the commands write goes to the test's folder.
    for name in ["examples", "muhtar-notify"] {
        std::os::unix::fs::symlink(repo.join(name), dir.join(name)).unwrap();
    }
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_muhtar"), bin.join("muhtar")).unwrap();
    let examples = dir.join("example-bin");
    std::fs::create_dir(&examples).unwrap();
    for name in ["embed", "portal"] {
        std::fs::copy(common::example_executable(name), examples.join(name)).unwrap();
    }
    let mail = dir.join("mail");
    let ports = Ports {
        serve: common::free_port(),
        portal: common::free_port(),
        smtp: common::free_port(),
    };
    let text = script(&commands(&readme()), &examples, &ports, &mail);
    std::fs::write(dir.join("readme.sh"), &text).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["240", "bash", "readme.sh"])
        .current_dir(dir)
        .env("PATH", path)
        .env("MUHTAR_BIND", format!("127.0.0.1:{}", ports.serve))
        .env("PORTAL_BIND", format!("127.0.0.1:{}", ports.portal))
        .env("PORTAL_DIR", dir.join("portal"))
        .env("MUHTAR_LOG", "warn")
        .env_remove("MUHTAR_DB")
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .env_remove("MUHTAR_SMTP_URL")
        .env_remove("MUHTAR_MAIL_FROM")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The whole trace (each command with the second it started at), shown on failure or
    // with `--no-capture`.
    eprintln!("{stderr}");
    let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
    assert!(
        out.status.success(),
        "the README failed ({}); the last lines, newest first:\n{}",
        out.status,
        tail.join("\n")
    );
    assert!(stdout.contains("commands ran"), "{stdout}");
}

/// The subcommands `muhtar --help` lists.
fn subcommands() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .arg("--help")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The subcommand a `` `muhtar …` `` span of documentation names: the first word after the
/// global options (`--as X`, `--db X`, `--tenant X`, `--json`).
fn named_subcommand(span: &str) -> Option<&str> {
    let mut words = span.split_whitespace().skip(1);
    while let Some(w) = words.next() {
        match w {
            "--as" | "--db" | "--tenant" => {
                words.next();
            }
            w if w.starts_with('-') => {}
            // A placeholder (`muhtar <command>`) names none.
            w if w.starts_with('<') => return None,
            w => return Some(w),
        }
    }
    None
}

/// Every `` `muhtar <command> …` `` the documentation and the shipped data files mention
/// is a command of the binary (`muhtar org check` once was not).
#[test]
fn every_command_the_documentation_names_exists() {
    let known = subcommands();
    assert!(known.iter().any(|c| c == "report"), "{known:?}");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files: Vec<std::path::PathBuf> = ["README.md", "ARCHITECTURE.md", "RELIABILITY.md"]
        .iter()
        .map(|f| repo.join(f))
        .collect();
    for dir in ["docs", "examples/data"] {
        if let Ok(entries) = std::fs::read_dir(repo.join(dir)) {
            files.extend(
                entries.map(|e| e.unwrap().path()).filter(|p| {
                    matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "toml"))
                }),
            );
        }
    }
    let mut unknown = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, span) in text.split('`').enumerate() {
            // Odd pieces are inside backticks.
            if i % 2 == 1 && span.starts_with("muhtar ") {
                if let Some(cmd) = named_subcommand(span) {
                    if !known.iter().any(|k| k == cmd) {
                        unknown.push(format!("{}: `{span}`", file.display()));
                    }
                }
            }
        }
    }
    assert!(unknown.is_empty(), "no such command: {unknown:#?}");
    assert_eq!(
        named_subcommand("muhtar --as official report sign"),
        Some("report")
    );
}
