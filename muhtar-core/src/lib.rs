//! Pure domain logic of the Muhtar Bilgi Sistemi.
pub mod calendar;
pub mod sla;
