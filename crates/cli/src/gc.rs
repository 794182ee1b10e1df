//! `autowork gc`: how long finished runs are kept, and removing the ones past it.

use autowork_core::retention::{Compaction, GcReport, RetentionPolicy};
use autowork_core::Engine;

use crate::args::{GcArgs, GcCommand, GcSetArgs};
use crate::output::{emit_either, fields, time, Outcome};

pub async fn run(engine: &Engine, args: GcArgs, json: bool) -> Outcome {
    match args.command {
        None => collect(engine, args.dry_run, json).await,
        Some(GcCommand::Show) => show(engine, json).await,
        Some(GcCommand::Set(args)) => set(engine, args, json).await,
    }
}

async fn show(engine: &Engine, json: bool) -> Outcome {
    let policy = engine.retention().await?;
    emit_either(json, &policy, describe_policy)
}

async fn set(engine: &Engine, args: GcSetArgs, json: bool) -> Outcome {
    let mut policy = engine.retention().await?;
    if let Some(keep) = args.keep_days {
        policy.keep_days = keep.days();
    }
    if let Some(keep) = args.keep_failed_days {
        policy.keep_failed_days = keep.days();
    }
    let saved = engine.set_retention(policy).await?;
    emit_either(json, &saved, |policy| {
        let mut text = describe_policy(policy);
        if !policy.keeps_everything() {
            text.push_str(
                "runs past it go at the scheduling process's next hourly clean-up, or now with `autowork gc`\n",
            );
        }
        text
    })
}

async fn collect(engine: &Engine, dry_run: bool, json: bool) -> Outcome {
    let report = engine.gc(dry_run).await?;
    emit_either(json, &report, describe_report)
}

fn kept(days: Option<u32>) -> String {
    match days {
        None => "kept forever".into(),
        Some(1) => "kept 1 day after they end".into(),
        Some(days) => format!("kept {days} days after they end"),
    }
}

fn describe_policy(policy: &RetentionPolicy) -> String {
    fields(&[
        ("succeeded and stopped runs", kept(policy.keep_days)),
        ("failed runs", kept(policy.keep_failed_days)),
    ])
}

fn describe_report(report: &GcReport) -> String {
    let removed = &report.removed;
    let mut text = String::new();
    if report.policy.keeps_everything() {
        text.push_str(
            "runs are kept forever: nothing to remove (set a limit with `autowork gc set --keep-days N`)\n",
        );
    } else if removed.runs == 0 {
        text.push_str("nothing to remove: no finished run is past the policy\n");
    } else {
        let verb = if report.dry_run {
            "would remove"
        } else {
            "removed"
        };
        text.push_str(&format!(
            "{verb} {} (succeeded {}, failed {}, stopped {})\n",
            plural(removed.runs, "run", "runs"),
            removed.succeeded,
            removed.failed,
            removed.stopped
        ));
        text.push_str(&format!(
            "with {} ({}), {}, {}, {} and {}\n",
            plural(
                removed.messages,
                "transcript message",
                "transcript messages"
            ),
            plural(removed.parts, "part", "parts"),
            plural(removed.sessions, "session", "sessions"),
            plural(removed.changes, "change record", "change records"),
            plural(removed.blocker_replies, "blocker reply", "blocker replies"),
            plural(
                removed.originals_dirs,
                "originals directory",
                "originals directories"
            ),
        ));
        for id in &removed.run_ids {
            text.push_str(&format!("  {id}\n"));
        }
        let more = removed.runs.saturating_sub(removed.run_ids.len() as u64);
        if more > 0 {
            text.push_str(&format!("  ... and {more} more\n"));
        }
    }
    let cut = |at: Option<&chrono::DateTime<chrono::Utc>>| match at {
        Some(at) => format!("ended before {}", time(at)),
        None => "kept forever".into(),
    };
    let database = &report.database;
    let size = match database.bytes_after {
        Some(after) => format!(
            "{} -> {}{}",
            bytes(database.bytes_before),
            bytes(after),
            match database.compaction {
                Compaction::None => "",
                Compaction::IncrementalVacuum => " (incremental vacuum)",
                Compaction::Vacuum => " (vacuum)",
            }
        ),
        None => bytes(database.bytes_before),
    };
    text.push_str(&fields(&[
        ("succeeded and stopped", cut(report.cutoff.as_ref())),
        ("failed", cut(report.failed_cutoff.as_ref())),
        ("database", size),
    ]));
    text
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `1.5 MB`, `12 KB`, `800 B` (powers of 1024, as file managers show them).
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(bytes(800), "800 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(12 * 1024 * 1024), "12 MB");
    }
}
