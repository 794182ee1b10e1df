//! Where the ledger lives (issue 14): SQLite in the data directory, the default, or a team
//! database on PostgreSQL named by a URL (`--store postgres://…`, `AUTOWORK_STORE`, or the
//! app's Settings → Database, kept in `settings.json`).
//!
//! The URL never carries the password (docs/team-database.md §5): it comes from
//! `AUTOWORK_STORE_PASSWORD` or, failing that, the OS keychain (the entry
//! [`TeamDatabase::keychain_entry`] beside the providers' keys). It is registered for
//! redaction the moment it is read, so no log line, event or error can carry it. Any host
//! but a Unix socket or loopback is reached over TLS (rustls): `sslmode=require` at least,
//! `verify-full` when the URL asks for it. Saving the password and the connection test are
//! in [`crate::team_database`].

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::error::{Error, Result, ValidationDetail};

/// The environment variable a team database's password may come from; it wins over the
/// keychain.
pub const PASSWORD_ENV: &str = "AUTOWORK_STORE_PASSWORD";

/// The environment variable that names the store (the CLI's `--store` wins over it).
pub const STORE_ENV: &str = "AUTOWORK_STORE";

/// The keychain service of Autowork's secrets (the providers' keys use it too).
pub const KEYCHAIN_SERVICE: &str = "autowork";

/// Set (to anything but `0` or empty) to never ask the OS keychain (the providers' keys
/// honour it too: `agent::provider::keychain::NO_KEYCHAIN_VAR`).
const NO_KEYCHAIN_VAR: &str = "AUTOWORK_NO_KEYCHAIN";

/// Keychain entries of team databases are `store:` + the URL.
const KEYCHAIN_PREFIX: &str = "store:";

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

    /// The location to open: `given` (the `--store` flag, else `AUTOWORK_STORE`) when set,
    /// else the one saved in the settings (`saved`), else this computer.
    pub fn chosen(given: Option<&str>, saved: Option<&str>) -> Result<Self> {
        Self::parse(given.or(saved).unwrap_or_default())
    }

    /// The team database's URL; `None` for this computer.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::ThisComputer => None,
            Self::Team(team) => Some(team.url()),
        }
    }
}

/// A team database: its URL, without a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamDatabase {
    url: String,
}

/// A validation problem naming `field`, with `code` as its message and a hint in plain
/// words (redacted: it never carries a known secret).
pub(crate) fn invalid(field: &str, code: &str, hint: impl Into<String>) -> Error {
    let hint = crate::secrets::redact(&hint.into()).into_owned();
    Error::InvalidInput(vec![ValidationDetail::new(field, code).with_hint(hint)])
}

