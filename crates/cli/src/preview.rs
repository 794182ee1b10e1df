//! `autowork automation preview`: the next fires of a trigger and the schedule in words,
//! computed here without opening the engine (nothing is saved, no database is needed).

use autowork_core::automation_file::parse_schedule;
use autowork_core::catalog::Catalog;
use autowork_core::definition::ValidationContext;
use autowork_core::schedule::{self, SchedulePreview};
use autowork_core::{ApiError, ValidationDetail};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::args::PreviewArgs;
use crate::output::{emit_either, internal, time, Outcome};
use crate::share;

pub fn run(args: &PreviewArgs, json: bool) -> Outcome {
    if args.trigger == "-" && args.stop.as_deref() == Some("-") {
        return Err(invalid(vec![ValidationDetail::new("--stop", "stdin_taken")
            .with_hint("only one of --trigger and --stop can read stdin")])
        .into());
    }
    let mut problems = Vec::new();
    let trigger = json_arg("--trigger", "trigger", &args.trigger)
        .map_err(|problem| problems.push(problem))
        .ok();
    let stop = match &args.stop {
        None => Some(None),
        Some(arg) => json_arg("--stop", "stop", arg)
            .map(Some)
            .map_err(|problem| problems.push(problem))
            .ok(),
    };
    let from = match &args.from {
        None => Some(Utc::now()),
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(e) => {
                problems.push(
                    ValidationDetail::new("--from", "invalid_timestamp").with_hint(format!(
                        "expected an RFC 3339 time such as 2027-03-27T09:00:00Z ({e})"
                    )),
                );
                None
            }
        },
    };
    let (Some(trigger), Some(stop), Some(from)) = (trigger, stop, from) else {
        return Err(invalid(problems).into());
    };

    // The rules of a create, as of the moment previewed from; the catalog is not consulted.
    let catalog = Catalog::builtin();
    let ctx = ValidationContext {
        catalog: &catalog,
        now: from,
    };
    let (trigger, stop) = parse_schedule(&trigger, stop.as_ref(), &ctx).map_err(invalid)?;
    let preview = schedule::preview(&trigger, &stop, from, usize::from(args.count))
        .map_err(|e| internal(format!("cannot compute the schedule: {e}")))?;
    emit_either(json, &preview, human)
}

/// `F` of `--trigger F`: inline JSON (starting with `{`), `-` for stdin, else a file.
fn json_arg(flag: &str, field: &str, arg: &str) -> Result<Value, ValidationDetail> {
    let text = if arg.trim_start().starts_with('{') {
        arg.to_owned()
    } else {
        share::read_input(flag, arg.as_ref())?
    };
    serde_json::from_str(&text).map_err(|e| {
        ValidationDetail::new(field, "invalid_json").with_hint(format!(
            "{flag} takes a JSON object, a file holding one, or - for stdin: {e}"
        ))
    })
}

/// A validation error named after what was wrong: the trigger, else the stop condition,
/// else the other flags.
fn invalid(details: Vec<ValidationDetail>) -> ApiError {
    let about = |name: &str| {
        details.iter().any(|d| {
            let field = d.field.trim_start_matches("--");
            field == name || field.starts_with(&format!("{name}."))
        })
    };
    let (error, what) = if about("trigger") {
        ("invalid_trigger", "invalid trigger")
    } else if about("stop") {
        ("invalid_stop", "invalid stop condition")
    } else {
        ("invalid_input", "invalid input")
    };
    let summary: Vec<String> = details
        .iter()
        .map(|d| format!("{}: {}", d.field, d.message))
        .collect();
    ApiError::Validation {
        error: error.into(),
        message: format!("{what}: {}", summary.join(", ")),
        details,
    }
}

/// The description, then one fire a line.
fn human(preview: &SchedulePreview) -> String {
    let mut text = format!("{}\n", preview.description);
    if preview.fires.is_empty() {
        text.push_str("no upcoming fires\n");
    }
    for fire in &preview.fires {
        text.push_str(&time(fire));
        text.push('\n');
    }
    text
}
