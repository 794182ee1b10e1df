//! autowork-core: the Autowork engine. Automations (what to run), the run ledger (what
//! happened), the SQLite store, and the executor that drives runs. No windowing code: the
//! desktop shell and the CLI are thin adapters over [`Engine`].

pub mod agent;
pub mod automation_file;
pub mod catalog;
pub mod changes;
pub mod clock;
pub mod definition;
pub mod draft;
pub mod engine;
pub mod error;
pub mod events;
pub mod executor;
mod future;
pub mod git;
pub mod ids;
pub mod ledger;
pub mod model;
pub mod notify;
pub mod originals;
pub mod queue;
pub mod retention;
pub mod sandbox;
pub mod schedule;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod team_database;
pub mod transcript;

pub use engine::{Engine, EngineConfig, RunPage};
pub use error::{ApiError, Error, Result, ValidationDetail};
pub use store::runs::RunFilter;
