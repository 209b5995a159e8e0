//! `muhtar user add | passwd | disable | list`: the accounts people log in to the web
//! pages with (machines use `muhtar token`). Passwords are read from standard input, one
//! line, never from the command line (it would stay in the shell's history and in `ps`).
//!
//! The command acts as the tenant's administrator: whoever holds the database manages its
//! users, as with `muhtar token`. Everything else is `Mbs`'s (`add_user`, `set_password`,
//! `disable_user`, `users`).

use std::io::BufRead;

use clap::Subcommand;
use muhtar_core::access::{Actor, Role};
use muhtar_core::account::User;
use muhtar_core::request::sheet::local_time;
use muhtar_core::service::NewUser;

use crate::state_cmd::{self, Global};

/// `muhtar user`.
#[derive(Debug, Clone, Subcommand)]
pub enum UserCmd {
    /// Add a user acting as `--as` (muhtar:CODE, unit:CODE, coordinator, official,
    /// auditor, admin); the password is read from standard input (one line, at least 10
    /// characters).
    Add {
        /// The user name (a-z, 0-9, '.', '-', '_'; case does not matter).
        name: String,
        /// The name shown on the pages (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a user's password, read from standard input; their sessions end.
    Passwd {
        /// The user name.
        name: String,
    },
    /// Disable a user: they can no longer log in and their sessions end at once.
    Disable {
        /// The user name.
        name: String,
    },
    /// List the tenant's users (never their passwords or hashes).
    List,
}

/// The password on standard input: its first line, without the line ending.
fn read_password() -> Result<String, String> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Parola (password): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err("no password on standard input (one line: `echo '…' | muhtar user …`)".into());
    }
    Ok(line.to_owned())
}

fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({
        "id": u.id,
        "name": u.name,
        "actor": u.actor,
        "display_name": u.display_name,
        "created_at": u.created_at,
        "password_changed_at": u.password_changed_at,
        "disabled_at": u.disabled_at,
    })
}

/// Runs a `muhtar user` command.
pub async fn run(g: &Global, cmd: &UserCmd) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let admin = Actor::new(tenant.clone(), "cli", Role::Administrator);
    let err = |e: muhtar_core::service::ServiceError| e.to_string();
    match cmd {
        UserCmd::Add { name, display_name } => {
            let password = read_password()?;
            let mut new = NewUser::new(name.as_str(), g.actor.as_str(), password);
            if let Some(d) = display_name {
                new = new.display_name(d.as_str());
            }
            let u = mbs.add_user(&admin, new).await.map_err(err)?;
            if g.json {
                outln!("{}", user_json(&u));
            } else {
                outln!(
                    "kullanıcı {} eklendi: {} ({})",
                    u.name,
                    u.actor,
                    u.display_name
                );
            }
        }
        UserCmd::Passwd { name } => {
            let password = read_password()?;
            mbs.set_password(&admin, name, None, &password)
                .await
                .map_err(err)?;
            outln!("kullanıcı {name}: parola değişti, oturumları sona erdi");
        }
        UserCmd::Disable { name } => {
            let u = mbs.disable_user(&admin, name).await.map_err(err)?;
            outln!("kullanıcı {} kapatıldı, oturumları sona erdi", u.name);
        }
        UserCmd::List => {
            let users = mbs.users(&admin).await.map_err(err)?;
            if g.json {
                let list: Vec<_> = users.iter().map(user_json).collect();
                outln!("{}", serde_json::Value::Array(list));
            } else {
                outln!(
                    "{:<20} {:<32} {:<24} {:<16} EKLENDİ",
                    "KULLANICI",
                    "ROL",
                    "AD",
                    "KAPATILDI"
                );
                for u in &users {
                    outln!(
                        "{:<20} {:<32} {:<24} {:<16} {}",
                        u.name,
                        u.actor,
                        u.display_name,
                        u.disabled_at.map(local_time).unwrap_or_else(|| "-".into()),
                        local_time(u.created_at)
                    );
                }
            }
        }
    }
    Ok(())
}
