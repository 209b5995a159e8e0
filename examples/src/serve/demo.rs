//! `muhtar serve --demo`: what a person needs to try the server, printed on standard
//! output (never logged): an API token for the muhtar of Kuzguncuk and one for the
//! coordinator, and on first use one web user per role with a random password.

use muhtar_core::access::{Actor, Role};
use muhtar_core::ids::{RandomSource, TenantId};
use muhtar_core::service::NewUser;
use muhtar_http::{OsRandom, Service};

/// The demo's web users: user name, actor, display name. The unit is the one with the
/// most open requests in the demo data, so that its queue has work to show.
pub const USERS: [(&str, &str, &str); 6] = [
    ("muhtar", "muhtar:kuzguncuk", "Kuzguncuk Muhtarı"),
    (
        "veteriner",
        "unit:veteriner-mud",
        "Veteriner Hizmetleri Personeli",
    ),
    ("koordinator", "coordinator", "Koordinatör"),
    ("amir", "official", "Sorumlu Amir"),
    ("denetci", "auditor", "Denetçi"),
    ("yonetici", "admin", "Yönetici"),
];

/// The characters of a demo password: lower-case letters and digits, none that is read
/// as another (no i, l, o, 0, 1).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A random password of 16 characters of [`ALPHABET`] (about 79 bits).
fn password(r: &mut OsRandom) -> String {
    (0..16)
        .map(|_| ALPHABET[(r.next_u64() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// Prints two fresh API tokens (`token for WHO: SECRET`) and, for each demo user not
/// there yet, adds it with a random password and prints `user for WHO: NAME PASSWORD`.
pub async fn print_credentials(mbs: &Service, tenant: &TenantId) -> Result<(), String> {
    let org = &mbs.context(tenant).await.map_err(|e| e.to_string())?.org;
    for who in ["muhtar:kuzguncuk", "coordinator"] {
        let actor = Actor::parse(tenant, who).map_err(|e| e.to_string())?;
        let (_, secret) = muhtar_http::tokens::issue(
            mbs.store().as_ref(),
            org,
            &actor,
            "demo",
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| e.to_string())?;
        outln!("token for {who}: {secret}");
    }
    let admin = Actor::new(tenant.clone(), "demo", Role::Administrator);
    let existing = mbs.users(&admin).await.map_err(|e| e.to_string())?;
    let mut random = OsRandom::new().map_err(|e| format!("no randomness: {e}"))?;
    for (name, who, display) in USERS {
        if existing.iter().any(|u| u.name.as_str() == name) {
            outln!("user for {who}: {name} (added before; its password was printed then)");
            continue;
        }
        let pw = password(&mut random);
        let new = NewUser::new(name, who, pw.as_str()).display_name(display);
        mbs.add_user(&admin, new).await.map_err(|e| e.to_string())?;
        outln!("user for {who}: {name} {pw}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_16_unambiguous_characters_and_differ() {
        let mut r = OsRandom::new().unwrap();
        let (a, b) = (password(&mut r), password(&mut r));
        assert_ne!(a, b);
        for p in [a, b] {
            assert_eq!(p.len(), 16, "{p}");
            assert!(p.bytes().all(|c| ALPHABET.contains(&c)), "{p}");
        }
    }
}
