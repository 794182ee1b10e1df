pub mod support;

mod agent;
mod blockers;
mod cancel;
mod crash_recovery;
mod events;
mod inbox;
mod pagination;
mod permissions;
mod schedule;
mod scheduler;
mod status;
mod tools;
mod validation;
mod writer_key;
