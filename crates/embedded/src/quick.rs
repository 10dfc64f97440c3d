//! Point operations run on the calling thread when they need not wait.
//!
//! Handing every SQLite call to tokio's blocking pool costs two thread wake-ups and about
//! four context switches each way, which on a short statement (tens of microseconds, no
//! `fsync`: the database runs WAL with `synchronous=NORMAL`) costs more than the statement.
//! [`Embedded::quick`] runs such an operation right where it was called, but only when it
//! cannot block the async worker:
//! - the connection is free now (`try_lock`), else it queues on a blocking thread as
//!   [`Embedded::with`] does;
//! - a write first takes SQLite's write lock without waiting (`BEGIN IMMEDIATE` with no busy
//!   timeout); another process holding it (the local Functions host polls its queues in this
//!   file) sends the call to a blocking thread, where the 10-second busy timeout applies.
//!   The operation has not run at that point, so nothing runs twice.
//!
//! Statements of a write that succeed are committed even when a later one fails, as they
//! would be one statement at a time outside a transaction. An operation that opens its own
//! immediate transaction uses [`write_transaction`], which nests as a savepoint when the
//! write lock is already held here. Reads run as they are: in WAL mode a reader does not
//! wait for writers.

use rusqlite::{Connection, Params, Row, Savepoint, Transaction, TransactionBehavior};
use std::ops::Deref;
use std::sync::TryLockError;
use std::time::Duration;

use offboard_core::ports::{QueueError, StoreError};

use crate::db::{BUSY_TIMEOUT, Embedded, JoinFailed, queue_err, store_err};

/// What a quick operation does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads only.
    Read,
    /// Writes (and may read).
    Write,
}

/// Committing an operation run on the calling thread failed; what it wrote is rolled back.
#[derive(Debug)]
pub(crate) struct CommitFailed(rusqlite::Error);

impl From<CommitFailed> for StoreError {
    fn from(e: CommitFailed) -> Self {
        store_err(e.0)
    }
}

impl From<CommitFailed> for QueueError {
    fn from(e: CommitFailed) -> Self {
        queue_err(e.0)
    }
}

impl Embedded {
    /// Runs the point operation `f` on this thread when it need not wait (see the module
    /// note), else on a blocking thread as [`Embedded::with`]. Only for operations that touch
    /// a handful of rows: a scan would hold the async worker.
    pub(crate) async fn quick<T, E, F>(&self, access: Access, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static + From<JoinFailed> + From<CommitFailed>,
    {
        match self.run_here(access, f) {
            Ok(out) => out,
            Err(f) => self.with(f).await,
        }
    }

    /// Runs `f` on this thread if it need not wait, else gives it back unrun.
    fn run_here<T, E, F>(&self, access: Access, f: F) -> Result<Result<T, E>, F>
    where
        F: FnOnce(&mut Connection) -> Result<T, E>,
        E: From<CommitFailed>,
    {
        let mut guard = match self.conn.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(f),
        };
        match access {
            Access::Read => Ok(f(&mut guard)),
            Access::Write => {
                if !begin_immediate_now(&guard) {
                    return Err(f);
                }
                let mut open = OpenTransaction(&mut guard);
                let out = f(open.0);
                Ok(open.commit().map_err(E::from).and(out))
            }
        }
    }
}

/// Takes SQLite's write lock if no other connection holds it, without waiting.
fn begin_immediate_now(conn: &Connection) -> bool {
    if conn.busy_timeout(Duration::ZERO).is_err() {
        return false;
    }
    let began = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
    // Should restoring the timeout fail, the connection would fail fast on contention
    // rather than hang: the caller sees `Unavailable` and retries.
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    began
}

/// The transaction `quick` opened; rolled back if the operation panics.
struct OpenTransaction<'a>(&'a mut Connection);

impl OpenTransaction<'_> {
    /// Commits what the operation wrote (SQLite may already have rolled back after an I/O
    /// error, leaving nothing to commit).
    fn commit(&mut self) -> Result<(), CommitFailed> {
        if self.0.is_autocommit() {
            return Ok(());
        }
        self.0.execute_batch("COMMIT").map_err(|e| {
            let _ = self.0.execute_batch("ROLLBACK");
            CommitFailed(e)
        })
    }
}

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

/// A transaction holding SQLite's write lock from its first statement: its own immediate
/// transaction, or a savepoint inside the one [`Embedded::quick`] opened with the lock held.
pub(crate) enum WriteTransaction<'a> {
    /// Began here with `BEGIN IMMEDIATE`.
    Own(Transaction<'a>),
    /// Nested in the caller's write transaction.
    Nested(Savepoint<'a>),
}

/// Begins a [`WriteTransaction`] on `conn`.
pub(crate) fn write_transaction(conn: &mut Connection) -> rusqlite::Result<WriteTransaction<'_>> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(WriteTransaction::Own)
    } else {
        conn.savepoint().map(WriteTransaction::Nested)
    }
}

