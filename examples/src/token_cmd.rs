//! `muhtar token create | list | revoke`: API tokens for the HTTP server.

use clap::Subcommand;
use muhtar_core::store::Store;
use muhtar_core::token::{hash_secret, ApiToken};

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

/// Prefix of every secret, so that leaked tokens are easy to recognise and search for.
pub const SECRET_PREFIX: &str = "mbs_";

/// A new random secret (32 bytes of OS randomness, hex) and a random token id.
pub fn new_secret() -> Result<(uuid::Uuid, String), String> {
    let mut bytes = [0u8; 48];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[32..]);
    let id = uuid::Builder::from_random_bytes(id).into_uuid();
    Ok((id, format!("{SECRET_PREFIX}{}", hex::encode(&bytes[..32]))))
}

/// Creates and stores a token for `actor`; returns it and its secret.
pub async fn create(
    store: &dyn Store,
    actor: &muhtar_core::access::Actor,
    name: &str,
) -> Result<(ApiToken, String), String> {
    let (id, secret) = new_secret()?;
    // Without an explicit `@user`, events record which token acted.
    let mut actor = actor.clone();
    if actor.to_string() == format!("{}@{}", actor.user, actor.user) {
        actor.user = format!("token-{}", &id.simple().to_string()[..8]);
    }
    let created_at = chrono::DateTime::from_timestamp_micros(state_cmd::now().timestamp_micros())
        .unwrap_or_else(state_cmd::now);
    let token = ApiToken {
        id,
        tenant: actor.tenant.clone(),
        actor: actor.to_string(),
        name: name.to_owned(),
        hash: hash_secret(&secret),
        created_at,
        revoked_at: None,
    };
    store
        .create_token(&token)
        .await
        .map_err(|e| e.to_string())?;
    Ok((token, secret))
}

/// Runs a `muhtar token` command.
pub async fn run(g: &Global, cmd: &TokenCmd) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let store = mbs.store();
    match cmd {
        TokenCmd::Create { name } => {
            let actor = state_cmd::actor(g, &tenant)?;
            // The organisation must know the muhtarlık or unit the token acts for.
            let ctx = mbs.context(&tenant).await.map_err(|e| e.to_string())?;
            match &actor.role {
                muhtar_core::access::Role::Muhtar(m) if ctx.org.muhtarlik(m).is_none() => {
                    return Err(format!("--as: unknown muhtarlık {m}"))
                }
                muhtar_core::access::Role::UnitStaff(u) if ctx.org.unit(u).is_none() => {
                    return Err(format!("--as: unknown unit {u}"))
                }
                _ => {}
            }
            let (token, secret) = create(store.as_ref(), &actor, name).await?;
            if g.json {
                println!(
                    "{}",
                    serde_json::json!({"id": token.id, "actor": token.actor, "tenant": token.tenant, "token": secret})
                );
            } else {
                eprintln!(
                    "token {} for {} (tenant {}); the secret is shown only now:",
                    token.id, token.actor, token.tenant
                );
                println!("{secret}");
            }
        }
        TokenCmd::List => {
            let tokens = store.tokens(&tenant).await.map_err(|e| e.to_string())?;
            if g.json {
                println!(
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
                println!("{:<36}  {:<28} {:<25} NAME", "ID", "ACTOR", "REVOKED");
                for t in &tokens {
                    println!(
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
            println!("token {id} revoked");
        }
    }
    Ok(())
}
