//! One store function, two backends (issue 14, docs/team-database.md §1): each function is
//! written once inside [`on_both_backends!`], which compiles it against SQLite and against
//! PostgreSQL and adds a function of the same name that runs the one matching the
//! connection it is given. Callers pass what they pass today (`&mut tx`, `&mut *conn`,
//! `&mut conn`): everything that is a connection of either backend implements [`AsConn`].

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};

/// A connection of one backend or the other, borrowed for one store call.
pub(crate) enum AnyConn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Anything a store function can run on: a connection, a transaction or a pooled
/// connection, of either backend. `Send` so that the store's futures stay `Send`.
pub(crate) trait AsConn: Send {
    fn as_conn(&mut self) -> AnyConn<'_>;
}

impl AsConn for SqliteConnection {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Sqlite(self)
    }
}

impl AsConn for PgConnection {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Postgres(self)
    }
}

impl AsConn for Transaction<'_, Sqlite> {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Sqlite(self)
    }
}

impl AsConn for Transaction<'_, Postgres> {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Postgres(self)
    }
}

impl AsConn for PoolConnection<Sqlite> {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Sqlite(self)
    }
}

impl AsConn for PoolConnection<Postgres> {
    fn as_conn(&mut self) -> AnyConn<'_> {
        AnyConn::Postgres(self)
    }
}

impl AsConn for AnyConn<'_> {
    fn as_conn(&mut self) -> AnyConn<'_> {
        match self {
            AnyConn::Sqlite(conn) => AnyConn::Sqlite(conn),
            AnyConn::Postgres(conn) => AnyConn::Postgres(conn),
        }
    }
}

/// What a helper generic over the backend (one that extends a `QueryBuilder<'_, DB>`) may
/// ask of it: which dialect it writes.
pub(crate) trait Backend: sqlx::Database {
    const POSTGRES: bool;
}

impl Backend for Sqlite {
    const POSTGRES: bool = false;
}

impl Backend for Postgres {
    const POSTGRES: bool = true;
}

/// The key SQLite gave the last row a statement inserted; PostgreSQL has no such thing
/// (ask with `RETURNING` there). For a body compiled for both that uses it on SQLite only.
pub(crate) trait LastInsertRowid {
    fn last_insert_rowid(&self) -> i64;
}

impl LastInsertRowid for sqlx::sqlite::SqliteQueryResult {
    fn last_insert_rowid(&self) -> i64 {
        sqlx::sqlite::SqliteQueryResult::last_insert_rowid(self)
    }
}

impl LastInsertRowid for sqlx::postgres::PgQueryResult {
    fn last_insert_rowid(&self) -> i64 {
        0
    }
}

/// Compiles store functions for both backends. Takes, optionally, `shared { items }`
/// (items instantiated per backend and not dispatched, such as a function only the others
/// call), then functions written as
/// `pub(crate) async fn name(conn: &mut Conn, args...) -> Result<T> { body }`.
///
/// Each becomes `sqlite::name` and `postgres::name`, where `Conn` is that backend's
/// connection, `Db` its `sqlx::Database` and `POSTGRES` says which one the body is compiled
/// for (`if POSTGRES { .. } else { .. }` where the dialects differ), plus a function `name`
/// taking `conn: &mut impl AsConn` that calls the one for the connection's backend. In the
/// bodies, a call to another function of the same block reaches its own backend's copy;
/// paths outside it are written from the crate (`crate::store::runs::COLUMNS`), since the
/// body sits one module deeper than the file.
macro_rules! on_both_backends {
    (
        $(shared { $($shared:item)* })?
        $(
            $(#[$meta:meta])*
            pub(crate) async fn $name:ident (
                $conn:ident : &mut Conn $(, $arg:ident : $ty:ty)* $(,)?
            ) -> $ret:ty $body:block
        )*
    ) => {
        #[allow(unused_imports, dead_code)]
        pub(crate) mod sqlite {
            use super::*;
            type Conn = ::sqlx::SqliteConnection;
            type Db = ::sqlx::Sqlite;
            const POSTGRES: bool = false;
            $($($shared)*)?
            $(
                $(#[$meta])*
                pub(crate) async fn $name($conn: &mut Conn $(, $arg: $ty)*) -> $ret $body
            )*
        }

        #[allow(unused_imports, dead_code)]
        pub(crate) mod postgres {
            use super::*;
            type Conn = ::sqlx::PgConnection;
            type Db = ::sqlx::Postgres;
            const POSTGRES: bool = true;
            $($($shared)*)?
            $(
                $(#[$meta])*
                pub(crate) async fn $name($conn: &mut Conn $(, $arg: $ty)*) -> $ret $body
            )*
        }

        $(
            $(#[$meta])*
            pub(crate) async fn $name(
                $conn: &mut impl $crate::store::backend::AsConn $(, $arg: $ty)*
            ) -> $ret {
                match $conn.as_conn() {
                    $crate::store::backend::AnyConn::Sqlite($conn) => {
                        sqlite::$name($conn $(, $arg)*).await
                    }
                    $crate::store::backend::AnyConn::Postgres($conn) => {
                        postgres::$name($conn $(, $arg)*).await
                    }
                }
            }
        )*
    };
}

pub(crate) use on_both_backends;
