//! The conformance checks of [`crate::account::AccountStore`]: users, sessions and failed
//! logins.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::super::fixtures::{t0, tenant};
use crate::account::{Session, User, UserName};
use crate::clock::{Clock, ManualClock};
use crate::store::{Store, StoreError};
use crate::token::hash_secret;

fn user(n: u128, t: &str, name: &str, at: DateTime<Utc>) -> User {
    User {
        id: Uuid::from_u128(n),
        tenant: tenant(t),
        name: UserName::new(name).unwrap(),
        actor: format!("muhtar:kuzguncuk@{name}"),
        display_name: format!("Ayşe Çınar {n}"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n}"),
        created_at: at,
        password_changed_at: at,
        disabled_at: None,
    }
}

fn session(secret: &str, u: &User, at: DateTime<Utc>) -> Session {
    Session {
        hash: hash_secret(secret),
        tenant: u.tenant.clone(),
        user: u.id,
        csrf: format!("csrf-{secret}"),
        created_at: at,
        last_seen_at: at,
        expires_at: at + Duration::hours(12),
        ended_at: None,
    }
}

fn name(n: &str) -> UserName {
    UserName::new(n).unwrap()
}

/// Users: found by name (normalised: case does not matter) and by id in their tenant only,
/// listed oldest first, unique by id and by name in a tenant (the same name in another
/// tenant is another user).
pub async fn users_are_unique_by_name_per_tenant<S: Store>(s: &S) {
    let a1 = user(1, "acc-a", "ayse", t0() + Duration::minutes(1));
    let a2 = user(2, "acc-a", "mehmet.k", t0());
    let b1 = user(3, "acc-b", "ayse", t0());
    for u in [&a1, &a2, &b1] {
        s.create_user(u).await.unwrap();
    }
    assert_eq!(
        s.user_by_name(&tenant("acc-a"), &name("AYSE"))
            .await
            .unwrap(),
        Some(a1.clone())
    );
    assert_eq!(
        s.user_by_name(&tenant("acc-b"), &name("ayse"))
            .await
            .unwrap(),
        Some(b1.clone())
    );
    assert_eq!(
        s.user_by_id(&tenant("acc-a"), a2.id).await.unwrap(),
        Some(a2.clone())
    );
    assert_eq!(s.user_by_id(&tenant("acc-b"), a2.id).await.unwrap(), None);
    assert_eq!(
        s.user_by_name(&tenant("acc-a"), &name("yok"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.users(&tenant("acc-a")).await.unwrap(),
        vec![a2.clone(), a1.clone()]
    );
    let same_name = user(9, "acc-a", "Ayse", t0());
    assert!(matches!(
        s.create_user(&same_name).await.unwrap_err(),
        StoreError::Duplicate { .. }
    ));
    let same_id = user(1, "acc-c", "zeynep", t0());
    assert!(matches!(
        s.create_user(&same_id).await.unwrap_err(),
        StoreError::Duplicate { .. }
    ));
    assert_eq!(s.users(&tenant("acc-a")).await.unwrap().len(), 2);
    assert_eq!(s.users(&tenant("acc-c")).await.unwrap(), vec![]);
}

/// Sessions: found by hash in any tenant, `last_seen_at` only moves forward, ending keeps
/// the first instant, a hash is unique; with a manual clock a session read back is live
/// until idle too long or past its lifetime.
pub async fn sessions_touch_end_and_expire<S: Store>(s: &S) {
    let u = user(1, "ses-a", "ayse", t0());
    s.create_user(&u).await.unwrap();
    assert_eq!(s.session_by_hash(&hash_secret("none")).await.unwrap(), None);
    let clock = ManualClock::new(t0());
    let one = session("s1", &u, clock.now());
    s.create_session(&one).await.unwrap();
    assert!(matches!(
        s.create_session(&one).await.unwrap_err(),
        StoreError::Duplicate { .. }
    ));
    assert_eq!(
        s.session_by_hash(&one.hash).await.unwrap(),
        Some(one.clone())
    );
    let idle = Duration::minutes(30);
    // Used every 20 minutes: live, until the 12 hours are over.
    for _ in 0..35 {
        clock.advance(Duration::minutes(20));
        let got = s.session_by_hash(&one.hash).await.unwrap().unwrap();
        assert!(got.is_live(clock.now(), idle), "at {}", clock.now());
        s.touch_session(&one.hash, clock.now()).await.unwrap();
    }
    s.touch_session(&one.hash, t0()).await.unwrap();
    let got = s.session_by_hash(&one.hash).await.unwrap().unwrap();
    assert_eq!(got.last_seen_at, t0() + Duration::minutes(700));
    clock.advance(Duration::minutes(20));
    assert!(!got.is_live(clock.now(), idle), "past its 12 hours");
    // Idle for 31 minutes: not live.
    let two = session("s2", &u, t0());
    s.create_session(&two).await.unwrap();
    let got = s.session_by_hash(&two.hash).await.unwrap().unwrap();
    assert!(got.is_live(t0() + Duration::minutes(29), idle));
    assert!(!got.is_live(t0() + Duration::minutes(31), idle));
    // Logout.
    let at = t0() + Duration::minutes(5);
    s.end_session(&two.hash, at).await.unwrap();
    s.end_session(&two.hash, at + Duration::minutes(1))
        .await
        .unwrap();
    s.end_session(&hash_secret("none"), at).await.unwrap();
    s.touch_session(&hash_secret("none"), at).await.unwrap();
    let got = s.session_by_hash(&two.hash).await.unwrap().unwrap();
    assert_eq!(got.ended_at, Some(at));
    assert!(!got.is_live(at, idle));
    // Ending all of a user's sessions ends those not ended yet.
    assert_eq!(
        s.end_user_sessions(&tenant("other"), u.id, at)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.end_user_sessions(&tenant("ses-a"), u.id, at + Duration::hours(1))
            .await
            .unwrap(),
        1
    );
    let got = s.session_by_hash(&one.hash).await.unwrap().unwrap();
    assert_eq!(got.ended_at, Some(at + Duration::hours(1)));
}

/// Disabling a user or setting their password ends every session of theirs at once (and
/// no one else's); disabling again keeps the first instant; another tenant's user is not
/// found.
pub async fn disabling_a_user_ends_their_sessions<S: Store>(s: &S) {
    let a = user(1, "dis-a", "ayse", t0());
    let b = user(2, "dis-a", "mehmet", t0());
    s.create_user(&a).await.unwrap();
    s.create_user(&b).await.unwrap();
    for (secret, u) in [("a1", &a), ("a2", &a), ("b1", &b)] {
        s.create_session(&session(secret, u, t0())).await.unwrap();
    }
    let at = t0() + Duration::minutes(10);
    assert!(matches!(
        s.disable_user(&tenant("dis-b"), a.id, at)
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    s.disable_user(&tenant("dis-a"), a.id, at).await.unwrap();
    s.disable_user(&tenant("dis-a"), a.id, at + Duration::minutes(1))
        .await
        .unwrap();
    let got = s.user_by_id(&tenant("dis-a"), a.id).await.unwrap().unwrap();
    assert_eq!(got.disabled_at, Some(at));
    assert!(!got.is_active());
    for secret in ["a1", "a2"] {
        let got = s
            .session_by_hash(&hash_secret(secret))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.ended_at, Some(at), "{secret}");
    }
    let b1 = s
        .session_by_hash(&hash_secret("b1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b1.ended_at, None);
    // A new password ends b's sessions too.
    let later = at + Duration::hours(1);
    assert!(matches!(
        s.set_password(&tenant("dis-b"), b.id, "$argon2id$new", later)
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    s.set_password(&tenant("dis-a"), b.id, "$argon2id$new", later)
        .await
        .unwrap();
    let got = s.user_by_id(&tenant("dis-a"), b.id).await.unwrap().unwrap();
    assert_eq!(got.password_hash, "$argon2id$new");
    assert_eq!(got.password_changed_at, later);
    assert_eq!(got.created_at, t0());
    let b1 = s
        .session_by_hash(&hash_secret("b1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b1.ended_at, Some(later));
}

/// Failed logins: counted per tenant and user name within a window, older ones
/// forgotten when a new one is recorded, cleared after a success.
pub async fn failed_logins_are_counted_per_name<S: Store>(s: &S) {
    let (t, other) = (tenant("fail-a"), tenant("fail-b"));
    let ayse = name("ayse");
    let m = |n: i64| t0() + Duration::minutes(n);
    assert_eq!(s.login_failures(&t, &ayse, m(0)).await.unwrap(), 0);
    for i in 0..5 {
        let n = s
            .record_login_failure(&t, &ayse, m(i), m(i - 15))
            .await
            .unwrap();
        assert_eq!(n, u32::try_from(i + 1).unwrap());
    }
    s.record_login_failure(&other, &ayse, m(1), m(-14))
        .await
        .unwrap();
    s.record_login_failure(&t, &name("mehmet"), m(1), m(-14))
        .await
        .unwrap();
    assert_eq!(s.login_failures(&t, &ayse, m(0)).await.unwrap(), 5);
    assert_eq!(s.login_failures(&t, &ayse, m(3)).await.unwrap(), 2);
    // Twenty minutes on: the five are out of the window.
    let n = s
        .record_login_failure(&t, &ayse, m(20), m(5))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s.login_failures(&t, &ayse, m(-100)).await.unwrap(), 1);
    s.clear_login_failures(&t, &ayse).await.unwrap();
    assert_eq!(s.login_failures(&t, &ayse, m(-100)).await.unwrap(), 0);
    assert_eq!(s.login_failures(&other, &ayse, m(-100)).await.unwrap(), 1);
    assert_eq!(
        s.login_failures(&t, &name("mehmet"), m(-100))
            .await
            .unwrap(),
        1
    );
}
