use std::collections::HashMap;
use std::sync::Mutex;

use pretty_assertions::assert_eq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::agent::provider::keychain::{KeychainError, NoKeychain};
use crate::store::location::tests::{one, problems};

// The store's throwaway-database helper is private to the store; it names nothing of the
// crate, so it compiles here too (as the integration suite includes it).
#[allow(clippy::duplicate_mod)]
#[path = "../store/test_database.rs"]
mod test_database;
use test_database::TestDatabase;

/// A keychain in memory.
#[derive(Debug, Default)]
struct MemoryKeychain(Mutex<HashMap<String, String>>);

impl Keychain for MemoryKeychain {
    fn store(&self, id: &str, key: &str) -> std::result::Result<(), KeychainError> {
        self.0.lock().unwrap().insert(id.into(), key.into());
        Ok(())
    }
    fn load(&self, id: &str) -> std::result::Result<Option<String>, KeychainError> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }
    fn delete(&self, id: &str) -> std::result::Result<(), KeychainError> {
        self.0.lock().unwrap().remove(id);
        Ok(())
    }
}

fn team(url: &str) -> TeamDatabase {
    TeamDatabase::parse(url).unwrap()
}

#[test]
fn the_password_comes_from_the_environment_first_then_the_keychain_keyed_by_url() {
    let keychain = MemoryKeychain::default();
    let db = team("postgres://ann@db.example/autowork");
    let other = team("postgres://ann@db.example/other");
    assert_eq!(
        password_state(&db, &keychain).source,
        PasswordSource::Missing
    );
    save_password(&db, "keychain-secret-1\n", &keychain).unwrap();
    assert_eq!(
        password_state(&db, &keychain),
        PasswordState {
            source: PasswordSource::Keychain,
            keychain_problem: None
        }
    );
    assert_eq!(
        password_state(&other, &keychain).source,
        PasswordSource::Missing,
        "each URL has its own entry"
    );
    assert_eq!(
        keychain
            .load("store:postgres://ann@db.example/autowork")
            .unwrap()
            .as_deref(),
        Some("keychain-secret-1"),
        "saved under the URL, without the line's end"
    );
    assert_eq!(
        crate::secrets::redact("auth failed for keychain-secret-1"),
        "auth failed for [redacted]",
        "a password read is redacted everywhere from then on"
    );

    std::env::set_var(PASSWORD_ENV, "environment-secret-2");
    let state = password_state(&db, &keychain);
    std::env::remove_var(PASSWORD_ENV);
    assert_eq!(state.source, PasswordSource::Environment);

    forget_password(&db, &keychain).unwrap();
    assert_eq!(
        password_state(&db, &keychain).source,
        PasswordSource::Missing
    );
}

#[test]
fn without_a_keychain_saving_fails_and_points_to_the_environment_variable() {
    let db = team("postgres://ann@db.example/autowork");
    let (found, hint) = problems(save_password(&db, "hunter2-hunter2", &NoKeychain));
    assert_eq!(found, one("password", "keychain_unavailable"));
    assert!(hint.contains(PASSWORD_ENV), "{hint}");
    assert!(!hint.contains("hunter2"), "{hint}");
    let state = password_state(&db, &NoKeychain);
    assert_eq!(state.source, PasswordSource::Missing);
    assert!(state.keychain_problem.is_some());
    assert_eq!(
        problems(save_password(&db, "\n", &MemoryKeychain::default())).0,
        one("password", "empty")
    );
}

#[test]
fn the_schema_is_absent_behind_current_or_newer() {
    let known = [1, 2, 3];
    assert_eq!(schema_state(&[], &known), SchemaState::Absent);
    assert_eq!(schema_state(&[1, 2], &known), SchemaState::Behind);
    assert_eq!(schema_state(&[1, 2, 3], &known), SchemaState::Current);
    assert_eq!(schema_state(&[1, 2, 3, 4], &known), SchemaState::Newer);
}

async fn test_at(url: &str, timeout: Duration) -> Result<ConnectionReport> {
    test_connection_with(&team(url), Arc::new(MemoryKeychain::default()), timeout).await
}

#[tokio::test]
async fn nothing_listening_is_an_unreachable_store() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork");
    let (found, hint) = problems(test_at(&url, TEST_TIMEOUT).await);
    assert_eq!(found, one("store", "unreachable"));
    assert!(hint.contains(&format!("127.0.0.1:{port}")), "{hint}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_unreachable_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork");
    let (found, hint) = problems(test_at(&url, Duration::from_millis(300)).await);
    server.abort();
    assert_eq!(found, one("store", "unreachable"));
    assert!(hint.contains("no answer"), "{hint}");
}

