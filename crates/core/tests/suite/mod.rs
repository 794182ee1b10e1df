pub mod support;

mod agent;
mod blockers;
mod cancel;
mod crash_recovery;
mod events;
mod git;
mod inbox;
mod pagination;
mod permissions;
mod schedule;
mod scheduler;
mod scheduler_scale;
mod status;
mod tools;
mod validation;
mod worktrees;
mod writer_key;
