//! The team database's credentials and "Test connection" (docs/team-database.md §5): its
//! password saved in the OS keychain (the providers' keychain, under
//! [`TeamDatabase::keychain_entry`]) or given by `AUTOWORK_STORE_PASSWORD` (which wins), and
//! a connection that reports the server and whether its schema is this build's.
//!
//! Above the store (it asks the agent's keychain); the store itself reads the password
//! through [`TeamDatabase::connect_options`].

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::agent::provider::keychain::{self, Keychain};
use crate::error::{Error, Result};
use crate::store::location::{self, invalid, TeamDatabase, PASSWORD_ENV};

/// How long [`test_connection`] waits for the server.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the password of a team database came from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordSource {
    /// `AUTOWORK_STORE_PASSWORD`.
    Environment,
    /// The OS keychain.
    Keychain,
    /// Typed in a form and not saved yet.
    Typed,
    /// Nowhere: the connection offers none (fine for trust or peer authentication).
    Missing,
}

/// Whether a team database has a password, for the settings page (never the password).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordState {
    pub source: PasswordSource,
    /// Why the keychain could not be asked, in plain words, when it could not.
    pub keychain_problem: Option<String>,
}

/// The password, where it came from, and why the keychain could not be asked.
fn find_password(
    team: &TeamDatabase,
    keychain: &dyn Keychain,
) -> (Option<String>, PasswordSource, Option<String>) {
    if let Some(password) = location::password_from_env() {
        return (Some(password), PasswordSource::Environment, None);
    }
    match keychain.load(&team.keychain_entry()) {
        Ok(Some(password)) => {
            crate::secrets::register(&password);
            (Some(password), PasswordSource::Keychain, None)
        }
        Ok(None) => (None, PasswordSource::Missing, None),
        Err(e) => {
            tracing::debug!(reason = %e.reason, details = %e.details, "no store password from the keychain");
            (None, PasswordSource::Missing, Some(e.reason))
        }
    }
}

/// Whether a password is at hand and from where (blocks on the keychain).
pub fn password_state(team: &TeamDatabase, keychain: &dyn Keychain) -> PasswordState {
    let (_, source, keychain_problem) = find_password(team, keychain);
    PasswordState {
        source,
        keychain_problem,
    }
}

/// Saves the password in the keychain under the database's URL. Without a keychain (no
/// Secret Service, or `AUTOWORK_NO_KEYCHAIN`) it fails naming the field `password` and says
/// to use `AUTOWORK_STORE_PASSWORD`. Blocks (D-Bus).
pub fn save_password(team: &TeamDatabase, password: &str, keychain: &dyn Keychain) -> Result<()> {
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(invalid("password", "empty", "type the database password"));
    }
    crate::secrets::register(password);
    keychain
        .store(&team.keychain_entry(), password)
        .map_err(|e| {
            tracing::debug!(reason = %e.reason, details = %e.details, "cannot save the store password");
            invalid(
                "password",
                "keychain_unavailable",
                format!(
                    "{}, so the password was not saved: set {PASSWORD_ENV} in the environment \
                     of the app or of `autowork` instead",
                    e.reason
                ),
            )
        })
}

/// Removes the saved password, if any (blocks).
pub fn forget_password(team: &TeamDatabase, keychain: &dyn Keychain) -> Result<()> {
    keychain
        .delete(&team.keychain_entry())
        .map_err(|e| invalid("password", "keychain_unavailable", e.reason))
}

/// [`save_password`] and friends with the system keychain.
pub fn system_keychain() -> Arc<dyn Keychain> {
    keychain::system()
}

/// What "Test connection" found on a team database.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    pub url: String,
    /// The server's `server_version` ("16.4 (Debian 16.4-1.pgdg120+1)").
    pub server_version: String,
    pub database: String,
    pub user: String,
    /// Whether the connection is encrypted.
    pub tls: bool,
    pub password: PasswordSource,
    pub schema: SchemaState,
    /// Migrations of this build applied to the database / known to this build.
    pub migrations_applied: u32,
    pub migrations_known: u32,
}

/// The database's schema against this build's.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaState {
    /// Empty: the first engine to open it creates the schema.
    Absent,
    /// Older than this build: the next engine to open it migrates it.
    Behind,
    /// This build's.
    Current,
    /// Migrated by a newer Autowork: update this one before using it.
    Newer,
}

/// Connects to the team database (within [`TEST_TIMEOUT`]) with the password from the
/// environment or the system keychain, and reports the server and its schema. Problems come
/// back as [`Error::InvalidInput`] naming the field `store` (`unreachable`, `tls_refused`,
/// `tls_failed`, `database_missing`, `not_allowed`, `refused`) or `password`
/// (`password_missing`, `bad_password`), each with a hint in plain words.
pub async fn test_connection(team: &TeamDatabase) -> Result<ConnectionReport> {
    test_connection_with(team, system_keychain(), TEST_TIMEOUT).await
}

