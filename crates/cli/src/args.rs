//! The command line: every subcommand and flag, as clap derives them.

use std::path::PathBuf;

use autowork_core::ledger::RunState;
use clap::{Args, Parser, Subcommand};

/// Autowork from a terminal: define automations, inspect and cancel their runs, follow
/// the engine's events.
#[derive(Debug, Parser)]
#[command(name = "autowork", version)]
pub struct Cli {
    /// Where the database and models.json live [default: the user data dir + /autowork]
    #[arg(long, global = true, env = "AUTOWORK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print the engine's values (and errors) as JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, inspect, change, pause and delete automations
    #[command(subcommand)]
    Automation(AutomationCommand),
    /// List, inspect and cancel runs
    #[command(subcommand)]
    Run(RunCommand),
    /// Print the engine's events as JSON lines
    Events(EventsArgs),
    /// List the models automations may use
    Models,
}

#[derive(Debug, Subcommand)]
pub enum AutomationCommand {
    /// Create an automation from a JSON file and/or flags (flags win)
    Create(Box<CreateArgs>),
    /// List automations, oldest first
    List,
    /// Show one automation
    Show { id: String },
    /// Change fields of an automation at a known revision
    Update(Box<UpdateArgs>),
    /// Delete an automation, stopping its active run
    Delete { id: String },
    /// Stop firing on the schedule (Run now still works)
    Pause { id: String },
    /// Fire on the schedule again
    Resume { id: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Create it paused
    #[arg(long)]
    pub paused: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub id: String,
    /// The revision the change was made against; a newer stored revision is a conflict
    #[arg(long, value_name = "N")]
    pub expected_revision: u64,
    #[command(flatten)]
    pub spec: SpecArgs,
}

/// Fields of an automation as flags, shared by create and update.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// A JSON object of fields to start from (`-` reads stdin); the flags below override it
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub prompt: Option<String>,
    /// The work directory (relative paths are taken from the current directory)
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// PROVIDER/MODEL, e.g. openai/gpt-5 (see `autowork models`)
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,
    /// Reasoning effort: low, medium or high
    #[arg(long)]
    pub variant: Option<String>,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Most model calls a run may make
    #[arg(long, value_name = "N")]
    pub step_cap: Option<u32>,
}

/// The trigger, as at most one of its kinds.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Fire on a five-field cron expression, e.g. "0 9 * * 1-5"
    #[arg(long, value_name = "EXPR", conflicts_with_all = ["every", "at", "manual"])]
    pub cron: Option<String>,
    /// IANA time zone of --cron [default: $TZ, /etc/timezone, else UTC]
    #[arg(long, value_name = "TZ", requires = "cron")]
    pub timezone: Option<String>,
    /// Fire repeatedly: 45s, 30m, 2h, 1d, or milliseconds
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["at", "manual"])]
    pub every: Option<String>,
    /// Fire once at an RFC 3339 time, e.g. 2027-03-27T09:00:00Z
    #[arg(long, value_name = "TIME", conflicts_with = "manual")]
    pub at: Option<String>,
    /// Fire only on Run now
    #[arg(long)]
    pub manual: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// List runs, newest first
    List(RunListArgs),
    /// Show one run
    Show { id: String },
    /// Cancel an active run
    Cancel { id: String },
}

#[derive(Debug, Args)]
pub struct RunListArgs {
    /// Only runs of this automation
    #[arg(long, value_name = "ID")]
    pub automation: Option<String>,
    /// Only runs in this state (repeatable)
    #[arg(long = "state", value_name = "STATE", value_parser = parse_state)]
    pub states: Vec<RunState>,
    /// Continue after a previous page's next cursor
    #[arg(long)]
    pub cursor: Option<String>,
    /// Runs per page (1..=500, default 50)
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Start after this sequence number [default: the newest, so only new events]
    #[arg(long, value_name = "SEQ")]
    pub since: Option<i64>,
    /// Print what is there and exit instead of waiting for more
    #[arg(long)]
    pub no_follow: bool,
}

fn parse_state(text: &str) -> Result<RunState, String> {
    RunState::parse(text).ok_or_else(|| {
        let all: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of {}", all.join(", "))
    })
}
