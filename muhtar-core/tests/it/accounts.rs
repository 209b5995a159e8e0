//! Users, logins and sessions through the service: only administrators manage users, a
//! user changes their own password with the old one, sessions expire and end, failed
//! logins lock a name.

use chrono::Duration;
use muhtar_core::account::{AccountError, AccountSettings, PasswordRule};
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::service::{LoginError, NewUser};
use muhtar_core::testkit::{fixtures, MemoryStore};

type Svc = Mbs<MemoryStore, std::sync::Arc<ManualClock>>;

const PW: &str = "uzun-bir-parola-42";

async fn setup() -> (Svc, std::sync::Arc<ManualClock>, TenantId, Actor) {
    let clock = std::sync::Arc::new(ManualClock::new(fixtures::t0()));
    let mbs = Mbs::new(MemoryStore::default(), clock.clone(), SeededRandom::new(7));
    let org = fixtures::organisation("acc");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let admin = Actor::parse(&t, "admin@root").unwrap();
    mbs.add_user(
        &admin,
        NewUser::new("Ayse", "muhtar:kuzguncuk", PW).display_name("Ayşe Yılmaz"),
    )
    .await
    .unwrap();
    (mbs, clock, t, admin)
}

fn account_error(e: ServiceError) -> AccountError {
    match e {
        ServiceError::Account(a) => a,
        other => panic!("expected an account error, got {other:?}"),
    }
}

