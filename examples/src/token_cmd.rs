//! `muhtar token create | list | revoke`: API tokens for the HTTP server.

use clap::Subcommand;
use muhtar_http::tokens;

use crate::state_cmd::{self, Global};

/// `muhtar token`.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCmd {
    /// Create a token for the actor given by `--as` and print its secret (shown once).
    Create {
        /// A label: who or what uses the token.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the tenant's tokens (never their secrets).
    List,
    /// Revoke a token by its id.
    Revoke {
        /// The token's id (from `muhtar token list`).
        id: uuid::Uuid,
    },
}

/// Runs a `muhtar token` command.
pub async fn run(g: &Global, cmd: &TokenCmd) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let store = mbs.store();
    match cmd {
        TokenCmd::Create { name } => {
            let actor = state_cmd::actor(g, &tenant)?;
            let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
            let (token, secret) =
                tokens::issue(store.as_ref(), &ctx.org, &actor, name, state_cmd::now())
                    .await
                    .map_err(|e| match e {
                        tokens::IssueError::UnknownMuhtarlik(_)
                        | tokens::IssueError::UnknownUnit(_) => format!("--as: {e}"),
                        e => e.to_string(),
                    })?;
            if g.json {
                outln!(
                    "{}",
                    serde_json::json!({"id": token.id, "actor": token.actor, "tenant": token.tenant, "token": secret})
                );
            } else {
                eprintln!(
                    "token {} for {} (tenant {}); the secret is shown only now:",
                    token.id, token.actor, token.tenant
                );
                outln!("{secret}");
            }
        }
        TokenCmd::List => {
            let tokens = store.tokens(&tenant).await.map_err(|e| e.to_string())?;
            if g.json {
                outln!(
                    "{}",
                    serde_json::to_string(
                        &tokens
                            .iter()
                            .map(|t| serde_json::json!({"id": t.id, "actor": t.actor, "name": t.name, "created_at": t.created_at, "revoked_at": t.revoked_at}))
                            .collect::<Vec<_>>()
                    )
                    .map_err(|e| e.to_string())?
                );
            } else {
                outln!("{:<36}  {:<28} {:<25} NAME", "ID", "ACTOR", "REVOKED");
                for t in &tokens {
                    outln!(
                        "{:<36}  {:<28} {:<25} {}",
                        t.id,
                        t.actor,
                        t.revoked_at
                            .map(|r| r.format("%Y-%m-%d %H:%M:%S").to_string())
                            .unwrap_or_else(|| "-".into()),
                        t.name
                    );
                }
            }
        }
        TokenCmd::Revoke { id } => {
            store
                .revoke_token(&tenant, *id, state_cmd::now())
                .await
                .map_err(|e| e.to_string())?;
            outln!("token {id} revoked");
        }
    }
    Ok(())
}
