//! Optimistic concurrency, written once: read a document with its ETag, change it, write it
//! back only if nobody wrote it in between, and when somebody did ("precondition failed"),
//! start again from a fresh read. Cases, index rows and SCIM users are all kept this way,
//! because two invocations (a redelivered message, a timer and a queue function) may work on
//! the same case at once and neither may lose the other's change.

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
pub async fn update<V, T, E>(
    tries: usize,
    mut load: impl AsyncFnMut() -> Result<Option<Versioned<V>>, E>,
    mut change: impl AsyncFnMut(&mut Option<V>) -> Result<Change<T>, E>,
    mut write: impl AsyncFnMut(&V, Option<&ETag>) -> Result<(), StoreError>,
) -> Result<Option<Updated<V, T>>, E>
where
    E: From<StoreError>,
{
    for _ in 0..tries {
        let (mut value, etag) = match load().await? {
            Some(v) => (Some(v.value), Some(v.etag)),
            None => (None, None),
        };
        let answer = match change(&mut value).await? {
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
        let Some(v) = value.as_ref() else {
            return Ok(Some(Updated {
                value,
                answer,
                written: false,
            }));
        };
        match write(v, etag.as_ref()).await {
            Ok(()) => {
                return Ok(Some(Updated {
                    value,
                    answer,
                    written: true,
                }));
            }
            Err(StoreError::PreconditionFailed { .. }) => continue,
            // A create that lost to another create: read what the other wrote.
            Err(StoreError::Conflict { .. }) if etag.is_none() => continue,
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
    case: &Case,
    etag: Option<&ETag>,
) -> Result<(), StoreError> {
    match etag {
        Some(etag) => cases.replace(case, etag).await.map(|_| ()),
        None => Err(StoreError::NotFound {
            what: format!("case {}", case.id),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raced() -> StoreError {
        StoreError::PreconditionFailed { what: "x".into() }
    }

    #[tokio::test]
    async fn a_lost_race_is_read_again_and_the_change_made_on_the_fresh_copy() {
        let stored = std::cell::Cell::new((1u32, 0u32)); // (value, version)
        let writes = std::cell::Cell::new(0);
        let out = update::<u32, (), StoreError>(
            5,
            async || {
                let (value, version) = stored.get();
                Ok(Some(Versioned {
                    value,
                    etag: ETag(version.to_string()),
                }))
            },
            async |v: &mut Option<u32>| {
                *v = v.map(|n| n + 10);
                Ok(Change::Write(()))
            },
            async |v: &u32, etag: Option<&ETag>| {
                writes.set(writes.get() + 1);
                if writes.get() == 1 {
                    // Someone else wrote first.
                    stored.set((5, 1));
                    return Err(raced());
                }
                assert_eq!(etag.map(|e| e.0.as_str()), Some("1"));
                stored.set((*v, 2));
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
        let lost = update::<u32, (), StoreError>(
            3,
            async || {
                Ok(Some(Versioned {
                    value: 1,
                    etag: ETag("e".into()),
                }))
            },
            async |_: &mut Option<u32>| Ok(Change::Write(())),
            async |_: &u32, _: Option<&ETag>| Err(raced()),
        )
        .await
        .expect("no store error");
        assert!(lost.is_none());

        let kept = update::<u32, &str, StoreError>(
            3,
            async || Ok(None),
            async |_: &mut Option<u32>| Ok(Change::Keep("nothing to do")),
            async |_: &u32, _: Option<&ETag>| panic!("must not write"),
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
