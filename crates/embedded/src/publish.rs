//! Publishing a file once: its whole content appears under its name at one moment or not at
//! all, never over a file already there, read-only for its owner alone.
//!
//! On Linux the bytes go to an unnamed file in the target's directory (`O_TMPFILE`), which is
//! made read-only and then given its name with `linkat` — that fails if the name is taken, so
//! of two writers exactly one wins. Nothing is left behind if the process dies half-way.
//! Where `O_TMPFILE` is missing (other systems, a file system without it, no `/proc`), the
//! bytes go to a hidden temporary name that is hard-linked to the target and then removed; a
//! crash can leave that hidden file behind, which every reader ignores.
//!
//! Not yet durable: the evidence store waits for its flusher (see [`crate::flush`]).
//!
//! The directory is created (owner-only) only when the first attempt finds it missing: most
//! files go into a directory that exists, and a `mkdir` that fails costs a system call per file.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// One way of giving `bytes` the name `path` in its directory `dir`, once.
type Way = fn(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()>;

/// Writes `bytes` to `path` if nothing is there. An existing file is an
/// [`io::ErrorKind::AlreadyExists`] error and is left untouched.
pub(crate) fn publish_once(path: &Path, bytes: &[u8]) -> io::Result<()> {
    in_its_directory(path, bytes, publish)
}

/// Runs `way`, making the directory first only when it turns out to be missing.
fn in_its_directory(path: &Path, bytes: &[u8], way: Way) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no directory", path.display()),
        )
    })?;
    match way(dir, path, bytes) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            crate::private::create_dir(dir)?;
            way(dir, path, bytes)
        }
        done => done,
    }
}

#[cfg(target_os = "linux")]
fn publish(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    match unnamed::publish(dir, path, bytes)? {
        Some(()) => Ok(()),
        None => through_temporary_name(dir, path, bytes),
    }
}

#[cfg(not(target_os = "linux"))]
fn publish(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    through_temporary_name(dir, path, bytes)
}

/// Writes the whole content and makes the file read-only (0400 on Unix).
fn write_sealed(mut file: File, bytes: &[u8]) -> io::Result<File> {
    file.write_all(bytes)?;
    crate::private::seal_evidence_file(&file)?;
    Ok(file)
}

/// The portable way: a hidden temporary name in the same directory, hard-linked to `path`.
fn through_temporary_name(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = crate::private::create_new(&tmp).and_then(|file| write_sealed(file, bytes));
    let linked = written.and_then(|_file| std::fs::hard_link(&tmp, path));
    // The temporary name goes whatever happened; the content, if linked, stays.
    let _ = std::fs::remove_file(&tmp);
    linked
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    /// `Some` once linked; `None` where this kernel, file system or `/proc` cannot do it
    /// (the caller then uses a temporary name). A missing directory is `NotFound`.
    pub(super) fn publish(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<Option<()>> {
        let opened = rustix::fs::openat(
            CWD,
            dir,
            OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(crate::private::FILE_MODE),
        );
        let fd = match opened {
            Ok(fd) => fd,
            // No O_TMPFILE here (`open(2)`: EISDIR on kernels before 3.11, EOPNOTSUPP on file
            // systems without it; EINVAL where the flag is unknown).
            Err(Errno::ISDIR | Errno::OPNOTSUPP | Errno::INVAL) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let file = super::write_sealed(File::from(fd), bytes)?;
        // Linking an open file by its descriptor needs `/proc` (AT_EMPTY_PATH would need a
        // capability offboard does not ask for).
        let source = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, source.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => Ok(Some(())),
            // Without `/proc` the source is missing; the temporary-name way still works (and
            // reports a missing directory itself).
            Err(Errno::NOENT) if !Path::new("/proc/self/fd").is_dir() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// Both ways, named for the assertions: the one used (unnamed files on Linux) and the
    /// portable one.
    const WAYS: [(&str, Way); 2] = [
        ("the way used", publish),
        ("a temporary name", through_temporary_name),
    ];

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_methods_publish_read_only_files_into_new_directories_and_leave_nothing_else() {
        for (way_named, way) in WAYS {
            let root = tempfile::tempdir().unwrap();
            let dir = root.path().join("cases/2026-12/c-1/records");
            in_its_directory(&dir.join("000000.json"), b"{\"a\":1}", way).unwrap();
            in_its_directory(&dir.join("000001.json"), b"{\"a\":2}", way).unwrap();
            assert_eq!(names(&dir), ["000000.json", "000001.json"], "{way_named}");
            assert_eq!(
                std::fs::read(dir.join("000001.json")).unwrap(),
                b"{\"a\":2}"
            );
            assert_eq!(mode(&dir.join("000000.json")), 0o400, "{way_named}");
            assert_eq!(mode(&dir), 0o700, "{way_named}");
            assert_eq!(mode(dir.parent().unwrap()), 0o700, "{way_named}");
        }
    }

    #[test]
    fn a_taken_name_is_refused_and_keeps_its_content() {
        for (way_named, way) in WAYS {
            let root = tempfile::tempdir().unwrap();
            let path = root.path().join("000000.json");
            in_its_directory(&path, b"first", way).unwrap();
            let again = in_its_directory(&path, b"second", way).unwrap_err();
            assert_eq!(again.kind(), io::ErrorKind::AlreadyExists, "{way_named}");
            assert_eq!(std::fs::read(&path).unwrap(), b"first");
            assert_eq!(names(root.path()), ["000000.json"], "{way_named}");
        }
    }

    /// The unnamed-file way is the one taken on Linux where the file system has it (tmpfs and
    /// ext4 do): no temporary name is ever created in the directory.
    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_content_never_has_another_name() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("000000.json");
        assert_eq!(
            unnamed::publish(root.path(), &path, b"{}").unwrap(),
            Some(()),
            "O_TMPFILE is unavailable on this file system: {}",
            root.path().display()
        );
        assert_eq!(names(root.path()), ["000000.json"]);
        assert_eq!(mode(&path), 0o400);
    }
}
