//! The ledger's database through sqlx: SQLite in the data directory (WAL, foreign keys, busy
//! timeout) or a team database on PostgreSQL; opening it, migrations, and one function per
//! question the engine asks, each written once for both (`backend::on_both_backends!`), so
//! all SQL can be read in this module.

pub(crate) mod automations;
pub(crate) mod backend;
#[cfg(test)]
mod backend_tests;
pub(crate) mod changes;
pub(crate) mod events;
pub(crate) mod inbox;
pub(crate) mod instances;
pub mod location;
pub(crate) mod overview;
pub(crate) mod queue;
pub(crate) mod retention;
pub(crate) mod runs;
pub(crate) mod schedule;
pub(crate) mod status;
#[cfg(test)]
mod test_database;
pub(crate) mod transcripts;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{
    ConnectOptions, PgPool, Postgres, QueryBuilder, Sqlite, SqliteConnection, SqlitePool,
    Transaction,
};
use tokio::sync::Notify;
use tokio::sync::OwnedMutexGuard;

use crate::error::{Error, Result};
use backend::{AnyConn, AsConn};
use location::StoreLocation;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The team database's schema on PostgreSQL (issue 14): the same tables, columns and rules
/// as the SQLite migrations, in `migrations_postgres/` (its README says how the two are kept
/// equal). Run it with `POSTGRES_MIGRATOR.run(&pg_pool)`; [`Store::open_postgres`] does.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations_postgres");

/// How long a statement waits for another process's write lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Write transactions between two checkpoints of the write-ahead log, which the engine runs
/// in the background ([`Store::checkpoint`]): about SQLite's own cadence (1000 pages) for an
/// agent's steps.
const CHECKPOINT_EVERY_WRITES: u64 = 64;
/// Pages the write-ahead log may hold before a commit checkpoints it itself, as SQLite does
/// by default at 1000. A checkpoint syncs both files, milliseconds that the commit (and the
/// run behind it) would wait for; this is the safety net for when the background
/// checkpoints fall behind.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 4_000;

/// The database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backing: Backing,
    /// Write transactions begun by this process.
    writes: Arc<AtomicU64>,
    /// Notified every [`CHECKPOINT_EVERY_WRITES`] write transactions.
    checkpoint_due: Arc<Notify>,
}

#[derive(Clone, Debug)]
enum Backing {
    /// Readers share `pool`; this process's writes queue for `writer`'s one connection.
    Sqlite {
        pool: SqlitePool,
        writer: Arc<tokio::sync::Mutex<Writer>>,
    },
    Postgres {
        pool: PgPool,
    },
}

/// A pooled connection of either backend, for reads (and writes outside a transaction).
pub(crate) enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    /// SQLite's writer connection, outside a transaction ([`Store::writer_connection`]).
    SqliteWriter(OwnedMutexGuard<Writer>),
    Postgres(PoolConnection<Postgres>),
}

impl AsConn for Conn {
    fn as_conn(&mut self) -> AnyConn<'_> {
        match self {
            Conn::Sqlite(conn) => AnyConn::Sqlite(conn),
            Conn::SqliteWriter(writer) => AnyConn::Sqlite(&mut writer.conn),
            Conn::Postgres(conn) => AnyConn::Postgres(conn),
        }
    }
}

impl Conn {
    /// The SQLite connection, for what only SQLite does (giving a file's pages back).
    pub(crate) fn sqlite(&mut self) -> Option<&mut SqliteConnection> {
        match self {
            Conn::Sqlite(conn) => Some(conn),
            Conn::SqliteWriter(writer) => Some(&mut writer.conn),
            Conn::Postgres(_) => None,
        }
    }
}

/// This process's one SQLite connection for writes, held by one write transaction at a time
/// (behind an async mutex: writers queue in order, in this process, instead of in SQLite's
/// busy handler). Not a pool: a pool pings each connection it takes back, a round trip to
/// the connection's thread after every write.
#[derive(Debug)]
pub(crate) struct Writer {
    conn: SqliteConnection,
    /// A transaction was begun and neither committed nor rolled back (its holder went away
    /// mid-write): the next holder rolls it back first.
    open: bool,
}

