//! Pure domain logic of the **Muhtar Bilgi Sistemi** (MBS): muhtars send requests, the
//! system routes each to the unit that can act, runs a legally correct deadline clock on
//! it, notifies the muhtar of the outcome and produces the quarterly report of Interior
//! Ministry circular 2015/8.
//!
//! This crate does no I/O: no database, network, file or wall-clock access. Time comes in
//! through [`clock::Clock`]; storage and delivery sit behind the traits of [`store`] and
//! [`outbox`]. See `ARCHITECTURE.md` for the map.
#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod calendar;
pub mod clock;
pub mod council;
pub mod demo;
pub mod document;
pub mod export;
pub mod ids;
pub mod map;
pub mod names;
pub mod open311;
pub mod org;
pub mod outbox;
pub mod public;
pub mod reason;
pub mod regime;
pub mod report;
pub mod request;
pub mod routing;
pub mod service;
pub mod settings;
pub mod sla;
pub mod store;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod token;
pub mod tracking;

/// The names most applications need.
pub mod prelude {
    pub use crate::access::{Action, Actor, Role};
    pub use crate::clock::{Clock, ManualClock};
    pub use crate::ids::{MuhtarlikCode, RequestId, TenantId, UnitCode};
    pub use crate::org::Organisation;
    pub use crate::request::{Channel, Command, NewRequest, Outcome, RequestKind, Status};
    pub use crate::service::{Mbs, ServiceError};
    pub use crate::store::{RequestQuery, Store, StoreError};
    pub use crate::tracking::TrackingNumber;
}
