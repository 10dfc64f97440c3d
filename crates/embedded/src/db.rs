//! The SQLite connection and schema.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use offboard_core::ports::{QueueError, StoreError};

/// Opening the embedded database failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The directory could not be created.
    #[error("cannot create the embedded data directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("cannot open the embedded database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
}

/// How long a call waits for another process's write lock on the database.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The embedded backend: one SQLite database implementing the case store, the SCIM user
/// store and the message queue ports. Cheap to clone.
#[derive(Clone)]
pub struct Embedded {
    pub(crate) conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    subject_key TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_effective ON cases (effective_at, id);
CREATE INDEX IF NOT EXISTS cases_by_status ON cases (status, effective_at);
CREATE INDEX IF NOT EXISTS cases_by_subject ON cases (subject_key);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scim_users (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    user_name_lower TEXT NOT NULL UNIQUE,
    external_id TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scim_by_external ON scim_users (external_id);
CREATE TABLE IF NOT EXISTS case_index (
    period TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    effective_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (period, id)
);
CREATE TABLE IF NOT EXISTS rights_index (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remediations (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    id TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scans (
    id TEXT PRIMARY KEY,
    ended_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    text TEXT NOT NULL,
    inserted_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    dequeue_count INTEGER NOT NULL,
    pop_receipt TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at, seq);
";

impl Embedded {
    /// Opens (creating if needed) the database `offboard.db` in `dir`. A directory it
    /// creates is owner-only (0700) and so is the database (0600): it holds personal data.
    pub fn open(dir: &Path) -> Result<Self, EmbeddedError> {
        crate::private::create_dir(dir).map_err(|source| EmbeddedError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("offboard.db");
        // SQLite would create the file with the process umask (0644 as a rule); create it
        // owner-only first. Its journal files take the database file's mode.
        crate::private::ensure_file(&path).map_err(|source| EmbeddedError::Directory {
            path: path.clone(),
            source,
        })?;
        let conn = Connection::open(&path).map_err(|source| EmbeddedError::Sqlite {
            path: path.clone(),
            source,
        })?;
        Self::init(conn, Some(path))
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self, EmbeddedError> {
        let conn = Connection::open_in_memory().map_err(|source| EmbeddedError::Sqlite {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        Self::init(conn, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Self, EmbeddedError> {
        let label = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let err = |source| EmbeddedError::Sqlite {
            path: label.clone(),
            source,
        };
        // Other processes (the local Functions host, the handler) share the file: wait for
        // their write locks rather than failing.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // The point operations' statements, kept prepared (parsing them was ~4 % of intake).
        conn.set_prepared_statement_cache_capacity(64);
        if path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(err)?;
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        crate::index::migrate(&conn).map_err(err)?;
        crate::follow_ups::migrate(&conn).map_err(err)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The database file, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the connection on a blocking thread.
    pub(crate) async fn with<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + 'static + From<JoinFailed>,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| E::from(JoinFailed(e.to_string())))?
    }
}

/// A blocking task panicked or was cancelled.
#[derive(Debug)]
pub(crate) struct JoinFailed(pub String);

impl From<JoinFailed> for StoreError {
    fn from(e: JoinFailed) -> Self {
        StoreError::Permanent {
            detail: format!("embedded store task failed: {}", e.0),
        }
    }
}

impl From<JoinFailed> for QueueError {
    fn from(e: JoinFailed) -> Self {
        QueueError::Permanent {
            detail: format!("embedded queue task failed: {}", e.0),
        }
    }
}

/// Maps SQLite errors: a busy database is temporary, everything else is not.
pub(crate) fn store_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable {
                detail: e.to_string(),
            }
        }
        _ => StoreError::Permanent {
            detail: e.to_string(),
        },
    }
}

/// Maps SQLite errors for queues.
pub(crate) fn queue_err(e: rusqlite::Error) -> QueueError {
    match store_err(e) {
        StoreError::Unavailable { detail } => QueueError::Unavailable { detail },
        other => QueueError::Permanent {
            detail: other.to_string(),
        },
    }
}