impl Writer {
    /// Rolls back what a holder that went away left open.
    async fn settle(&mut self) -> Result<()> {
        if self.open {
            rollback(&mut self.conn).await?;
            self.open = false;
        }
        Ok(())
    }
}

/// `ROLLBACK`, where "no transaction is active" (the failed statement was the `BEGIN`, or
/// SQLite already rolled back) counts as done.
async fn rollback(conn: &mut SqliteConnection) -> Result<()> {
    match sqlx::query("ROLLBACK").execute(conn).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A write transaction on SQLite's writer connection, begun with `BEGIN IMMEDIATE` by
/// [`Store::begin_write`]; committed by [`Tx::commit`], or together with its last statements
/// by [`SqliteWrite::commit_with`]. Dropped uncommitted, it rolls back.
pub(crate) struct SqliteWrite {
    writer: Option<OwnedMutexGuard<Writer>>,
}

impl SqliteWrite {
    fn conn(&mut self) -> &mut SqliteConnection {
        match self.writer.as_mut() {
            Some(writer) => &mut writer.conn,
            // Only the commits take the writer, and they consume `self`.
            None => unreachable!("a write transaction is used after its commit"),
        }
    }

    /// Runs `query` (statements, each ending with `;`) and `COMMIT` in one round trip to
    /// the connection's thread. Returns the batch's result: its `last_insert_rowid` is the
    /// last insert's (`COMMIT` inserts nothing); its row count also counts the `COMMIT`,
    /// which SQLite reports as the count of the statement before it.
    pub(crate) async fn commit_with(
        mut self,
        mut query: QueryBuilder<'_, Sqlite>,
    ) -> Result<sqlx::sqlite::SqliteQueryResult> {
        query.push(" COMMIT;");
        let done = query.build().execute(self.conn()).await?;
        if let Some(mut writer) = self.writer.take() {
            writer.open = false;
        }
        Ok(done)
    }

    async fn commit(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(self.conn()).await?;
        if let Some(mut writer) = self.writer.take() {
            writer.open = false;
        }
        Ok(())
    }
}

impl Drop for SqliteWrite {
    fn drop(&mut self) {
        let Some(mut writer) = self.writer.take() else {
            return;
        };
        // Rolled back at once where a runtime runs (the writer stays held until it is), else
        // by the next write of this process before its `BEGIN` (see `Writer::settle`).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = writer.settle().await {
                    tracing::warn!(error = %e, "could not roll back an abandoned write");
                }
            });
        }
    }
}

/// A write that reads nothing before it writes ([`Store::blind_write`], SQLite only): its
/// statements are only collected, and [`BlindWrite::commit`] sends them to the writer's
/// thread in one batch with their `BEGIN IMMEDIATE` and `COMMIT`, one round trip for the
/// whole transaction (each is a hop there and back, the most of a small write's cost).
pub(crate) struct BlindWrite<'a> {
    writer: Arc<tokio::sync::Mutex<Writer>>,
    sql: QueryBuilder<'a, Sqlite>,
}

impl<'a> BlindWrite<'a> {
    /// The statements to run, each ending with `;`.
    pub(crate) fn sql(&mut self) -> &mut QueryBuilder<'a, Sqlite> {
        &mut self.sql
    }

    /// Runs the statements as one transaction. A statement that fails stops the batch before
    /// its `COMMIT`; the transaction is then rolled back and the error returned. Returns the
    /// batch's result, as [`SqliteWrite::commit_with`] does.
    pub(crate) async fn commit(self) -> Result<sqlx::sqlite::SqliteQueryResult> {
        let mut writer = self.writer.lock_owned().await;
        writer.settle().await?;
        // Open until its `COMMIT` is known done: a batch that stopped midway (a statement
        // failed, or this future was dropped) is rolled back like any write transaction
        // dropped uncommitted.
        writer.open = true;
        SqliteWrite {
            writer: Some(writer),
        }
        .commit_with(self.sql)
        .await
    }
}