impl TeamDatabase {
    /// Checks a URL: PostgreSQL's, no password in it (user info or `?password=`), and no
    /// plain-text connection (`sslmode=disable` or `allow`) to a host on another machine.
    /// Every problem names the field `store`.
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid(
                "store",
                "not_a_postgres_url",
                "a team database is a PostgreSQL URL: postgres://user@host/database",
            ));
        }
        if url_has_password(url) {
            // Before parsing: the parser's error could quote the URL, password and all.
            return Err(invalid(
                "store",
                "password_in_url",
                format!(
                    "leave the password out of the URL and keep it in the keychain \
                     (`autowork store set-password`, or Settings → Database) or in \
                     {PASSWORD_ENV}"
                ),
            ));
        }
        let options = parse_options(url)?;
        if !is_local(&options)
            && matches!(
                options.get_ssl_mode(),
                PgSslMode::Disable | PgSslMode::Allow
            )
        {
            return Err(invalid(
                "store",
                "tls_required",
                "a team database on another machine is reached over TLS: remove sslmode=disable \
                 (or use sslmode=require or verify-full)",
            ));
        }
        Ok(Self {
            url: url.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// True for a Unix socket or a loopback host, which need no TLS.
    pub fn is_local(&self) -> bool {
        parse_options(&self.url).is_ok_and(|o| is_local(&o))
    }

    /// The keychain entry (account) of this database's password, under
    /// [`KEYCHAIN_SERVICE`]: `store:` + the URL.
    pub fn keychain_entry(&self) -> String {
        format!("{KEYCHAIN_PREFIX}{}", self.url)
    }

    /// How to connect, with the password from `AUTOWORK_STORE_PASSWORD`, else the OS
    /// keychain; none when neither has one (or no keychain runs): the server says whether it
    /// needs one. Blocks while it asks the keychain (D-Bus): call it off the async runtime.
    pub fn connect_options(&self) -> Result<PgConnectOptions> {
        let password = password_from_env().or_else(|| os_keychain_password(&self.keychain_entry()));
        self.connect_options_with(password.as_deref())
    }

    /// How to connect with this password: the URL's options, TLS required for a host on
    /// another machine (`prefer` becomes `require`: it would fall back to plain text).
    pub fn connect_options_with(&self, password: Option<&str>) -> Result<PgConnectOptions> {
        let mut options = parse_options(&self.url)?.application_name("autowork");
        if !is_local(&options) && matches!(options.get_ssl_mode(), PgSslMode::Prefer) {
            options = options.ssl_mode(PgSslMode::Require);
        }
        if let Some(password) = password {
            crate::secrets::register(password);
            options = options.password(password);
        }
        Ok(options)
    }

    /// Where the server is, for messages: `host:port` or the socket's directory.
    pub fn target(&self, options: &PgConnectOptions) -> String {
        match options.get_socket() {
            Some(dir) => format!("the socket in {}", dir.display()),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        }
    }
}

/// `AUTOWORK_STORE_PASSWORD`, when set and not empty (registered for redaction).
pub fn password_from_env() -> Option<String> {
    let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty())?;
    crate::secrets::register(&password);
    Some(password)
}

/// The password saved in the OS keychain under `entry`, unless the keychain is turned off
/// or cannot be asked.
fn os_keychain_password(entry: &str) -> Option<String> {
    if std::env::var(NO_KEYCHAIN_VAR).is_ok_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    match keyring::Entry::new(KEYCHAIN_SERVICE, entry).and_then(|e| e.get_password()) {
        Ok(password) => {
            crate::secrets::register(&password);
            Some(password)
        }
        Err(e) => {
            tracing::debug!(error = %e, "no store password from the keychain");
            None
        }
    }
}

fn parse_options(url: &str) -> Result<PgConnectOptions> {
    PgConnectOptions::from_str(url)
        .map_err(|e| invalid("store", "not_a_postgres_url", format!("{e}")))
}

fn is_local(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    if options.get_socket().is_some() || host.starts_with('/') {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the URL carries a password: in its user-info part (`user:pw@`) or as a
/// `password=` parameter.
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let in_user_info = authority
        .rsplit_once('@')
        .is_some_and(|(user_info, _)| user_info.contains(':'));
    let in_query = rest.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("password"))
    });
    in_user_info || in_query
}

