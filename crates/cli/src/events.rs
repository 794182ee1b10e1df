//! `autowork events`: the outbox as JSON lines, optionally followed until Ctrl-C.

use std::time::Duration;

use autowork_core::Engine;

use crate::args::EventsArgs;
use crate::output::{emit, internal, Outcome};

/// How often new events are looked for while following.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Events read per query.
const BATCH: u32 = 500;

pub async fn run(engine: &Engine, args: EventsArgs) -> Outcome {
    let mut after = match args.since {
        Some(seq) => seq,
        None => engine.last_event_seq().await?,
    };
    if args.no_follow {
        return drain(engine, &mut after).await;
    }
    // Dropping the follow loop at any await point is safe: it only reads.
    tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            signal.map_err(|e| internal(format!("cannot listen for Ctrl-C: {e}")))?;
            Ok(())
        }
        outcome = follow(engine, &mut after) => outcome,
    }
}

async fn follow(engine: &Engine, after: &mut i64) -> Outcome {
    loop {
        drain(engine, after).await?;
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Prints every event after `after`, moving it to the last one printed.
async fn drain(engine: &Engine, after: &mut i64) -> Outcome {
    loop {
        let batch = engine.events_since(*after, BATCH).await?;
        for record in &batch {
            let line = serde_json::to_string(record)
                .map_err(|e| internal(format!("cannot serialize event {}: {e}", record.seq)))?;
            emit(&format!("{line}\n"))?;
            *after = record.seq;
        }
        if batch.len() < BATCH as usize {
            return Ok(());
        }
    }
}
