//! Logs: a daily rolling file in the app's log directory, and stderr.

use std::path::Path;

use autowork_core::secrets::RedactingWriter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Starts logging; keep the guard alive for the life of the app (it flushes the file).
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    let filter =
        || EnvFilter::try_from_env("AUTOWORK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // No known secret reaches a log line.
    let stderr = fmt::layer()
        .with_writer(|| RedactingWriter::new(std::io::stderr()))
        .with_filter(filter());
    match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::daily(log_dir, "autowork.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file = fmt::layer()
                .with_ansi(false)
                .with_writer(move || RedactingWriter::new(writer.clone()))
                .with_filter(filter());
            let _ = tracing_subscriber::registry()
                .with(stderr)
                .with(file)
                .try_init();
            Some(guard)
        }
        Err(e) => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            tracing::warn!(dir = %log_dir.display(), error = %e, "no log file: cannot create the log directory");
            None
        }
    }
}

use tracing_subscriber::Layer;