impl WriteTransaction<'_> {
    /// Commits (releases the savepoint); dropping it instead rolls back.
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Self::Own(tx) => tx.commit(),
            Self::Nested(sp) => sp.commit(),
        }
    }
}

impl Deref for WriteTransaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Self::Own(tx) => tx,
            Self::Nested(sp) => sp,
        }
    }
}

/// A point operation's statements, prepared once per connection and kept (see
/// `set_prepared_statement_cache_capacity` in `db.rs`).
pub(crate) trait CachedStatements {
    /// `Connection::execute` with the prepared statement kept.
    fn exec_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `Connection::query_row` with the prepared statement kept.
    fn row_cached<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl CachedStatements for Connection {
    fn exec_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row_cached<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    fn file_db() -> (tempfile::TempDir, Embedded) {
        let dir = tempfile::tempdir().unwrap();
        let db = Embedded::open(dir.path()).unwrap();
        (dir, db)
    }

    fn count(db: &Embedded) -> i64 {
        // A panicking operation poisons the mutex; the connection is still sound.
        db.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .query_row("SELECT count(*) FROM claims", [], |r| r.get(0))
            .unwrap()
    }

    fn insert(conn: &Connection, key: &str) -> Result<(), StoreError> {
        conn.execute(
            "INSERT INTO claims (key, version, doc) VALUES (?1, 1, '{}')",
            params![key],
        )
        .map(drop)
        .map_err(store_err)
    }

    #[test]
    fn a_free_connection_runs_the_operation_on_the_calling_thread() {
        let (_dir, db) = file_db();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let here = std::thread::current().id();
        for access in [Access::Read, Access::Write] {
            let ran_on = rt
                .block_on(db.quick(access, |_| Ok::<_, StoreError>(std::thread::current().id())))
                .unwrap();
            assert_eq!(ran_on, here, "{access:?} was handed to another thread");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_commits_what_succeeded_as_statements_one_at_a_time_would() {
        let (_dir, db) = file_db();
        let out = db
            .quick(Access::Write, |conn| {
                insert(conn, "a")?;
                insert(conn, "a")
            })
            .await;
        assert!(out.is_err(), "the duplicate key is refused");
        assert_eq!(count(&db), 1, "the first insert stays, as in autocommit");
        assert!(
            db.conn.lock().unwrap().is_autocommit(),
            "no transaction left open"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_waits_on_a_blocking_thread_while_another_process_holds_the_lock() {
        let (dir, db) = file_db();
        // Another process: a second connection to the file holding the write lock.
        let other = Connection::open(dir.path().join("offboard.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        insert(&other, "theirs").unwrap();
        let write = tokio::spawn({
            let db = db.clone();
            async move { db.quick(Access::Write, |conn| insert(conn, "ours")).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!write.is_finished(), "the write waits for the lock");
        other.execute_batch("COMMIT").unwrap();
        write.await.unwrap().unwrap();
        assert_eq!(count(&db), 2, "both writes landed, ours once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn own_transactions_nest_inside_the_quick_one() {
        let (_dir, db) = file_db();
        db.quick(Access::Write, |conn| {
            let tx = write_transaction(conn).map_err(store_err)?;
            assert!(matches!(tx, WriteTransaction::Nested(_)));
            insert(&tx, "nested")?;
            tx.commit().map_err(store_err)
        })
        .await
        .unwrap();
        db.with(|conn| {
            let tx = write_transaction(conn).map_err(store_err)?;
            assert!(matches!(tx, WriteTransaction::Own(_)));
            insert(&tx, "own")?;
            tx.commit().map_err(store_err)
        })
        .await
        .unwrap();
        assert_eq!(count(&db), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_leaves_no_transaction_open() {
        let (_dir, db) = file_db();
        let crashed = tokio::spawn({
            let db = db.clone();
            async move {
                db.quick(Access::Write, |conn| -> Result<(), StoreError> {
                    insert(conn, "lost")?;
                    panic!("a bug in the operation")
                })
                .await
            }
        })
        .await;
        assert!(crashed.is_err(), "the panic reached the task");
        db.quick(Access::Write, |conn| insert(conn, "next"))
            .await
            .unwrap();
        assert_eq!(
            count(&db),
            1,
            "the panicking write was rolled back, the next one landed"
        );
    }
}