/// A fake server on 127.0.0.1 that plays one PostgreSQL exchange: refuses TLS (`N`) or
/// asks a clear-text password and refuses it (SQLSTATE 28P01).
async fn fake_server(refuse_tls: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut length = [0u8; 4];
        socket.read_exact(&mut length).await.unwrap();
        let mut body = vec![0u8; u32::from_be_bytes(length) as usize - 4];
        socket.read_exact(&mut body).await.unwrap();
        if refuse_tls {
            socket.write_all(b"N").await.unwrap();
            return;
        }
        // AuthenticationCleartextPassword, then read the password message.
        socket
            .write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])
            .await
            .unwrap();
        let mut header = [0u8; 5];
        socket.read_exact(&mut header).await.unwrap();
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let mut body = vec![0u8; length as usize - 4];
        socket.read_exact(&mut body).await.unwrap();
        let mut fields = Vec::new();
        for (tag, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28P01"),
            (b'M', "password authentication failed for user \"ann\""),
        ] {
            fields.push(tag);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut message = vec![b'E'];
        message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
        message.extend_from_slice(&fields);
        socket.write_all(&message).await.unwrap();
        let _ = socket.shutdown().await;
    });
    port
}

#[tokio::test]
async fn a_server_without_tls_is_refused_when_tls_is_required() {
    let port = fake_server(true).await;
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork?sslmode=require");
    let (found, hint) = problems(test_at(&url, TEST_TIMEOUT).await);
    assert_eq!(found, one("store", "tls_refused"));
    assert!(hint.contains("ssl"), "{hint}");
}

#[tokio::test]
async fn a_refused_password_names_the_password_field() {
    let port = fake_server(false).await;
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork?sslmode=disable");
    let (found, hint) = problems(test_at(&url, TEST_TIMEOUT).await);
    assert_eq!(found, one("password", "password_missing"));
    assert!(hint.contains("autowork store set-password"), "{hint}");

    let port = fake_server(false).await;
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork?sslmode=disable");
    let keychain = MemoryKeychain::default();
    let db = team(&url);
    save_password(&db, "wrong-password-3", &keychain).unwrap();
    let result = test_connection_with(&db, Arc::new(keychain), TEST_TIMEOUT).await;
    let (found, hint) = problems(result);
    assert_eq!(found, one("password", "bad_password"));
    assert!(hint.contains("the keychain"), "{hint}");
    assert!(!hint.contains("wrong-password-3"), "{hint}");
}

/// The test server's URL with another database in its path.
fn url_of(database: &str) -> String {
    let base = std::env::var("AUTOWORK_TEST_POSTGRES_URL").unwrap();
    let (before, query) = base.split_once('?').unwrap_or((&base, ""));
    let (server, _) = before.rsplit_once('/').unwrap();
    format!("{server}/{database}?{query}")
}

#[tokio::test]
async fn a_real_server_reports_its_version_and_whether_the_schema_is_current_or_newer() {
    let Some(db) = TestDatabase::fresh(
        "location",
        1,
        &crate::store::POSTGRES_MIGRATOR,
        "the connection test against PostgreSQL",
    )
    .await
    else {
        return;
    };
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let url = url_of(&name);
    let report = test_at(&url, TEST_TIMEOUT).await.unwrap();
    let known = u32::try_from(crate::store::POSTGRES_MIGRATOR.iter().count()).unwrap();
    assert!(
        report
            .server_version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit()),
        "{report:?}"
    );
    assert_eq!(
        (
            report.database.as_str(),
            report.tls,
            report.password,
            report.schema,
            report.migrations_applied,
            report.migrations_known
        ),
        (
            name.as_str(),
            false,
            PasswordSource::Missing,
            SchemaState::Current,
            known,
            known
        ),
        "a migrated database over the Unix socket"
    );

    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer autowork', true, '\\x00', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let report = test_at(&url, TEST_TIMEOUT).await.unwrap();
    assert_eq!(report.schema, SchemaState::Newer);

    sqlx::query("DROP TABLE _sqlx_migrations")
        .execute(&db.pool)
        .await
        .unwrap();
    let report = test_at(&url, TEST_TIMEOUT).await.unwrap();
    assert_eq!(report.schema, SchemaState::Absent);
    db.drop_db().await;
}

#[tokio::test]
async fn a_database_that_does_not_exist_is_named() {
    if std::env::var("AUTOWORK_TEST_POSTGRES_URL").is_err()
        && std::env::var("AUTOWORK_SKIP_POSTGRES").as_deref() == Ok("1")
    {
        eprintln!("AUTOWORK_SKIP_POSTGRES=1: the missing-database test skipped");
        return;
    }
    let url = url_of("autowork_no_such_database");
    let (found, hint) = problems(test_at(&url, TEST_TIMEOUT).await);
    assert_eq!(found, one("store", "database_missing"));
    assert!(hint.contains("autowork_no_such_database"), "{hint}");
}
