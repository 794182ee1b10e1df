//! The command line: every subcommand and flag, as clap derives them.

use std::path::PathBuf;

use autowork_core::agent::provider::ProviderKind;
use autowork_core::ledger::{PermissionDecision, RunState, RunTrigger};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

/// Autowork from a terminal: define automations, run them, answer what they ask, inspect
/// and cancel their runs, configure model providers, follow the engine's events.
#[derive(Debug, Parser)]
#[command(name = "autowork", version)]
pub struct Cli {
    /// Where the database, models.json and providers.json live [default: the user data dir
    /// + /autowork]
    #[arg(long, global = true, env = "AUTOWORK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print the engine's values (and errors) as JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Where the ledger lives: a team database's PostgreSQL URL (no password in it: see
    /// `store set-password`), or empty for this computer's [default: the app's Settings ->
    /// Database choice, else this computer]
    #[arg(long, global = true, env = "AUTOWORK_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// Drive only runs of automations whose folder lies in FOLDER (repeat, or
    /// AUTOWORK_SERVE=a:b). A daemon takes the runs queued anywhere for these folders; a
    /// run-now for another folder goes to a worker that serves it [default: every folder;
    /// on a team database, every folder that exists on this machine]
    #[arg(
        long,
        global = true,
        env = "AUTOWORK_SERVE",
        value_name = "FOLDER",
        value_delimiter = ':'
    )]
    pub serve: Vec<PathBuf>,

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
    /// Check what an automation's permission rules decide, without running anything
    #[command(subcommand)]
    Permissions(PermissionsCommand),
    /// Run an automation now and follow it to its end, answering what it asks
    ///
    /// The run executes inside this process, so the command lives as long as the run: it
    /// streams the transcript (to stderr with --json, so stdout holds only the final run),
    /// prompts on this terminal for permissions and answers when attended, and prints the
    /// final run. Ctrl-C cancels the run (exit 130). Exit 0 when the run succeeded, 1 when
    /// it failed or was stopped.
    RunNow(RunNowArgs),
    /// Answer a run's permission request (from `run show`, or another terminal)
    Reply(ReplyArgs),
    /// Answer a run's questions, one answer per question, in order
    Answer(AnswerArgs),
    /// Print the engine's events as JSON lines
    Events(EventsArgs),
    /// List the models automations may use (the catalog and the providers' models)
    Models,
    /// Configure the model providers runs call
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// The team database: test a connection, keep its password in the keychain
    #[command(subcommand)]
    Store(StoreCommand),
    /// Run the engine with the scheduler in the foreground, firing automations on their
    /// schedules until interrupted (for servers, or instead of the app)
    ///
    /// One process per database schedules (a lease in the database): started beside the
    /// app, the daemon waits and takes over when the app quits. Logs go to stderr
    /// (`AUTOWORK_LOG=info` by default here).
    Daemon(DaemonArgs),
    /// How many runs may execute at once, and the runs waiting for a slot
    ///
    /// Without a subcommand: the limits, the runs holding a slot and the queued runs in the
    /// order they will start (a person's Run now first, then scheduled fires by due time).
    /// The limits hold for every process sharing the data directory.
    Queue {
        #[command(subcommand)]
        command: Option<QueueCommand>,
    },
    /// Remove finished runs past the retention policy, with their transcripts
    ///
    /// Without a subcommand: removes the finished runs the policy lets go, with their
    /// transcripts, recorded changes and originals, then gives the freed space back to the
    /// file system (--dry-run only says what would go). Never removed: runs still active or
    /// waiting for input, runs unseen in the inbox, worktree runs whose changes wait to be
    /// applied or discarded, each automation's newest run, and the session an automation
    /// continues. The process that schedules (the app, or `autowork daemon`) does this
    /// hourly once a policy is set.
    Gc(GcArgs),
    /// The apps and daemons connected to this database that take queued runs, and the
    /// folders each serves
    ///
    /// On a team database a run goes to a worker that serves its automation's folder (the
    /// app or `autowork daemon --serve FOLDER` on the machine that has it).
    Workers,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GcArgs {
    #[command(subcommand)]
    pub command: Option<GcCommand>,
    /// Say what would be removed; remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum GcCommand {
    /// How long finished runs are kept
    Show,
    /// Change how long finished runs are kept, for every process sharing the data directory
    Set(GcSetArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub struct GcSetArgs {
    /// Days succeeded and stopped runs are kept after they end (1..=36500), or `forever`
    #[arg(long, value_name = "DAYS|forever", value_parser = parse_keep)]
    pub keep_days: Option<Keep>,
    /// Days failed runs are kept (at least --keep-days), or `forever`
    #[arg(long, value_name = "DAYS|forever", value_parser = parse_keep)]
    pub keep_failed_days: Option<Keep>,
}

/// A retention: a number of days, or without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Forever,
    Days(u32),
}

impl Keep {
    pub fn days(self) -> Option<u32> {
        match self {
            Keep::Forever => None,
            Keep::Days(days) => Some(days),
        }
    }
}

fn parse_keep(text: &str) -> Result<Keep, String> {
    if text.eq_ignore_ascii_case("forever") {
        return Ok(Keep::Forever);
    }
    text.trim()
        .parse::<u32>()
        .map(Keep::Days)
        .map_err(|_| format!("`{text}` is neither a number of days nor `forever`"))
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// The limits and the queued runs (the default)
    Show,
    /// Change the limits on runs executing at once
    Set(QueueSetArgs),
}

#[derive(Debug, Args)]
pub struct QueueSetArgs {
    /// Runs executing at once, all providers together (1..=64; default 4)
    #[arg(long, value_name = "N")]
    pub max_concurrent_runs: Option<u32>,
    /// A provider's own limit, below the global one, e.g. --provider openai=2 (repeatable)
    #[arg(long, value_name = "PROVIDER=N")]
    pub provider: Vec<String>,
    /// Remove a provider's own limit (repeatable)
    #[arg(long, value_name = "PROVIDER")]
    pub no_provider_limit: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PermissionsCommand {
    /// Print each command of a shell script with its decision and the rule or reason behind it
    ///
    /// `autowork permissions check aut_... -- 'git status; rm -rf ~'`. The script is parsed
    /// as a run's bash call would be: every plain command is matched against the
    /// automation's rules (wrappers such as `timeout` or `sh -c` unwrapped), and a script the
    /// parser cannot reduce to plain commands is opaque: no rule can allow it. Exit 0 with
    /// any decision (--json: the decision, every command and its rule).
    Check {
        /// The automation whose rules decide
        id: String,
        /// The script, after `--` (several words are joined with spaces)
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct RunNowArgs {
    /// The automation to run
    pub id: String,
    /// Wait for the run to end (always the case: the run lives as long as this command)
    #[arg(long)]
    pub wait: bool,
    /// Ask on this terminal when the run needs a permission or an answer [default when
    /// stdin is a terminal]
    #[arg(long, conflicts_with = "unattended")]
    pub attended: bool,
    /// Do not wait for input: a permission to ask for or a question fails the run
    /// (`needs_user_input`) unless the automation allows waiting [default when stdin is
    /// not a terminal]
    #[arg(long)]
    pub unattended: bool,
}

#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// The request id (`req_...`) the run waits on
    pub request_id: String,
    /// once: allow this call; always: allow it and its like from now on; reject: refuse
    #[arg(value_parser = parse_decision, value_name = "once|always|reject")]
    pub decision: PermissionDecision,
    /// Tell the agent why (with reject)
    #[arg(long, value_name = "M")]
    pub message: Option<String>,
    /// With always: which of the request's wider choices to add (0 = the exact rule; `run
    /// show --json` lists them as `always_options`)
    #[arg(long, value_name = "N")]
    pub choice: Option<u32>,
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The question's call id the run waits on
    pub call_id: String,
    /// One answer per question, in order
    #[arg(required = true, num_args = 1.., value_name = "ANSWER")]
    pub answers: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Add a provider, or replace the one with the same id (a preset too)
    Add(ProviderAddArgs),
    /// List the providers: yours and the presets, and whether their key variable is set
    List,
    /// Remove a provider you added (a preset you overrode comes back as it was)
    Remove { id: String },
    /// Check that a provider answers with its key: list its models
    Test { id: String },
    /// Store a provider's API key, read from stdin (one line): in the OS keychain, or where
    /// none runs, in a file only you can read in the data directory; it is used before the
    /// provider's key variable
    SetKey { id: String },
    /// Remove a provider's stored API key (from the OS keychain and its key file)
    ForgetKey { id: String },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Connect to a team database (5 s at most) and report the server and its schema, or
    /// what failed, naming the field to fix (`store` or `password`)
    ///
    /// URL defaults to the store in use (--store, AUTOWORK_STORE, the app's settings). The
    /// password comes from AUTOWORK_STORE_PASSWORD, else the keychain. Exit 0 when it
    /// connects, 2 when the URL or the password is wrong or the server cannot be reached.
    Test {
        /// postgres://user@host/database, without a password
        url: Option<String>,
    },
    /// Save a team database's password in the OS keychain, read from stdin (not shown at a
    /// terminal; one line from a pipe)
    ///
    /// Without a keychain service (headless machines) this fails: set
    /// AUTOWORK_STORE_PASSWORD in the environment instead. The environment wins over the
    /// keychain.
    SetPassword {
        /// postgres://user@host/database [default: the store in use]
        url: Option<String>,
    },
    /// Remove a team database's password from the OS keychain
    ForgetPassword {
        /// postgres://user@host/database [default: the store in use]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ProviderAddArgs {
    /// Lowercase letters, digits, dashes and underscores; automations name it in --model
    #[arg(long)]
    pub id: String,
    /// The wire format: openai-compatible or anthropic
    #[arg(long, value_parser = parse_kind, value_name = "openai-compatible|anthropic")]
    pub kind: ProviderKind,
    /// OpenAI-compatible: the URL /chat/completions is appended to (e.g.
    /// https://api.openai.com/v1); Anthropic: the API root
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// The environment variable holding the API key (the key itself is never stored)
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Model ids it serves beyond the built-in catalog (repeatable)
    #[arg(long = "model", value_name = "MODEL_ID", num_args = 1..)]
    pub models: Vec<String>,
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
    /// Pause every scheduled automation at once (the tray's "Pause all schedules")
    PauseAll,
    /// Resume what pause-all paused; automations paused one by one stay paused
    ResumeAll,
    /// Show the next fires of a trigger, without saving anything
    ///
    /// Needs no database. The schedule in words comes first, then the fires in RFC 3339
    /// UTC, one a line (--json: {"fires": [...], "description": "..."}). An invalid trigger
    /// or stop condition exits 2 with every problem, as a create would report it.
    Preview(PreviewArgs),
    /// Write an automation's definition as a shareable JSON file
    ///
    /// Schedule, policies and limits, without ids, revisions, timestamps or derived status.
    /// The file starts with "$schema" (the published JSON Schema, see `automation schema`)
    /// and "format_version": 1; `automation import` reads it back.
    Export(ExportArgs),
    /// Create an automation from an exported file, validated like a create
    ///
    /// Every problem is reported at once (exit 2) and nothing is created then. The header
    /// keys "$schema" (any string) and "format_version" (1, or absent) are accepted and
    /// dropped; another format_version is refused. The workspace must exist here and the
    /// model must be in this machine's catalog.
    Import(ImportArgs),
    /// Print the JSON Schema of exported automation files (docs/automation.schema.json)
    Schema,
    /// Draft an automation from a sentence with your default model; nothing is saved
    ///
    /// The model gets the sentence, the work directory's name and top-level file names
    /// (no contents, no hidden files), your time zone and the model catalog, and proposes
    /// a definition; problems are sent back to it twice at most. Commands are allowed
    /// without asking only when the sentence asks for commands, the internet only when it
    /// asks for it. Prints the draft in plain words (next five fires, where, which model,
    /// what it may do without asking), what was taken out and why, and the problems left
    /// per field. --output writes the draft as an automation file; create it with
    /// `autowork automation import FILE`. --json prints {"draft": ..., "file": ...}.
    /// Exits 2 when the draft still has problems, as a create of it would.
    Draft(DraftArgs),
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    /// What the automation should do, and when, in your words
    pub sentence: String,
    /// The work directory [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Your IANA time zone, for schedules [default: $TZ, /etc/timezone, else UTC]
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// The model that drafts, PROVIDER/MODEL [default: the default model in settings]
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,
    /// Write the draft as an automation file here (`-` is stdout)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The trigger, as JSON: a file, `-` for stdin, or the JSON itself (a value starting
    /// with `{` is read as inline JSON), e.g.
    /// '{"kind":"cron","expression":"0 9 * * 1-5","timezone":"Europe/Berlin"}'
    #[arg(long, value_name = "F")]
    pub trigger: String,
    /// The stop condition, given like --trigger, e.g. '{"kind":"after_runs","count":3}'
    /// [default: never]
    #[arg(long, value_name = "F")]
    pub stop: Option<String>,
    /// List the fires strictly after this RFC 3339 time [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub from: Option<String>,
    /// How many fires to list (1..=100)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        value_parser = clap::value_parser!(u8).range(1..=100)
    )]
    pub count: u8,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The automation to export
    pub id: String,
    /// Write the file here instead of stdout (`-` is stdout)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The exported file, or `-` for stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
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
pub struct DaemonArgs {
    /// Seconds this daemon's lease lasts without renewal (renewed every third of it): when
    /// it dies, the other workers close its runs and take over its schedule this long after
    /// its last renewal. Shorter finds a dead daemon sooner; longer rides out pauses (a
    /// suspended machine, a slow database)
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_ttl: u64,
}

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
    Show {
        id: String,
        /// Also print what was said: messages, tool calls and their results
        #[arg(long)]
        transcript: bool,
    },
    /// Cancel an active run
    Cancel { id: String },
    /// What a run changed: files with line counts, then the unified diff
    Diff {
        id: String,
        /// Only the file list and counts, no diff
        #[arg(long)]
        stat: bool,
    },
    /// Keep a worktree run's changes: apply its commit to the workspace's current branch
    /// (exits 1 and changes nothing on a conflict)
    Apply { id: String },
    /// Drop a worktree run's changes from its worktree
    Discard { id: String },
    /// Put back the files a crashed run changed, as they were before it (`run show` lists
    /// them as `originals`)
    Restore { id: String },
    /// Continue a finished run's conversation with a new message: a new run of the same
    /// automation, in the same work area with the same permissions and limits, driven and
    /// followed here as `run-now` does
    FollowUp(FollowUpArgs),
}

#[derive(Debug, Args)]
pub struct FollowUpArgs {
    /// The finished run to follow up
    pub id: String,
    /// What to say to it, e.g. "now also fix the lint warning"
    pub message: String,
    /// Ask on this terminal when the run needs a permission or an answer [default when
    /// stdin is a terminal]
    #[arg(long, conflicts_with = "unattended")]
    pub attended: bool,
    /// Do not wait for input: a permission to ask for or a question fails the run
    /// (`needs_user_input`) unless the automation allows waiting [default when stdin is
    /// not a terminal]
    #[arg(long)]
    pub unattended: bool,
}

#[derive(Debug, Args)]
pub struct RunListArgs {
    /// Only runs of this automation
    #[arg(long, value_name = "ID")]
    pub automation: Option<String>,
    /// Only runs in this state (repeatable)
    #[arg(long = "state", value_name = "STATE", value_parser = parse_state)]
    pub states: Vec<RunState>,
    /// Only runs started this way: manual, schedule or catch_up (repeatable)
    #[arg(long = "trigger", value_name = "TRIGGER", value_parser = parse_trigger)]
    pub triggers: Vec<RunTrigger>,
    /// Only runs queued at or after this time (RFC 3339, or a date: 2027-03-01)
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Only runs queued before this time (RFC 3339, or a date)
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub until: Option<DateTime<Utc>>,
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

fn parse_trigger(text: &str) -> Result<RunTrigger, String> {
    RunTrigger::parse(text).ok_or_else(|| "expected one of manual, schedule, catch_up".into())
}

/// RFC 3339, or a plain date meaning its midnight in UTC.
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            "expected an RFC 3339 time (2027-03-01T09:00:00Z) or a date (2027-03-01)".into()
        })
}

fn parse_decision(text: &str) -> Result<PermissionDecision, String> {
    match text {
        "once" => Ok(PermissionDecision::Once),
        "always" => Ok(PermissionDecision::Always),
        "reject" => Ok(PermissionDecision::Reject),
        _ => Err("expected once, always or reject".into()),
    }
}

fn parse_kind(text: &str) -> Result<ProviderKind, String> {
    ProviderKind::parse(text).ok_or_else(|| "expected openai-compatible or anthropic".into())
}