/// [`test_connection`] with this keychain and timeout.
pub async fn test_connection_with(
    team: &TeamDatabase,
    keychain: Arc<dyn Keychain>,
    timeout: Duration,
) -> Result<ConnectionReport> {
    let owned = team.clone();
    let (password, source, _) =
        tokio::task::spawn_blocking(move || find_password(&owned, keychain.as_ref()))
            .await
            .map_err(|e| Error::Corrupt(format!("the keychain task failed: {e}")))?;
    let options = team.connect_options_with(password.as_deref())?;
    connect_and_inspect(team, &options, source, timeout).await
}

/// [`test_connection`] with a password typed in a form, before it is saved.
pub async fn test_connection_typed(
    team: &TeamDatabase,
    password: &str,
) -> Result<ConnectionReport> {
    let options = team.connect_options_with(Some(password))?;
    connect_and_inspect(team, &options, PasswordSource::Typed, TEST_TIMEOUT).await
}

async fn connect_and_inspect(
    team: &TeamDatabase,
    options: &PgConnectOptions,
    source: PasswordSource,
    timeout: Duration,
) -> Result<ConnectionReport> {
    let options = options.clone().disable_statement_logging();
    let mut conn = match tokio::time::timeout(timeout, PgConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return Err(explain(team, &options, e, source)),
        Err(_) => {
            return Err(invalid(
                "store",
                "unreachable",
                format!(
                    "no answer from {} within {} seconds: check the host and port; a firewall \
                     may drop the connection",
                    team.target(&options),
                    timeout.as_secs()
                ),
            ))
        }
    };
    let report = inspect(&mut conn, team, source).await;
    let _ = conn.close().await;
    report
}

/// The server, the session and the schema, on an open connection.
async fn inspect(
    conn: &mut PgConnection,
    team: &TeamDatabase,
    password: PasswordSource,
) -> Result<ConnectionReport> {
    let (server_version, database, user): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_database()::text, current_user::text",
    )
    .fetch_one(&mut *conn)
    .await?;
    let tls: Option<bool> =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_optional(&mut *conn)
            .await
            .unwrap_or_default();
    let has_table: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    let applied: Vec<i64> = if has_table {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    let known: Vec<i64> = crate::store::POSTGRES_MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect();
    Ok(ConnectionReport {
        url: team.url().to_owned(),
        server_version,
        database,
        user,
        tls: tls.unwrap_or(false),
        password,
        schema: schema_state(&applied, &known),
        migrations_applied: u32::try_from(applied.len()).unwrap_or(u32::MAX),
        migrations_known: u32::try_from(known.len()).unwrap_or(u32::MAX),
    })
}

/// Applied migrations (versions) against the ones this build knows.
fn schema_state(applied: &[i64], known: &[i64]) -> SchemaState {
    if applied.iter().any(|v| !known.contains(v)) {
        SchemaState::Newer
    } else if applied.is_empty() {
        SchemaState::Absent
    } else if known.iter().all(|v| applied.contains(v)) {
        SchemaState::Current
    } else {
        SchemaState::Behind
    }
}

/// A failed connection in plain words, naming the field to fix.
fn explain(
    team: &TeamDatabase,
    options: &PgConnectOptions,
    error: sqlx::Error,
    password: PasswordSource,
) -> Error {
    let target = team.target(options);
    let user = options.get_username();
    match error {
        sqlx::Error::Io(e) => invalid(
            "store",
            "unreachable",
            format!(
                "cannot reach {target}: {e}; check the host and port, and that the server runs"
            ),
        ),
        sqlx::Error::Tls(e) if e.to_string().contains("does not support TLS") => invalid(
            "store",
            "tls_refused",
            format!(
                "{target} does not offer TLS, which a team database on another machine \
                     needs: turn on `ssl` in the server's postgresql.conf"
            ),
        ),
        sqlx::Error::Tls(e) => invalid(
            "store",
            "tls_failed",
            format!("the TLS handshake with {target} failed: {e}"),
        ),
        sqlx::Error::Database(e) => {
            let message = e.message().to_owned();
            match e.code().as_deref() {
                Some("28P01") if password == PasswordSource::Missing => invalid(
                    "password",
                    "password_missing",
                    format!(
                        "the server asks a password of user {user}: save it with `autowork \
                             store set-password` or in Settings → Database, or set {PASSWORD_ENV}"
                    ),
                ),
                Some("28P01") => invalid(
                    "password",
                    "bad_password",
                    format!(
                        "the server refused the password of user {user} (from {}): {message}",
                        match password {
                            PasswordSource::Environment => PASSWORD_ENV,
                            _ => "the keychain",
                        }
                    ),
                ),
                Some("3D000") => invalid(
                    "store",
                    "database_missing",
                    format!(
                        "{target} has no database {}: create it (`createdb`) or fix the URL",
                        options.get_database().unwrap_or(user)
                    ),
                ),
                Some("28000") | Some("42501") => invalid(
                    "store",
                    "not_allowed",
                    format!("the server does not let user {user} in: {message}"),
                ),
                _ => invalid(
                    "store",
                    "refused",
                    format!("{target} refused the connection: {message}"),
                ),
            }
        }
        other => invalid(
            "store",
            "refused",
            format!("connecting to {target} failed: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests;
