//! File modes of the embedded store. The database holds cases and SCIM users (personal
//! data) and the evidence is the audit trail: only the account that runs offboard reads
//! them. Directories are created 0700, the database 0600, evidence files 0400 (write-once:
//! not even the owner's tools should modify them by accident). On other systems the
//! directory's ACL inherited from its parent applies.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Mode of the data directory and every directory under it.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the database file (SQLite gives its `-wal` and `-shm` files the same).
pub const FILE_MODE: u32 = 0o600;
/// Mode of an evidence file once written.
pub const EVIDENCE_MODE: u32 = 0o400;

/// Creates `dir` and any missing parent, each new one owner-only. A directory that already
/// exists is left as it is (it may be one the operator chose, such as the working directory).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)
}

/// Creates `path` owner-only if it does not exist, and takes group and other access away
/// from an existing one (a database an earlier version left world-readable).
pub fn ensure_file(path: &Path) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    opts.mode(FILE_MODE);
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    drop(file);
    Ok(())
}

/// Creates a new file that must not exist yet, owner-only.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(FILE_MODE);
    opts.open(path)
}

/// Makes a written evidence file read-only for its owner and unreadable for anyone else.
pub fn seal_evidence_file(file: &File) -> io::Result<()> {
    let mut perms = file.metadata()?.permissions();
    #[cfg(unix)]
    perms.set_mode(EVIDENCE_MODE);
    #[cfg(not(unix))]
    perms.set_readonly(true);
    file.set_permissions(perms)
}

#[cfg(all(test, unix))]
mod tests {
    use crate::{Embedded, FileEvidenceStore};
    use offboard_core::ports::MessageQueue;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                assert_eq!(mode(&p), 0o700, "{}", p.display());
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    #[tokio::test]
    async fn the_store_is_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let db = Embedded::open(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("offboard.db")), 0o600);
        db.ensure_queue("plan").await.unwrap();
        for journal in ["offboard.db-wal", "offboard.db-shm"] {
            let p = data.join(journal);
            if p.exists() {
                assert_eq!(mode(&p) & 0o077, 0, "{journal}");
            }
        }
        let evidence = data.join("evidence");
        FileEvidenceStore::open(&evidence).unwrap();
        let mut files = Vec::new();
        files_under(&evidence, &mut files);
    }

    #[test]
    fn an_existing_world_readable_database_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("offboard.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        Embedded::open(tmp.path()).unwrap();
        assert_eq!(mode(&db), 0o600);
    }
}
