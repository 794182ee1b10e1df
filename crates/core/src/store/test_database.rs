//! A fresh, migrated PostgreSQL database of one test's own on the server named by
//! AUTOWORK_TEST_POSTGRES_URL (`scripts/with-postgres.sh` starts one; `make test` runs the
//! tests through it), so tests run in parallel. Without the URL a test fails, unless
//! AUTOWORK_SKIP_POSTGRES=1 says to skip what needs PostgreSQL.
//!
//! One file for the store's own tests (`backend_tests.rs`) and the integration suite
//! (`tests/suite/postgres_schema.rs`, which includes it by path): it names nothing of the
//! crate, so it compiles in both.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// Dropped by [`TestDatabase::drop_db`] (a failed test leaves it behind; the throwaway
/// server goes anyway).
pub(crate) struct TestDatabase {
    admin: PgConnectOptions,
    name: String,
    pub pool: PgPool,
}

impl TestDatabase {
    /// A database named `prefix` plus a fresh id, migrated by `migrator`, with a pool of
    /// `connections`; `None` only when AUTOWORK_SKIP_POSTGRES=1 (`skipped` says what, in the
    /// test's output).
    pub async fn fresh(
        prefix: &str,
        connections: u32,
        migrator: &Migrator,
        skipped: &str,
    ) -> Option<TestDatabase> {
        let Ok(url) = std::env::var("AUTOWORK_TEST_POSTGRES_URL") else {
            if std::env::var("AUTOWORK_SKIP_POSTGRES").as_deref() == Ok("1") {
                eprintln!("AUTOWORK_SKIP_POSTGRES=1: {skipped} skipped");
                return None;
            }
            panic!(
                "AUTOWORK_TEST_POSTGRES_URL is not set: run the tests through \
                 `scripts/with-postgres.sh cargo nextest run` or `make test` (they start a \
                 throwaway PostgreSQL server), or set AUTOWORK_SKIP_POSTGRES=1 to skip \
                 {skipped}"
            );
        };
        let admin = PgConnectOptions::from_str(&url).unwrap();
        let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            .connect_with(admin.clone().database(&name))
            .await
            .unwrap();
        migrator.run(&pool).await.unwrap();
        Some(TestDatabase { admin, name, pool })
    }

    pub async fn drop_db(self) {
        self.pool.close().await;
        let mut conn = PgConnection::connect_with(&self.admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
