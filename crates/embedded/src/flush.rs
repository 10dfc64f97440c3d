//! Group commit for evidence files: the writers of a moment share one flush to disk.
//!
//! An evidence file counts as stored only once it is durable, and HR's answer waits for its
//! trigger record. Flushing each file on its own (`fsync` of the file, then of its directory
//! for the new name) costs a round of disk writes per record; under load most of intake's
//! time went there. Here a writer writes and links its file, then waits for the next flush
//! to *start*: one flusher thread takes every writer waiting at that moment and makes their
//! files durable together — on Linux with one `syncfs(2)` of the evidence file system, which
//! also persists the new directory entries; elsewhere with an `fsync` of each file and each
//! directory of the batch. A writer that arrives during a flush waits for the next one, so
//! no write is ever answered by a flush that began before it was made.
//!
//! `syncfs` flushes everything dirty on that file system, not only evidence: keep the data
//! directory on a volume of its own when other heavy writers share the machine.
//!
//! No crate offers this (a batch of waiters answered by one flush on a thread of its own);
//! it is a mutex, a condition variable and a one-shot answer per writer.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// Makes a batch of written files durable; `files` are the batch's files (their directories
/// included where the platform needs them).
pub(crate) type FlushFn = dyn Fn(&[PathBuf]) -> io::Result<()> + Send + Sync;

/// One flusher thread serving every writer of an evidence store.
pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    flush: Box<FlushFn>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiter>,
    closed: bool,
    batches: u64,
}

struct Waiter {
    file: PathBuf,
    answer: oneshot::Sender<Result<(), String>>,
}

