//! Timestamps as stored: whole milliseconds since the epoch. Where the time comes from is
//! [`crate::clock`]'s.

use chrono::{DateTime, TimeZone, Utc};

pub(crate) fn truncate_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    from_millis(at.timestamp_millis())
}

/// Milliseconds since the epoch, as stored in the database.
pub(crate) fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
