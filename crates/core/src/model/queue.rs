//! The run queue's settings and what a waiting run is told: how many runs may execute at once,
//! in all and per provider, and where a queued run stands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ValidationDetail};

pub const MAX_CONCURRENT_RUNS_DEFAULT: u32 = 4;
/// Above this a limit is no limit: a machine runs out of memory or rate limit first.
pub const MAX_CONCURRENT_RUNS_MAX: u32 = 64;

/// How many runs may hold a slot (be `running` or `awaiting_input`) at once. Kept in the
/// database, so every process sharing it obeys the same numbers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueLimits {
    /// Runs executing at once, all providers together (1..=64, default 4).
    pub max_concurrent_runs: u32,
    /// Runs executing at once per provider id, where a provider needs less (its rate limit).
    pub per_provider: BTreeMap<String, u32>,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_concurrent_runs: MAX_CONCURRENT_RUNS_DEFAULT,
            per_provider: BTreeMap::new(),
        }
    }
}

impl QueueLimits {
    /// Every problem at once, each with its field.
    pub fn validate(&self) -> Result<()> {
        let in_range = 1..=MAX_CONCURRENT_RUNS_MAX;
        let mut problems = Vec::new();
        if !in_range.contains(&self.max_concurrent_runs) {
            problems.push(
                ValidationDetail::new("max_concurrent_runs", "limit_out_of_range_1_64").with_hint(
                    format!(
                        "{} is not between 1 and {MAX_CONCURRENT_RUNS_MAX}",
                        self.max_concurrent_runs
                    ),
                ),
            );
        }
        for (provider, limit) in &self.per_provider {
            let field = format!("per_provider.{provider}");
            if provider.trim().is_empty() {
                problems.push(ValidationDetail::new(field, "provider_id_empty"));
            } else if !in_range.contains(limit) {
                problems.push(
                    ValidationDetail::new(field, "limit_out_of_range_1_64").with_hint(format!(
                        "{limit} is not between 1 and {MAX_CONCURRENT_RUNS_MAX}"
                    )),
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidInput(problems))
        }
    }

    /// The limit of `provider`, if it has one of its own.
    pub fn of_provider(&self, provider: &str) -> Option<u32> {
        self.per_provider.get(provider).copied()
    }
}

/// Where a queued run stands: what it waits for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePlace {
    /// Queued runs that start before this one.
    pub ahead: u32,
    /// Runs holding a slot now, and the global limit.
    pub running: u32,
    pub max_concurrent_runs: u32,
    /// The run's provider, when it has a limit of its own: its runs holding a slot and the limit.
    pub provider: Option<ProviderSlots>,
    /// Another run writes in this run's work area: it waits for that run, not for a slot.
    pub work_area_busy: bool,
    /// No connected worker serves the run's workspace: it waits for one (a team database's
    /// daemon or app on the machine that has the folder) to connect. The workspace.
    #[serde(default)]
    pub waiting_for_worker: Option<String>,
}

/// The queue as a whole: the limits, what holds a slot, and the first queued runs in start
/// order.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub limits: QueueLimits,
    /// Runs holding a slot (running or waiting for input), in all and per provider.
    pub running: u32,
    pub running_by_provider: BTreeMap<String, u32>,
    /// Every queued run, and the first of them in start order.
    pub total_queued: u32,
    pub queued: Vec<crate::model::run::Run>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSlots {
    pub provider_id: String,
    pub running: u32,
    pub limit: u32,
}

impl QueuePlace {
    /// Whether the run must wait for others to end (rather than start at the dispatcher's
    /// next look).
    pub fn must_wait(&self) -> bool {
        let provider_full = self.provider.as_ref().is_some_and(|p| p.running >= p.limit);
        self.work_area_busy
            || self.waiting_for_worker.is_some()
            || provider_full
            || self.running.saturating_add(self.ahead) >= self.max_concurrent_runs
    }

    /// In words: `waiting for a free slot (3 ahead; 4 of 4 running)`.
    pub fn describe(&self) -> String {
        if let Some(workspace) = &self.waiting_for_worker {
            return format!("waiting for a worker that serves {workspace} (none is connected)");
        }
        if self.work_area_busy {
            return "waiting for the run that writes in its work area to end".into();
        }
        let ahead = match self.ahead {
            0 => "next".to_owned(),
            n => format!("{n} ahead"),
        };
        match &self.provider {
            Some(p) if p.running >= p.limit && self.running < self.max_concurrent_runs => format!(
                "waiting for a free {} slot ({ahead}; {} of {} running)",
                p.provider_id, p.running, p.limit
            ),
            _ => format!(
                "waiting for a free slot ({ahead}; {} of {} running)",
                self.running, self.max_concurrent_runs
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_out_of_range_name_their_field() {
        let limits = QueueLimits {
            max_concurrent_runs: 0,
            per_provider: BTreeMap::from([("openai".into(), 100), ("local".into(), 2)]),
        };
        let Err(Error::InvalidInput(details)) = limits.validate() else {
            panic!("limits out of range were accepted");
        };
        let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["max_concurrent_runs", "per_provider.openai"]);
        assert!(QueueLimits::default().validate().is_ok());
    }

    #[test]
    fn a_place_says_what_the_run_waits_for() {
        let place = QueuePlace {
            ahead: 3,
            running: 4,
            max_concurrent_runs: 4,
            provider: None,
            work_area_busy: false,
            waiting_for_worker: None,
        };
        assert_eq!(
            place.describe(),
            "waiting for a free slot (3 ahead; 4 of 4 running)"
        );
        let provider_full = QueuePlace {
            ahead: 0,
            running: 2,
            provider: Some(ProviderSlots {
                provider_id: "openai".into(),
                running: 2,
                limit: 2,
            }),
            ..place
        };
        assert_eq!(
            provider_full.describe(),
            "waiting for a free openai slot (next; 2 of 2 running)"
        );
    }
}