/// The error raised by the check [`push_one_row_changed`] adds (a macro, to be spelled once
/// in the trigger's text too).
macro_rules! no_row_changed_message {
    () => {
        "autowork: a guarded statement changed no row"
    };
}
const NO_ROW_CHANGED: &str = no_row_changed_message!();

/// The TEMP view and trigger on the writer's connection behind [`push_one_row_changed`]:
/// inserting `changes()` into the view fails the statement (and so the batch, before its
/// `COMMIT`) unless the statement before it changed exactly one row. TEMP: nothing of it is
/// stored in the database file, and no other connection sees it.
const ONE_ROW_CHANGED_SCHEMA: &str = concat!(
    "CREATE TEMP VIEW IF NOT EXISTS one_row_changed (changes) AS SELECT 0;
     CREATE TEMP TRIGGER IF NOT EXISTS one_row_changed_check
         INSTEAD OF INSERT ON one_row_changed WHEN NEW.changes IS NOT 1
         BEGIN SELECT RAISE(ABORT, '",
    no_row_changed_message!(),
    "'); END;"
);

/// Adds to a [`BlindWrite`] the check that the statement just before changed exactly one row
/// (a guarded `UPDATE` that found its row as expected); else the write fails with an error
/// for which [`no_row_changed`] is true, and nothing of it is stored.
pub(crate) fn push_one_row_changed(sql: &mut QueryBuilder<'_, Sqlite>) {
    // `changes()` counts the rows of the last statement that completed, not the trigger's.
    sql.push(" INSERT INTO temp.one_row_changed (changes) SELECT changes();");
}

/// Whether `error` is a [`BlindWrite`] failing [`push_one_row_changed`]'s check.
pub(crate) fn no_row_changed(error: &Error) -> bool {
    matches!(error, Error::Database(sqlx::Error::Database(e)) if e.message() == NO_ROW_CHANGED)
}

/// A transaction of either backend. Dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    /// A read on SQLite ([`Store::begin_read`]).
    Sqlite(Transaction<'static, Sqlite>),
    SqliteWrite(SqliteWrite),
    Postgres(Transaction<'static, Postgres>),
}

impl AsConn for Tx {
    fn as_conn(&mut self) -> AnyConn<'_> {
        match self {
            Tx::Sqlite(tx) => AnyConn::Sqlite(tx),
            Tx::SqliteWrite(write) => AnyConn::Sqlite(write.conn()),
            Tx::Postgres(tx) => AnyConn::Postgres(tx),
        }
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::SqliteWrite(write) => write.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// The advisory lock every write transaction on PostgreSQL takes first (docs/team-database.md
/// §4): writers go one at a time, as on SQLite, so every rule the engine checks inside a
/// write (the run queue's limits, one writer per work area, revisions) sees the writes
/// before it, and the outbox's numbers are committed in order.
const POSTGRES_WRITE_LOCK: i64 = 0x6175_746f_776f_726b; // "autowork"

/// How long opening a team database waits for the server's first answer.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The channel the `events_notify` trigger notifies (migrations_postgres).
const EVENTS_CHANNEL: &str = "autowork_events";

/// Connections to a team database, per process: a worker's reads, its runs' writes (which
/// queue for the write lock anyway) and the follower.
const POSTGRES_CONNECTIONS: u32 = 8;

/// Rows a connection's thread may hand over before the reader takes them: a batch of due
/// automations (`scheduler::FIRE_BATCH`) with room to spare.
const ROW_BUFFER_SIZE: usize = 1024;

impl Store {
    /// Opens the ledger where `location` says: this computer's SQLite file at `path`, or a
    /// team database.
    pub async fn open_at(location: &StoreLocation, path: &Path) -> Result<Self> {
        match location {
            StoreLocation::ThisComputer => Self::open(path).await,
            StoreLocation::Team(team) => {
                // Asking the keychain for the password may block (D-Bus).
                let team = team.clone();
                let options = tokio::task::spawn_blocking(move || team.connect_options())
                    .await
                    .map_err(|e| Error::Io {
                        context: "reading the team database's password stopped".into(),
                        source: std::io::Error::other(e),
                    })??;
                Self::open_postgres(options).await
            }
        }
    }

    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                context: format!("cannot create the data directory {}", parent.display()),
                source,
            })?;
        }
        // One process at a time creates and migrates the file; the others wait here, then
        // find the schema current (sqlx's migrator takes no lock of its own on SQLite).
        let migrating = lock_for_migration(path).await?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            // A new file is made so that freed pages can be given back a few at a time
            // (`PRAGMA incremental_vacuum`, see `retention::reclaim`); for an older file this
            // takes effect at its next VACUUM.
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            // Each row of a result crosses from the connection's thread in a channel; at the
            // default 50 a read of a few hundred rows stalls that thread and wakes the reader
            // again and again.
            .row_buffer_size(ROW_BUFFER_SIZE);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A SQLite connection lives in this process and cannot drop away like a server's:
            // the ping before each acquire would only add a round trip to its worker thread.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        drop(migrating);
        // Write transactions of this process queue for one connection, in order, instead of
        // each sleeping in SQLite's busy handler while the lock sits free (a burst of
        // scheduled fires with their runs starting and ending spent most of its time
        // there). Other processes still wait through the busy timeout.
        let mut conn = options.connect().await?;
        sqlx::query(ONE_ROW_CHANGED_SCHEMA)
            .execute(&mut conn)
            .await?;
        let writer = Writer { conn, open: false };
        Ok(Self::with(Backing::Sqlite {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
        }))
    }

    /// Connects to a team database and brings its schema up to date (the migrator holds an
    /// advisory lock while it works, so workers starting together migrate once).
    pub async fn open_postgres(options: PgConnectOptions) -> Result<Self> {
        // One connection first, to report why the server cannot be reached (refused, no such
        // host, a wrong password) rather than the pool's "timed out", and within a bound:
        // a host that drops packets would otherwise hold the start for minutes.
        match tokio::time::timeout(POSTGRES_CONNECT_TIMEOUT, options.connect()).await {
            Ok(Ok(first)) => drop(first),
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {
                return Err(Error::Io {
                    context: format!(
                        "the team database did not answer within {} s",
                        POSTGRES_CONNECT_TIMEOUT.as_secs()
                    ),
                    source: std::io::ErrorKind::TimedOut.into(),
                })
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .min_connections(1)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await?;
        POSTGRES_MIGRATOR.run(&pool).await?;
        Ok(Self::with(Backing::Postgres { pool }))
    }

    fn with(backing: Backing) -> Self {
        Self {
            backing,
            writes: Arc::default(),
            checkpoint_due: Arc::default(),
        }
    }

    /// Whether this is a team database (PostgreSQL), which workers on several machines share.
    pub(crate) fn is_team(&self) -> bool {
        matches!(self.backing, Backing::Postgres { .. })
    }

    /// A connection for reads.
    pub(crate) async fn connection(&self) -> Result<Conn> {
        Ok(match &self.backing {
            Backing::Sqlite { pool, .. } => Conn::Sqlite(pool.acquire().await?),
            Backing::Postgres { pool } => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// A read-only transaction: its reads see one snapshot.
    pub(crate) async fn begin_read(&self) -> Result<Tx> {
        Ok(match &self.backing {
            Backing::Sqlite { pool, .. } => Tx::Sqlite(pool.begin().await?),
            Backing::Postgres { pool } => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// A write transaction that holds SQLite's write lock from its first statement, so two
    /// processes never deadlock upgrading a read to a write.
    /// On PostgreSQL the same holds through [`POSTGRES_WRITE_LOCK`].
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        match &self.backing {
            Backing::Sqlite { writer, .. } => {
                self.count_write();
                let mut writer = writer.clone().lock_owned().await;
                writer.settle().await?;
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut writer.conn)
                    .await?;
                writer.open = true;
                Ok(Tx::SqliteWrite(SqliteWrite {
                    writer: Some(writer),
                }))
            }
            Backing::Postgres { pool } => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(POSTGRES_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// On SQLite, a write transaction whose statements go to the writer in one batch at its
    /// commit, for a write that reads nothing first; `None` on PostgreSQL, where such a write
    /// begins with [`Store::begin_write`] like any other (its advisory lock comes first).
    pub(crate) fn blind_write<'a>(&self) -> Option<BlindWrite<'a>> {
        match &self.backing {
            Backing::Sqlite { writer, .. } => {
                self.count_write();
                Some(BlindWrite {
                    writer: writer.clone(),
                    sql: QueryBuilder::new("BEGIN IMMEDIATE; "),
                })
            }
            Backing::Postgres { .. } => None,
        }
    }

    /// Counts a write transaction on SQLite, and tells the checkpointer when one is due.
    fn count_write(&self) {
        let writes = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if writes % CHECKPOINT_EVERY_WRITES == 0 {
            self.checkpoint_due.notify_one();
        }
    }

    /// Whether the database answers (`SELECT 1`), for the engine's reconnection probe. On
    /// PostgreSQL a connection of its own is made first: it fails at once with the server's
    /// reason (refused, shutting down, a wrong password), where the pool would keep retrying
    /// a refused connection until its timeout; then the pool's own answer is asked.
    pub(crate) async fn ping(&self) -> Result<()> {
        match &self.backing {
            Backing::Sqlite { pool, .. } => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Backing::Postgres { pool } => {
                let direct = pool.connect_options().connect().await?;
                if let Err(e) = sqlx::Connection::close(direct).await {
                    tracing::debug!(error = %e, "could not close the probe's connection");
                }
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Returns once enough was written since the last time for a checkpoint to be due.
    pub(crate) async fn checkpoint_due(&self) {
        self.checkpoint_due.notified().await;
    }

    /// On a team database, a listener told at each commit that appended events (the
    /// `events_notify` trigger); `None` on SQLite, whose engines poll the outbox.
    pub(crate) async fn listen_for_events(&self) -> Result<Option<PgListener>> {
        let Backing::Postgres { pool } = &self.backing else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Some(listener))
    }

    /// Copies the write-ahead log back into the database file (SQLite's PASSIVE checkpoint:
    /// it waits for no reader or writer), on a connection of its own, so that no commit has
    /// to.
    /// Nothing to do on PostgreSQL, whose server checkpoints by itself.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        if let Backing::Sqlite { pool, .. } = &self.backing {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// The writer's connection outside any transaction, for statements that cannot run in
    /// one (`VACUUM`); this process's write transactions wait until it is returned.
    /// On PostgreSQL, a connection of the pool.
    pub(crate) async fn writer_connection(&self) -> Result<Conn> {
        Ok(match &self.backing {
            Backing::Sqlite { writer, .. } => {
                let mut writer = writer.clone().lock_owned().await;
                writer.settle().await?;
                Conn::SqliteWriter(writer)
            }
            Backing::Postgres { pool } => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// The SQLite readers' pool, for tests that look at the file directly.
    #[cfg(test)]
    pub(crate) fn sqlite_pool(&self) -> &SqlitePool {
        match &self.backing {
            Backing::Sqlite { pool, .. } => pool,
            Backing::Postgres { .. } => panic!("a SQLite store was expected"),
        }
    }

    /// Waits for open connections to finish and closes the pools.
    pub async fn close(&self) {
        match &self.backing {
            Backing::Sqlite { pool, writer } => {
                // The writer closes with the last clone of the store; its writes are done.
                let mut writer = writer.lock().await;
                if let Err(e) = writer.settle().await {
                    tracing::warn!(error = %e, "could not roll back an abandoned write");
                }
                pool.close().await;
            }
            Backing::Postgres { pool } => pool.close().await,
        }
    }
}

/// Holds an exclusive OS lock (`flock`) on `<database>.lock` until dropped. A kernel lock
/// rather than a SQLite one: sqlx migrates through transactions of its own, which a SQLite
/// lock held on another connection would block, and the kernel drops the lock of a process
/// that dies mid-migration, so no stale lock ever needs clearing.
async fn lock_for_migration(database: &Path) -> Result<Flock<File>> {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let failed = move |path: &Path, source: std::io::Error| {
        Error::Io {
        context: format!(
            "cannot lock {} while the database is set up; check that the data directory is writable",
            path.display()
        ),
        source,
    }
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| failed(&path, e))?;
    // Blocks until the process migrating now is done: on a thread of its own.
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        loop {
            match Flock::lock(file, FlockArg::LockExclusive) {
                Ok(lock) => return Ok(lock),
                Err((again, Errno::EINTR)) => file = again,
                Err((_, errno)) => return Err(failed(&path, errno.into())),
            }
        }
    })
    .await
    .map_err(|e| Error::Io {
        context: "waiting for the database set-up lock stopped".into(),
        source: std::io::Error::other(e),
    })?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_checkpoint_falls_due_every_so_many_writes_and_leaves_the_log_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("autowork.db")).await.unwrap();
        let write = || async {
            let Tx::SqliteWrite(mut tx) = store.begin_write().await.unwrap() else {
                panic!("SQLite");
            };
            sqlx::query("INSERT INTO engine_settings (key, value) VALUES ('k', 'v') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .execute(tx.conn())
                .await
                .unwrap();
            Tx::SqliteWrite(tx).commit().await.unwrap();
        };
        for _ in 1..CHECKPOINT_EVERY_WRITES {
            write().await;
        }
        let soon = Duration::from_millis(20);
        assert!(
            tokio::time::timeout(soon, store.checkpoint_due())
                .await
                .is_err(),
            "not due before {CHECKPOINT_EVERY_WRITES} writes"
        );
        write().await;
        tokio::time::timeout(soon, store.checkpoint_due())
            .await
            .expect("due at the last of them");
        store.checkpoint().await.unwrap();
        let (busy, log, written_back): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(store.sqlite_pool())
                .await
                .unwrap();
        assert_eq!(
            (busy, log),
            (0, written_back),
            "everything was written back"
        );
    }

    async fn settings(store: &Store) -> Vec<(String, String)> {
        sqlx::query_as("SELECT key, value FROM engine_settings ORDER BY key")
            .fetch_all(store.sqlite_pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_blind_write_whose_statement_fails_stores_nothing_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("autowork.db")).await.unwrap();
        let mut write = store.blind_write().unwrap();
        // The second insert breaks the key after the first one ran.
        write.sql().push(
            "INSERT INTO engine_settings (key, value) VALUES ('a', '1');
             INSERT INTO engine_settings (key, value) VALUES ('a', '2');",
        );
        let failed = write.commit().await.unwrap_err();
        assert!(failed.to_string().contains("UNIQUE"), "{failed}");
        assert!(!no_row_changed(&failed));

        let mut write = store.blind_write().unwrap();
        write
            .sql()
            .push("INSERT INTO engine_settings (key, value) VALUES ('b', '1');");
        write.commit().await.unwrap();
        assert_eq!(settings(&store).await, [("b".into(), "1".into())]);
    }

    #[tokio::test]
    async fn a_guarded_blind_write_stores_nothing_unless_its_update_found_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("autowork.db")).await.unwrap();
        let guarded = |expected: &'static str| {
            let mut write = store.blind_write().unwrap();
            write.sql().push(
                "INSERT INTO engine_settings (key, value) VALUES ('log', 'written');
                 UPDATE engine_settings SET value = 'moved' WHERE key = 'k' AND value = ",
            );
            write.sql().push_bind(expected).push(";");
            push_one_row_changed(write.sql());
            write.commit()
        };
        sqlx::query("INSERT INTO engine_settings (key, value) VALUES ('k', 'v')")
            .execute(store.sqlite_pool())
            .await
            .unwrap();

        let refused = guarded("not v").await.unwrap_err();
        assert!(no_row_changed(&refused), "{refused}");
        assert_eq!(settings(&store).await, [("k".into(), "v".into())]);

        guarded("v").await.unwrap();
        assert_eq!(
            settings(&store).await,
            [
                ("k".into(), "moved".into()),
                ("log".into(), "written".into())
            ]
        );
    }
}
