//! Integration tests of muhtar-notify (SMTP against a real server process, SMS over HTTP, tenants).
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod greetings;
mod private_ca;
mod sms_http;
mod smtp;
mod tenants;
