pub mod support;

mod agent;
mod blockers;
mod cancel;
mod crash_recovery;
mod events;
mod pagination;
mod permissions;
mod tools;
mod validation;
mod writer_key;
