//! `autowork`: the Autowork engine from a terminal. Each command parses its arguments,
//! makes one engine call and prints the result (`--json` for the engine's own values);
//! `run-now` drives a run in this process and follows it to its end.

mod args;
mod automation;
mod blockers;
mod draft;
mod events;
mod gc;
mod models;
mod output;
mod permissions;
mod preview;
mod provider;
mod queue;
mod run_now;
mod runs;
mod share;
mod spec;
mod store;
mod transcript;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use autowork_core::agent::Agent;
use autowork_core::secrets::RedactingWriter;
use autowork_core::{ApiError, Engine, EngineConfig, Error, ValidationDetail};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use args::{AutomationCommand, Cli, Command};
use output::{Failure, Outcome};

fn main() -> ExitCode {
    // Before any thread starts: the sandbox launcher enters a user namespace, which a
    // multi-threaded process cannot (so no `#[tokio::main]` here).
    autowork_core::sandbox::run_launcher_if_requested();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async_main())
}

async fn async_main() -> ExitCode {
    // Usage errors exit 2 here, before anything is opened.
    let cli = Cli::parse();
    init_logging();
    let json = cli.json;
    match run(cli).await {
        Ok(()) | Err(Failure::StdoutClosed) => ExitCode::SUCCESS,
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Api(error)) => {
            output::print_error(&error, json);
            if error.is_invalid_input() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(cli: Cli) -> Outcome {
    // Commands that need no database (nor a data directory) are answered right here.
    match &cli.command {
        Command::Automation(AutomationCommand::Preview(args)) => {
            return preview::run(args, cli.json)
        }
        Command::Automation(AutomationCommand::Schema) => return share::schema(),
        _ => {}
    }
    let data_dir = data_dir(cli.data_dir)?;
    // Provider settings are a file of their own: no database needed.
    if let Command::Provider(command) = cli.command {
        return provider::run(&data_dir, command, cli.json).await;
    }
    let location = store::location(&data_dir, cli.store.as_deref())?;
    // The team database's own commands connect (or not) themselves.
    if let Command::Store(command) = cli.command {
        return store::run(&location, command, cli.json).await;
    }
    // Runs started here (run-now, the daemon's schedule) execute in this process.
    let agent = Arc::new(Agent::new(&data_dir));
    let daemon = matches!(cli.command, Command::Daemon(_));
    let mut config = EngineConfig::new(data_dir)
        .label(if daemon { "daemon" } else { "cli" })
        .executor(agent)
        .scheduler(daemon)
        .store(location);
    if let Command::Daemon(args) = &cli.command {
        config = config
            .lease_ttl(std::time::Duration::from_secs(args.lease_ttl))
            .takes_queued_runs(true);
    }
    if !cli.serve.is_empty() {
        config = config.serve(cli.serve.clone());
    }
    let engine = Engine::open(config).await?;
    let outcome = dispatch(&engine, cli.command, cli.json).await;
    engine.shutdown().await;
    outcome
}

async fn dispatch(engine: &Engine, command: Command, json: bool) -> Outcome {
    match command {
        Command::Automation(command) => automation::run(engine, command, json).await,
        Command::Run(command) => runs::run(engine, command, json).await,
        Command::Permissions(command) => permissions::run(engine, command, json).await,
        Command::RunNow(args) => run_now::run(engine, args, json).await,
        Command::Reply(args) => blockers::reply(engine, args, json).await,
        Command::Answer(args) => blockers::answer(engine, args, json).await,
        Command::Events(args) => events::run(engine, args).await,
        Command::Models => models::run(engine, json),
        Command::Daemon(_) => daemon(engine).await,
        Command::Queue { command } => queue::run(engine, command, json).await,
        Command::Gc(args) => gc::run(engine, args, json).await,
        Command::Workers => queue::workers(engine, json).await,
        // Handled before the engine is opened.
        Command::Provider(command) => provider::run(engine.data_dir(), command, json).await,
        // Handled before the engine is opened; here only a URL given to the command counts.
        Command::Store(command) => store::run(&Default::default(), command, json).await,
    }
}

/// Keeps the engine (and its scheduler) running until Ctrl-C or SIGTERM.
async fn daemon(engine: &Engine) -> Outcome {
    tracing::info!(data_dir = %engine.data_dir().display(), "autowork daemon: scheduling");
    eprintln!(
        "autowork daemon: firing automations in {} (Ctrl-C stops)",
        engine.data_dir().display()
    );
    let me = engine.this_worker();
    eprintln!(
        "autowork daemon: running automations in {} as {}",
        me.serves.join(", "),
        me.name
    );
    let terminate = async {
        #[cfg(unix)]
        {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("autowork daemon: stopping");
    Ok(())
}

/// `--data-dir`, `$AUTOWORK_DATA_DIR`, else the user's data directory + `autowork`.
fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, ApiError> {
    given
        .or_else(|| dirs::data_dir().map(|dir| dir.join("autowork")))
        .ok_or_else(|| {
            Error::InvalidInput(vec![ValidationDetail::new("--data-dir", "no_data_dir")
                .with_hint(
                    "no home directory was found; pass --data-dir or set AUTOWORK_DATA_DIR",
                )])
            .into()
        })
}

/// Logs go to stderr, filtered by `AUTOWORK_LOG` (default `warn`), so stdout stays clean.
fn init_logging() {
    let daemon = std::env::args().any(|a| a == "daemon");
    let default = if daemon { "info" } else { "warn" };
    let filter =
        EnvFilter::try_from_env("AUTOWORK_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // No known secret reaches a log line.
        .with_writer(|| RedactingWriter::new(std::io::stderr()))
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
