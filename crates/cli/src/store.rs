//! `autowork store ...`: the team database (docs/team-database.md §5). Which store the other
//! commands open (`--store`, `AUTOWORK_STORE`, the app's settings), a connection test, and
//! the password in the OS keychain. The password is never printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use autowork_core::settings::AppSettings;
use autowork_core::store::location::{StoreLocation, TeamDatabase, PASSWORD_ENV};
use autowork_core::team_database::{
    self, system_keychain, test_connection, ConnectionReport, PasswordSource, SchemaState,
};
use autowork_core::{Error, ValidationDetail};

use crate::args::StoreCommand;
use crate::output::{emit, emit_either, Outcome};

/// The store to open: `given` (`--store`, else `AUTOWORK_STORE`), else the settings' choice.
pub fn location(data_dir: &Path, given: Option<&str>) -> Result<StoreLocation, Error> {
    match given {
        Some(given) => StoreLocation::chosen(Some(given), None),
        None => AppSettings::load(data_dir)?.store_location(),
    }
}

pub async fn run(location: &StoreLocation, command: StoreCommand, json: bool) -> Outcome {
    match command {
        StoreCommand::Test { url } => {
            let team = team(url, location)?;
            let report = test_connection(&team).await?;
            emit_either(json, &report, describe)
        }
        StoreCommand::SetPassword { url } => {
            let team = team(url, location)?;
            let password = read_password(&team)?;
            let saved = team.clone();
            tokio::task::spawn_blocking(move || {
                team_database::save_password(&saved, &password, system_keychain().as_ref())
            })
            .await
            .map_err(|e| Error::Corrupt(format!("the keychain task failed: {e}")))??;
            let note = if std::env::var_os(PASSWORD_ENV).is_some() {
                format!(" ({PASSWORD_ENV} is set in this environment and wins over it)")
            } else {
                String::new()
            };
            emit_either(
                json,
                &serde_json::json!({ "url": team.url(), "saved": "keychain" }),
                |_| {
                    format!(
                        "saved the password of {} in the keychain{note}\n",
                        team.url()
                    )
                },
            )
        }
        StoreCommand::ForgetPassword { url } => {
            let team = team(url, location)?;
            let forgotten = team.clone();
            tokio::task::spawn_blocking(move || {
                team_database::forget_password(&forgotten, system_keychain().as_ref())
            })
            .await
            .map_err(|e| Error::Corrupt(format!("the keychain task failed: {e}")))??;
            if json {
                emit(&format!(
                    "{}\n",
                    serde_json::json!({ "url": team.url(), "saved": null })
                ))
            } else {
                emit(&format!(
                    "removed the password of {} from the keychain\n",
                    team.url()
                ))
            }
        }
    }
}

/// The URL given to the command, else the store in use; this computer's has nothing to do.
fn team(url: Option<String>, location: &StoreLocation) -> Result<TeamDatabase, Error> {
    let location = match url {
        Some(url) => StoreLocation::parse(&url)?,
        None => location.clone(),
    };
    match location {
        StoreLocation::Team(team) => Ok(team),
        StoreLocation::ThisComputer => Err(Error::InvalidInput(vec![ValidationDetail::new(
            "store",
            "no_team_database",
        )
        .with_hint(
            "the ledger is on this computer; give a URL (postgres://user@host/database), \
             --store or AUTOWORK_STORE",
        )])),
    }
}

/// One line from stdin; at a terminal, asked for and not echoed.
fn read_password(team: &TeamDatabase) -> Result<String, Error> {
    let stdin = std::io::stdin();
    let io = |source| Error::Io {
        context: "cannot read the password from stdin".into(),
        source,
    };
    let mut line = String::new();
    if stdin.is_terminal() {
        eprint!("Password for {}: ", team.url());
        let _ = std::io::stderr().flush();
        let echo = EchoOff::new(&stdin);
        stdin.lock().read_line(&mut line).map_err(io)?;
        drop(echo);
        eprintln!();
    } else {
        stdin.lock().read_line(&mut line).map_err(io)?;
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Turns the terminal's echo off until dropped.
struct EchoOff<'a> {
    stdin: &'a std::io::Stdin,
    saved: Option<nix::sys::termios::Termios>,
}

impl<'a> EchoOff<'a> {
    fn new(stdin: &'a std::io::Stdin) -> Self {
        use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
        let saved = tcgetattr(stdin).ok();
        if let Some(saved) = &saved {
            let mut quiet = saved.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            quiet.local_flags.insert(LocalFlags::ECHONL);
            let _ = tcsetattr(stdin, SetArg::TCSANOW, &quiet);
        }
        Self { stdin, saved }
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ =
                nix::sys::termios::tcsetattr(self.stdin, nix::sys::termios::SetArg::TCSANOW, saved);
        }
    }
}

/// The report for people.
fn describe(report: &ConnectionReport) -> String {
    let schema = match report.schema {
        SchemaState::Absent => "none yet (the first app or daemon to open it creates it)",
        SchemaState::Behind => "older than this build (opening it migrates it)",
        SchemaState::Current => "current",
        SchemaState::Newer => "newer than this build: update Autowork before using it",
    };
    let password = match report.password {
        PasswordSource::Environment => PASSWORD_ENV,
        PasswordSource::Keychain => "the keychain",
        PasswordSource::Typed => "typed",
        PasswordSource::Missing => "none",
    };
    format!(
        "connected to {}\n\
         server:     PostgreSQL {}\n\
         database:   {} (user {})\n\
         encrypted:  {}\n\
         password:   {password}\n\
         schema:     {schema} ({} of {} migrations)\n",
        report.url,
        report.server_version,
        report.database,
        report.user,
        if report.tls { "yes (TLS)" } else { "no" },
        report.migrations_applied,
        report.migrations_known,
    )
}
