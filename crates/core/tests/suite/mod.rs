pub mod support;

mod blockers;
mod cancel;
mod crash_recovery;
mod events;
mod pagination;
mod validation;
mod writer_key;
