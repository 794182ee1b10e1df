//! `autowork queue`: the limits on runs executing at once and the runs waiting for a slot.

use autowork_core::queue::QueueLimits;
use autowork_core::{ApiError, Engine, ValidationDetail};

use crate::args::{QueueCommand, QueueSetArgs};
use crate::output::{emit_either, time, Outcome};

pub async fn run(engine: &Engine, command: Option<QueueCommand>, json: bool) -> Outcome {
    match command {
        None | Some(QueueCommand::Show) => show(engine, json).await,
        Some(QueueCommand::Set(args)) => set(engine, args, json).await,
    }
}

async fn show(engine: &Engine, json: bool) -> Outcome {
    let view = engine.queue_view(200).await?;
    emit_either(json, &view, |view| {
        let mut text = format!(
            "running:           {} of {} at once\n",
            view.running, view.limits.max_concurrent_runs
        );
        for (provider, limit) in &view.limits.per_provider {
            let running = view.running_by_provider.get(provider).copied().unwrap_or(0);
            text.push_str(&format!("  {provider:<16} {running} of {limit} at once\n"));
        }
        if view.queued.is_empty() {
            text.push_str("queued:            none\n");
            return text;
        }
        text.push_str(&format!(
            "queued:            {} (in start order)\n",
            view.total_queued
        ));
        for (ahead, run) in view.queued.iter().enumerate() {
            text.push_str(&format!(
                "  {:>3}. {}  {:<9} queued {}  {}\n",
                ahead + 1,
                run.id,
                run.trigger.as_str(),
                time(&run.queued_at),
                run.automation_id
            ));
        }
        if view.total_queued as usize > view.queued.len() {
            text.push_str(&format!(
                "  ... and {} more\n",
                view.total_queued as usize - view.queued.len()
            ));
        }
        text
    })
}

async fn set(engine: &Engine, args: QueueSetArgs, json: bool) -> Outcome {
    let mut limits = engine.queue_limits().await?;
    if let Some(max) = args.max_concurrent_runs {
        limits.max_concurrent_runs = max;
    }
    for entry in &args.provider {
        let (provider, limit) = parse_provider_limit(entry)?;
        limits.per_provider.insert(provider, limit);
    }
    for provider in &args.no_provider_limit {
        limits.per_provider.remove(provider);
    }
    let saved: QueueLimits = engine.set_queue_limits(limits).await?;
    emit_either(json, &saved, |limits| {
        let mut text = format!("at most {} run(s) at once\n", limits.max_concurrent_runs);
        for (provider, limit) in &limits.per_provider {
            text.push_str(&format!("  {provider}: at most {limit} at once\n"));
        }
        text
    })
}

/// `openai=2` as a provider and its limit.
fn parse_provider_limit(entry: &str) -> Result<(String, u32), ApiError> {
    let invalid = |hint: String| {
        ApiError::from(autowork_core::Error::InvalidInput(vec![
            ValidationDetail::new("provider", "expected_provider_equals_limit").with_hint(hint),
        ]))
    };
    let (provider, limit) = entry
        .split_once('=')
        .ok_or_else(|| invalid(format!("`{entry}`: write it as PROVIDER=N, e.g. openai=2")))?;
    let limit = limit
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(format!("`{entry}`: `{limit}` is not a whole number")))?;
    Ok((provider.trim().to_owned(), limit))
}

/// `autowork workers`: who takes queued runs, and from which folders.
pub async fn workers(engine: &Engine, json: bool) -> Outcome {
    let workers = engine.workers().await?;
    emit_either(json, &workers, |workers| {
        if workers.is_empty() {
            return "no app or daemon is connected to take queued runs\n".to_owned();
        }
        let mut text = String::new();
        for worker in workers {
            let me = if worker.this_process {
                "  (this process)"
            } else {
                ""
            };
            text.push_str(&format!("{} ({}){me}\n", worker.name, worker.kind));
            for folder in &worker.serves {
                text.push_str(&format!("  serves {folder}\n"));
            }
        }
        text
    })
}
