//! Requests (talep): content, the event history, the current state and the commands.
//!
//! The life of a request is an append-only list of [`Event`]s. [`RequestState::fold`]
//! turns a history into the current state; [`RequestState::decide`] turns a command into
//! new events or a typed [`LifecycleError`] naming the state and the command. Neither
//! does I/O; the service façade stores what they produce.

mod builder;
mod content;
mod event;
mod fee;
mod input;
pub mod schema;
pub mod sheet;
mod state;

pub use builder::NewRequestBuilder;
pub use content::*;
pub use event::*;
pub use fee::*;
pub use input::*;
pub use schema::{Stored, UpcastError};
pub use state::*;
