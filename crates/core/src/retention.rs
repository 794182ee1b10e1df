//! Run retention: the policy and a clean-up's report. The types live in
//! [`crate::model::retention`].

pub use crate::model::retention::*;
