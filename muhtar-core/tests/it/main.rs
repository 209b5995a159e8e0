//! Integration tests of muhtar-core.
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod access;
mod accounts;
mod boundaries;
mod boundaries_props;
mod calendar;
mod council;
mod council_decisions;
mod council_meetings;
mod council_members_act;
mod council_proposals;
mod deadlines;
mod demo;
mod documents;
mod export;
mod fuzz_corpus;
mod golden_events;
mod law_4982;
mod lifecycle;
mod local_times;
mod memory_store;
mod names;
mod notice_fixtures;
mod org;
mod policy_rules;
mod public;
mod receipt;
mod report;
mod report_documents;
mod routing;
mod routing_boundaries;
mod routing_props;
mod service;
mod setup;
mod sheet;
mod sla;
mod sla_reference;
mod urgent;

/// The example organisation (`examples/data/org.toml`) with its boundaries file.
pub fn example_org() -> muhtar_core::org::Organisation {
    muhtar_core::org::Organisation::from_toml_str_with(
        include_str!("../../../examples/data/org.toml"),
        |_| Ok(include_str!("../../../examples/data/boundaries.geojson").to_owned()),
    )
    .unwrap_or_else(|e| panic!("the example organisation is valid: {e}"))
    .0
}
mod works;
