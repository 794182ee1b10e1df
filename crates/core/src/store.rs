//! sqlx over SQLite: opening the database (WAL, foreign keys, busy timeout), migrations, and
//! one function per question the engine asks, so all SQL can be read in this module.

pub(crate) mod automations;
pub(crate) mod changes;
pub(crate) mod events;
pub(crate) mod instances;
pub(crate) mod runs;
pub(crate) mod schedule;
pub(crate) mod status;
pub(crate) mod transcripts;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another process's write lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                context: format!("cannot create the data directory {}", parent.display()),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        // Write transactions of this process queue for one connection, in order, instead of
        // each sleeping in SQLite's busy handler while the lock sits free (a burst of
        // scheduled fires with their runs starting and ending spent most of its time
        // there). Other processes still wait through the busy timeout.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(BUSY_TIMEOUT * 2)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction that holds SQLite's write lock from its first statement, so two
    /// processes never deadlock upgrading a read to a write.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Waits for open connections to finish and closes the pool.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Reads a stored enum's text, reporting unknown values as corruption.
pub(crate) fn parse_column<T>(
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(text).ok_or_else(|| Error::Corrupt(format!("unknown {column} `{text}`")))
}

pub(crate) fn to_u64(column: &str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::Corrupt(format!("negative {column} {value}")))
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