#[cfg(test)]
pub(crate) mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn team(url: &str) -> TeamDatabase {
        TeamDatabase::parse(url).unwrap()
    }

    /// The (field, code) of each problem, and the hints joined (the team database's tests
    /// read errors the same way).
    pub(crate) fn problems(
        result: Result<impl std::fmt::Debug>,
    ) -> (Vec<(String, String)>, String) {
        match result {
            Err(Error::InvalidInput(details)) => (
                details
                    .iter()
                    .map(|d| (d.field.clone(), d.message.clone()))
                    .collect(),
                details
                    .iter()
                    .filter_map(|d| d.hint.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    pub(crate) fn one(field: &str, code: &str) -> Vec<(String, String)> {
        vec![(field.to_owned(), code.to_owned())]
    }

    #[test]
    fn empty_is_this_computer_and_a_url_a_team_database() {
        assert_eq!(
            StoreLocation::parse("  ").unwrap(),
            StoreLocation::ThisComputer
        );
        let location = StoreLocation::parse("postgres://ann@db.example/autowork").unwrap();
        assert_eq!(location.url(), Some("postgres://ann@db.example/autowork"));
    }

    #[test]
    fn a_password_in_the_url_or_another_scheme_is_refused_naming_the_field() {
        for (url, code) in [
            ("postgres://ann:hunter2@db/autowork", "password_in_url"),
            (
                "postgres://ann@db/autowork?sslmode=require&password=hunter2",
                "password_in_url",
            ),
            ("mysql://db/autowork", "not_a_postgres_url"),
            ("autowork.db", "not_a_postgres_url"),
        ] {
            let (found, hints) = problems(StoreLocation::parse(url));
            assert_eq!(found, one("store", code), "{url}");
            assert!(
                !hints.contains("hunter2"),
                "{url}: the hint quotes the password: {hints}"
            );
        }
    }

    #[test]
    fn the_flag_or_environment_wins_over_the_saved_choice() {
        let saved = Some("postgres://ann@db.example/autowork");
        assert_eq!(
            StoreLocation::chosen(None, saved).unwrap().url(),
            saved,
            "the saved choice applies when nothing is given"
        );
        assert_eq!(
            StoreLocation::chosen(Some(""), saved).unwrap(),
            StoreLocation::ThisComputer,
            "an empty --store means this computer, whatever was saved"
        );
        assert_eq!(
            StoreLocation::chosen(Some("postgres://bob@other/db"), saved)
                .unwrap()
                .url(),
            Some("postgres://bob@other/db")
        );
        assert_eq!(
            StoreLocation::chosen(None, None).unwrap(),
            StoreLocation::ThisComputer
        );
    }

    #[test]
    fn remote_hosts_need_tls_and_local_ones_keep_what_the_url_says() {
        let mode = |url: &str| team(url).connect_options_with(None).unwrap().get_ssl_mode();
        assert!(matches!(
            mode("postgres://ann@db.example/autowork"),
            PgSslMode::Require
        ));
        assert!(matches!(
            mode("postgres://ann@db.example/autowork?sslmode=verify-full"),
            PgSslMode::VerifyFull
        ));
        assert!(matches!(
            mode("postgres://ann@localhost/autowork"),
            PgSslMode::Prefer
        ));
        assert!(matches!(
            mode("postgres://ann@127.0.0.1/autowork?sslmode=disable"),
            PgSslMode::Disable
        ));
        assert!(matches!(
            mode("postgres://ann@[::1]:5433/autowork"),
            PgSslMode::Prefer
        ));
        assert!(team("postgres://ann@x/autowork?host=/run/postgresql").is_local());
        assert!(!team("postgres://ann@db.example/autowork").is_local());
        for url in [
            "postgres://ann@db.example/autowork?sslmode=disable",
            "postgres://ann@10.0.0.5/autowork?sslmode=allow",
        ] {
            assert_eq!(
                problems(TeamDatabase::parse(url)).0,
                one("store", "tls_required"),
                "{url}"
            );
        }
    }

    #[test]
    fn the_environment_password_is_used_and_redacted_from_then_on() {
        std::env::set_var(PASSWORD_ENV, "environment-secret-2");
        std::env::set_var(NO_KEYCHAIN_VAR, "1");
        let options = team("postgres://ann@db.example/autowork").connect_options();
        std::env::remove_var(PASSWORD_ENV);
        let shown = format!("{:?}", options.unwrap());
        assert!(
            shown.contains("environment-secret-2"),
            "the options carry the password (and sqlx's Debug shows it: never log them raw)"
        );
        assert!(
            !crate::secrets::redact(&shown).contains("environment-secret-2"),
            "the log writer's redaction hides it"
        );
        let options = team("postgres://ann@db.example/autowork").connect_options();
        assert!(
            !format!("{:?}", options.unwrap()).contains("environment-secret-2"),
            "without the variable (and no keychain) there is no password"
        );
    }
}
