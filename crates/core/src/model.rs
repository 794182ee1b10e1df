//! The plain data the engine keeps and the store persists: ids aside, every type the store's
//! interface speaks (definitions, runs, events, transcripts, changes, queue and retention
//! settings) and the pure helpers over them (schedule arithmetic, stored timestamps).
//!
//! This layer imports only itself, [`crate::ids`] and [`crate::error`], never the store,
//! the ledger or the engine; the store imports only this layer (`tests/suite/layering.rs`
//! keeps both true). The types are re-exported where they were first defined (`ledger`,
//! `definition`, `events`, ...), so those paths keep working.

pub mod changes;
pub mod definition;
pub mod event;
pub mod permission;
pub mod queue;
pub mod retention;
pub mod run;
pub mod schedule;
pub mod time;
pub mod transcript;
pub mod worker;
