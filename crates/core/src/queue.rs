//! The run queue's settings and what a waiting run is told. The types live in
//! [`crate::model::queue`].

pub use crate::model::queue::*;
