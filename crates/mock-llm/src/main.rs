//! `autowork-mock-llm`: serve a mock script over HTTP until Ctrl-C or SIGTERM.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use autowork_mock_llm::{MockServer, Script};
use clap::Parser;

/// Scriptable mock model server, for tests and the offline demo only (not a model).
///
/// Serves OpenAI Chat Completions (POST /v1/chat/completions), Anthropic Messages
/// (POST /v1/messages) and GET /v1/models on 127.0.0.1, answering each completion
/// request with the next turn of a JSON script. Prints `listening on http://127.0.0.1:PORT`
/// once ready and logs each request to stderr. See the autowork_mock_llm crate docs and
/// crates/mock-llm/scripts/ for the script format.
#[derive(Debug, Parser)]
#[command(name = "autowork-mock-llm", version)]
struct Args {
    /// JSON script: {"model"?: "...", "turns": [{"text": "..."}, ...]}
    #[arg(long, value_name = "FILE")]
    script: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let script = Script::from_file(&args.script)?;
    let turns = script.turns.len();
    let server = MockServer::start_on(script, args.port).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {}", server.base_url())?;
        stdout.flush().context("cannot write to stdout")?;
    }
    tracing::info!("serving {turns} turns from {}", args.script.display());

    stopped().await?;
    tracing::info!(
        "stopping after {} requests, {} of {turns} turns used",
        server.requests().len(),
        server.turns_used()
    );
    server.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot listen for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    Ok(())
}
