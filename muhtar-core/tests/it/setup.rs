//! Setting a tenant up in one step (`Mbs::setup_tenant`, what `muhtar init` runs):
//! everything is checked before anything is written, and the same documents again change
//! nothing.

use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::service::{SetupError, TenantSetup};
use muhtar_core::store::{ConfigStore, DocumentKind};
use muhtar_core::testkit::fixtures;
use muhtar_core::testkit::{block_on, MemoryStore};

const RULES: &str = include_str!("../../../examples/data/rules.toml");
const SETTINGS: &str = include_str!("../../../examples/data/settings.toml");

fn service() -> Mbs<MemoryStore, ManualClock> {
    Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(3),
    )
}

fn setup<'a>(rules: &'a str, settings: &'a str) -> TenantSetup<'a> {
    TenantSetup {
        organisation: crate::example_org(),
        rules,
        settings,
        keep_stored_settings: false,
        force: false,
    }
}

#[test]
fn given_a_fresh_store_setup_installs_everything_once() {
    block_on(async {
        let mbs = service();
        let first = mbs.setup_tenant(setup(RULES, SETTINGS)).await.unwrap();
        assert_eq!(first.organisation_version, 1);
        assert_eq!(first.settings_version, 1);
        assert!(first.rules_not_installed.is_none());
        let tenant = mbs.store().tenants().await.unwrap()[0].clone();
        assert_eq!(
            mbs.context(&tenant).await.unwrap().rules.version_label(),
            first.rules_version
        );
        // The same documents again: nothing new is written.
        let again = mbs.setup_tenant(setup(RULES, SETTINGS)).await.unwrap();
        assert_eq!(again.organisation_version, 1);
        assert_eq!(again.settings_version, 1);
        assert_eq!(again.rules_version, first.rules_version);
        for kind in [DocumentKind::Organisation, DocumentKind::Settings] {
            assert_eq!(
                mbs.store()
                    .document(&tenant, kind)
                    .await
                    .unwrap()
                    .unwrap()
                    .version,
                1
            );
        }
    });
}

#[test]
fn rules_that_do_not_fit_write_nothing_unless_forced() {
    block_on(async {
        let mbs = service();
        let misfit = RULES.replace("asfalt-mud", "no-such-unit");
        let e = mbs
            .setup_tenant(setup(&misfit, SETTINGS))
            .await
            .unwrap_err();
        assert!(matches!(e, SetupError::RulesDoNotFit(_)), "{e}");
        assert!(mbs.store().tenants().await.unwrap().is_empty());
        let mut forced = setup(&misfit, SETTINGS);
        forced.force = true;
        let done = mbs.setup_tenant(forced).await.unwrap();
        assert!(done.rules_not_installed.is_some());
        let tenant = mbs.store().tenants().await.unwrap()[0].clone();
        assert!(mbs
            .store()
            .document(&tenant, DocumentKind::RuleSet)
            .await
            .unwrap()
            .is_none());
    });
}

#[test]
fn bad_settings_write_nothing_and_stored_settings_can_be_kept() {
    block_on(async {
        let mbs = service();
        let e = mbs
            .setup_tenant(setup(RULES, "quiet_hours = 5\n"))
            .await
            .unwrap_err();
        assert!(matches!(e, SetupError::Settings(_)), "{e}");
        assert!(mbs.store().tenants().await.unwrap().is_empty());
        mbs.setup_tenant(setup(RULES, SETTINGS)).await.unwrap();
        let mut keep = setup(RULES, "");
        keep.keep_stored_settings = true;
        assert_eq!(mbs.setup_tenant(keep).await.unwrap().settings_version, 1);
        let replace = setup(RULES, "");
        assert_eq!(mbs.setup_tenant(replace).await.unwrap().settings_version, 2);
    });
}
