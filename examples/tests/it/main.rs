//! Integration tests of the muhtar-examples package (the `muhtar` CLI and server).
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod browser;
mod cli_boundaries;
mod cli_calendar;
mod cli_council;
mod cli_council_decisions;
mod cli_council_meetings;
mod cli_council_proposals;
mod cli_demo;
mod cli_documents;
mod cli_errors;
mod cli_help;
mod cli_postgres;
mod cli_receipt;
mod cli_rules;
mod cli_state;
mod cli_urgent;
mod cli_users;
mod cli_works;
mod common;
mod docs_links;
mod documents_crash;
mod embed_example;
mod faults;
mod hostile;
mod law_4982;
mod policy;
mod portal;
mod privacy;
mod readme;
mod resilience;
mod serve;
mod serve_deadlines;
mod serve_demo;
mod serve_limits;
mod serve_receipt;
mod serve_urgent;
mod uploads;
mod web_belge;
mod web_browser;
mod web_demo;
mod web_harita;
mod web_talepler;
mod web_yeni_browser;
mod web_yonetim_browser;
