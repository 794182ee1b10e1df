//! What an automation is: the definition a user writes once, and its validation.
//!
//! The types live in [`crate::model::definition`], below the store; validation stays here,
//! as it consults the catalog and the permission matcher.

mod validate;

pub(crate) use crate::model::definition::status;
pub use crate::model::definition::*;
pub use validate::{merge_patch, parse_spec, ValidationContext};
