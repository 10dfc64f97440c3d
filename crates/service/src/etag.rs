//! Optimistic concurrency, written once: read a document with its ETag, change it, write it
//! back only if nobody wrote it in between, and when somebody did ("precondition failed"),
//! start again from a fresh read. Cases, index rows and SCIM users are all kept this way,
//! because two invocations (a redelivered message, a timer and a queue function) may work on
//! the same case at once and neither may lose the other's change.

use std::future::Future;

use offboard_core::case::Case;
use offboard_core::ports::{CaseStore, ETag, StoreError, Versioned};

/// What a change decided about the document it was given.
#[derive(Debug)]
pub enum Change<T> {
    /// Write the changed document, then answer `T`.
    Write(T),
    /// Write nothing and answer `T`: the document is already as wanted, or the change does
    /// not apply to it.
    Keep(T),
    /// Read again from the start: the change repaired something first (a lost index row
    /// rebuilt from the evidence) or found the document not ready.
    ReadAgain,
}

/// What [`update`] came to: the document as last read (and, if `written`, as stored) with
/// the change's answer.
#[derive(Debug)]
pub struct Updated<V, T> {
    /// The document; `None` only when none was stored and the change created none.
    pub value: Option<V>,
    /// The change's answer.
    pub answer: T,
    /// Whether the document was written.
    pub written: bool,
}

/// Loads the document (`None` when none is stored yet), lets `change` decide, and writes it
/// with the ETag it was read with (`None`: create it, failing if another writer created it
/// first). A write that lost a race to another writer is retried from a fresh read, up to
/// `tries` times; `Ok(None)` means every try lost (the caller reports contention, and the
/// message is retried later).
///
/// `load` and `write` are plain closures returning futures (not `async` closures): the
/// futures must be `Send` for the Functions handler, which the compiler cannot yet prove
/// for `async` closures that borrow their arguments. `write` therefore gets its own copy.
pub async fn update<V, T, E, L, LF, W, WF>(
    tries: usize,
    mut load: L,
    mut change: impl FnMut(&mut Option<V>) -> Result<Change<T>, E>,
    mut write: W,
) -> Result<Option<Updated<V, T>>, E>
where
    V: Clone,
    E: From<StoreError>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<Versioned<V>>, E>>,
    W: FnMut(V, Option<ETag>) -> WF,
    WF: Future<Output = Result<(), StoreError>>,
{
    for _ in 0..tries {
        let (mut value, etag) = match load().await? {
            Some(v) => (Some(v.value), Some(v.etag)),
            None => (None, None),
        };
        let answer = match change(&mut value)? {
            Change::ReadAgain => continue,
            Change::Keep(answer) => {
                return Ok(Some(Updated {
                    value,
                    answer,
                    written: false,
                }));
            }
            Change::Write(answer) => answer,
        };
        let Some(v) = value.clone() else {
            return Ok(Some(Updated {
                value,
                answer,
                written: false,
            }));
        };
        let creating = etag.is_none();
        match write(v, etag).await {
            Ok(()) => {
                return Ok(Some(Updated {
                    value,
                    answer,
                    written: true,
                }));
            }
            Err(StoreError::PreconditionFailed { .. }) => continue,
            // A create that lost to another create: read what the other wrote.
            Err(StoreError::Conflict { .. }) if creating => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// Replaces a stored case if it still has `etag`: the write half of [`update`] for cases.
/// A change never creates a case (intake does, create-if-absent), so a case read without
/// an ETag is not there to replace.
pub async fn replace_case(
    cases: &dyn CaseStore,
    case: Case,
    etag: Option<ETag>,
) -> Result<(), StoreError> {
    match etag {
        Some(etag) => cases.replace(&case, &etag).await.map(|_| ()),
        None => Err(StoreError::NotFound {
            what: format!("case {}", case.id),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn raced() -> StoreError {
        StoreError::PreconditionFailed { what: "x".into() }
    }

    #[tokio::test]
    async fn a_lost_race_is_read_again_and_the_change_made_on_the_fresh_copy() {
        let stored = Cell::new((1u32, 0u32)); // (value, version)
        let writes = Cell::new(0);
        let (stored, writes) = (&stored, &writes);
        let out = update::<u32, (), StoreError, _, _, _, _>(
            5,
            || async move {
                let (value, version) = stored.get();
                Ok(Some(Versioned {
                    value,
                    etag: ETag(version.to_string()),
                }))
            },
            |v| {
                *v = v.map(|n| n + 10);
                Ok(Change::Write(()))
            },
            |v, etag| async move {
                writes.set(writes.get() + 1);
                if writes.get() == 1 {
                    // Someone else wrote first.
                    stored.set((5, 1));
                    return Err(raced());
                }
                assert_eq!(etag.map(|e| e.0), Some("1".to_owned()));
                stored.set((v, 2));
                Ok(())
            },
        )
        .await
        .expect("no store error")
        .expect("not contended");
        assert!(out.written);
        assert_eq!(out.value, Some(15));
        assert_eq!(stored.get(), (15, 2));
    }

    #[tokio::test]
    async fn every_try_lost_is_contention_and_keep_writes_nothing() {
        let lost = update::<u32, (), StoreError, _, _, _, _>(
            3,
            || async {
                Ok(Some(Versioned {
                    value: 1,
                    etag: ETag("e".into()),
                }))
            },
            |_| Ok(Change::Write(())),
            |_, _| async { Err(raced()) },
        )
        .await
        .expect("no store error");
        assert!(lost.is_none());

        let kept = update::<u32, &str, StoreError, _, _, _, _>(
            3,
            || async { Ok(None) },
            |_| Ok(Change::Keep("nothing to do")),
            |_, _| async { panic!("must not write") },
        )
        .await
        .expect("no store error")
        .expect("not contended");
        assert_eq!(
            (kept.answer, kept.written, kept.value),
            ("nothing to do", false, None)
        );
    }
}
