//! Integration tests of muhtar-http.
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod council_decisions;
mod council_meetings;
mod council_proposals;
mod councils;
mod documents;
mod map;
mod map_where;
mod mount;
mod upload_store;
mod web;
mod web_isler;
mod web_login;
mod web_meclis_giris;
mod web_queries;
mod web_talepler;
mod web_yeni;
mod web_yonetim;
mod works;
