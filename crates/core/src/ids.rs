//! Typed, prefixed, time-sortable ids (UUIDv7 in lowercase hex), so an automation id can
//! never be passed where a run id is expected and ids sort by creation time.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id, later than every id this process made before.
            pub fn new() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Wraps an id read back from storage or given by a caller. Ids are opaque
            /// strings; one with a foreign prefix simply finds nothing.
            pub fn from_string(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

prefixed_id!(
    /// Identifies an automation (`aut_...`).
    AutomationId,
    "aut_"
);
prefixed_id!(
    /// Identifies a run (`run_...`).
    RunId,
    "run_"
);
prefixed_id!(
    /// Identifies a transcript session (`ses_...`).
    SessionId,
    "ses_"
);
prefixed_id!(
    /// Identifies a pending permission request or question (`req_...`).
    BlockerId,
    "req_"
);
prefixed_id!(
    /// Identifies one engine process holding a lease on the database (`eng_...`).
    InstanceId,
    "eng_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_sort_by_creation() {
        let first = RunId::new();
        let second = RunId::new();
        assert!(first.as_str().starts_with("run_"));
        assert!(first < second, "{first} should sort before {second}");
    }
}
