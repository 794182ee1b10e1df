//! Schedule arithmetic: when a trigger fires next, which fires were missed, and how to say a
//! schedule in words. The functions live in [`crate::model::schedule`].

pub use crate::model::schedule::*;
