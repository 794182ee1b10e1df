//! Run retention: how long finished runs (with their transcripts, recorded changes and
//! originals) are kept, and what a clean-up (`gc`) removed or would remove.
//!
//! The policy lives in the database, so every process sharing it obeys the same numbers.
//! Whatever the policy says, a clean-up never removes a run that is active or waits for
//! input, a finished run still unseen in the inbox, a worktree run whose changes wait for
//! review, the newest run of an automation, or a run whose transcript an automation
//! continues (see `store::retention` for the full list and why).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ValidationDetail};
use crate::ids::RunId;

/// The longest retention that is still a number of days (100 years); longer is `forever`.
pub const KEEP_DAYS_MAX: u32 = 36_500;

/// How many run ids a report lists (oldest first); its counts cover every run.
pub const REPORT_RUN_IDS_MAX: usize = 100;

/// How long finished runs are kept after they end. `None` keeps them forever (the default
/// for both).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Days succeeded and stopped runs are kept (1..=36500), counted from when they ended.
    pub keep_days: Option<u32>,
    /// Days failed runs are kept (1..=36500); at least `keep_days` when both are set, so
    /// failures stay around for a look at what went wrong. Unset keeps them forever, even
    /// when `keep_days` is set.
    pub keep_failed_days: Option<u32>,
}

impl RetentionPolicy {
    /// Every problem at once, each with its field.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        for (field, days) in [
            ("keep_days", self.keep_days),
            ("keep_failed_days", self.keep_failed_days),
        ] {
            if let Some(days) = days {
                if !(1..=KEEP_DAYS_MAX).contains(&days) {
                    problems.push(
                        ValidationDetail::new(field, "days_out_of_range_1_36500").with_hint(
                            format!(
                                "{days} is not between 1 and {KEEP_DAYS_MAX}; leave it unset (forever) to keep runs without limit"
                            ),
                        ),
                    );
                }
            }
        }
        if let (Some(keep), Some(failed)) = (self.keep_days, self.keep_failed_days) {
            if failed < keep {
                problems.push(
                    ValidationDetail::new("keep_failed_days", "below_keep_days").with_hint(
                        format!(
                            "failed runs are kept at least as long as the others: {failed} is less than keep_days {keep}"
                        ),
                    ),
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidInput(problems))
        }
    }

    /// Whether every run is kept (nothing is ever removed).
    pub fn keeps_everything(&self) -> bool {
        self.keep_days.is_none() && self.keep_failed_days.is_none()
    }

    /// Succeeded and stopped runs that ended before this go; `None` when they are kept
    /// forever.
    pub fn cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.keep_days.map(|days| before(now, days))
    }

    /// Failed runs that ended before this go; `None` when they are kept forever.
    pub fn failed_cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.keep_failed_days.map(|days| before(now, days))
    }
}

fn before(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now.checked_sub_signed(TimeDelta::days(i64::from(days)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// What a clean-up removed (or, for a dry run, would remove).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GcRemoval {
    /// Runs, in all and per state.
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub stopped: u64,
    /// The first runs (at most 100, oldest first); `runs` counts them all.
    pub run_ids: Vec<RunId>,
    /// Transcript messages and their parts.
    pub messages: u64,
    pub parts: u64,
    /// Transcript sessions left without runs.
    pub sessions: u64,
    /// Recorded change reviews (what a run changed).
    pub changes: u64,
    /// Answers to runs' permission requests and questions.
    pub blocker_replies: u64,
    /// Directories under `<data dir>/originals/` (files a crashed run changed, as they were).
    pub originals_dirs: u64,
}

/// How the freed space went back to the file system.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compaction {
    /// Nothing was free (or a dry run).
    #[default]
    None,
    /// The free pages were cut off the end of the file, a small step at a time.
    IncrementalVacuum,
    /// The file was rebuilt (once, for a database made before incremental vacuum).
    Vacuum,
}

/// The database on disk (its file and write-ahead log), around a clean-up.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DatabaseSpace {
    pub bytes_before: u64,
    /// `None` for a dry run.
    pub bytes_after: Option<u64>,
    pub compaction: Compaction,
}

/// What a clean-up did or, with `dry_run`, would do. A dry run and a real run at the same
/// `as_of` on an unchanged database report the same `removed`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcReport {
    pub dry_run: bool,
    /// The time the cut-offs count back from.
    pub as_of: DateTime<Utc>,
    pub policy: RetentionPolicy,
    /// Succeeded and stopped runs that ended before this go; `None`: kept forever.
    pub cutoff: Option<DateTime<Utc>>,
    /// Failed runs that ended before this go; `None`: kept forever.
    pub failed_cutoff: Option<DateTime<Utc>>,
    pub removed: GcRemoval,
    pub database: DatabaseSpace,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_out_of_range_names_its_fields() {
        let policy = RetentionPolicy {
            keep_days: Some(0),
            keep_failed_days: Some(KEEP_DAYS_MAX + 1),
        };
        let Err(Error::InvalidInput(details)) = policy.validate() else {
            panic!("days out of range were accepted");
        };
        let problems: Vec<_> = details
            .iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                ("keep_days", "days_out_of_range_1_36500"),
                ("keep_failed_days", "days_out_of_range_1_36500")
            ]
        );
    }

    #[test]
    fn failed_runs_are_kept_at_least_as_long_as_the_others() {
        let shorter = RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: Some(7),
        };
        let Err(Error::InvalidInput(details)) = shorter.validate() else {
            panic!("failed runs kept shorter were accepted");
        };
        assert_eq!(details[0].field, "keep_failed_days");
        assert_eq!(details[0].message, "below_keep_days");
        for fine in [
            RetentionPolicy::default(),
            RetentionPolicy {
                keep_days: Some(30),
                keep_failed_days: None,
            },
            RetentionPolicy {
                keep_days: None,
                keep_failed_days: Some(90),
            },
            RetentionPolicy {
                keep_days: Some(30),
                keep_failed_days: Some(30),
            },
        ] {
            assert!(fine.validate().is_ok(), "{fine:?} was refused");
        }
    }

    #[test]
    fn cutoffs_count_back_from_the_given_time() {
        let now = DateTime::parse_from_rfc3339("2027-03-27T01:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let policy = RetentionPolicy {
            keep_days: Some(7),
            keep_failed_days: None,
        };
        assert_eq!(
            policy.cutoff(now).map(|t| t.to_rfc3339()),
            Some("2027-03-20T01:30:00+00:00".to_owned())
        );
        assert_eq!(policy.failed_cutoff(now), None);
        assert!(RetentionPolicy::default().keeps_everything());
    }
}
