//! Where the ledger lives (issue 14): SQLite in the data directory, the default, or a team
//! database on PostgreSQL named by a URL (`--store postgres://…`, `AUTOWORK_STORE`).
//! The URL never carries the password (docs/team-database.md §5).

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::error::{Error, Result, ValidationDetail};

/// The environment variable a team database's password may come from.
pub const PASSWORD_ENV: &str = "AUTOWORK_STORE_PASSWORD";

/// Where an engine keeps its ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreLocation {
    /// SQLite in the data directory.
    #[default]
    ThisComputer,
    /// A PostgreSQL database shared by several workers.
    Team(TeamDatabase),
}

impl StoreLocation {
    /// Reads a location as the user writes it: a `postgres://` (or `postgresql://`) URL for a
    /// team database; empty for this computer's.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::ThisComputer);
        }
        TeamDatabase::parse(text).map(Self::Team)
    }
}

/// A team database: its URL, without a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamDatabase {
    url: String,
}

impl TeamDatabase {
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        let invalid =
            |message: &str| Error::InvalidInput(vec![ValidationDetail::new("store", message)]);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid(
                "a team database is a PostgreSQL URL: postgres://user@host/database",
            ));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| invalid(&format!("not a PostgreSQL URL: {e}")))?;
        if url_has_password(url) {
            return Err(invalid(
                "the URL holds a password: leave it out and keep it in the keychain or in \
                 AUTOWORK_STORE_PASSWORD",
            ));
        }
        drop(options);
        Ok(Self {
            url: url.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// How to connect: the URL's options, with the password from the environment when set.
    pub fn connect_options(&self) -> Result<PgConnectOptions> {
        let mut options = PgConnectOptions::from_str(&self.url)?;
        if let Ok(password) = std::env::var(PASSWORD_ENV) {
            options = options.password(&password);
        }
        Ok(options)
    }
}

/// Whether the URL's user-info part has a `:password`.
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(user_info, _)| user_info.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_this_computer_and_a_url_a_team_database() {
        assert_eq!(
            StoreLocation::parse("  ").unwrap(),
            StoreLocation::ThisComputer
        );
        let StoreLocation::Team(team) =
            StoreLocation::parse("postgres://ann@db.example/autowork").unwrap()
        else {
            panic!("a team database");
        };
        assert_eq!(team.url(), "postgres://ann@db.example/autowork");
    }

    #[test]
    fn a_password_in_the_url_or_another_scheme_is_refused_naming_the_field() {
        for url in [
            "postgres://ann:hunter2@db/autowork",
            "mysql://db/autowork",
            "autowork.db",
        ] {
            match StoreLocation::parse(url) {
                Err(Error::InvalidInput(details)) => assert_eq!(details[0].field, "store"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}