#[tokio::test]
async fn only_an_administrator_adds_users_and_the_rules_are_named() {
    let (mbs, _, t, admin) = setup().await;
    let ayse = mbs.user(&admin, "AYSE").await.unwrap();
    assert_eq!(ayse.actor, "muhtar:kuzguncuk@ayse");
    assert_eq!(ayse.display_name, "Ayşe Yılmaz");
    assert!(ayse.password_hash.starts_with("$argon2id$"));
    assert!(!ayse.password_hash.contains(PW));
    let coordinator = Actor::parse(&t, "coordinator").unwrap();
    assert!(matches!(
        mbs.add_user(&coordinator, NewUser::new("x", "auditor", PW))
            .await
            .unwrap_err(),
        ServiceError::Forbidden(_)
    ));
    assert!(matches!(
        mbs.users(&coordinator).await.unwrap_err(),
        ServiceError::Forbidden(_)
    ));
    let e = account_error(
        mbs.add_user(&admin, NewUser::new("kisa", "auditor", "123456789"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, AccountError::Password(PasswordRule::MinLength));
    assert_eq!(e.field(), "password");
    let e = account_error(
        mbs.add_user(&admin, NewUser::new("ayse", "auditor", PW))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, AccountError::NameTaken("ayse".into()));
    for (actor, problem) in [
        ("muhtar:yok", "unknown muhtarlık yok"),
        ("unit:yok", "unknown unit yok"),
    ] {
        let e = account_error(
            mbs.add_user(&admin, NewUser::new("yeni", actor, PW))
                .await
                .unwrap_err(),
        );
        assert!(e.to_string().ends_with(problem), "{e}");
    }
    for actor in ["system", "public", "mayor"] {
        let e = account_error(
            mbs.add_user(&admin, NewUser::new("yeni", actor, PW))
                .await
                .unwrap_err(),
        );
        assert_eq!(e.field(), "actor", "{actor}: {e}");
    }
    assert_eq!(mbs.users(&admin).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_login_gives_a_session_that_expires_when_idle_and_at_its_lifetime() {
    let (mbs, clock, t, _) = setup().await;
    let s = mbs.login(&t, " AYSE ", PW).await.unwrap();
    assert_eq!(s.actor.to_string(), "muhtar:kuzguncuk@ayse");
    assert_eq!((s.secret.len(), s.csrf.len()), (64, 64));
    assert_ne!(s.secret, s.csrf);
    assert_eq!(s.expires_at, fixtures::t0() + Duration::hours(12));
    let (user, actor, session) = mbs.session(&s.secret).await.unwrap().unwrap();
    assert_eq!((user.name.as_str(), actor), ("ayse", s.actor.clone()));
    assert_eq!(session.csrf, s.csrf);
    assert_eq!(mbs.session("not-a-secret").await.unwrap(), None);
    // Used every 29 minutes it lives for 12 hours, then ends.
    for _ in 0..24 {
        clock.advance(Duration::minutes(29));
        assert!(mbs.session(&s.secret).await.unwrap().is_some());
    }
    clock.advance(Duration::minutes(29));
    assert_eq!(mbs.session(&s.secret).await.unwrap(), None);
    // Idle for 30 minutes: ended.
    let s = mbs.login(&t, "ayse", PW).await.unwrap();
    clock.advance(Duration::minutes(30));
    assert_eq!(mbs.session(&s.secret).await.unwrap(), None);
    // Logout.
    let s = mbs.login(&t, "ayse", PW).await.unwrap();
    mbs.logout(&s.secret).await.unwrap();
    assert_eq!(mbs.session(&s.secret).await.unwrap(), None);
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once_and_refuses_logins() {
    let (mbs, _, t, admin) = setup().await;
    let s = mbs.login(&t, "ayse", PW).await.unwrap();
    let muhtar = Actor::parse(&t, "muhtar:kuzguncuk@ayse").unwrap();
    assert!(matches!(
        mbs.disable_user(&muhtar, "ayse").await.unwrap_err(),
        ServiceError::Forbidden(_)
    ));
    let u = mbs.disable_user(&admin, "ayse").await.unwrap();
    assert_eq!(u.disabled_at, Some(fixtures::t0()));
    assert_eq!(mbs.session(&s.secret).await.unwrap(), None);
    assert!(matches!(
        mbs.login(&t, "ayse", PW).await.unwrap_err(),
        LoginError::BadCredentials
    ));
    // A new password does not enable her again.
    mbs.set_password(&admin, "ayse", None, "yeni-parola-2026")
        .await
        .unwrap();
    assert!(matches!(
        mbs.login(&t, "ayse", "yeni-parola-2026").await.unwrap_err(),
        LoginError::BadCredentials
    ));
    assert!(!mbs.user(&admin, "ayse").await.unwrap().is_active());
}

#[tokio::test]
async fn a_user_changes_their_own_password_with_the_old_one_and_sessions_end() {
    let (mbs, _, t, admin) = setup().await;
    let s = mbs.login(&t, "ayse", PW).await.unwrap();
    let me = s.actor.clone();
    let e = account_error(
        mbs.set_password(&me, "ayse", Some("yanlis-parola-1"), "yeni-parola-2026")
            .await
            .unwrap_err(),
    );
    assert_eq!(e, AccountError::WrongPassword);
    let e = account_error(
        mbs.set_password(&me, "ayse", Some(PW), "ayse")
            .await
            .unwrap_err(),
    );
    assert_eq!(e, AccountError::Password(PasswordRule::MinLength));
    mbs.set_password(&me, "ayse", Some(PW), "yeni-parola-2026")
        .await
        .unwrap();
    assert_eq!(mbs.session(&s.secret).await.unwrap(), None);
    assert!(mbs.login(&t, "ayse", PW).await.is_err());
    mbs.login(&t, "ayse", "yeni-parola-2026").await.unwrap();
    // Another muhtar may not set it; the administrator may, without the old one.
    let other = Actor::parse(&t, "muhtar:kuzguncuk@ali").unwrap();
    assert!(matches!(
        mbs.set_password(&other, "ayse", None, "baska-parola-99")
            .await
            .unwrap_err(),
        ServiceError::Forbidden(_)
    ));
    mbs.set_password(&admin, "ayse", None, "baska-parola-99")
        .await
        .unwrap();
    mbs.login(&t, "ayse", "baska-parola-99").await.unwrap();
}

#[tokio::test]
async fn failed_logins_lock_a_name_for_the_window_known_or_not() {
    let (mbs, clock, t, _) = setup().await;
    let mbs = mbs.account_settings(
        AccountSettings::default().with_failed_login_limit(3, Duration::minutes(15)),
    );
    for name in ["ayse", "kimse"] {
        for _ in 0..3 {
            assert!(matches!(
                mbs.login(&t, name, "yanlis-parola").await.unwrap_err(),
                LoginError::BadCredentials
            ));
        }
        // Locked: even the right password is refused, without being checked.
        let e = mbs.login(&t, name, PW).await.unwrap_err();
        assert!(
            matches!(e, LoginError::LockedOut { retry_after } if retry_after == Duration::minutes(15)),
            "{e}"
        );
    }
    clock.advance(Duration::minutes(16));
    mbs.login(&t, "ayse", PW).await.unwrap();
    // A success clears the count.
    for _ in 0..2 {
        let _ = mbs.login(&t, "ayse", "yanlis-parola").await;
    }
    mbs.login(&t, "ayse", PW).await.unwrap();
    for _ in 0..2 {
        let _ = mbs.login(&t, "ayse", "yanlis-parola").await;
    }
    mbs.login(&t, "ayse", PW).await.unwrap();
}