impl GroupCommit {
    /// Starts the flusher thread.
    pub(crate) fn start(flush: Box<FlushFn>) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            flush,
        });
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("evidence-flush".into())
            .spawn(move || worker.run())?;
        Ok(Self { shared })
    }

    /// Waits until `file`, already written and linked, is durable. The error says why the
    /// flush failed; the file may then be lost in a crash, so the write must not count.
    pub(crate) async fn durable(&self, file: PathBuf) -> Result<(), String> {
        let (answer, answered) = oneshot::channel();
        {
            let mut st = self.shared.lock();
            if st.closed {
                return Err("the evidence store is closing".into());
            }
            st.waiting.push(Waiter { file, answer });
        }
        self.shared.wake.notify_one();
        answered
            .await
            .unwrap_or_else(|_| Err("the evidence flusher stopped".into()))
    }

    /// Flushes made so far (each answering one batch of writers).
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.shared.lock().batches
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The flusher: takes every writer waiting, flushes once, answers them all; until the
    /// store is dropped and nobody waits.
    fn run(&self) {
        loop {
            let batch = {
                let mut st = self.lock();
                while st.waiting.is_empty() && !st.closed {
                    st = self.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                if st.waiting.is_empty() {
                    return;
                }
                st.batches += 1;
                std::mem::take(&mut st.waiting)
            };
            let (files, answers): (Vec<PathBuf>, Vec<_>) =
                batch.into_iter().map(|w| (w.file, w.answer)).unzip();
            let outcome = (self.flush)(&files).map_err(|e| format!("flushing to disk: {e}"));
            for answer in answers {
                // A writer that gave up waiting has nothing left to tell.
                let _ = answer.send(outcome.clone());
            }
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

impl fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

/// The flush for files under `root`: one `syncfs` of its file system on Linux.
#[cfg(target_os = "linux")]
pub(crate) fn flush_file_system(root: &std::path::Path) -> io::Result<Box<FlushFn>> {
    let fs = std::fs::File::open(root)?;
    Ok(Box::new(move |_files: &[PathBuf]| {
        rustix::fs::syncfs(&fs).map_err(io::Error::from)
    }))
}

/// The flush for files under `root`: each file and each of their directories, where no
/// single call flushes a file system.
#[cfg(not(target_os = "linux"))]
pub(crate) fn flush_file_system(_root: &std::path::Path) -> io::Result<Box<FlushFn>> {
    Ok(Box::new(|files: &[PathBuf]| {
        let mut dirs = std::collections::BTreeSet::new();
        for file in files {
            std::fs::File::open(file)?.sync_all()?;
            if let Some(dir) = file.parent() {
                dirs.insert(dir.to_owned());
            }
        }
        for dir in dirs {
            // Windows cannot open a directory as a file; its metadata is journalled.
            if let Ok(d) = std::fs::File::open(&dir) {
                d.sync_all()?;
            }
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A flush that takes `pause` and counts the files it was given.
    fn slow_flush(pause: Duration, seen: Arc<AtomicUsize>) -> Box<FlushFn> {
        Box::new(move |files: &[PathBuf]| {
            std::thread::sleep(pause);
            seen.fetch_add(files.len(), Ordering::SeqCst);
            Ok(())
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn writers_arriving_together_share_a_flush() {
        let seen = Arc::new(AtomicUsize::new(0));
        let gc = Arc::new(
            GroupCommit::start(slow_flush(Duration::from_millis(20), seen.clone())).unwrap(),
        );
        let writers: Vec<_> = (0..64)
            .map(|i| {
                let gc = gc.clone();
                tokio::spawn(async move { gc.durable(PathBuf::from(format!("{i}.json"))).await })
            })
            .collect();
        for w in writers {
            w.await.unwrap().unwrap();
        }
        assert_eq!(
            seen.load(Ordering::SeqCst),
            64,
            "every file was flushed once"
        );
        let batches = gc.batches();
        assert!(
            (1..64).contains(&batches),
            "64 writers at once took {batches} flushes"
        );
    }

    /// A writer that comes while a flush runs is not answered by it: that flush may have
    /// started before its file was written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_during_a_flush_waits_for_the_next() {
        let flushed: Arc<Mutex<Vec<Vec<PathBuf>>>> = Arc::default();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let go_rx = Mutex::new(go_rx);
        let log = flushed.clone();
        let gc = Arc::new(
            GroupCommit::start(Box::new(move |files: &[PathBuf]| {
                let _ = started_tx.send(());
                let first = log.lock().unwrap().is_empty();
                if first {
                    go_rx.lock().unwrap().recv().unwrap();
                }
                log.lock().unwrap().push(files.to_vec());
                Ok(())
            }))
            .unwrap(),
        );
        let early = tokio::spawn({
            let gc = gc.clone();
            async move { gc.durable("early".into()).await }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        let late = tokio::spawn({
            let gc = gc.clone();
            async move { gc.durable("late".into()).await }
        });
        // Let the late writer register while the first flush is still running.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !late.is_finished(),
            "answered by a flush that began before it"
        );
        go_tx.send(()).unwrap();
        early.await.unwrap().unwrap();
        late.await.unwrap().unwrap();
        let batches = flushed.lock().unwrap().clone();
        assert_eq!(
            batches,
            vec![vec![PathBuf::from("early")], vec![PathBuf::from("late")]]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_writer_of_a_failed_flush_is_told() {
        let gc = Arc::new(
            GroupCommit::start(Box::new(|_: &[PathBuf]| {
                std::thread::sleep(Duration::from_millis(10));
                Err(io::Error::other("disk gone"))
            }))
            .unwrap(),
        );
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let gc = gc.clone();
                tokio::spawn(async move { gc.durable(PathBuf::from(format!("{i}"))).await })
            })
            .collect();
        for w in writers {
            let e = w.await.unwrap().unwrap_err();
            assert!(e.contains("disk gone"), "{e}");
        }
    }

    /// Dropping the store lets the flusher answer whoever still waits, then stop.
    #[test]
    fn dropping_the_store_answers_the_last_writers() {
        let seen = Arc::new(AtomicUsize::new(0));
        let gc = GroupCommit::start(slow_flush(Duration::from_millis(5), seen.clone())).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { gc.durable("last".into()).await })
            .unwrap();
        let shared = Arc::downgrade(&gc.shared);
        drop(gc);
        for _ in 0..200 {
            if shared.upgrade().is_none() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            shared.upgrade().is_none(),
            "the flusher thread did not stop"
        );
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_file_system_flush_runs_on_a_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"{}").unwrap();
        flush_file_system(dir.path()).unwrap()(&[file]).unwrap();
    }
}
