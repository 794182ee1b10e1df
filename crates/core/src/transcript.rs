//! Transcripts: what was said in a session. The types live in [`crate::model::transcript`].

pub use crate::model::transcript::*;
