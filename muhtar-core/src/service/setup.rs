//! Setting a tenant up in one step (`muhtar init`, a portal's installer): its
//! organisation, routing rules and settings, all checked before anything is written, and
//! idempotent (the same documents again change nothing).

use crate::access::{Actor, Role};
use crate::clock::Clock;
use crate::org::Organisation;
use crate::routing::{Problem, RoutingError, RuleSet};
use crate::settings::TenantSettings;
use crate::store::{DocumentKind, Store};

use super::{policy_rules_message, Mbs, ServiceError};

/// What to install for a tenant ([`Mbs::setup_tenant`]).
#[derive(Debug, Clone)]
pub struct TenantSetup<'a> {
    /// The organisation (its tenant id names the tenant).
    pub organisation: Organisation,
    /// The routing rule set, TOML.
    pub rules: &'a str,
    /// The tenant settings, TOML.
    pub settings: &'a str,
    /// Keep the tenant's stored settings when it has some (the shipped example never
    /// replaces a tenant's own settings).
    pub keep_stored_settings: bool,
    /// Install the organisation even though the rules do not validate against it: the
    /// rules are then not installed, and requests go to the fallback unit until rules that
    /// fit are.
    pub force: bool,
}

/// What [`Mbs::setup_tenant`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SetupOutcome {
    /// The organisation's document version (unchanged when it was the same).
    pub organisation_version: u32,
    /// The version label of the rule set in force.
    pub rules_version: String,
    /// Why the rules were not installed (only with `force`).
    pub rules_not_installed: Option<RoutingError>,
    /// Warnings about the installed rules (hidden rules, …).
    pub rule_warnings: Vec<Problem>,
    /// The settings' document version.
    pub settings_version: u32,
}

/// Why [`Mbs::setup_tenant`] wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The rules do not validate against the organisation (and `force` was not given).
    #[error("the routing rules do not validate against the organisation: {0}")]
    RulesDoNotFit(RoutingError),
    /// The settings do not parse or their policy rules do not validate.
    #[error("settings: {0}")]
    Settings(String),
    /// The service refused or the store failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Installs a tenant's organisation, rules and settings, as an operator does from the
    /// command line: the tenant's system actor installs a first organisation, its
    /// administrator everything else. Everything is checked first: rules that do not fit
    /// the organisation (unless `force`) or settings that do not validate write nothing.
    /// A document equal to the stored one is not installed again.
    pub async fn setup_tenant(&self, setup: TenantSetup<'_>) -> Result<SetupOutcome, SetupError> {
        let org = setup.organisation;
        let tenant = org.tenant.id.clone();
        let rules_problem = match RuleSet::from_toml_str(setup.rules, &org) {
            Ok(_) => None,
            Err(e) if setup.force => Some(e),
            Err(e) => return Err(SetupError::RulesDoNotFit(e)),
        };
        let settings = TenantSettings::from_toml_str(setup.settings)
            .map_err(|e| SetupError::Settings(e.to_string()))?;
        if let Some(check) = &self.settings_check {
            check(&settings).map_err(|e| SetupError::Settings(e.to_string()))?;
        }
        settings
            .policy_rules(&org)
            .map_err(|e| SetupError::Settings(policy_rules_message(&e)))?;
        let admin = Actor::new(tenant.clone(), "admin", Role::Administrator);
        let organisation_version = match self
            .store()
            .document(&tenant, DocumentKind::Organisation)
            .await
            .map_err(ServiceError::from)?
        {
            Some(d)
                if serde_json::from_str::<Organisation>(&d.body).ok().as_ref() == Some(&org) =>
            {
                d.version
            }
            // Forced: the stored rules are replaced next by rules checked against this
            // organisation, or `force` said to go without them.
            Some(_) => self.install_organisation_forced(&admin, org).await?,
            None => {
                self.install_organisation(&Actor::system(tenant.clone()), org)
                    .await?
            }
        };
        let stored_rules = self
            .store()
            .document(&tenant, DocumentKind::RuleSet)
            .await
            .map_err(ServiceError::from)?;
        let (rules_version, rule_warnings) = match &rules_problem {
            None if stored_rules.is_none_or(|d| d.body != setup.rules) => {
                self.install_rules(&admin, setup.rules).await?
            }
            _ => (
                self.context(&tenant)
                    .await?
                    .rules
                    .version_label()
                    .to_owned(),
                Vec::new(),
            ),
        };
        let settings_version = match self
            .store()
            .document(&tenant, DocumentKind::Settings)
            .await
            .map_err(ServiceError::from)?
        {
            Some(d) if d.body == setup.settings || setup.keep_stored_settings => d.version,
            _ => self.install_settings(&admin, setup.settings).await?,
        };
        Ok(SetupOutcome {
            organisation_version,
            rules_version,
            rules_not_installed: rules_problem,
            rule_warnings,
            settings_version,
        })
    }
}
