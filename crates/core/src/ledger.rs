//! The run ledger: the `Run` record and its state machine. Every change of a run's state
//! goes through [`Transition`]; the rules of which change may follow which live in
//! [`crate::model::run`] (below the store) and nowhere else (the [`recorder`] writes them,
//! and the store applies them guarded by the current state, so a stale writer in another
//! process cannot overwrite a newer state either).

pub(crate) mod recorder;

pub use crate::model::run::*;
